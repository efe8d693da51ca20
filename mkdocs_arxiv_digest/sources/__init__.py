"""Pages whose papers come from arXiv rather than from a list. Each kind of
source is a type, registered in `SOURCES` by its front-matter key: the day's
announcement of some categories (`listing.py`), or an API search
(`query.py`). A type owns its options, cache key, request, log line and
wording; nothing outside this package asks which kind a page has.

`Sources` resolves each source of a build to arXiv IDs once per
`listing_refresh_hours`, kept in the cache under `source:` and the type's
key; the filters then decide which papers the page shows, before anything
is fetched or summarized."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..ids import ArxivId, Entry, Liked, PageSpec
from .base import CROSS, REPLACEMENTS, Announced, Announcement, Clients, Provenance, Resolved, Source
from .listing import DC, ListingSource, parse_feed
from .query import QuerySource

if TYPE_CHECKING:
    from .. import rank
    from ..cache import Cache
    from ..settings import ListingSettings

__all__ = [
    "CROSS",
    "DC",
    "REPLACEMENTS",
    "SOURCES",
    "Announced",
    "Announcement",
    "Clients",
    "LibraryPaper",
    "Provenance",
    "Ranker",
    "Resolved",
    "Source",
    "Sources",
    "matches",
    "parse_feed",
    "select",
]

SOURCES: dict[str, type[Source]] = {kind.kind: kind for kind in (ListingSource, QuerySource)}
"""The kinds of source, by the front-matter key that names each (in the order their conflicts are said)."""


def matches(paper: Announced, source: Source) -> bool:
    """Whether the source's filters keep the paper: one of `keywords` (if
    any) and none of `exclude`, in its title or abstract, in any case."""
    text = f"{paper.title}\n{paper.abstract}".casefold()
    if source.keywords and not any(word.casefold() in text for word in source.keywords):
        return False
    if any(word.casefold() in text for word in source.exclude):
        return False
    return source.cross_lists or paper.kind not in CROSS


@dataclass(frozen=True)
class LibraryPaper:
    """A paper of the site's reading lists (its `ids` pages, or a library
    file), as a ranking reads it."""

    id: ArxivId | None
    """`None` for a paper of a library file known by its title and abstract alone."""
    title: str
    abstract: str
    published: str
    """`YYYY-MM-DD`, or empty when unknown."""
    page: str
    """The `src_uri` of the page that lists it; empty for a paper of a library file."""
    version: int = 0
    """The version of it the cache holds (its embedding's key); 0 when unknown."""

    @property
    def embedding_key(self) -> str:
        """What its embedding is cached under: its versioned ID, or for a paper of a
        library file without one, a digest of its title and abstract."""
        if self.id is None:
            digest = hashlib.sha256(f"{self.title}\n{self.abstract}".encode()).hexdigest()[:24]
            return f"text-{digest}"
        return f"{self.id.base}v{self.version}" if self.version else str(self.id)


Ranker = Callable[[Sequence[tuple[str, "rank.Document"]], Sequence[tuple[str, "rank.Document"]]], "list[rank.Ranked]"]
"""What ranks a source's papers (candidates, library), each with its versioned ID
first: the words' ranking (`rank.rank`) by default, a model's embeddings with
`rank_model` (`embeddings.EmbeddingRanker`)."""


def _by_words(
    candidates: Sequence[tuple[str, rank.Document]], library: Sequence[tuple[str, rank.Document]]
) -> list[rank.Ranked]:
    from .. import rank

    return rank.rank([doc for _, doc in candidates], [doc for _, doc in library])


def select(
    papers: Iterable[Announced],
    source: Source,
    shown: Mapping[str, int] | None = None,
    library: Sequence[LibraryPaper] | None = None,
    ranker: Ranker | None = None,
) -> tuple[list[Announced], list[Announced], dict[str, Liked]]:
    """The papers the filters keep, new ones and replacements apart, each
    once, at most `max` in all. `shown` maps the versionless IDs already
    shown elsewhere to the newest version shown: such a paper is left out,
    unless it is a replacement with a newer version. A source with `rank`
    orders them by their likeness to `library` (papers already in it left
    out, those under `min_score` too) before `max` keeps the top ones; the
    third value says, by versionless ID, which library paper each is most like.
    `ranker`: what ranks them (by default, their words)."""
    ranking = source.rank is not None and bool(library)  # without a library, `max` keeps the first
    in_library = {paper.id.base for paper in library or () if paper.id is not None} if ranking else set()
    kept: list[Announced] = []
    taken: set[str] = set()
    shown = shown or {}
    for paper in papers:
        base = paper.id.base
        if base in taken or base in in_library or not matches(paper, source):
            continue
        if base in shown and (paper.kind not in REPLACEMENTS or (paper.id.version or 0) <= shown[base]):
            continue
        if not ranking and source.max is not None and len(kept) >= source.max:
            break
        taken.add(base)
        kept.append(paper)
    liked: dict[str, Liked] = {}
    if ranking and library:
        kept, liked = _ranked(kept, library, source, ranker or _by_words)
    new = [paper for paper in kept if paper.kind not in REPLACEMENTS]
    updated = [paper for paper in kept if paper.kind in REPLACEMENTS]
    return new, updated, liked


def _ranked(
    kept: list[Announced], library: Sequence[LibraryPaper], source: Source, ranker: Ranker
) -> tuple[list[Announced], dict[str, Liked]]:
    from .. import rank

    def when(published: str) -> datetime.date | None:
        try:
            return datetime.date.fromisoformat(published)
        except ValueError:
            return None

    by_key = {paper.id.base: paper for paper in kept}
    shelf = {str(number): paper for number, paper in enumerate(library)}
    ranked = ranker(
        [(str(paper.id), rank.Document(paper.id.base, paper.title, paper.abstract)) for paper in kept],
        [
            (paper.embedding_key, rank.Document(key, paper.title, paper.abstract, when(paper.published)))
            for key, paper in shelf.items()
        ],
    )
    chosen = [r for r in ranked if r.score >= source.min_score and r.nearest is not None]
    if source.max is not None:
        chosen = chosen[: source.max]
    liked = {}
    for r in chosen:
        near = shelf[r.nearest]  # type: ignore[index]
        liked[r.key] = Liked(near.id, near.title, near.page, round(r.score, 2))
    return [by_key[r.key] for r in chosen], liked


class Sources:
    """Resolves the sources of one build: each listing or query at most once,
    from the cache while it is younger than `refresh_seconds`."""

    def __init__(
        self,
        cache: Cache,
        clients: Clients | None,
        listing: ListingSettings,
        log: Callable[[str], None] = print,
    ) -> None:
        """`clients`: `None` when arXiv is not to be asked (`offline`)."""
        self.cache = cache
        self._clients = clients
        self.listing = listing
        self.log = log
        self._done: dict[str, Resolved] = {}
        self.licenses: dict[str, str] = {}
        """The licences the feeds named (`dc:rights`) of the papers pages show, by bare ID."""

    def resolve(self, source: Source, force: bool = False) -> Resolved:
        """The source's latest announcement and the one to show. `force` asks
        arXiv whatever the cache holds (the `daily` command)."""
        key = source.key
        if key in self._done and not force:
            return self._done[key]
        stored = self.cache.get_json(f"source:{key}")
        stored = stored if isinstance(stored, dict) else {}
        latest = Announcement.from_dict(stored.get("latest"))
        last = Announcement.from_dict(stored.get("last"))
        checked = self.cache.age(stored.get("checked"))
        fresh = checked is not None and checked < self.listing.refresh_seconds
        problem = ""
        warnings: tuple[str, ...] = ()
        if latest is None or force or (not fresh and self._clients is not None):
            if self._clients is None:
                problem = "it has not been read yet, and `offline` is on (turn `offline` off to read it)"
            else:
                try:
                    latest = source.ask(self._clients, self)
                except Exception as error:  # FetchError, FeedRefused, a broken feed
                    problem = str(error) or type(error).__name__
                else:
                    warnings = latest.left_out
                    if latest.papers:
                        last = latest
                    self.cache.set_json(
                        f"source:{key}",
                        {
                            "checked": self.cache.clock(),
                            "latest": latest.to_dict(),
                            "last": last.to_dict() if last else None,
                        },
                    )
        shown = latest if latest is not None and latest.papers else last
        resolved = self._done[key] = Resolved(latest, shown, problem, warnings)
        return resolved

    def fill(
        self, spec: PageSpec, library: Sequence[LibraryPaper] | None = None, ranker: Ranker | None = None
    ) -> PageSpec:
        """The page's spec with the papers its source gives, after the filters,
        and what the page says about them; its problems name the source.
        `ranker`: what ranks a `rank: library` source (by default, the words)."""
        source = spec.source
        assert source is not None
        resolved = self.resolve(source)
        problems = list(spec.problems)
        if resolved.problem:
            held = " (showing what the cache holds)" if resolved.shown else ""
            problems.append(f"{source.describe()} could not be read: {resolved.problem}{held}")
        problems += [f"{source.describe()}: {warning}" for warning in resolved.warnings]
        latest, shown = resolved.latest, source.shown(resolved)
        if shown is None or not shown.papers:
            notice = source.notice(latest, None) if latest is not None else ("not_resolved", {"source": source.name()})
            return dataclasses.replace(spec, problems=problems, notice=notice)
        new, updated, liked = select(shown.papers, source, library=library, ranker=ranker)
        self.licenses.update({paper.id.base: paper.license for paper in [*new, *updated] if paper.license})
        if source.rank is not None and not library:
            problems.append(
                f"{source.describe()}: `rank: library` found no paper to rank against (the papers of the "
                "site's `ids` pages, or of what the site's `library` option names, that the cache, the "
                "snapshot or arXiv could give); not ranked"
            )
        provenance = Provenance(
            source.kind, source.request, shown.date, frozenset(paper.id for paper in new if paper.kind in CROSS)
        )
        return dataclasses.replace(
            spec,
            entries=[Entry(paper.id, liked=liked.get(paper.id.base)) for paper in new],
            updated=[Entry(paper.id, liked=liked.get(paper.id.base)) for paper in updated],
            problems=problems,
            notice=source.notice(latest, shown),
            provenance=provenance,
        )
