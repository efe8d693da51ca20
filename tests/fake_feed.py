"""A local fake of arXiv's announcement feeds (``rss.arxiv.org/rss/<categories>``).

It answers as arXiv's feed service (the public ``arXiv/arxiv-feed``
repository) does, in RSS 2.0 written with lxml like that service's feedgen:

* ``/rss/cs.CV+eess.IV`` gives the announcement of "today" (``FakeFeed.today``)
  in those categories, one ``<item>`` per paper: ``<guid>`` ``oai:arXiv.org:IDvN``,
  ``<description>`` "arXiv:IDvN Announce Type: new \\nAbstract: …",
  ``arxiv:announce_type`` (new, cross, replace, replace-cross), ``dc:creator``
  (the authors on one line), ``dc:rights``, ``<category>`` per category;
* the channel has ``pubDate`` (midnight of the day, US Eastern time),
  ``lastBuildDate`` and ``skipDays`` (Saturday, Sunday); a day without an
  announcement is a channel without items;
* an unknown archive or category is answered with HTTP 400 and an RSS
  document whose title is "Feed error for query: …" and whose description
  says what is wrong.

Every request is logged (its path); faults can be queued as for the fake API.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from lxml import etree

from fake_server import Fault, LocalServer

ARXIV_NS = "http://arxiv.org/schemas/atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
ATOM_NS = "http://www.w3.org/2005/Atom"
NSMAP = {"atom": ATOM_NS, "content": "http://purl.org/rss/1.0/modules/content/", "arxiv": ARXIV_NS, "dc": DC_NS}
EASTERN = dt.timezone(dt.timedelta(hours=-5), "EST")
"""arXiv's business time zone in winter (the fake keeps no daylight saving)."""

ARCHIVES = {
    "cs": ["cs.AI", "cs.CL", "cs.CV", "cs.DL", "cs.LG", "cs.SE"],
    "eess": ["eess.AS", "eess.IV", "eess.SP"],
    "astro-ph": ["astro-ph.CO", "astro-ph.GA"],
    "quant-ph": [],
    "stat": ["stat.ML", "stat.ME"],
}
"""The archives and categories the fake knows (arXiv knows more)."""


@dataclass(frozen=True)
class FeedItem:
    """One paper of an announcement."""

    id: str
    """With its version: ``2401.00001v1``."""
    kind: str = "new"
    title: str = "A paper"
    abstract: str = "We study things."
    authors: tuple[str, ...] = ("Jane Doe",)
    categories: tuple[str, ...] = ("cs.CV",)
    rights: str = "http://creativecommons.org/licenses/by/4.0/"


@dataclass(frozen=True)
class FeedRequest:
    path: str
    status: int
    received_at: float = 0.0
    """`time.monotonic()` when the request was read."""


@dataclass
class _Day:
    items: dict[str, list[FeedItem]] = field(default_factory=dict)


