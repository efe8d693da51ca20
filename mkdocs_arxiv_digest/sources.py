"""Pages whose papers come from arXiv rather than from a list: the day's
announcement of some categories (arXiv's RSS feed), or an API search. Each is
resolved to arXiv IDs once per `listing_refresh_hours` and kept in the cache;
the filters then decide which papers the page shows, before anything is
fetched or summarized. A feed is read up to `listing_max_mb` and
`listing_max_papers`, and each text in it up to `MAX_TEXT` characters: what
is past them is left out, with a warning."""

from __future__ import annotations

import dataclasses
import datetime as dt
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Protocol

from .cache import Cache
from .ids import ArxivId, Entry, PageSpec, Provenance, Source, parse_id
from .records import ANNOUNCEMENT, MAX_TEXT, Paper, Texts, cut_warning

if TYPE_CHECKING:
    from .fetch import ArxivApi, FeedClient
    from .settings import ListingSettings


class Clients(Protocol):
    """Who asks arXiv for a source (the build's `Services`; tests hand in their own)."""

    def arxiv(self) -> ArxivApi: ...
    def feeds(self) -> FeedClient: ...


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


_KEPT = MAX_TEXT + 1000
"""How many characters of an element's text the feed's reader keeps: a
description's preamble (`arXiv:… Announce Type: new Abstract:`) and then
`MAX_TEXT` of its abstract."""
_BLOCK = 1 << 16
_ITEM_FIELDS = frozenset({"guid", "title", "description", "pubDate", f"{ARXIV}announce_type", f"{DC}creator"})
_CATEGORIES = 50
"""The most `<category>` elements read of one item (arXiv gives a paper a handful)."""


class _FeedReader:
    """The target of an `XMLParser` reading an RSS feed: it keeps only what
    `parse_feed` reads, each element's text (before any child, as `findtext`
    gives it) up to `_KEPT` characters with its whole length, and the fields
    of the first `most` items, counting the others. Of an item's
    `<category>` elements, the first `_CATEGORIES` are kept, as `category 0`,
    `category 1`… However large an item, it costs no more memory than that."""

    def __init__(self, most: int | None) -> None:
        self.most = most
        self.root = ""
        self.rss = False
        """Whether the document is `<rss>` with a `<channel>`."""
        self.channel: dict[str, tuple[str, int]] = {}
        self.items: list[dict[str, tuple[str, int]]] = []
        self.count = 0
        """How many items the feed lists (those past `most` too)."""
        self._path: list[str] = []
        self._item: dict[str, tuple[str, int]] | None = None
        self._into: dict[str, tuple[str, int]] | None = None
        """Where the text being read goes (the channel's or the item's fields); `None`: not read."""
        self._key = ""
        self._text: list[str] = []
        self._kept = self._length = 0

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        path = self._path
        if self._into is not None:  # a child ends its parent's text, as `findtext` reads it
            self._store()
        path.append(tag)
        if len(path) == 1:
            self.root = tag
        elif len(path) == 2:
            self.rss = self.rss or path == ["rss", "channel"]
        elif len(path) == 3 and path[:2] == ["rss", "channel"]:
            if tag == "item":
                self.count += 1
                self._item = {} if self.most is None or self.count <= self.most else None
            elif tag in ("pubDate", "lastBuildDate"):
                self._read(self.channel, tag)
        elif len(path) == 4 and path[2] == "item" and self._item is not None:
            if tag in _ITEM_FIELDS:
                self._read(self._item, tag)
            elif tag == "category":
                count = sum(key.startswith("category ") for key in self._item)
                if count < _CATEGORIES:
                    self._read(self._item, f"category {count}")

    def _read(self, into: dict[str, tuple[str, int]], key: str) -> None:
        self._into, self._key, self._text, self._kept, self._length = into, key, [], 0, 0

    def data(self, text: str) -> None:
        if self._into is not None:
            self._length += len(text)
            if self._kept < _KEPT:
                self._text.append(text[: _KEPT - self._kept])
                self._kept += len(self._text[-1])

    def _store(self) -> None:
        assert self._into is not None
        self._into.setdefault(self._key, ("".join(self._text), self._length))  # the first, as `findtext` reads
        self._into = None

    def end(self, tag: str) -> None:
        path = self._path
        if self._into is not None:
            self._store()
        if len(path) == 3 and tag == "item" and self._item is not None:
            self.items.append(self._item)
            self._item = None
        path.pop()

    def close(self) -> None:
        return None


