"""What every source type shares: the announcement it gives (and how the cache
keeps it), where a page's papers came from (`Provenance`), and `Source`, the
interface a kind of source implements: its front matter, its cache key, how
it asks arXiv, and what a page, a log line and the `daily` command say of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ..ids import ArxivId, parse_id
from ..records import ANNOUNCEMENT, Paper

if TYPE_CHECKING:
    from mkdocs.config import base

    from ..cache import Cache
    from ..fetch import ArxivApi, FeedClient
    from ..settings import ListingSettings

REPLACEMENTS = frozenset({"replace", "replace-cross"})
"""Announce types of a new version of a paper announced before."""
CROSS = frozenset({"cross", "replace-cross"})
"""Announce types of a paper listed from another category."""

Notice = tuple[str, dict[str, str]]
"""What a page says above its digest: a label's name and its values."""


@dataclass(frozen=True)
class Announced:
    """One paper of an announcement, with what the filters read."""

    id: ArxivId
    """With the version announced."""
    kind: str
    """`new`, `cross`, `replace` or `replace-cross` (a query's papers are `new`)."""
    title: str
    abstract: str
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    """As the feed lists them, the paper's primary category first."""
    license: str = ""
    """The licence the feed names (`dc:rights`), as a `Paper.license` code; empty when none."""

    def to_list(self) -> list[Any]:
        license = [self.license] if self.license else []
        return [self.id.base, self.id.version, self.kind, self.title, self.abstract, *self._lists(), *license]

    def _lists(self) -> list[list[str]]:
        return [list(self.authors), list(self.categories)]

    @classmethod
    def from_list(cls, data: Any) -> Announced | None:
        try:
            base, version, kind, title, abstract, *lists = data
            # The licence last, when the feed named one (announcements kept before had none).
            license = lists.pop() if len(lists) == 3 and isinstance(lists[-1], str) else ""
            arxiv_id = parse_id(f"{base}v{version}")
        except (TypeError, ValueError):
            return None
        if arxiv_id.base != base or not all(isinstance(text, str) for text in (kind, title, abstract)):
            return None
        if lists and (
            len(lists) != 2 or not all(isinstance(v, list) and all(isinstance(t, str) for t in v) for v in lists)
        ):
            return None
        authors, categories = (tuple(lists[0]), tuple(lists[1])) if lists else ((), ())
        return cls(arxiv_id, kind, title, abstract, authors, categories, license)

    def paper(self) -> Paper:
        """The paper as the announcement describes it: its text, without what
        only the API gives (comment, DOI, dates), which it fills in later."""
        return Paper(
            self.id.base,
            self.id.version or 1,
            self.title,
            self.abstract,
            authors=self.authors,
            primary_category=self.categories[0] if self.categories else "",
            categories=self.categories,
            origin=ANNOUNCEMENT,
            license=self.license,
        )


@dataclass(frozen=True)
class Announcement:
    """What a source gave once: the day it is of and its papers, in order."""

    date: str | None
    """`YYYY-MM-DD`: the announcement's day (a listing) or the newest paper's (a query)."""
    papers: tuple[Announced, ...] = ()
    left_out: tuple[str, ...] = field(default=(), compare=False)
    """What was left out of the source as it was read (too many papers, text
    too long), to be warned about; not kept in the cache."""

    def to_dict(self) -> dict[str, Any]:
        return {"date": self.date, "papers": [paper.to_list() for paper in self.papers]}

    @classmethod
    def from_dict(cls, data: Any) -> Announcement | None:
        if not isinstance(data, dict) or not isinstance(data.get("papers"), list):
            return None
        date = data.get("date")
        papers = [Announced.from_list(item) for item in data["papers"]]
        if (date is not None and not isinstance(date, str)) or any(paper is None for paper in papers):
            return None
        return cls(date, tuple(paper for paper in papers if paper is not None))


@dataclass(frozen=True)
class Resolved:
    """A source as the page shows it."""

    latest: Announcement | None
    """What the source gave when it was last asked; `None`: never resolved."""
    shown: Announcement | None
    """The announcement the page shows: the latest, or on a day without one the last that had papers."""
    problem: str = ""
    """Why the source could not be asked in this build."""
    warnings: tuple[str, ...] = ()
    """What was left out of what the source gave in this build."""


