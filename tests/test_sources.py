"""Pages whose papers come from arXiv's announcement feed (`listing:`) or an API
search (`query:`), built against the fake feed and the fake API."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import diskcache
import pytest
from mkdocs.config import base
from mkdocs.config import config_options as c

from conftest import Site, ids_requested
from fake_arxiv import FakeArxiv
from fake_feed import FakeFeed, FeedItem, feed_document
from fake_openai import FakeOpenAI, paper_of
from mkdocs_arxiv_digest.fetch import FeedClient
from mkdocs_arxiv_digest.ids import parse_id
from mkdocs_arxiv_digest.sources import SOURCES, Announced, Announcement, Source, parse_feed
from mkdocs_arxiv_digest.sources.base import Asking, Clients, Notice
from mkdocs_arxiv_digest.sources.options import AnnouncedPage

THURSDAY = dt.date(2024, 1, 25)
SATURDAY = dt.date(2024, 1, 27)

DAY = [
    FeedItem("2401.13001v1", "new", "Diffusion models for text-to-image synthesis", "We train a diffusion model."),
    FeedItem("2401.13002v1", "new", "A survey of diffusion", "We survey diffusion models."),
    FeedItem("2401.13003v1", "new", "Graph colouring", "We colour graphs quickly."),
    FeedItem("2401.11004v1", "cross", "Latent DIFFUSION for audio", "Cross-listed from eess.AS.", categories=("eess.AS", "cs.CV")),
    FeedItem("2312.01005v3", "replace", "Stable diffusion, revised", "A new version of an older paper."),
]  # fmt: skip


def announce(feed: FakeFeed, api: FakeArxiv, day: dt.date, items: list[FeedItem]) -> None:
    """The papers announced on `day`, known to the fake API too (for their metadata)."""
    feed.announce(day, items)
    feed.today = day
    for item in items:
        api.add_paper(item.id, title=item.title, summary=item.abstract)


def listing_site(site: Site, feed: FakeFeed, **options: object) -> None:
    site.configure(listing_url=feed.url, **options)


def table_ids(html: str) -> list[str]:
    """The arXiv IDs of the table rows, in order (anchors of the Ref column)."""
    return re.findall(r'<td><a href="#arxiv-([^"]+)"', html)


def test_the_feed_in_arxivs_format_reads_as_its_papers() -> None:
    document = feed_document("cs.CV", THURSDAY, DAY)
    announcement = parse_feed(document)
    assert announcement.date == "2024-01-25"
    assert [(str(p.id), p.kind) for p in announcement.papers] == [
        ("2401.13001v1", "new"),
        ("2401.13002v1", "new"),
        ("2401.13003v1", "new"),
        ("2401.11004v1", "cross"),
        ("2312.01005v3", "replace"),
    ]
    # The description's "arXiv:… Announce Type: new" preamble is not the abstract.
    assert announcement.papers[0].abstract == "We train a diffusion model."
    assert parse_feed(feed_document("cs.CV", SATURDAY, [])).papers == ()


def test_listing_pages_take_one_feed_request_and_one_batch_of_metadata(
    site: Site, arxiv_api: FakeArxiv, feed: FakeFeed
) -> None:
    announce(feed, arxiv_api, THURSDAY, DAY)
    listing_site(site, feed)
    site.page("all.md", {"listing": "cs.CV"})
    site.page("diffusion.md", {"listing": "cs.CV", "keywords": ["diffusion"], "exclude": ["survey"]})
    site.page("own.md", {"listing": "cs.CV", "cross_lists": False, "keywords": ["diffusion"]})
    site.page("search.md", {"query": "all:testing AND cat:cs.SE", "max": 3})

    result = site.build(strict=True)

    assert result.error is None, result.warnings
    assert [request.path for request in feed.requests] == ["/rss/cs.CV"]
    # The search, then the metadata of every listed paper in one batch.
    assert [bool(request.params.get("search_query")) for request in arxiv_api.requests] == [True, False]
    assert sorted(ids_requested(arxiv_api)[1]) == sorted(item.id for item in DAY)
    assert len(table_ids(site.content("search.md"))) == 3
    content = site.content("all.md")
    assert "The papers announced on arXiv in cs.CV on 2024-01-25." in content
    # New papers and cross-lists in the first table, the replacement under "Updated".
    tables = content.split('id="updated"')
    assert table_ids(tables[0]) == ["2401-13001v1", "2401-13002v1", "2401-13003v1", "2401-11004v1"]
    assert table_ids(tables[1]) == ["2312-01005v3"]
    # Keywords in any case, in title or abstract; exclude wins.
    assert table_ids(site.content("diffusion.md")) == ["2401-13001v1", "2401-11004v1", "2312-01005v3"]
    assert table_ids(site.content("own.md")) == ["2401-13001v1", "2401-13002v1", "2312-01005v3"]


def test_only_the_papers_the_filters_keep_are_fetched_and_summarized(
    site: Site, arxiv_api: FakeArxiv, feed: FakeFeed, model: FakeOpenAI
) -> None:
    announce(feed, arxiv_api, THURSDAY, DAY)
    listing_site(site, feed)
    site.options["summarizer"] = "openai"
    site.options["llm"] = {"base_url": model.url, "model": "fake-model", "api_key_env": "ARXIV_DIGEST_TEST_KEY"}
    site.page("index.md", {"listing": "cs.CV", "keywords": ["text-to-image", "graph"]})

    result = site.build(strict=True)

    assert result.error is None, result.warnings
    assert ids_requested(arxiv_api) == [["2401.13001v1", "2401.13003v1"]]
    assert sorted(paper_of(request.json)["id"] for request in model.requests) == ["2401.13001v1", "2401.13003v1"]


def test_a_weekend_says_so_and_shows_the_last_announcement(site: Site, arxiv_api: FakeArxiv, feed: FakeFeed) -> None:
    announce(feed, arxiv_api, THURSDAY, DAY[:2])
    listing_site(site, feed, listing_refresh_hours=0)
    site.page("index.md", {"listing": "cs.CV"})
    assert site.build(strict=True).error is None

    feed.today = SATURDAY
    result = site.build(strict=True)

    assert result.error is None, result.warnings
    assert len(feed.requests) == 2
    content = site.content()
    assert (
        "arXiv made no announcement in cs.CV on 2024-01-27; these are the papers of its last one, on 2024-01-25."
        in content
    )
    assert table_ids(content) == ["2401-13001v1", "2401-13002v1"]


def test_a_listing_is_asked_again_only_after_listing_refresh_hours(
    site: Site, arxiv_api: FakeArxiv, feed: FakeFeed
) -> None:
    announce(feed, arxiv_api, THURSDAY, DAY[:1])
    listing_site(site, feed)
    site.page("index.md", {"listing": "cs.CV"})
    assert site.build(strict=True).error is None
    assert site.build(strict=True).error is None
    assert len(feed.requests) == 1
    assert len(arxiv_api.requests) == 1


def test_a_weekend_with_nothing_cached_is_not_an_error(site: Site, arxiv_api: FakeArxiv, feed: FakeFeed) -> None:
    feed.today = SATURDAY
    listing_site(site, feed)
    site.page("index.md", {"listing": "cs.CV"})
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    assert "arXiv made no announcement in cs.CV on 2024-01-27, and none before it has been read yet." in site.content()
    assert arxiv_api.requests == []


def test_offline_says_a_listing_was_never_read(site: Site, feed: FakeFeed) -> None:
    listing_site(site, feed, offline=True)
    site.page("index.md", {"listing": "cs.CV"})
    result = site.build()
    assert result.error is None
    assert result.warnings == [
        "arxiv-digest: Page 'index.md': arxiv: listing cs.CV could not be read: it has not been read yet, and `offline` is on "
        "(turn `offline` off to read it)"
    ]
    assert "The papers of cs.CV could not be read from arXiv when this page was built." in site.content()
    assert feed.requests == []
    assert site.build(strict=True).error is not None


def test_an_unknown_category_is_a_warning_with_arxivs_reason(site: Site, feed: FakeFeed) -> None:
    listing_site(site, feed)
    site.page("index.md", {"listing": "cs.XY"})
    result = site.build()
    assert result.error is None
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith(
        "arxiv-digest: Page 'index.md': arxiv: listing cs.XY could not be read: the feed answered HTTP 400: "
    )
    assert "Bad subject class 'XY'" in result.warnings[0]


def test_bad_source_values_are_warnings_naming_the_page(site: Site, feed: FakeFeed) -> None:
    listing_site(site, feed)
    site.page("a.md", {"listing": "cs CV!"})
    site.page("b.md", {"query": "cat:cs.CV", "max": 0})
    site.page("c.md", {"listing": "cs.CV", "ids": ["2401.13001"]})
    result = site.build()
    assert sorted(result.warnings)[:3] == [
        "arxiv-digest: Page 'a.md': arxiv: listing 'cs CV!' is not a list of arXiv categories "
        "(write e.g. `listing: cs.CV` or `listing: [cs.CV, eess.IV]`)",
        "arxiv-digest: Page 'b.md': arxiv: max 0 is not a whole number from 1 to 2000; using 25",
        "arxiv-digest: Page 'c.md': arxiv: `ids:` and `listing:`/`query:` cannot be used together; keep one "
        "(the `daily` command writes pages with `ids:` frozen from a listing)",
    ]
    assert feed.requests == []


def test_a_query_page_shows_the_newest_results_without_asking_for_them_again(
    site: Site, arxiv_api: FakeArxiv, feed: FakeFeed
) -> None:
    site.page("index.md", {"query": "all:testing AND cat:cs.SE", "max": 3})
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    # One search, newest submissions first; its results are whole records, fetched no more.
    assert len(arxiv_api.requests) == 1
    params = arxiv_api.requests[0].params
    assert params["sortBy"] == "submittedDate" and params["sortOrder"] == "descending"
    assert params["max_results"] == "3"
    rows = table_ids(site.content())
    assert len(rows) == 3
    assert "The newest papers of the arXiv search all:testing AND cat:cs.SE, up to " in site.content()
    assert site.build(strict=True).error is None
    assert len(arxiv_api.requests) == 1


def test_an_offline_build_shows_what_the_cache_holds(site: Site, arxiv_api: FakeArxiv, feed: FakeFeed) -> None:
    announce(feed, arxiv_api, THURSDAY, DAY[:2])
    listing_site(site, feed, listing_refresh_hours=0)
    site.page("index.md", {"listing": "cs.CV"})
    assert site.build(strict=True).error is None
    feed.today = SATURDAY
    arxiv_api.reset()
    listing_site(site, feed, offline=True)

    result = site.build(strict=True)

    assert result.error is None, result.warnings
    assert len(feed.requests) == 1 and arxiv_api.requests == []
    assert table_ids(site.content()) == ["2401-13001v1", "2401-13002v1"]


def test_outside_text_in_a_feed_or_a_query_stays_text(site: Site, arxiv_api: FakeArxiv, feed: FakeFeed) -> None:
    hostile = FeedItem("2401.13009v1", "new", "<script>alert(1)</script> {{ 7 * 7 }}", "<img src=x onerror=alert(1)>")
    announce(feed, arxiv_api, THURSDAY, [hostile])
    listing_site(site, feed)
    site.page("feed.md", {"listing": "cs.CV"})
    site.page("query.md", {"query": 'ti:"<b>bold</b>"'})

    result = site.build(strict=True)

    assert result.error is None, result.warnings
    for page in ("feed.md", "query.md"):
        article = site.content(page)
        assert "<script>alert" not in article and "<img" not in article and "<b>" not in article
        assert "49" not in article
    assert "The arXiv search ti:&#34;&#60;b&#62;bold&#60;/b&#62;&#34; found no papers." in site.content("query.md")
    assert "&#60;script&#62;alert(1)&#60;/script&#62;" in site.content("feed.md")


def test_several_categories_are_one_request_and_each_paper_is_shown_once(
    site: Site, arxiv_api: FakeArxiv, feed: FakeFeed
) -> None:
    both = FeedItem("2401.13010v1", "new", "Images and signals", "Both.", categories=("cs.CV", "eess.IV"))
    announce(feed, arxiv_api, THURSDAY, [*DAY[:2], both])
    listing_site(site, feed)
    site.page("index.md", {"listing": ["cs.CV", "eess.IV"], "max": 2})
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    assert [request.path for request in feed.requests] == ["/rss/cs.CV+eess.IV"]
    # `max` caps what the page shows, in the announcement's order.
    assert table_ids(site.content()) == ["2401-13001v1", "2401-13002v1"]
    assert "The papers announced on arXiv in cs.CV, eess.IV on 2024-01-25." in site.content()


def test_a_busy_feed_is_asked_again_and_a_dead_one_leaves_the_cached_list(
    site: Site, arxiv_api: FakeArxiv, feed: FakeFeed
) -> None:
    announce(feed, arxiv_api, THURSDAY, DAY[:1])
    listing_site(site, feed, listing_refresh_hours=0)
    site.page("index.md", {"listing": "cs.CV"})
    feed.fail(503)
    assert site.build(strict=True).error is None
    assert [request.status for request in feed.requests] == [503, 200]

    feed.fail(503, times=2)
    result = site.build()
    assert result.warnings == [
        "arxiv-digest: Page 'index.md': arxiv: listing cs.CV could not be read: HTTP 503 after 2 tries "
        f"({feed.url}cs.CV) (showing what the cache holds)"
    ]
    assert table_ids(site.content()) == ["2401-13001v1"]


def checked_in_the_future(cache_dir: Path, prefix: str) -> int:
    """Date the `checked` time of every cache row whose key starts with
    `prefix` ten years ahead, as a clock set wrong once (or a planted row)
    would; how many rows were changed."""
    changed = 0
    with diskcache.Cache(str(cache_dir)) as store:
        for key in [k for k in store.iterkeys() if str(k).startswith(prefix)]:
            row = json.loads(store.get(key))
            row["checked"] = time.time() + 10 * 365 * 86400
            store.set(key, json.dumps(row))
            changed += 1
    return changed


@pytest.mark.parametrize("hours", [0, 12])
def test_a_listing_checked_in_the_future_is_asked_again(
    site: Site, arxiv_api: FakeArxiv, feed: FakeFeed, hours: int
) -> None:
    announce(feed, arxiv_api, THURSDAY, DAY[:1])
    listing_site(site, feed, listing_refresh_hours=hours)
    site.page("index.md", {"listing": "cs.CV"})
    assert site.build(strict=True).error is None
    assert checked_in_the_future(site.root / ".cache" / "plugin" / "arxiv-digest", "source:") == 1
    announce(feed, arxiv_api, THURSDAY, DAY[1:2])

    result = site.build(strict=True)

    assert result.error is None, result.warnings
    assert len(feed.requests) == 2, "a time later than now is not trusted"
    assert table_ids(site.content()) == ["2401-13001v1", "2401-13002v1"]
    assert site.build(strict=True).error is None
    assert len(feed.requests) == 2 + (hours == 0), "asked again, the row is dated now"


# Bounded inputs: what a feed holds past its limits is left out, with a warning naming it.

CACHE = Path(".cache") / "plugin" / "arxiv-digest"


def cached_listing(site: Site, key: str = "listing:cs.CV") -> list[str]:
    """The versioned IDs of the latest announcement the cache holds for `key`."""
    with diskcache.Cache(str(site.root / CACHE)) as store:
        row = json.loads(store.get(f"source:{key}"))
    return [f"{base}v{version}" for base, version, *_ in row["latest"]["papers"]]


def test_a_feed_larger_than_listing_max_mb_keeps_the_papers_read_and_warns(
    site: Site, arxiv_api: FakeArxiv, feed: FakeFeed
) -> None:
    huge = FeedItem("2401.13904v1", "new", "A paper that goes on", "words " * 500_000)  # 3 MB
    announce(feed, arxiv_api, THURSDAY, [*DAY[:3], huge, DAY[4]])
    listing_site(site, feed, listing_max_mb=1)
    site.page("index.md", {"listing": "cs.CV"})

    result = site.build()

    assert result.error is None
    assert result.warnings == [
        f"arxiv-digest: Page 'index.md': arxiv: listing cs.CV: the feed {feed.url}cs.CV: it is larger than "
        "`listing_max_mb` (1 MB); only its first 1 MB were read, which hold 3 whole papers"
    ]
    assert table_ids(site.content()) == ["2401-13001v1", "2401-13002v1", "2401-13003v1"]
    assert cached_listing(site) == ["2401.13001v1", "2401.13002v1", "2401.13003v1"]
    listing_site(site, feed, listing_max_mb=1, listing_refresh_hours=0)
    assert site.build(strict=True).error is not None


def test_a_feed_of_more_than_listing_max_papers_keeps_the_first_and_warns(
    site: Site, arxiv_api: FakeArxiv, feed: FakeFeed
) -> None:
    items = [FeedItem(f"2401.{n:05d}v1", "new", f"Paper {n}", "We study things.") for n in range(20001, 25011)]
    feed.announce(THURSDAY, items)
    feed.today = THURSDAY
    for item in items[:2]:
        arxiv_api.add_paper(item.id, title=item.title, summary=item.abstract)
    listing_site(site, feed)
    site.page("index.md", {"listing": "cs.CV", "max": 2})

    result = site.build()

    assert result.error is None
    assert result.warnings == [
        f"arxiv-digest: Page 'index.md': arxiv: listing cs.CV: the feed {feed.url}cs.CV: it lists 5,010 items, "
        "more than `listing_max_papers` (5,000); the first 5,000 are kept"
    ]
    assert table_ids(site.content()) == ["2401-20001v1", "2401-20002v1"]
    kept = cached_listing(site)
    assert len(kept) == 5000 and kept[0] == "2401.20001v1" and kept[-1] == "2401.25000v1"


def test_overlong_text_in_a_feed_is_cut_with_a_warning_and_the_page_builds(
    site: Site, arxiv_api: FakeArxiv, feed: FakeFeed
) -> None:
    long = FeedItem("2401.13905v1", "new", "Diffusion " + "title " * 5000, "Diffusion abstract. " + "x" * 40_000)
    announce(feed, arxiv_api, THURSDAY, [DAY[0], long])
    listing_site(site, feed)
    site.page("index.md", {"listing": "cs.CV", "keywords": ["diffusion"]})

    result = site.build()

    assert result.error is None
    where = f"arxiv-digest: Page 'index.md': arxiv: listing cs.CV: the feed {feed.url}cs.CV: "
    assert (
        where
        + (
            "text longer than 20,000 characters was cut to its first 20,000, in "
            "2401.13905v1 (title of 30,010 characters, abstract of 40,020 characters)"
        )
        in result.warnings
    )
    # The page's metadata comes from the API, which gave the same text: cut there too, and said so.
    assert any(w.startswith(f"arxiv-digest: the arXiv API at {arxiv_api.url}: text longer") for w in result.warnings)
    content = site.content()
    assert table_ids(content) == ["2401-13001v1", "2401-13905v1"]
    assert "title title titl…" in content and "x" * 19_980 + "…" in content and "x" * 19_981 not in content


def test_a_feed_cut_short_gives_its_whole_items_and_a_broken_one_is_still_an_error() -> None:
    document = feed_document("cs.CV", THURSDAY, DAY)
    cut_at = document.index(b"2401.11004v1")  # inside the fourth item
    read = parse_feed(document[:cut_at], cut=True)
    assert [str(paper.id) for paper in read.papers] == ["2401.13001v1", "2401.13002v1", "2401.13003v1"]
    assert read.date == "2024-01-25"
    with pytest.raises(ValueError, match="not XML"):
        parse_feed(document[:cut_at])


def test_reading_a_feed_item_of_30_mb_costs_a_few_mb_not_hundreds() -> None:
    # An item of 30 MB took 519 MB to read: the text of each element is kept only up to the limit.
    huge = FeedItem("2401.13906v1", "new", "Huge", "word " * 6_000_000)
    document = feed_document("cs.CV", THURSDAY, [DAY[0], huge, DAY[1]])
    tracemalloc.start()
    try:
        read = parse_feed(document)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [str(paper.id) for paper in read.papers] == ["2401.13001v1", "2401.13906v1", "2401.13002v1"]
    assert len(read.papers[1].abstract) <= 20_001 and read.papers[1].abstract.endswith(" word…")
    assert peak < 5_000_000, f"{peak:,} bytes to read a feed of {len(document):,}"
    assert read.left_out == (
        "text longer than 20,000 characters was cut to its first 20,000, in 2401.13906v1 "
        "(abstract of 30,000,000 characters)",
    )


def test_a_feed_is_not_read_past_the_bytes_allowed(feed: FakeFeed) -> None:
    feed.announce(THURSDAY, [*DAY[:2], FeedItem("2401.13907v1", "new", "Long", "word " * 400_000)])
    feed.today = THURSDAY
    client = FeedClient(delay_seconds=0, timeout=5, retries=0)
    try:
        document, cut = client.get(feed.url + "cs.CV", 1_000_000)
        whole, more = client.get(feed.url + "cs.CV", 3_000_000)
    finally:
        client.close()
    assert (len(document), cut) == (1_000_000, True)
    assert (more, whole.rstrip().endswith(b"</rss>")) == (False, True)


def test_the_feed_client_asks_at_most_once_every_delay_seconds(feed: FakeFeed) -> None:
    feed.announce(THURSDAY, DAY[:1])
    feed.today = THURSDAY
    client = FeedClient(delay_seconds=0.3, timeout=5, retries=0)
    try:
        client.get(feed.url + "cs.CV", 1_000_000)
        client.get(feed.url + "cs.CV", 1_000_000)
    finally:
        client.close()
    first, second = (request.received_at for request in feed.requests)
    assert second - first >= 0.3


class ShelfPage(AnnouncedPage):
    shelf = c.Type(str)


@dataclass(frozen=True)
class ShelfSource(Source):
    """A kind of source the package does not have: a named shelf of papers."""

    kind: ClassVar[str] = "shelf"
    page: ClassVar[type[base.Config]] = ShelfPage
    asked: ClassVar[list[str]] = []

    shelf: str = ""

    @classmethod
    def from_page(cls, page: base.Config) -> ShelfSource:
        return cls(shelf=page["shelf"], max=page["max"], keywords=page["keywords"])

    @property
    def request(self) -> str:
        return self.shelf

    @property
    def key(self) -> str:
        return f"shelf:{self.shelf}"

    def describe(self) -> str:
        return f"shelf {self.shelf}"

    def name(self) -> str:
        return self.shelf

    def ask(self, clients: Clients, asking: Asking) -> Announcement:
        self.asked.append(self.shelf)
        return Announcement("2024-01-25", tuple(Announced(parse_id(i.id), "new", i.title, i.abstract) for i in DAY[:3]))

    def notice(self, latest: Announcement | None, shown: Announcement | None) -> Notice:
        return ("announced", {"source": self.name(), "date": (shown.date if shown else None) or "?"})

    @classmethod
    def thaw(cls, written: dict[Any, Any]) -> tuple[Notice | None, str] | None:
        return None


def test_a_source_type_is_one_class_registered_by_its_key(
    site: Site, arxiv_api: FakeArxiv, feed: FakeFeed, monkeypatch: pytest.MonkeyPatch
) -> None:
    announce(feed, arxiv_api, THURSDAY, DAY)
    monkeypatch.setitem(SOURCES, "shelf", ShelfSource)
    monkeypatch.setattr(ShelfSource, "asked", [])
    site.page("index.md", {"shelf": "reading group", "keywords": ["diffusion"]})
    site.page("both.md", {"shelf": "reading group", "query": "abs:x"})

    result = site.build(strict=False)

    assert result.warnings == [
        "arxiv-digest: Page 'both.md': arxiv: `query:` and `shelf:` cannot be used together; keep one"
    ]
    assert "The papers announced on arXiv in reading group on 2024-01-25." in site.content()
    assert table_ids(site.content()) == ["2401-13001v1", "2401-13002v1"], "filtered by the keyword"
    assert cached_listing(site, "shelf:reading group") == ["2401.13001v1", "2401.13002v1", "2401.13003v1"]
    assert site.build(strict=False).error is None
    assert ShelfSource.asked == ["reading group"], "the second build reads the cache"
    assert feed.requests == []