def parse_feed(document: bytes, most: int | None = None, cut: bool = False) -> Announcement:
    """The papers of an arXiv announcement feed (RSS 2.0, as `rss.arxiv.org`
    serves it): the first `most` of them (`None`: all), each text cut to
    `MAX_TEXT` characters; what was left out is in the announcement's
    `left_out`. A document `cut` short (larger than was read) gives the
    papers of the items it holds whole. Raises `ValueError` for a document
    that is not such a feed."""
    if b"<!DOCTYPE" in document or b"<!ENTITY" in document:
        # arXiv's feeds declare none; a declaration is the way to entity bombs.
        raise ValueError("the feed declares a document type, which arXiv's feeds never do")
    reader = _FeedReader(most)
    parser = ElementTree.XMLParser(target=reader)
    try:
        for start in range(0, len(document), _BLOCK):  # a block at a time, which expat never holds more than
            parser.feed(document[start : start + _BLOCK])
        parser.close()
    except ElementTree.ParseError as error:
        if not cut:
            raise ValueError(f"the feed is not XML ({error})") from None
    if not reader.rss:
        raise ValueError(f"the document is not an RSS feed (its root is <{reader.root or '?'}>)")
    papers: dict[str, Announced] = {}
    days = []
    cut_texts: list[str] = []
    for item in reader.items:
        guid, _ = item.get("guid", ("", 0))
        try:
            arxiv_id = parse_id(guid.strip().removeprefix("oai:arXiv.org:"))
        except ValueError:
            continue  # not a paper's item
        days.append(_day(item.get("pubDate", ("", 0))[0]))
        if arxiv_id.base in papers:
            continue  # an item repeated in one feed is one paper
        description, length = item.get("description", ("", 0))
        abstract = (description.partition("Abstract:")[2] or description).lstrip()
        length -= len(description) - len(abstract)  # the abstract's own length, without what precedes it
        text = Texts()
        title, title_length = item.get("title", ("", 0))
        title = text(title, "title", title_length)
        kind = item.get(f"{ARXIV}announce_type", ("", 0))[0].strip() or "new"
        # One `dc:creator` lists the authors, separated by commas: cut as one text, then split.
        creators, creators_length = item.get(f"{DC}creator", ("", 0))
        names = text(creators, "author list", creators_length, as_is=True)
        authors = tuple(name for name in (text(n, "author name") for n in names.split(",")) if name)
        categories = tuple(
            category
            for key, (value, size) in item.items()
            if key.startswith("category ") and (category := text(value, "category", size).strip())
        )
        papers[arxiv_id.base] = Announced(
            arxiv_id, kind, title, text(abstract, "abstract", length), authors, categories
        )
        text.note(str(arxiv_id), cut_texts)
    left_out = []
    if most is not None and reader.count > most:
        left_out.append(
            f"it lists {reader.count:,} items, more than `listing_max_papers` ({most:,}); the first {most:,} are kept"
        )
    if cut_texts:
        left_out.append(cut_warning(cut_texts))
    day = _day(reader.channel.get("pubDate", ("", 0))[0]) or _day(reader.channel.get("lastBuildDate", ("", 0))[0])
    if day is None and papers:
        # A channel without a readable date: its items' day, or today's in UTC.
        day = max((d for d in days if d), default=None) or dt.datetime.now(dt.timezone.utc).date().isoformat()
    return Announcement(day, tuple(papers.values()), tuple(left_out))


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
                    latest = self._ask(source)
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

    def _ask(self, source: Source) -> Announcement:
        clients = self._clients
        assert clients is not None
        from .fetch import FetchError  # loaded with the client: only when asking

        if source.listing:
            url = self.listing.url + "+".join(source.listing)
            self.log(f"Reading arXiv's announcement of {'+'.join(source.listing)} from {url}")
            most = self.listing.max_mb
            try:
                document, cut = clients.feeds().get(url, int(most * 1_000_000))
                read = parse_feed(document, self.listing.max_papers, cut)
            except ValueError as error:
                raise ValueError(f"{url} is not an announcement feed: {error}") from None
            except FetchError as error:  # the network: say where it was asked
                raise FetchError(f"{error} ({url})") from None
            left_out = list(read.left_out)
            if cut:
                left_out.insert(
                    0,
                    f"it is larger than `listing_max_mb` ({most:g} MB); only its first {most:g} MB "
                    f"were read, which hold {len(read.papers):,} whole papers",
                )
            return dataclasses.replace(read, left_out=tuple(f"the feed {url}: {note}" for note in left_out))
        self.log(f"Searching arXiv for {source.query!r} (the newest {source.max})")
        cut_texts: list[str] = []
        api = clients.arxiv()
        papers = api.search(source.query, source.max or 25, cut_texts)
        # The results are whole records: kept, they cost the pipeline no request.
        self.cache.store_papers({paper.arxiv_id: paper for paper in papers})
        found = from_search(papers)
        if cut_texts:
            found = dataclasses.replace(found, left_out=(f"the arXiv API at {api.url}: {cut_warning(cut_texts)}",))
        return found

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
        problems += [f"{source.describe()}: {warning}" for warning in resolved.warnings]
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
        provenance = Provenance(
            "+".join(source.listing),
            source.query,
            shown.date,
            frozenset(paper.id for paper in new if paper.kind in CROSS),
        )
        return dataclasses.replace(
            spec,
            entries=[Entry(paper.id) for paper in new],
            updated=[Entry(paper.id) for paper in updated],
            problems=problems,
            notice=notice,
            provenance=provenance,
        )


def _name(source: Source) -> str:
    return ", ".join(source.listing) if source.listing else source.query
