"""A page's `arxiv:` front matter: read from the page's YAML, validated by
MkDocs config classes (one per kind of page), and kept parsed in the cache.

A page's value is one of three kinds, each a `Config` of its own: a list of
papers (`IdsPage`; a list, a string or one paper's mapping is read as its
`ids:`), or one of the source types of `sources.SOURCES` (the day's
announcement of some categories, a search), each with its own `page`
config. As Material's blog does with a post's front matter, each
option type checks its own value; unlike the blog, a problem never stops the
build: it is a warning naming the page (said by the caller), the value and the
fix, and the option falls back to what the page can still use.
"""

from __future__ import annotations

import contextlib
import dataclasses
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

from .ids import ArxivId, Entry, Liked, PageSpec, parse_id
from .sources import SOURCES, Provenance
from .sources.base import Notice
from .sources.options import Page, show

if TYPE_CHECKING:
    from .cache import Cache  # imported by the plugin's events, only when it is enabled


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
            raise ValidationError(f"the mapping form needs an `ids:` list (or {_either()})")
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
                entry, problem = _frozen_like(entry)
                if problem:
                    self.warnings.append(self.prefix + problem)
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
            return f"entry {show(item)} has no `id:`", None
    if raw is None:
        return "an empty entry (null); write an arXiv ID or remove the line", None
    if isinstance(raw, (list, dict)):
        return f"{show(raw)} is a nested {type(raw).__name__}; write one arXiv ID per entry", None
    if not isinstance(raw, str):
        return f"{show(raw)} is not an arXiv identifier", None
    try:
        return "", Entry(parse_id(raw), overrides)
    except ValueError as error:
        return f"{show(raw)}: {error}", None


def _frozen_like(entry: Entry) -> tuple[Entry, str]:
    """An entry of a ranked day `daily` froze, with its `like:` (the ID of the
    library paper it was most like; `like_title:` for a library file's paper
    without one) and `score:` as its `liked`; the liked paper's title and
    page are found when the site is built. A problem leaves them out."""
    overrides = entry.overrides
    if not {"like", "like_title", "score"} & set(overrides):
        return entry, ""
    like, score, title = overrides.get("like"), overrides.get("score"), overrides.get("like_title")
    try:
        liked = parse_id(like) if isinstance(like, str) else None
    except ValueError:
        liked = None
    number = -1.0
    if isinstance(score, str):  # numbers are kept as written
        with contextlib.suppress(ValueError):
            number = float(score)
    elif isinstance(score, (int, float)) and not isinstance(score, bool):
        number = float(score)
    if like is None and isinstance(title, str) and title.strip() and 0 <= number <= 1:
        # A library file's paper known by its title alone.
        return dataclasses.replace(entry, liked=Liked(None, title, "", number)), ""
    if liked is None or not 0 <= number <= 1:
        return entry, (
            f"{entry.id}: like {show(like)} and score {show(score)} are not an arXiv ID and a number "
            "from 0 to 1 (as the `daily` command writes them); the paper is shown without them"
        )
    return dataclasses.replace(entry, liked=Liked(liked, "", "", number)), ""


class Frozen(base.BaseConfigOption[tuple[Notice | None, Provenance | None]]):
    """`source:`, written by the `daily` command on the pages it freezes: which
    listing or query the page's `ids:` came from, the day announced, and
    (`cross_listed:`) which of them are cross-lists. What the page says above
    its digest, and its provenance for scripts."""

    def run_validation(self, value: object, /) -> tuple[Notice | None, Provenance | None]:
        if not isinstance(value, dict):
            return None, None
        for kind in SOURCES.values():
            thawed = kind.thaw(value)
            if thawed is not None:
                notice, request = thawed
                return notice, self._provenance(value, kind.kind, request)
        return None, None

    def _provenance(self, source: dict[Any, Any], kind: str, request: str) -> Provenance:
        listed = source.get("cross_listed") or []
        cross: set[ArxivId] = set()
        for item in listed if isinstance(listed, list) else [listed]:
            try:
                if not isinstance(item, str):
                    raise ValueError("not an arXiv identifier")
                cross.add(parse_id(item))
            except ValueError as error:
                self.warnings.append(f"source: cross_listed: {show(item)}: {error}")
        day = source.get("announced")
        return Provenance(kind, request, str(day) if day else None, frozenset(cross))


# A page of papers named by ID; the other kinds are the source types' `page`.


class IdsPage(Page):  # type: ignore[no-untyped-call]
    """Papers named by ID."""

    source = Frozen()
    updated = PaperList(prefix="updated: ")
    """Papers shown under "Updated" (a listing's replacements, frozen by `daily`)."""
    ids = PaperList(needed=True)


def _either() -> str:
    """The keys of the source types, as a problem names them: "`listing:` or `query:`"."""
    return " or ".join(f"`{key}:`" for key in SOURCES)


def _keys(kind: type[base.Config]) -> frozenset[str]:
    return frozenset(key for key, _ in kind._schema)


def source_options() -> frozenset[str]:
    """The keys of a page whose papers come from arXiv: those of every source type but `ids:`'s."""
    return frozenset().union(*(_keys(kind.page) for kind in SOURCES.values())) - _keys(IdsPage)


def page_options() -> frozenset[str]:
    """Every key of the mapping form (read from `SOURCES` each time: a type registered later counts)."""
    return _keys(IdsPage) | source_options()


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
    options = page_options()
    unknown = sorted(map(str, set(value) - options))
    if unknown:
        spec.problems.append(
            f"unknown key(s) {', '.join(unknown)} (the mapping form takes: {', '.join(sorted(options))})"
        )
    spec.options = {key: value[key] for key in ("language", "layout", "fulltext", "figures") if key in value}
    kinds = [kind for key, kind in SOURCES.items() if key in value]
    if kinds:
        if "ids" in value:
            spec.problems.append(
                f"`ids:` and {'/'.join(f'`{key}:`' for key in SOURCES)} cannot be used together; keep one "
                "(the `daily` command writes pages with `ids:` frozen from a listing)"
            )
        elif len(kinds) > 1:
            spec.problems.append(
                f"{' and '.join(f'`{kind.kind}:`' for kind in kinds)} cannot be used together; keep one"
            )
        else:
            page, said = _validated(kinds[0].page, value)
            if "error" in said:  # what the source asks: the rest does not matter
                spec.problems += said["error"]
            else:
                spec.problems += [problem for problems in said.values() for problem in problems]
                spec.source = kinds[0].from_page(page)
        return spec
    page, said = _validated(IdsPage, value)
    spec.notice, spec.provenance = page["source"]
    stray = sorted(source_options() & set(value))
    spec.problems += said.get("source", [])
    if stray:
        spec.problems.append(f"{', '.join(stray)} only go with {_either()}; they are ignored")
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
