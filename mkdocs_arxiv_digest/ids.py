"""Read arXiv identifiers as people write them, and reduce them to the form arXiv answers to;
what a page asks for (its papers, or the source they come from) once its front matter is read."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from .sources import Provenance, Source

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
    liked: Liked | None = field(default=None, compare=False, hash=False)
    """Why a ranked source kept the paper: the library paper it is most like, and its score."""


@dataclass(frozen=True)
class Liked:
    """The library paper a ranked paper is most like, and the paper's score."""

    id: ArxivId | None
    """`None` for a paper of a library file with no arXiv ID."""
    title: str
    page: str
    """The `src_uri` of the page that lists the library paper; empty for a paper of a library file."""
    score: float

    @property
    def abs_url(self) -> str:
        """The paper's arXiv page, made from its checked ID; empty without one."""
        return f"https://arxiv.org/abs/{self.id}" if self.id is not None else ""


@dataclass
class PageSpec:
    """What a page's `arxiv:` front matter asks for."""

    entries: list[Entry] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    source: Source | None = None
    """Set for a page whose papers come from arXiv (a listing, a query)."""
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
