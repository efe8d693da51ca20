"""A page's `arxiv:` front matter: read from the page's YAML, validated by
MkDocs config classes (one per kind of page), and kept parsed in the cache.

A page's value is one of three kinds, each a `Config` of its own: a list of
papers (`IdsPage`; a list, a string or one paper's mapping is read as its
`ids:`), the day's announcement of some categories (`ListingPage`), or a
search (`QueryPage`). As Material's blog does with a post's front matter, each
option type checks its own value; unlike the blog, a problem never stops the
build: it is a warning naming the page (said by the caller), the value and the
fix, and the option falls back to what the page can still use.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import yaml
from mkdocs.config import base
from mkdocs.config.base import ValidationError
from mkdocs.structure.files import File
from mkdocs.utils.meta import get_data

import mkdocs_arxiv_digest as package

from .ids import ArxivId, Entry, PageSpec, Provenance, Source, parse_id

if TYPE_CHECKING:
    from .cache import Cache  # imported by the plugin's events, only when it is enabled


Notice = tuple[str, dict[str, str]]
"""What a page says above its digest: a label's name and its values."""


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# The option types. Each returns what the page can use and puts each problem in
# `self.warnings`; one raises `ValidationError` only where nothing after it on
# the page can be used (the page then shows no papers, and says why).


class PaperList(base.BaseConfigOption[list[Entry]]):
    """`ids:` and `updated:`: a list, or IDs in one string split on commas and
    spaces; each an ID, an arXiv URL, or a mapping with `id:` and fields
    written by hand. A paper listed twice is shown once."""

    def __init__(self, prefix: str = "", needed: bool = False) -> None:
        super().__init__()
        self.prefix = prefix
        """Said before each problem: which list it is in."""
        self.needed = needed

    def run_validation(self, value: object, /) -> list[Entry]:
        if value is None and self.needed:
            raise ValidationError("the mapping form needs an `ids:` list (or `listing:` or `query:`)")
        if not self.needed:
            value = value or []
            if isinstance(value, dict) and "id" not in value:
                # `updated:` written as a page's mapping is read as one. The
                # options are shared by every page's config (MkDocs' way), and
                # this one's problems are added after the page inside is read.
                nested = parse_spec(value)
                self.warnings += [self.prefix + problem for problem in nested.problems]
                return nested.entries
        if isinstance(value, str) and ("," in value or " " in value.strip()):
            value = [part for part in re.split(r"[,\s]+", value) if part]
        entries: list[Entry] = []
        seen: set[ArxivId] = set()
        for item in value if isinstance(value, list) else [value]:
            problem, entry = _entry(item)
            if problem:
                self.warnings.append(self.prefix + problem)
            elif entry is not None and entry.id not in seen:
                seen.add(entry.id)
                entries.append(entry)
        return entries


def _entry(item: Any) -> tuple[str, Entry | None]:
    """One paper of a list, or what is wrong with it."""
    overrides: dict[str, Any] = {}
    raw = item
    if isinstance(item, dict):
        overrides = {str(key): val for key, val in item.items() if key != "id"}
        raw = item.get("id")
        if raw is None:
            return f"entry {_show(item)} has no `id:`", None
    if raw is None:
        return "an empty entry (null); write an arXiv ID or remove the line", None
    if isinstance(raw, (list, dict)):
        return f"{_show(raw)} is a nested {type(raw).__name__}; write one arXiv ID per entry", None
    if not isinstance(raw, str):
        return f"{_show(raw)} is not an arXiv identifier", None
    try:
        return "", Entry(parse_id(raw), overrides)
    except ValueError as error:
        return f"{_show(raw)}: {error}", None