def feed_document(query: str, day: dt.date, items: list[FeedItem], base: str = "http://rss.arxiv.org/rss/") -> bytes:
    """The RSS document arXiv serves for ``query`` on ``day``."""
    names = query.split("+")
    midnight = dt.datetime.combine(day, dt.time(), EASTERN)
    rss = etree.Element("rss", nsmap=NSMAP, version="2.0")
    channel = etree.SubElement(rss, "channel")
    _text(channel, "title", f"{', '.join(names)} updates on arXiv.org")
    _text(channel, "link", base + query)
    _text(channel, "description", f"{', '.join(names)} updates on the arXiv.org e-print archive.")
    etree.SubElement(channel, f"{{{ATOM_NS}}}link", href=base + query, rel="self", type="application/rss+xml")
    _text(channel, "docs", "http://www.rssboard.org/rss-specification")
    _text(channel, "language", "en-us")
    _text(channel, "lastBuildDate", format_datetime(midnight + dt.timedelta(hours=1)))
    _text(channel, "managingEditor", "rss-help@arxiv.org")
    _text(channel, "pubDate", format_datetime(midnight))
    skip = etree.SubElement(channel, "skipDays")
    for name in ("Saturday", "Sunday"):
        _text(skip, "day", name)
    for item in items:
        entry = etree.SubElement(channel, "item")
        base_id = item.id.rsplit("v", 1)[0]
        _text(entry, "title", item.title)
        _text(entry, "link", f"https://arxiv.org/abs/{base_id}")
        _text(entry, "description", f"arXiv:{item.id} Announce Type: {item.kind} \nAbstract: {item.abstract}")
        _text(entry, "guid", f"oai:arXiv.org:{item.id}").set("isPermaLink", "false")
        for category in item.categories:
            _text(entry, "category", category)
        _text(entry, "pubDate", format_datetime(midnight))
        _text(entry, f"{{{ARXIV_NS}}}announce_type", item.kind)
        _text(entry, f"{{{DC_NS}}}rights", item.rights)
        _text(entry, f"{{{DC_NS}}}creator", ", ".join(item.authors))
    return bytes(etree.tostring(rss, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def error_document(query: str, message: str, base: str = "http://rss.arxiv.org/rss/") -> bytes:
    """The document of a refused query, as the service writes it."""
    rss = etree.Element("rss", nsmap=NSMAP, version="2.0")
    channel = etree.SubElement(rss, "channel")
    _text(channel, "title", f"Feed error for query: {base}{query}")
    _text(channel, "link", base + query)
    _text(channel, "description", message)
    _text(channel, "language", "en-us")
    _text(channel, "managingEditor", "rss-help.arxiv.org")
    return bytes(etree.tostring(rss, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _text(parent: Any, tag: str, text: str) -> Any:
    element = etree.SubElement(parent, tag)
    element.text = text
    return element


def check_query(query: str) -> str:
    """What the service says of an unknown archive or category; empty if all are known."""
    for name in query.split("+"):
        archive, _, subject = name.partition(".")
        if archive.lower() not in ARCHIVES:
            return f"Bad archive '{archive.lower()}'. Valid archive names are: {', '.join(ARCHIVES)}."
        known = {c.split(".", 1)[1].lower(): c for c in ARCHIVES[archive.lower()]}
        if subject and subject.lower() not in known:
            return (
                f"Bad subject class '{subject}'. Valid subject classes for the archive "
                f"'{archive.lower()}' are: {', '.join(ARCHIVES[archive.lower()])}."
            )
    return ""


class _Handler(BaseHTTPRequestHandler):
    server: Any
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.fake._serve(self)


class FakeFeed(LocalServer[Fault, FeedRequest]):
    """``url`` is the ``listing_url``; ``today`` the day being served;
    ``announce`` what a category announced on a day."""

    name = "fake-feed"
    handler = _Handler
    fault_kind = Fault

    def __init__(self, today: dt.date = dt.date(2024, 1, 25)) -> None:
        super().__init__()
        self.today = self._first_day = today
        self._days: dict[dt.date, _Day] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/rss/"

    def announce(self, day: dt.date, items: list[FeedItem]) -> None:
        """Papers announced on ``day``, each in the categories it lists (a weekend day is refused)."""
        if day.weekday() >= 5:
            raise ValueError(f"arXiv announces nothing on {day:%A}s")
        with self._lock:
            for item in items:
                for category in item.categories:
                    self._days.setdefault(day, _Day()).items.setdefault(category, []).append(item)

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._faults.clear()
            self._days.clear()
            self.today = self._first_day

    def _serve(self, handler: _Handler) -> None:
        received_at = time.monotonic()
        path = handler.path.split("?", 1)[0]
        query = path.removeprefix("/rss/")
        with self._lock:
            fault = self._next_fault()
            problem = check_query(query) if path.startswith("/rss/") and query else "No archive specified."
            if fault is not None and (fault.status or fault.body is not None):
                status, body = fault.status or 200, fault.body or b"busy"
            elif problem:
                status, body = 400, error_document(query, problem)
            else:
                day = self._days.get(self.today, _Day())
                seen: dict[str, FeedItem] = {}
                for name in query.split("+"):
                    wanted = [c for c in day.items if name.lower() in (c.lower(), c.split(".")[0])]
                    for category in wanted:
                        for item in day.items[category]:
                            seen.setdefault(item.id, item)
                status, body = 200, feed_document(query, self.today, list(seen.values()))
            self._requests.append(FeedRequest(path, status, received_at))
        if self._held(handler, fault):
            return
        self._send_answer(handler, status, [("Content-Type", "application/rss+xml; charset=utf-8")], body, fault)
