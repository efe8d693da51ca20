"""Pages whose papers come from arXiv rather than from a list: the day's
announcement of some categories (arXiv's RSS feed), or an API search. Each is
resolved to arXiv IDs once per `listing_refresh_hours` and kept in the cache;
the filters then decide which papers the page shows, before anything is
fetched or summarized."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from .cache import Cache
from .ids import ArxivId, Entry, PageSpec, Source, parse_id
from .records import ANNOUNCEMENT, Paper, clean

if TYPE_CHECKING:
    from .fetch import ArxivApi

ARXIV = "{http://arxiv.org/schemas/atom}"
DC = "{http://purl.org/dc/elements/1.1/}"

REPLACEMENTS = frozenset({"replace", "replace-cross"})
"""Announce types of a new version of a paper announced before."""
CROSS = frozenset({"cross", "replace-cross"})
"""Announce types of a paper listed from another category."""


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

    def to_list(self) -> list[Any]:
        return [self.id.base, self.id.version, self.kind, self.title, self.abstract, *self._lists()]

    def _lists(self) -> list[list[str]]:
        return [list(self.authors), list(self.categories)]

    @classmethod
    def from_list(cls, data: Any) -> Announced | None:
        try:
            base, version, kind, title, abstract, *lists = data
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
        return cls(arxiv_id, kind, title, abstract, authors, categories)

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
        )


@dataclass(frozen=True)
class Announcement:
    """What a source gave once: the day it is of and its papers, in order."""

    date: str | None
    """`YYYY-MM-DD`: the announcement's day (a listing) or the newest paper's (a query)."""
    papers: tuple[Announced, ...] = ()

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


def parse_feed(document: bytes) -> Announcement:
    """The papers of an arXiv announcement feed (RSS 2.0, as `rss.arxiv.org`
    serves it). Raises `ValueError` for a document that is not one."""
    if b"<!DOCTYPE" in document or b"<!ENTITY" in document:
        # arXiv's feeds declare none; a declaration is the way to entity bombs.
        raise ValueError("the feed declares a document type, which arXiv's feeds never do")
    try:
        root = ElementTree.fromstring(document)
    except ElementTree.ParseError as error:
        raise ValueError(f"the feed is not XML ({error})") from None
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise ValueError(f"the document is not an RSS feed (its root is <{root.tag}>)")
    papers: dict[str, Announced] = {}
    days = []
    for item in channel.iterfind("item"):
        guid = (item.findtext("guid") or "").strip()
        try:
            arxiv_id = parse_id(guid.removeprefix("oai:arXiv.org:"))
        except ValueError:
            continue  # not a paper's item
        days.append(_day(item.findtext("pubDate")))
        if arxiv_id.base in papers:
            continue  # an item repeated in one feed is one paper
        description = item.findtext("description") or ""
        _, _, abstract = description.partition("Abstract:")
        kind = (item.findtext(f"{ARXIV}announce_type") or "new").strip()
        title = clean(item.findtext("title"))
        authors = tuple(a for a in (clean(n) for n in (item.findtext(f"{DC}creator") or "").split(",")) if a)
        categories = tuple(clean(c.text) for c in item.iterfind("category") if clean(c.text))
        papers[arxiv_id.base] = Announced(arxiv_id, kind, title, clean(abstract or description), authors, categories)
    day = _day(channel.findtext("pubDate")) or _day(channel.findtext("lastBuildDate"))
    if day is None and papers:
        # A channel without a readable date: its items' day, or today's in UTC.
        day = max((d for d in days if d), default=None) or dt.datetime.now(dt.timezone.utc).date().isoformat()
    return Announcement(day, tuple(papers.values()))


def _day(text: str | None) -> str | None:
    """The day of an RFC 822 date, in the time zone it is written in (arXiv's own)."""
    if not text:
        return None
    try:
        return parsedate_to_datetime(text.strip()).date().isoformat()
    except (TypeError, ValueError):
        return None


def from_search(papers: list[Paper]) -> Announcement:
    """A query's results as an announcement dated by its newest paper."""
    found = tuple(
        Announced(paper.arxiv_id, "new", paper.title, paper.abstract, paper.authors, paper.categories)
        for paper in papers
    )
    dates = [paper.published for paper in papers if paper.published]
    return Announcement(max(dates) if dates else None, found)


def matches(paper: Announced, source: Source) -> bool:
    """Whether the source's filters keep the paper: one of `keywords` (if
    any) and none of `exclude`, in its title or abstract, in any case."""
    text = f"{paper.title}\n{paper.abstract}".casefold()
    if source.keywords and not any(word.casefold() in text for word in source.keywords):
        return False
    if any(word.casefold() in text for word in source.exclude):
        return False
    return source.cross_lists or paper.kind not in CROSS


def select(
    papers: Iterable[Announced], source: Source, shown: Mapping[str, int] | None = None
) -> tuple[list[Announced], list[Announced]]:
    """The papers the filters keep, new ones and replacements apart, each
    once, at most `max` in all. `shown` maps the versionless IDs already
    shown elsewhere to the newest version shown: such a paper is left out,
    unless it is a replacement with a newer version."""
    new: list[Announced] = []
    updated: list[Announced] = []
    taken: set[str] = set()
    shown = shown or {}
    for paper in papers:
        base = paper.id.base
        if base in taken or not matches(paper, source):
            continue
        if base in shown and (paper.kind not in REPLACEMENTS or (paper.id.version or 0) <= shown[base]):
            continue
        if source.max is not None and len(new) + len(updated) >= source.max:
            break
        taken.add(base)
        (updated if paper.kind in REPLACEMENTS else new).append(paper)
    return new, updated


class Sources:
    """Resolves the sources of one build: each listing or query at most once,
    from the cache while it is younger than `refresh_seconds`."""

    def __init__(
        self,
        cache: Cache,
        api: Callable[[], ArxivApi] | None,
        listing_url: str,
        refresh_seconds: float,
        log: Callable[[str], None] = print,
    ) -> None:
        self.cache = cache
        self._make_api = api
        self.listing_url = listing_url
        self.refresh_seconds = refresh_seconds
        self.log = log
        self.requests = 0
        """How many feeds and searches were asked for in this build."""
        self._done: dict[str, Resolved] = {}

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
        checked = stored.get("checked")
        fresh = isinstance(checked, (int, float)) and time.time() - checked < self.refresh_seconds
        problem = ""
        if latest is None or force or (not fresh and self._make_api is not None):
            if self._make_api is None:
                problem = "it has not been read yet, and `offline` is on (turn `offline` off to read it)"
            else:
                try:
                    latest = self._ask(source)
                except Exception as error:  # FetchError, FeedRefused, a broken feed
                    problem = str(error) or type(error).__name__
                else:
                    if latest.papers:
                        last = latest
                    self.cache.set_json(
                        f"source:{key}",
                        {"checked": time.time(), "latest": latest.to_dict(), "last": last.to_dict() if last else None},
                    )
        shown = latest if latest is not None and latest.papers else last
        resolved = self._done[key] = Resolved(latest, shown, problem)
        return resolved

    def _ask(self, source: Source) -> Announcement:
        assert self._make_api is not None
        api = self._make_api()
        from .fetch import FetchError  # loaded with the client: only when asking

        self.requests += 1
        if source.listing:
            url = self.listing_url + "+".join(source.listing)
            self.log(f"Reading arXiv's announcement of {'+'.join(source.listing)} from {url}")
            try:
                return parse_feed(api.listing(url))
            except ValueError as error:
                raise ValueError(f"{url} is not an announcement feed: {error}") from None
            except FetchError as error:  # the network: say where it was asked
                raise FetchError(f"{error} ({url})") from None
        self.log(f"Searching arXiv for {source.query!r} (the newest {source.max})")
        papers = api.search(source.query, source.max or 25)
        # The results are whole records: kept, they cost the pipeline no request.
        self.cache.store_papers({paper.arxiv_id: paper for paper in papers})
        return from_search(papers)

    def fill(self, spec: PageSpec) -> PageSpec:
        """The page's spec with the papers its source gives, after the filters,
        and what the page says about them; its problems name the source."""
        source = spec.source
        assert source is not None
        resolved = self.resolve(source)
        problems = list(spec.problems)
        if resolved.problem:
            held = " (showing what the cache holds)" if resolved.shown else ""
            problems.append(f"{source.describe()} could not be read: {resolved.problem}{held}")
        shown, latest = resolved.shown, resolved.latest
        if source.query:
            shown = latest  # a search's older results are not today's
        notice: tuple[str, dict[str, str]]
        if shown is None or not shown.papers:
            if latest is None:
                notice = ("not_resolved", {"source": _name(source)})
            elif source.query:
                notice = ("searched_none", {"source": _name(source)})
            else:
                notice = ("no_announcement_yet", {"source": _name(source), "day": latest.date or "?"})
            return dataclasses.replace(spec, problems=problems, notice=notice)
        new, updated = select(shown.papers, source)
        values = {"source": _name(source), "date": shown.date or "?"}
        if source.query:
            notice = ("searched", values)
        elif latest is not None and not latest.papers:
            notice = ("no_announcement", {**values, "day": latest.date or "?"})
        else:
            notice = ("announced", values)
        return dataclasses.replace(
            spec,
            entries=[Entry(paper.id) for paper in new],
            updated=[Entry(paper.id) for paper in updated],
            problems=problems,
            notice=notice,
        )


def _name(source: Source) -> str:
    return ", ".join(source.listing) if source.listing else source.query