class Frozen(base.BaseConfigOption[tuple[Notice | None, Provenance | None]]):
    """`source:`, written by the `daily` command on the pages it freezes: which
    listing or query the page's `ids:` came from, the day announced, and
    (`cross_listed:`) which of them are cross-lists. What the page says above
    its digest, and its provenance for scripts."""

    def run_validation(self, value: object, /) -> tuple[Notice | None, Provenance | None]:
        if not isinstance(value, dict):
            return None, None
        return _frozen_notice(value), self._provenance(value)

    def _provenance(self, source: dict[Any, Any]) -> Provenance | None:
        if not (isinstance(source.get("listing"), str) or "query" in source):
            return None
        listed = source.get("cross_listed") or []
        cross: set[ArxivId] = set()
        for item in listed if isinstance(listed, list) else [listed]:
            try:
                if not isinstance(item, str):
                    raise ValueError("not an arXiv identifier")
                cross.add(parse_id(item))
            except ValueError as error:
                self.warnings.append(f"source: cross_listed: {_show(item)}: {error}")
        day = source.get("announced")
        return Provenance(
            source["listing"] if isinstance(source.get("listing"), str) else "",
            str(source.get("query") or ""),
            str(day) if day else None,
            frozenset(cross),
        )


def _frozen_notice(source: dict[Any, Any]) -> Notice | None:
    day = str(source.get("announced") or "")
    if isinstance(source.get("listing"), str) and day:
        return ("announced", {"source": source["listing"].replace("+", ", "), "date": day})
    if isinstance(source.get("query"), str) and day:
        return ("searched", {"source": source["query"], "date": day})
    return None


_CATEGORY = re.compile(r"[a-z][a-z-]*(?:\.[A-Za-z][A-Za-z-]*)?")
"""An arXiv archive (`cs`, `astro-ph`) or category (`cs.CV`, `math.AG`)."""


class Categories(base.BaseConfigOption[tuple[str, ...]]):
    """`listing:`: arXiv categories, as a list or in one string split on
    spaces, commas or `+`; each named once."""

    def run_validation(self, value: object, /) -> tuple[str, ...]:
        names = value if isinstance(value, list) else re.split(r"[\s,+]+", value) if isinstance(value, str) else [value]
        names = [name for name in names if name != ""]
        if not names or any(not isinstance(name, str) or not _CATEGORY.fullmatch(name) for name in names):
            raise ValidationError(
                f"listing {_show(value)} is not a list of arXiv categories "
                "(write e.g. `listing: cs.CV` or `listing: [cs.CV, eess.IV]`)"
            )
        return tuple(dict.fromkeys(names))


class Search(base.BaseConfigOption[str]):
    """`query:`: an arXiv API search, its spaces collapsed."""

    def run_validation(self, value: object, /) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(
                f"query {_show(value)} is not an arXiv search (write e.g. `query: 'cat:cs.CV AND abs:diffusion'`)"
            )
        return " ".join(value.split())


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
            f"max {_show(value)} is not a whole number from 1 to 2000; using {self.default or 'no limit'}"
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
        self.warnings.append(f"{self._name} {_show(value)} is not true or false; using true")
        return True


class Phrases(base.BaseConfigOption[tuple[str, ...]]):
    """`keywords:` and `exclude:`: words or phrases, one or a list, their spaces collapsed."""

    def run_validation(self, value: object, /) -> tuple[str, ...]:
        raw = value or []
        items = raw if isinstance(raw, list) else [raw]
        words = [" ".join(item.split()) for item in items if isinstance(item, str) and item.strip()]
        if len(words) != len(items):
            self.warnings.append(
                f"{self._name} {_show(raw)} must be a list of words or phrases; the others are ignored"
            )
        return tuple(words)


class AsWritten(base.BaseConfigOption[Any]):
    """A value checked when the page is built, against the site's settings
    (`language:` against `labels`, `layout:` against the layouts)."""


# The three kinds of page.


class _Page(base.Config):  # type: ignore[no-untyped-call]
    language = AsWritten()
    layout = AsWritten()


class IdsPage(_Page):  # type: ignore[no-untyped-call]
    """Papers named by ID."""

    source = Frozen()
    updated = PaperList(prefix="updated: ")
    """Papers shown under "Updated" (a listing's replacements, frozen by `daily`)."""
    ids = PaperList(needed=True)


