"""Read arXiv identifiers as people write them, and reduce them to the form arXiv answers to."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import yaml

# Archives of the identifiers used before April 2007 (`hep-th/9901001`).
OLD_ARCHIVES = frozenset(
    [
        "acc-phys",
        "adap-org",
        "alg-geom",
        "ao-sci",
        "astro-ph",
        "atom-ph",
        "bayes-an",
        "chao-dyn",
        "chem-ph",
        "cmp-lg",
        "comp-gas",
        "cond-mat",
        "cs",
        "dg-ga",
        "funct-an",
        "gr-qc",
        "hep-ex",
        "hep-lat",
        "hep-ph",
        "hep-th",
        "math",
        "math-ph",
        "mtrl-th",
        "nlin",
        "nucl-ex",
        "nucl-th",
        "patt-sol",
        "physics",
        "plasm-ph",
        "q-alg",
        "q-bio",
        "quant-ph",
        "solv-int",
        "supr-con",
    ]
)

_NEW = re.compile(r"(?P<yymm>\d{4})\.(?P<num>\d{4,5})(?:v(?P<v>\d+))?")
_OLD = re.compile(r"(?P<archive>[a-z][a-z-]*)(?:\.[A-Za-z]{2})?/(?P<yymm>\d{4})(?P<num>\d{3})(?:v(?P<v>\d+))?")
_URL = re.compile(
    r"https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/(?P<id>.+?)(?:\.pdf)?/?(?:[?#].*)?",
    re.IGNORECASE,
)
_PREFIX = re.compile(r"arxiv:\s*", re.IGNORECASE)


class ArxivId(NamedTuple):
    """An identifier as arXiv knows it: `base` (`2403.10045`, `hep-th/9901001`)
    and an optional version. A named tuple rather than a dataclass: a site has
    thousands, built and hashed on every build, and tuples do both in C."""

    base: str
    version: int | None = None

    def __str__(self) -> str:
        return self.base if self.version is None else f"{self.base}v{self.version}"

    @property
    def anchor(self) -> str:
        """A fragment id safe in HTML and URLs."""
        return "arxiv-" + re.sub(r"[^0-9A-Za-z-]", "-", str(self))


@dataclass(frozen=True)
class Entry:
    """One paper of a page: its id and the fields a writer set by hand for it."""

    id: ArxivId
    overrides: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


_CATEGORY = re.compile(r"[a-z][a-z-]*(?:\.[A-Za-z][A-Za-z-]*)?")
"""An arXiv archive (`cs`, `astro-ph`) or category (`cs.CV`, `math.AG`)."""


@dataclass(frozen=True)
class Source:
    """Where a page's papers come from when it names no IDs: the day's
    announcement of some categories (`listing`), or an API search (`query`)."""

    listing: tuple[str, ...] = ()
    query: str = ""
    max: int | None = None
    """The most papers the page shows (a query's newest first; 25 by default)."""
    keywords: tuple[str, ...] = ()
    """A paper's title or abstract must hold one of these (any case); none: every paper."""
    exclude: tuple[str, ...] = ()
    cross_lists: bool = True

    def describe(self) -> str:
        """The source as a reader or a log line names it."""
        return f"listing {'+'.join(self.listing)}" if self.listing else f"query {self.query!r}"

    @property
    def key(self) -> str:
        """What the resolved list is cached under: the request, not the filters."""
        return "listing:" + "+".join(self.listing) if self.listing else f"query:{self.max}:{self.query}"


@dataclass(frozen=True)
class Provenance:
    """Where a page's papers came from, for scripts (the page's JSON file):
    a listing or a query, the day announced (a query's: its newest result's),
    and which of the page's papers arXiv announced as cross-lists."""

    listing: str = ""
    """The categories, joined with `+`."""
    query: str = ""
    announced: str | None = None
    """`YYYY-MM-DD`."""
    cross_lists: frozenset[ArxivId] = frozenset()


@dataclass
class PageSpec:
    """What a page's `arxiv:` front matter asks for."""

    entries: list[Entry] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    source: Source | None = None
    """Set for a page whose papers come from a listing or a query."""
    updated: list[Entry] = field(default_factory=list)
    """Papers shown under "Updated": replacements of a listing, or an `updated:` list."""
    notice: tuple[str, dict[str, str]] | None = None
    """What the page says above its digest, as a label's name and its values
    (the papers of which announcement, or that there was none)."""
    provenance: Provenance | None = None
    """Set for a page of a listing or a query, live or frozen by the `daily` command."""

    @property
    def ids(self) -> list[ArxivId]:
        return [entry.id for entry in self.entries]


def parse_id(value: str) -> ArxivId:
    """Parse one identifier or arXiv URL; raise `ValueError` saying what is wrong."""
    # The common case (the cache, most pages) skips the reduction, which leaves it as it is.
    plain = _NEW.fullmatch(value) if value.isascii() else None
    text = value if plain else _reduce(value)
    if match := plain or _NEW.fullmatch(text):
        yymm, num = match["yymm"], match["num"]
        month = int(yymm[2:])
        if not 1 <= month <= 12:
            raise ValueError(f"month {yymm[2:]} in {yymm!r} does not exist")
        # Four-digit numbers were used until 2014, five-digit ones since 2015.
        if (len(num) == 5) != (int(yymm) >= 1501):
            raise ValueError(f"papers of {yymm} have {'five' if int(yymm) >= 1501 else 'four'} digits after the dot")
        return ArxivId(f"{yymm}.{num}", _version(match["v"]))
    if match := _OLD.fullmatch(text):
        archive = match["archive"]
        if archive not in OLD_ARCHIVES:
            raise ValueError(f"{archive!r} is not an arXiv archive")
        month = int(match["yymm"][2:])
        if not 1 <= month <= 12:
            raise ValueError(f"month {match['yymm'][2:]} does not exist")
        # `math.GT/0309136`: the subject class is not part of the identifier.
        return ArxivId(f"{archive}/{match['yymm']}{match['num']}", _version(match["v"]))
    raise ValueError("not an arXiv identifier (expected e.g. 2403.10045, hep-th/9901001 or an arxiv.org URL)")


def _reduce(value: str) -> str:
    """An identifier as written, reduced to the part that names the paper."""
    # Full-width digits and colons (２４０３.１００４５, arXiv：…) read as their ASCII forms.
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        raise ValueError("empty identifier")
    url = _URL.fullmatch(text)
    if url:
        text = url.group("id")
    elif "://" in text or text.lower().startswith("www."):
        raise ValueError("not an arXiv URL (expected https://arxiv.org/abs/<id>)")
    return _PREFIX.sub("", text, count=1) if _PREFIX.match(text) else text


def _version(text: str | None) -> int | None:
    if text is None:
        return None
    if int(text) < 1:
        raise ValueError("versions start at v1")
    return int(text)


SOURCE_OPTIONS = frozenset({"listing", "query", "max", "keywords", "exclude", "cross_lists"})
"""The keys of a page whose papers come from arXiv's announcements or a search."""
PAGE_OPTIONS = frozenset({"ids", "language", "layout", "updated", "source"}) | SOURCE_OPTIONS
"""`updated` lists papers shown under "Updated"; `source` records, for a page
the `daily` command froze, which listing or query it came from (not read)."""


def parse_spec(value: Any) -> PageSpec:
    """Read the value of a page's `arxiv:` key. Problems are collected, never raised."""
    spec = PageSpec()
    if isinstance(value, dict) and "id" not in value:
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
                return spec
            spec.source = _parse_source(value, spec.problems)
            return spec
        spec.notice = _frozen_notice(value.get("source"))
        spec.provenance = _frozen_provenance(value.get("source"), spec.problems)
        stray = sorted(SOURCE_OPTIONS & set(value))
        if stray:
            spec.problems.append(f"{', '.join(stray)} only go with `listing:` or `query:`; they are ignored")
        if "updated" in value:
            listed = parse_spec(value["updated"] or [])
            spec.updated = listed.entries
            spec.problems += [f"updated: {problem}" for problem in listed.problems]
        value = value.get("ids")
        if value is None:
            spec.problems.append("the mapping form needs an `ids:` list (or `listing:` or `query:`)")
            return spec
    if isinstance(value, str) and ("," in value or " " in value.strip()):
        value = [part for part in re.split(r"[,\s]+", value) if part]
    if not isinstance(value, list):
        value = [value]
    seen: set[ArxivId] = set()
    for item in value:
        overrides: dict[str, Any] = {}
        raw = item
        if isinstance(item, dict):
            overrides = {str(key): val for key, val in item.items() if key != "id"}
            raw = item.get("id")
            if raw is None:
                spec.problems.append(f"entry {_show(item)} has no `id:`")
                continue
        if raw is None:
            spec.problems.append("an empty entry (null); write an arXiv ID or remove the line")
            continue
        if isinstance(raw, (list, dict)):
            spec.problems.append(f"{_show(raw)} is a nested {type(raw).__name__}; write one arXiv ID per entry")
            continue
        if not isinstance(raw, str):
            spec.problems.append(f"{_show(raw)} is not an arXiv identifier")
            continue
        try:
            arxiv_id = parse_id(raw)
        except ValueError as error:
            spec.problems.append(f"{_show(raw)}: {error}")
            continue
        if arxiv_id not in seen:
            seen.add(arxiv_id)
            spec.entries.append(Entry(arxiv_id, overrides))
    # A paper is shown once: among the page's papers if it is there too.
    spec.updated = [entry for entry in spec.updated if entry.id not in seen]
    return spec


def _frozen_notice(source: Any) -> tuple[str, dict[str, str]] | None:
    """What a page the `daily` command wrote says of where its papers came from."""
    if not isinstance(source, dict):
        return None
    day = str(source.get("announced") or "")
    if isinstance(source.get("listing"), str) and day:
        return ("announced", {"source": source["listing"].replace("+", ", "), "date": day})
    if isinstance(source.get("query"), str) and day:
        return ("searched", {"source": source["query"], "date": day})
    return None


def _frozen_provenance(source: Any, problems: list[str]) -> Provenance | None:
    """Where the papers of a page the `daily` command wrote came from: its
    `source:`, with `cross_listed:`, the IDs of `ids:` that are cross-lists."""
    if not isinstance(source, dict) or not (isinstance(source.get("listing"), str) or "query" in source):
        return None
    listed = source.get("cross_listed") or []
    cross: set[ArxivId] = set()
    for item in listed if isinstance(listed, list) else [listed]:
        try:
            if not isinstance(item, str):
                raise ValueError("not an arXiv identifier")
            cross.add(parse_id(item))
        except ValueError as error:
            problems.append(f"source: cross_listed: {_show(item)}: {error}")
    day = source.get("announced")
    return Provenance(
        source["listing"] if isinstance(source.get("listing"), str) else "",
        str(source.get("query") or ""),
        str(day) if day else None,
        frozenset(cross),
    )


def _parse_source(value: dict[Any, Any], problems: list[str]) -> Source | None:
    """The `listing:` or `query:` of a page, or `None` (with the problem said) when it cannot be used."""
    if "listing" in value and "query" in value:
        problems.append("`listing:` and `query:` cannot be used together; keep one")
        return None
    listing: tuple[str, ...] = ()
    query = ""
    if "listing" in value:
        raw = value["listing"]
        names = raw if isinstance(raw, list) else re.split(r"[\s,+]+", raw) if isinstance(raw, str) else [raw]
        names = [name for name in names if name != ""]
        bad = [name for name in names if not isinstance(name, str) or not _CATEGORY.fullmatch(name)]
        if bad or not names:
            problems.append(
                f"listing {_show(raw)} is not a list of arXiv categories "
                "(write e.g. `listing: cs.CV` or `listing: [cs.CV, eess.IV]`)"
            )
            return None
        listing = tuple(dict.fromkeys(names))
    else:
        query = value["query"]
        if not isinstance(query, str) or not query.strip():
            problems.append(
                f"query {_show(query)} is not an arXiv search (write e.g. `query: 'cat:cs.CV AND abs:diffusion'`)"
            )
            return None
        query = " ".join(query.split())
    default = None if listing else 25
    count = value.get("max", default)
    if type(count) is str and count.isdigit():  # numbers are kept as written
        count = int(count)
    if count is not default and (type(count) is not int or not 1 <= count <= 2000):
        problems.append(f"max {_show(count)} is not a whole number from 1 to 2000; using {default or 'no limit'}")
        count = default
    cross = value.get("cross_lists", True)
    if not isinstance(cross, bool):
        problems.append(f"cross_lists {_show(cross)} is not true or false; using true")
        cross = True
    return Source(
        listing=listing,
        query=query,
        max=count,
        keywords=_words(value, "keywords", problems),
        exclude=_words(value, "exclude", problems),
        cross_lists=cross,
    )


def _words(value: dict[Any, Any], key: str, problems: list[str]) -> tuple[str, ...]:
    raw = value.get(key) or []
    items = raw if isinstance(raw, list) else [raw]
    words = [" ".join(item.split()) for item in items if isinstance(item, str) and item.strip()]
    if len(words) != len(items):
        problems.append(f"{key} {_show(raw)} must be a list of words or phrases; the others are ignored")
    return tuple(words)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


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


def read_front_matter(source: str) -> dict[str, Any]:
    """The YAML front matter of a Markdown source, numbers kept as text; `{}` if none.

    Raises `yaml.YAMLError` for front matter that is not valid YAML.
    """
    match = _FRONT_MATTER.match(source)
    if not match:
        return {}
    data = yaml.load(match.group(1), Loader=_VerbatimLoader)
    return data if isinstance(data, dict) else {}
