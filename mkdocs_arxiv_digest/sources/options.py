"""The option types of a page's `arxiv:` front matter that every kind of page
shares, and the options of a page whose papers come from arXiv (the
filters). Each type returns what the page can use and puts each problem in
`self.warnings`; one raises `ValidationError` only where nothing after it on
the page can be used (the page then shows no papers, and says why)."""

from __future__ import annotations

import contextlib
from typing import Any

from mkdocs.config import base


def show(value: Any) -> str:
    """A value as a warning quotes it, at most 80 characters."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class Count(base.BaseConfigOption[int | None]):
    """`max:`: the most papers the page shows, from 1 to 2000; `default` when
    left out or not such a number."""

    def __init__(self, default: int | None) -> None:
        super().__init__()
        self.default = default

    def run_validation(self, value: object, /) -> int | None:
        if type(value) is str and value.isdecimal():  # numbers are kept as written
            value = int(value)
        if value is self.default or (type(value) is int and 1 <= value <= 2000):
            return value
        self.warnings.append(
            f"{self._name} {show(value)} is not a whole number from 1 to 2000; using {self.default or 'no limit'}"
        )
        return self.default  # type: ignore[no-any-return]


class Flag(base.BaseConfigOption[bool]):
    """`cross_lists:`: true or false; true otherwise."""

    def __init__(self) -> None:
        super().__init__()
        self.default = True

    def run_validation(self, value: object, /) -> bool:
        if isinstance(value, bool):
            return value
        self.warnings.append(f"{self._name} {show(value)} is not true or false; using true")
        return True


class Ranking(base.BaseConfigOption[str | None]):
    """`rank:`: `library` (order the papers by their likeness to the site's
    reading lists) or left out (the source's own order)."""

    def run_validation(self, value: object, /) -> str | None:
        if value is None or value == "library":
            return value
        self.warnings.append(f"rank {show(value)} is not `library`; the papers keep the source's order")
        return None


class Score(base.BaseConfigOption[float]):
    """`min_score:`: a number from 0 to 1; 0 when left out or not such a number."""

    def __init__(self) -> None:
        super().__init__()
        self.default = 0.0

    def run_validation(self, value: object, /) -> float:
        if type(value) is str:  # numbers are kept as written
            with contextlib.suppress(ValueError):
                value = float(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1:
            return float(value)
        self.warnings.append(f"min_score {show(value)} is not a number from 0 to 1; using 0")
        return 0.0


class Phrases(base.BaseConfigOption[tuple[str, ...]]):
    """`keywords:` and `exclude:`: words or phrases, one or a list, their spaces collapsed."""

    def run_validation(self, value: object, /) -> tuple[str, ...]:
        raw = value or []
        items = raw if isinstance(raw, list) else [raw]
        words = [" ".join(item.split()) for item in items if isinstance(item, str) and item.strip()]
        if len(words) != len(items):
            self.warnings.append(f"{self._name} {show(raw)} must be a list of words or phrases; the others are ignored")
        return tuple(words)


class AsWritten(base.BaseConfigOption[Any]):
    """A value checked when the page is built, against the site's settings
    (`language:` against `labels`, `layout:` against the layouts,
    `fulltext:` against `auto`, `true` and `false`)."""


class Page(base.Config):  # type: ignore[no-untyped-call]
    """What every kind of page takes."""

    language = AsWritten()
    layout = AsWritten()
    fulltext = AsWritten()
    figures = AsWritten()


class AnnouncedPage(Page):  # type: ignore[no-untyped-call]
    """What a page whose papers come from arXiv takes: the filters."""

    max = Count(default=None)
    cross_lists = Flag()
    keywords = Phrases()
    """A paper's title or abstract must hold one of these (any case); none: every paper."""
    exclude = Phrases()
    rank = Ranking()
    """`library`: the papers kept, most like the site's reading lists first; `max` then
    keeps the top ones."""
    candidates = Count(default=200)
    """With `rank`, how many papers a query asks arXiv for and ranks (a listing ranks
    its whole day)."""
    min_score = Score()
    """With `rank`, the papers scoring less than this (0 to 1) are left out."""