class _Announced(_Page):  # type: ignore[no-untyped-call]
    max = Count(default=None)
    cross_lists = Flag()
    keywords = Phrases()
    """A paper's title or abstract must hold one of these (any case); none: every paper."""
    exclude = Phrases()


class ListingPage(_Announced):  # type: ignore[no-untyped-call]
    """The papers of the latest announcement of some categories."""

    listing = Categories()


class QueryPage(_Announced):  # type: ignore[no-untyped-call]
    """The newest results of a search, 25 unless `max:` says otherwise."""

    query = Search()
    max = Count(default=25)


def _keys(kind: type[base.Config]) -> frozenset[str]:
    return frozenset(key for key, _ in kind._schema)


PAGE_OPTIONS = _keys(IdsPage) | _keys(ListingPage) | _keys(QueryPage)
"""Every key of the mapping form."""
SOURCE_OPTIONS = PAGE_OPTIONS - _keys(IdsPage)
"""The keys of a page whose papers come from arXiv's announcements or a search."""


def _validated(kind: type[base.Config], value: dict[Any, Any]) -> tuple[base.Config, dict[str, list[str]]]:
    """The page's options of `kind`, and its problems by key (those of a key
    that stopped the reading under `error`)."""
    page = kind()
    known = _keys(kind)
    page.load_dict({key: given for key, given in value.items() if key in known})
    errors, warnings = page.validate()
    said: dict[str, list[str]] = {}
    for key, text in warnings:
        said.setdefault(key, []).append(text)
    for _, error in errors:
        said.setdefault("error", []).append(str(error))
    return page, said


def parse_spec(value: Any) -> PageSpec:
    """Read the value of a page's `arxiv:` key. Problems are collected, never
    raised. One thread at a time: as in MkDocs' own configs, the option types
    are shared by every page's config and hold its problems while it is read."""
    spec = PageSpec()
    if not isinstance(value, dict) or "id" in value:
        value = {"ids": [None] if value is None else value}
    unknown = sorted(map(str, set(value) - PAGE_OPTIONS))
    if unknown:
        spec.problems.append(
            f"unknown key(s) {', '.join(unknown)} (the mapping form takes: {', '.join(sorted(PAGE_OPTIONS))})"
        )
    spec.options = {key: value[key] for key in ("language", "layout") if key in value}
    if "listing" in value or "query" in value:
        if "ids" in value:
            spec.problems.append(
                "`ids:` and `listing:`/`query:` cannot be used together; keep one "
                "(the `daily` command writes pages with `ids:` frozen from a listing)"
            )
        elif "listing" in value and "query" in value:
            spec.problems.append("`listing:` and `query:` cannot be used together; keep one")
        else:
            page, said = _validated(ListingPage if "listing" in value else QueryPage, value)
            if "error" in said:  # the categories or the search: the rest does not matter
                spec.problems += said["error"]
            else:
                spec.problems += [problem for problems in said.values() for problem in problems]
                spec.source = Source(
                    listing=page.get("listing", ()),
                    query=page.get("query", ""),
                    max=page["max"],
                    keywords=page["keywords"],
                    exclude=page["exclude"],
                    cross_lists=page["cross_lists"],
                )
        return spec
    page, said = _validated(IdsPage, value)
    spec.notice, spec.provenance = page["source"]
    stray = sorted(SOURCE_OPTIONS & set(value))
    spec.problems += said.get("source", [])
    if stray:
        spec.problems.append(f"{', '.join(stray)} only go with `listing:` or `query:`; they are ignored")
    spec.problems += said.get("updated", []) + said.get("ids", []) + said.get("error", [])
    if "error" not in said:
        spec.entries = page["ids"]
    # A paper is shown once: among the page's papers if it is there too.
    listed = set(spec.ids)
    spec.updated = [entry for entry in page["updated"] if entry.id not in listed]
    return spec


# The front matter as YAML, and the pages' front matter as a build reads it.

