"""What is kept of a paper's HTML: a bounded record, JSON-able, cached for good."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, TypeVar

from ..escape import inert_tex

SCHEMA = 1
"""Bumped when a field changes meaning; records of another schema are not read."""

# The bounds of one record. A long paper (60 pages, 40 figures) fits with room;
# only a broken or hostile page reaches them. Text is cut at the bound, whole
# entries past a count are left out.
MAX_TITLE = 1_000
MAX_ABSTRACT = 6_000
MAX_AUTHORS = 100
MAX_AFFILIATIONS = 8
"""Per author."""
MAX_AFFILIATION = 300
MAX_SECTIONS = 60
MAX_SECTION_TEXT = 20_000
MAX_TEXT = 200_000
"""All sections' text together."""
MAX_FIGURES = 60
MAX_TABLES = 60
MAX_IMAGES = 4
"""Per figure (its subfigures)."""
MAX_CAPTION = 2_000
MAX_CODE_LINKS = 12
MAX_URL = 500
MAX_LICENSE_TEXT = 200

LICENSES = ("cc-by", "cc-by-sa", "cc-by-nd", "cc-by-nc", "cc-by-nc-sa", "cc-by-nc-nd", "cc0", "arxiv-nonexclusive")
"""The licence codes a record may hold; anything else is `unknown`."""
UNKNOWN = "unknown"


def cut(text: str, limit: int) -> str:
    """`text` to its first `limit` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _inert(record: object, names: tuple[str, ...]) -> None:
    for name in names:
        value = getattr(record, name)
        inert: Any = inert_tex(value) if isinstance(value, str) else tuple(inert_tex(v) for v in value)
        if inert != value:
            object.__setattr__(record, name, inert)


@dataclass(frozen=True)
class Author:
    name: str
    affiliations: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _inert(self, ("name", "affiliations"))


@dataclass(frozen=True)
class Section:
    """A top-level section (or appendix); its subsections' text is in its own."""

    id: str
    """The element's id in the paper's HTML (`S3`), for links into it; empty
    for the text of a paper without sections."""
    number: str
    """As the paper shows it: `3`, `IV`, `A`; empty when unnumbered."""
    title: str
    text: str
    """Plain text on one line, math as `$…$` (LaTeXML's `alttext`)."""

    def __post_init__(self) -> None:
        _inert(self, ("title", "text"))


@dataclass(frozen=True)
class Figure:
    id: str
    """The figure's id in the paper's HTML (`S2.F1`): `{page}#{id}` links to it."""
    number: str
    """`1`, `A.2`; empty when the paper does not number it."""
    caption: str
    images: tuple[str, ...] = ()
    """Absolute URLs of its images, each under the paper's own folder on the
    page's host; images pointing anywhere else are left out."""
    section: str = ""
    """The id of the top-level section it is in."""

    def __post_init__(self) -> None:
        _inert(self, ("caption",))


@dataclass(frozen=True)
class Table:
    id: str
    number: str
    caption: str
    section: str = ""

    def __post_init__(self) -> None:
        _inert(self, ("caption",))


@dataclass(frozen=True)
class CodeLink:
    url: str
    """Normalised: `https://github.com/owner/repo`, no `.git`, query or fragment."""
    kind: str
    """`github`, `gitlab`, `huggingface`, `zenodo`, `bitbucket`, `codeberg`."""
    where: str
    """Where it was first found: `abstract`, `footnote` or `body`."""


@dataclass(frozen=True)
class FullText:
    """A paper as its HTML tells it. Every text field is bounded (see the
    `MAX_` constants) and holds no TeX command that builds markup."""

    url: str
    """The page it was read from."""
    title: str = ""
    authors: tuple[Author, ...] = ()
    abstract: str = ""
    sections: tuple[Section, ...] = ()
    figures: tuple[Figure, ...] = ()
    tables: tuple[Table, ...] = ()
    code: tuple[CodeLink, ...] = ()
    license: str = UNKNOWN
    """One of `LICENSES`, or `unknown`."""
    license_text: str = ""
    """The page's licence line as written (`License: CC BY 4.0`)."""

    def __post_init__(self) -> None:
        _inert(self, ("title", "abstract", "license_text"))

    @property
    def affiliations(self) -> tuple[str, ...]:
        """Every author's affiliations, each once, in the order they first appear."""
        return tuple(dict.fromkeys(a for author in self.authors for a in author.affiliations))

    def figure(self, number: str) -> Figure | None:
        return next((f for f in self.figures if f.number == number), None)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["schema"] = SCHEMA
        return _lists(data)  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, data: Any) -> FullText | None:
        """The record back from `to_dict`'s dict; `None` for one of another
        schema or one whose values are not of their fields' kinds."""
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            return None
        try:
            return _build(cls, data)
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True)
class NoHtml:
    """A page that is not a usable paper: arXiv has none, or it failed."""

    reason: str
    """`stub` (the paper's source is a PDF or did not convert), `fatal` (the
    conversion stopped part-way), `little-text`, `not-latexml`, `too-large`,
    `empty`."""
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "no_html": self.reason, "detail": self.detail}

    @classmethod
    def from_dict(cls, data: Any) -> NoHtml | None:
        if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("no_html"), str):
            return None
        detail = data.get("detail", "")
        return cls(data["no_html"], detail if isinstance(detail, str) else "")


def from_dict(data: Any) -> FullText | NoHtml | None:
    """Either record back from its dict; `None` for anything else."""
    if isinstance(data, dict) and "no_html" in data:
        return NoHtml.from_dict(data)
    return FullText.from_dict(data)


def _lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    return value


_R = TypeVar("_R")
_NESTED: dict[str, type] = {
    "authors": Author,
    "sections": Section,
    "figures": Figure,
    "tables": Table,
    "code": CodeLink,
}


def _build(cls: type[_R], data: dict[str, Any]) -> _R:
    """An instance of the dataclass `cls` from `data`, checking every value's kind."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name not in data:
            continue
        value = data[f.name]
        if f.name in _NESTED:
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise TypeError(f.name)
            value = tuple(_build(_NESTED[f.name], v) for v in value)
            if f.name == "code":
                from .links import code_link

                # A cached row is outside data too: a link the parser would not have made is dropped.
                value = tuple(link for link in value if code_link(link.url) == (link.url, link.kind))
        elif f.name in ("affiliations", "images"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise TypeError(f.name)
            value = tuple(value)
        elif not isinstance(value, str):
            raise TypeError(f.name)
        values[f.name] = value
    return cls(**values)
