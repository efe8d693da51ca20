"""`listing:` pages: the papers of arXiv's latest announcement of some
categories, read from its RSS feed (`listing_url` followed by the categories
joined with `+`). A feed is read up to `listing_max_mb` and
`listing_max_papers`, and each text in it up to `MAX_TEXT` characters: what
is past them is left out, with a warning."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, ClassVar

from mkdocs.config import base
from mkdocs.config.base import ValidationError

from ..ids import parse_id
from ..records import MAX_TEXT, Texts, cut_warning, license_from
from .base import Announced, Announcement, Asking, Clients, Notice, Source
from .options import AnnouncedPage, show

if TYPE_CHECKING:
    from ..cache import Cache
    from ..settings import ListingSettings

ARXIV = "{http://arxiv.org/schemas/atom}"
DC = "{http://purl.org/dc/elements/1.1/}"

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
                f"listing {show(value)} is not a list of arXiv categories "
                "(write e.g. `listing: cs.CV` or `listing: [cs.CV, eess.IV]`)"
            )
        return tuple(dict.fromkeys(names))


class ListingPage(AnnouncedPage):  # type: ignore[no-untyped-call]
    """The papers of the latest announcement of some categories."""

    listing = Categories()


@dataclass(frozen=True)
class ListingSource(Source):
    """The latest announcement of some categories."""

    kind: ClassVar[str] = "listing"
    page: ClassVar[type[base.Config]] = ListingPage
    option_help: ClassVar[str] = "categories to read the announcement of, e.g. cs.CV or cs.CV+eess.IV"
    needs: ClassVar[str] = "categories, e.g. --listing cs.CV or --listing cs.CV+eess.IV"

    categories: tuple[str, ...] = ()

    @classmethod
    def from_page(cls, page: base.Config) -> ListingSource:
        return cls(
            categories=page["listing"],
            max=page["max"],
            keywords=page["keywords"],
            exclude=page["exclude"],
            cross_lists=page["cross_lists"],
            rank=page["rank"],
            candidates=page["candidates"],
            min_score=page["min_score"],
        )

    @property
    def request(self) -> str:
        return "+".join(self.categories)

    @property
    def key(self) -> str:
        return "listing:" + self.request

    def describe(self) -> str:
        return f"listing {self.request}"

    def name(self) -> str:
        return ", ".join(self.categories)

    def ask(self, clients: Clients, asking: Asking) -> Announcement:
        from ..fetch import FetchError  # loaded with the client: only when asking

        settings = asking.listing
        url = settings.url + self.request
        asking.log(f"Reading arXiv's announcement of {self.request} from {url}")
        most = settings.max_mb
        try:
            document, cut = clients.feeds().get(url, int(most * 1_000_000))
            read = parse_feed(document, settings.max_papers, cut)
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

    def notice(self, latest: Announcement | None, shown: Announcement | None) -> Notice:
        if shown is None or not shown.papers:
            return (
                "no_announcement_yet",
                {"source": self.name(), "day": latest.date if latest and latest.date else "?"},
            )
        values = {"source": self.name(), "date": shown.date or "?"}
        if latest is not None and not latest.papers:
            return ("no_announcement", {**values, "day": latest.date or "?"})
        return ("announced", values)

    @classmethod
    def thaw(cls, written: dict[Any, Any]) -> tuple[Notice | None, str] | None:
        listing = written.get("listing")
        if not isinstance(listing, str):
            return None
        day = str(written.get("announced") or "")
        return (("announced", {"source": listing.replace("+", ", "), "date": day}) if day else None), listing

    def where(self, listing: ListingSettings) -> str:
        return f"{self.describe()} (the feed {listing.url}{self.request})"

    def nothing(self, latest: Announcement) -> str:
        return f"No announcement in {self.name()} on {latest.date or 'the day the feed gave'}: nothing written."

    def keep(self, cache: Cache, papers: list[Announced]) -> None:
        # The announcement's text is enough to build the page when arXiv's API is down;
        # the API's records replace it when they come. A record the cache has is kept.
        from ..stages.metadata import Papers

        kept = Papers(cache)
        kept.store({p.id: p.paper() for p in papers if kept.paper(p.id, None) is None})

    def excerpt(self) -> str:
        return f"announced on arXiv in {self.name()}"


# The feed.

_KEPT = MAX_TEXT + 1000
"""How many characters of an element's text the feed's reader keeps: a
description's preamble (`arXiv:… Announce Type: new Abstract:`) and then
`MAX_TEXT` of its abstract."""
_BLOCK = 1 << 16
_ITEM_FIELDS = frozenset(
    {"guid", "title", "description", "pubDate", f"{ARXIV}announce_type", f"{DC}creator", f"{DC}rights"}
)
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
        license = license_from(item.get(f"{DC}rights", ("", 0))[0])  # a licence's URL
        papers[arxiv_id.base] = Announced(
            arxiv_id, kind, title, text(abstract, "abstract", length), authors, categories, license
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