# libyaml's parser, where PyYAML was built with it, reads front matter about ten times faster.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _VerbatimLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """A YAML loader that keeps numbers as written: `2310.10040` stays that string."""


_VerbatimLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp) for tag, regexp in resolvers if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_FRONT_MATTER = re.compile(r"\A-{3}[ \t]*\r?\n(.*?\r?\n)(?:\.{3}|-{3})[ \t]*(?:\r?\n|\Z)", re.DOTALL)


def front_matter_text(source: str) -> str | None:
    """The YAML between a page's `---` lines, or `None`."""
    match = _FRONT_MATTER.match(source)
    return match.group(1) if match else None


def read_front_matter(source: str) -> dict[str, Any]:
    """The YAML front matter of a Markdown source, numbers kept as text; `{}` if none.

    Raises `yaml.YAMLError` for front matter that is not valid YAML.
    """
    match = _FRONT_MATTER.match(source)
    if not match:
        return {}
    data = yaml.load(match.group(1), Loader=_VerbatimLoader)
    return data if isinstance(data, dict) else {}


_NEAR_MISSES = {"arxiv_ids", "arxiv_id", "arxiv-ids", "arxiv-id", "arxivids", "arxiv_papers", "papers", "paper_ids"}


def near_misses(meta: dict[Any, Any]) -> list[str]:
    """Keys that are probably a misspelt `arxiv:` (`arXiv`, `papers`,
    `arxiv_ids`…): those that hold something that reads as arXiv IDs."""
    found = []
    for key, value in meta.items():
        name = str(key)
        if name != "arxiv" and (name.lower() == "arxiv" or name.lower() in _NEAR_MISSES) and _holds_ids(value):
            found.append(name)
    return found


def _holds_ids(value: Any) -> bool:
    if isinstance(value, dict):
        value = value.get("ids", value.get("id"))
    items = value if isinstance(value, list) else [value]
    for item in items[:5]:
        raw = item.get("id") if isinstance(item, dict) else item
        for part in re.split(r"[,\s]+", str(raw)) if raw is not None else []:
            try:
                parse_id(part)
            except ValueError:
                continue
            return True
    return False


def spec_to_dict(spec: PageSpec) -> dict[str, Any] | None:
    """A spec as JSON-able data, for the cache; `None` for one with hand-written
    fields (they may hold values JSON cannot keep, such as dates)."""
    if any(entry.overrides for entry in spec.entries) or spec.source is not None or spec.updated or spec.notice:
        return None
    return {
        "ids": [[i.base, i.version] for i in spec.ids],
        "options": {k: v for k, v in spec.options.items() if isinstance(v, str)},
        "problems": spec.problems,
    }


def spec_from_dict(data: Any) -> PageSpec | None:
    """A spec read back from the cache; `None` unless every value is of its
    kind and every ID valid (the cache is data, and data can be damaged)."""
    try:
        ids = [ArxivId(str(base), version) for base, version in data["ids"]]
        options, problems = data["options"], data["problems"]
    except (KeyError, TypeError, ValueError):
        return None
    for arxiv_id in ids:
        if arxiv_id.version is not None and (type(arxiv_id.version) is not int or arxiv_id.version < 1):
            return None
        try:
            if parse_id(arxiv_id.base).base != arxiv_id.base:
                return None
        except ValueError:
            return None
    if not isinstance(options, dict) or not all(isinstance(v, str) for v in options.values()):
        return None
    if not isinstance(problems, list) or not all(isinstance(p, str) for p in problems):
        return None
    return PageSpec(entries=[Entry(i) for i in ids], options=dict(options), problems=list(problems))


# A cheap test before YAML is parsed: the key in any spelling YAML allows
# (quoted, in a flow mapping), and the near misses that get a warning.
_MENTIONS = re.compile(r"arxiv|papers|paper_ids", re.IGNORECASE)
_MULTIMARKDOWN = re.compile(r"\A(?:[ ]{0,3}[A-Za-z0-9_-]+:.*\n(?:(?:[ ]{4}|\t).*\n)*)*?[ ]{0,3}arxiv:", re.IGNORECASE)