@dataclass(frozen=True)
class Provenance:
    """Where a page's papers came from, for scripts (the page's JSON file):
    the kind of source and what was asked of it, the day announced (a
    query's: its newest result's), and which of the page's papers arXiv
    announced as cross-lists."""

    kind: str
    """The source type's `kind`: `listing` or `query`."""
    request: str
    """What was asked: the categories joined with `+`, or the search."""
    announced: str | None = None
    """`YYYY-MM-DD`."""
    cross_lists: frozenset[ArxivId] = frozenset()


class Clients(Protocol):
    """Who asks arXiv for a source (the build's `Services`; tests hand in their own)."""

    def arxiv(self) -> ArxivApi: ...
    def feeds(self) -> FeedClient: ...


class Asking(Protocol):
    """What a source is given when it is asked (the build's `Sources`)."""

    cache: Cache
    listing: ListingSettings

    def log(self, line: str) -> None: ...


@dataclass(frozen=True)
class Source:
    """Where a page's papers come from when it names no IDs, with the filters
    that pick the papers it shows. Each kind is a subclass, registered in
    `SOURCES` under its `kind`: nothing outside this package asks which kind
    a page has."""

    kind: ClassVar[str]
    """The page's front-matter key (`listing:`), the command's option
    (`--listing`), and the key of `source:` on the pages `daily` writes."""
    page: ClassVar[type[base.Config]]
    """The page's `arxiv:` options, checked by MkDocs' config classes."""
    option_help: ClassVar[str]
    """The `daily` command's help for `--<kind>`."""
    needs: ClassVar[str]
    """Said by `daily` when its option is given empty, after `--<kind> needs`."""

    max: int | None = None
    """The most papers the page shows."""
    keywords: tuple[str, ...] = ()
    """A paper's title or abstract must hold one of these (any case); none: every paper."""
    exclude: tuple[str, ...] = ()
    cross_lists: bool = True
    rank: str | None = None
    """`library`: the kept papers are ordered by their likeness to the site's reading lists."""
    candidates: int = 200
    """With `rank`, how many results a query asks for and ranks."""
    min_score: float = 0.0
    """With `rank`, the least score a paper is kept with."""

    @classmethod
    def from_page(cls, page: base.Config) -> Source:
        """The source of a page whose options are valid."""
        raise NotImplementedError

    @property
    def request(self) -> str:
        """What is asked of arXiv, as `source:` records it."""
        raise NotImplementedError

    @property
    def key(self) -> str:
        """What the resolved list is cached under (after `source:`): the request, not the filters."""
        raise NotImplementedError

    def describe(self) -> str:
        """The source as a warning or a log line names it."""
        raise NotImplementedError

    def name(self) -> str:
        """The source as a page's notice and title name it."""
        raise NotImplementedError

    def ask(self, clients: Clients, asking: Asking) -> Announcement:
        """What arXiv gives now. Raises what the client raises."""
        raise NotImplementedError

    def shown(self, resolved: Resolved) -> Announcement | None:
        """The announcement the page shows."""
        return resolved.shown

    def notice(self, latest: Announcement | None, shown: Announcement | None) -> Notice:
        """What the page says above its papers (`shown`, with papers), or
        that there are none today (`shown` `None` or empty)."""
        raise NotImplementedError

    @classmethod
    def thaw(cls, written: dict[Any, Any]) -> tuple[Notice | None, str] | None:
        """For a `source:` that `daily` wrote from this kind: what the page
        says above its papers, and the request; `None` for another kind's."""
        raise NotImplementedError

    def where(self, listing: ListingSettings) -> str:
        """The source as the `daily` command's errors name it."""
        return self.describe()

    def nothing(self, latest: Announcement) -> str:
        """What `daily` says when the source gave no papers."""
        raise NotImplementedError

    def keep(self, cache: Cache, papers: list[Announced]) -> None:
        """Keep in the cache what the announcement says of `papers` that the
        API's records will replace (`daily`: the day's page then builds
        without the API)."""

    def text_name(self) -> str:
        """`name()` as inert Markdown text."""
        return self.name()

    def excerpt(self) -> str:
        """How a blog post of `daily` says where its papers came from."""
        raise NotImplementedError

    def intro(self) -> str:
        """The opening of the index of the `daily` pages."""
        return f"The papers of {self.text_name()} that arXiv announced, one page per day, newest first."