Warn = Callable[[str], None]
Stamp = tuple[float, int]


class PageReader:
    """Reads pages' front matter. A file unchanged since the last read (serve
    rebuilds) is not read again, and a front matter read in an earlier build
    comes from the cache."""

    def __init__(self, warn: Warn) -> None:
        self.warn = warn
        self.parsed = 0
        """How many front matters were parsed (the benchmark and tests read it)."""
        self._seen: dict[str, tuple[Stamp, PageSpec | None]] = {}

    def read_all(self, files: Iterable[File], cache: Cache) -> list[tuple[File, PageSpec]]:
        """Each page's papers and options, for the pages with `arxiv:`. The
        front matters read in an earlier build come from the cache in one read."""
        read = [(file, *self._front(file)) for file in files]
        specs: list[tuple[File, PageSpec]] = []
        with cache.reading_ahead(_spec_key(front) for _, _, front in read if isinstance(front, str)):
            for file, stamp, front in read:
                if isinstance(front, str):
                    spec = self._parse(front, file, cache)
                    self._remember(file, stamp, spec)
                else:
                    spec = front
                if spec is not None:
                    specs.append((file, spec))
        return specs

    def _front(self, file: File) -> tuple[Stamp | None, str | PageSpec | None]:
        """The file's stamp, and the page's front matter where it mentions
        papers; else what is known of the page: its spec when unchanged since
        the last read, or that it has none."""
        path = file.abs_src_path
        stamp: Stamp | None = None
        if path and not file.generated_by:
            try:
                info = os.stat(path)
                stamp = (info.st_mtime, info.st_size)
            except OSError:
                stamp = None
            seen = self._seen.get(path)
            if stamp is not None and seen is not None and seen[0] == stamp:
                return stamp, seen[1]
        try:
            source = file.content_string
        except (OSError, UnicodeDecodeError):
            return None, None  # read again next time
        spec: PageSpec | None = None
        front = front_matter_text(source) if source.startswith("---") else None
        if front is not None and _MENTIONS.search(front):
            return stamp, front
        if front is None and _MULTIMARKDOWN.match(source):
            # MkDocs also reads MultiMarkdown-style meta-data (`arxiv: 2403.10045, …`
            # in the first lines, no `---`), with keys in lowercase.
            meta = get_data(source)[1]
            spec = parse_spec(meta["arxiv"]) if "arxiv" in meta else None
        self._remember(file, stamp, spec)
        return stamp, spec

    def _remember(self, file: File, stamp: Stamp | None, spec: PageSpec | None) -> None:
        if stamp is not None and file.abs_src_path:
            self._seen[file.abs_src_path] = (stamp, spec)

    def _parse(self, front: str, file: File, cache: Cache) -> PageSpec | None:
        key = _spec_key(front)
        stored = cache.get_json(key)
        known = spec_from_dict(stored) if stored is not None else None
        if known is not None:
            return known
        self.parsed += 1
        try:
            meta = read_front_matter(f"---\n{front}---\n")
        except yaml.YAMLError as error:
            self.warn(f"Page '{file.src_uri}': its front matter is not valid YAML, so its papers are skipped: {error}")
            return None
        for name in near_misses(meta):
            self.warn(
                f"Page '{file.src_uri}': front matter key '{name}' is not read, so its papers are not shown; "
                "the key is 'arxiv' (lowercase)."
            )
        if "arxiv" not in meta:
            return None
        spec = parse_spec(meta["arxiv"])
        data = spec_to_dict(spec)
        if data is not None:
            cache.set_json(key, data)
        return spec


def _spec_key(front: str) -> str:
    # Keyed by the plugin's version too: a reading fixed in an upgrade shows at once.
    return "spec:" + hashlib.sha256(f"{package.__version__}\n{front}".encode()).hexdigest()
