"""The Atom feed of a site's papers and the JSON file beside each digest page.

Sites are built against the fake arXiv API (or offline from a snapshot) and
their `feed.xml` is read by two parsers: `feedparser`, as feed readers read
it, and lxml, which refuses any document that is not well-formed XML. Every
entry's link must lead to an element with that id in a built page.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.html
import pytest
from lxml import etree

from conftest import Build, Site
from fake_openai import FakeOpenAI
from mkdocs_arxiv_digest.feed import page_date
from test_untrusted import CORPUS, hostile_answer, hostile_record

ATOM = "{http://www.w3.org/2005/Atom}"
SITE_URL = "https://example.org/docs/"


def read_feed(site: Site, path: str = "feed.xml") -> tuple[Any, etree._Element]:
    """The feed as feedparser reads it (which must find nothing wrong) and as lxml's tree."""
    data = (site.root / "site" / path).read_bytes()
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed, etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def built_file(site: Site, url: str, base: str = SITE_URL) -> Path:
    """The file under `site/` that a URL of the built site (absolute under
    `base`, or already a path from the site's root) is served from."""
    path = url.removeprefix(base) if url.startswith(base) else url
    assert "://" not in path, f"{url} is not a link into the site"
    target = site.root / "site" / path.split("#")[0]
    return target / "index.html" if path.split("#")[0].endswith("/") or not path.split("#")[0] else target


def from_file(relative: str, base: str) -> str:
    """A relative link written in the file at `base` (a path from the site's
    root) as a path from the root, fragment and all."""
    joined = urljoin("https://site.invalid/" + base, relative)
    assert joined.startswith("https://site.invalid/"), f"{relative} leaves the site"
    return joined.removeprefix("https://site.invalid/")


def assert_anchor(site: Site, url: str, base: str = SITE_URL) -> None:
    """`url` leads to a built page with an element whose id is its fragment."""
    fragment = urlsplit(url).fragment
    assert fragment.startswith("arxiv-"), url
    page = built_file(site, url, base)
    assert page.is_file(), f"{url}: no page at {page}"
    assert lxml.html.parse(str(page)).getroot().get_element_by_id(fragment, None) is not None, url


def alternate(entry: Any) -> str:
    (href,) = [link.href for link in entry.links if link.rel == "alternate"]
    return str(href)


def snapshot_site(site: Site, records: list[dict[str, Any]]) -> None:
    (site.root / "snap.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    site.options.update(offline=True, snapshot="snap.jsonl")


def record(arxiv_id: str, day: dt.date, title: str = "") -> dict[str, Any]:
    created = dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.timezone.utc)
    return {
        "id": arxiv_id,
        "title": title or f"Paper {arxiv_id}",
        "abstract": f"We show that paper {arxiv_id} is new. The proof is short.",
        "authors_parsed": [["Doe", "Jane", ""]],
        "categories": "cs.DL",
        "versions": [{"version": "v1", "created": created.strftime("%a, %d %b %Y %H:%M:%S GMT")}],
    }


def test_entries_are_the_papers_newest_first_each_linked_to_its_heading(site: Site) -> None:
    site.page("index.md", None, "# Home\n")
    # A reading list without a date: its papers are dated by their versions (2016, 2017).
    site.page("lists/papers.md", ["1605.08386", "1707.08567"], "# Papers\n")
    # Daily pages: their papers take the page's date, one in Material's mapping form.
    site.page("daily/2026-11-19.md", "date: 2026-11-19\narxiv: [astro-ph/0601001]\n", "# Day 1\n")
    site.page("daily/2026-11-20.md", "date: {created: 2026-11-20}\narxiv: [2104.12255v1]\n", "# Day 2\n")
    site.configure(feed=True)
    site.extra = {"site_url": SITE_URL, "site_author": "The lab"}
    result = site.build(strict=True)
    assert result.error is None, result.warnings

    parsed, tree = read_feed(site)
    ids = [entry.id for entry in parsed.entries]
    assert ids == [
        "https://arxiv.org/abs/2104.12255v1",
        "https://arxiv.org/abs/astro-ph/0601001v1",
        "https://arxiv.org/abs/1707.08567v1",
        "https://arxiv.org/abs/1605.08386v1",
    ]
    assert [entry.updated[:10] for entry in parsed.entries] == ["2026-11-20", "2026-11-19", "2017-07-27", "2016-05-26"]
    assert parsed.feed.title == "Test" and parsed.feed.id == SITE_URL + "feed.xml"
    assert parsed.feed.updated.startswith("2026-11-20")
    assert {link.rel: link.href for link in parsed.feed.links} == {"self": SITE_URL + "feed.xml", "alternate": SITE_URL}
    for entry in parsed.entries:
        assert_anchor(site, alternate(entry))
        assert [link.href for link in entry.links if link.rel == "related"] == [entry.id]
    heat = parsed.entries[3]
    assert heat.title == "Heat-bath random walks with Markov bases"
    assert [author.name for author in heat.authors] == ["Caprice Stanley", "Tobias Windisch"]
    assert heat.summary.startswith("We show that the diameter")  # the extractive TL;DR
    assert alternate(heat) == SITE_URL + "lists/papers/#arxiv-1605-08386"
    assert [tag.term for tag in heat.tags] == ["math.CO", "math.ST"]
    # Plain text only: no entry's title or summary holds markup.
    for element in tree.iter(f"{ATOM}title", f"{ATOM}summary"):
        assert element.get("type") == "text" and len(element) == 0


@pytest.mark.parametrize("directory_urls", [True, False], ids=["directory-urls", "file-urls"])
def test_every_page_links_the_feed_and_the_link_leads_to_it(site: Site, directory_urls: bool) -> None:
    site.page("index.md", None, "# Home\n")
    site.page("a/b/nested.md", ["1707.08567"], "# Nested\n")
    site.page("a/other.md", None, "# Other\n")
    site.configure(feed=True, feed_file="feeds/papers.xml")
    site.extra = {"use_directory_urls": directory_urls}
    result = site.build()
    assert result.error is None, result.warnings
    # Without site_url the links are relative to the feed, and the build says so once.
    assert [w for w in result.warnings if "site_url" in w] == [
        "arxiv-digest: feed: MkDocs' 'site_url' is not set, so the links in 'feeds/papers.xml' are relative to "
        "the feed, and feed readers that need absolute links cannot open the papers; set 'site_url' to the "
        "address the site is published at."
    ]
    feed_path = site.root / "site/feeds/papers.xml"
    parsed, _ = read_feed(site, "feeds/papers.xml")
    (entry,) = parsed.entries
    relative = alternate(entry)
    assert relative == ("../a/b/nested/#arxiv-1707-08567" if directory_urls else "../a/b/nested.html#arxiv-1707-08567")
    assert_anchor(site, from_file(relative, "feeds/papers.xml"))
    html_names = ["index", "a/b/nested", "a/other"]
    for name in html_names:
        page = site.root / "site" / (f"{name}/index.html" if directory_urls and name != "index" else f"{name}.html")
        head = lxml.html.parse(str(page)).getroot().head
        (link,) = head.xpath('link[@rel="alternate"][@type="application/atom+xml"]')
        assert (page.parent / link.get("href")).resolve() == feed_path, (name, link.get("href"))


def test_feed_is_the_same_from_one_build_to_the_next_and_under_serve(site: Site) -> None:
    site.page("index.md", ["1605.08386", "astro-ph/0601001"], "# Home\n")
    site.page("day.md", "date: 2026-11-20 08:30:00\narxiv: [1707.08567]\n", "# Day\n")
    site.configure(feed=True)
    site.extra = {"site_url": SITE_URL}
    assert site.build(strict=True).error is None
    first = (site.root / "site/feed.xml").read_bytes()
    # From the cache this time: the digests are kept, the summaries are read back.
    assert site.build(strict=True).error is None
    assert (site.root / "site/feed.xml").read_bytes() == first
    parsed, _ = read_feed(site)
    assert parsed.entries[0].updated == "2026-11-20T08:30:00Z"
    assert all(entry.summary for entry in parsed.entries)
    # `mkdocs serve` builds twice with one config: the feed is written each time.
    config = site.load()
    assert site.build(config=config, startup="serve").error is None
    (site.root / "site/feed.xml").unlink()
    assert site.build(config=config, startup=None).error is None
    assert (site.root / "site/feed.xml").read_bytes() == first
    config.plugins.on_shutdown()


def test_feed_size_keeps_the_newest_and_feed_pages_chooses_the_pages(site: Site) -> None:
    start = dt.date(2025, 3, 1)
    records = [record(f"2503.{n:05d}", start + dt.timedelta(days=n)) for n in range(1, 13)]
    site.page("index.md", None, "# Home\n")
    site.page("reading/old.md", [r["id"] for r in records[:6]], "# Old\n")
    site.page("reading/new.md", [r["id"] for r in records[6:]], "# New\n")
    site.page("elsewhere.md", ["2503.00012"], "# Elsewhere\n")  # the newest paper, on a page left out
    site.configure(feed=True, feed_size=5)
    snapshot_site(site, records)
    site.extra = {"site_url": SITE_URL}
    assert site.build(strict=True).error is None
    parsed, _ = read_feed(site)
    # One entry per paper, though 2503.00012 is on two pages.
    assert [e.id.rsplit("/", 1)[1] for e in parsed.entries] == [f"2503.{n:05d}v1" for n in (12, 11, 10, 9, 8)]

    site.configure(feed=True, feed_size=100, feed_pages=["reading/*"])
    snapshot_site(site, records)
    assert site.build(strict=True).error is None
    parsed, _ = read_feed(site)
    assert len(parsed.entries) == 12
    assert {urlsplit(alternate(e)).path for e in parsed.entries} == {"/docs/reading/old/", "/docs/reading/new/"}


def test_hostile_titles_and_summaries_are_inert_text_in_valid_xml(tmp_path: Path) -> None:
    """The untrusted-text corpus through arXiv's metadata and a model's answers,
    on an English and a translated page: the feed is valid XML whose titles and
    summaries are text holding the attacks as written, with no link the plugin did not make."""
    with FakeOpenAI(responder=hostile_answer) as model:
        site = Site(tmp_path, "http://127.0.0.1:9/never")
        hostile = hostile_record("2501.00001")
        # Characters no XML document may hold, even as references; JSON carries them.
        hostile["title"] += " \uffff end"
        hostile["authors_parsed"][1][1] += "\ufffe"
        snapshot_site(site, [hostile])
        site.page("index.md", None, "# Home\n")
        site.page("en.md", ["2501.00001"], "# English\n")
        site.page("zh.md", {"ids": ["2501.00001"], "language": "zh"}, "# 中文\n")
        site.options.update(
            feed=True,
            json=True,
            summarizer="openai",
            llm={"base_url": model.url, "model": "fake-model", "api_key_env": "", "timeout": 5, "retries": 0},
        )
        site.extra = {"site_url": SITE_URL, "site_name": "<b>Site</b> {{ pwned_var }}"}
        result = site.build(strict=True)
    assert result.error is None, result.warnings
    parsed, tree = read_feed(site)
    # The same version on two pages is one entry (the first page by path: en.md).
    (entry,) = parsed.entries
    assert entry.title_detail.type == "text/plain" and entry.summary_detail.type == "text/plain"
    for piece in ("<img src=x onerror=", "<script>", "{{ pwned_var }}", "![img](https://evil.example/pixel.png)"):
        assert piece in entry.title and piece in entry.summary, piece
    assert parsed.feed.title == "<b>Site</b> {{ pwned_var }}"
    # Python-Markdown's placeholders lose their control characters: XML 1.0 cannot hold them.
    assert "wzxhzdk:0" in entry.title and "\x02" not in entry.title
    assert entry.title.endswith(" end") and "\uffff" not in entry.title
    assert "<img" in entry.authors[0].name
    # Every link is one the plugin made; no element holds another.
    hrefs = [element.get("href") for element in tree.iter(f"{ATOM}link")]
    assert all(re.fullmatch(r"https://example\.org/docs/[\w/.#-]*|https://arxiv\.org/abs/[\w./-]+", h) for h in hrefs)
    for element in tree.iter(f"{ATOM}title", f"{ATOM}summary", f"{ATOM}name"):
        assert len(element) == 0
    assert_anchor(site, alternate(entry))

    # The JSON files hold the text as written, and nothing a browser would read as markup.
    for name, language in (("en", "en"), ("zh", "zh")):
        raw = (site.root / "site" / f"{name}.json").read_text(encoding="utf-8")
        assert "<" not in raw and ">" not in raw and "&" not in raw
        data = json.loads(raw)
        (paper,) = data["papers"]
        assert paper["title"].startswith("{ 7*777 } A study of $x<y$ with ")
        assert all(attack in paper["title"] for attack in CORPUS[9:12]), "the title as arXiv wrote it"
        assert data["page"]["language"] == language
        assert paper["tldr"].startswith("TLDR ")


def test_translated_pages_show_the_translated_title_with_the_original(site: Site, model: FakeOpenAI) -> None:
    site.page("index.md", None, "# Home\n")
    site.page("zh.md", {"ids": ["1605.08386"], "language": "zh"}, "# 论文\n")
    site.configure(
        feed=True,
        json=True,
        summarizer="openai",
        llm={"base_url": model.url, "model": "fake-model", "api_key_env": "ARXIV_DIGEST_TEST_KEY", "retries": 0},
    )
    site.extra = {"site_url": SITE_URL}
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    parsed, tree = read_feed(site)
    (entry,) = parsed.entries
    title = "Heat-bath random walks with Markov bases"
    assert entry.title == f"[zh] {title} ({title})"
    assert entry.summary == f"TLDR of 1605.08386v1: {title}"
    assert tree.find(f"{ATOM}entry").get("{http://www.w3.org/XML/1998/namespace}lang") == "zh"
    data = json.loads((site.root / "site/zh.json").read_text(encoding="utf-8"))
    (paper,) = data["papers"]
    assert (paper["title"], paper["translated_title"]) == (title, f"[zh] {title}")
    assert paper["translated_abstract"] == "[zh] abstract of 1605.08386v1"
    assert paper["summarizer"] == "fake-model"


def test_json_files_beside_the_bib_files_hold_the_papers_and_their_summaries(site: Site) -> None:
    site.page("index.md", None, "# Home\n")
    site.page("topics/robust.md", ["1605.08386", "1707.08567", "2501.99999"], "# Robust\n")
    site.page("day.md", "date: 2026-11-20\narxiv: [astro-ph/0601001]\n", "# Day\n")
    site.configure(json=True)
    result = site.build()
    assert result.error is None
    assert any("2501.99999" in w for w in result.warnings), "the unknown ID is still a warning"
    folder = site.root / "site/topics"
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == ["robust.bib", "robust.json"]
    data = json.loads((folder / "robust.json").read_text(encoding="utf-8"))
    assert (data["format"], data["format_version"]) == ("mkdocs-arxiv-digest/papers", 1)
    assert data["page"] == {
        "src": "topics/robust.md",
        "url": "robust/",
        "language": "en",
        "date": None,
        "source": None,
        "announced": None,
    }
    assert data["missing"] == ["2501.99999"]
    heat, workshop = data["papers"]
    assert set(heat) == {
        "id", "version", "versioned_id", "kind", "title", "translated_title", "authors", "abstract",
        "translated_abstract", "tldr", "tldr_en", "takeaways", "structured", "keywords", "summarizer",
        "fulltext", "like", "primary_category", "categories", "comment", "journal_ref", "doi", "dates", "links",
    }  # fmt: skip
    assert (heat["id"], heat["version"], heat["versioned_id"]) == ("1605.08386", 1, "1605.08386v1")
    assert heat["kind"] is None  # a list of IDs: neither new nor cross-listed
    assert heat["authors"] == ["Caprice Stanley", "Tobias Windisch"]
    assert heat["dates"] == {"published": "2016-05-26", "updated": "2016-05-26"}
    assert heat["categories"] == ["math.CO", "math.ST"] and heat["summarizer"] == "extractive"
    assert heat["fulltext"] is None, "full text is off"
    assert heat["like"] is None, "a list of IDs is not ranked"
    assert heat["links"]["abs"] == "https://arxiv.org/abs/1605.08386"
    assert heat["links"]["pdf"] == "https://arxiv.org/pdf/1605.08386v1"
    # The summaries are the ones on the page.
    page = site.content("topics/robust.md")
    for paper in (heat, workshop):
        assert paper["tldr"] and paper["tldr"][:40] in page
        assert len(paper["takeaways"]) >= 3
        # Without site_url, the link to the paper's entry is relative to the JSON file.
        assert_anchor(site, from_file(paper["links"]["page"], "topics/robust.json"))
    day = json.loads((site.root / "site/day.json").read_text(encoding="utf-8"))
    assert day["page"]["date"] == "2026-11-20T00:00:00Z"
    # Pages do not link it: Material would look for a sitemap.xml beside it.
    assert "robust.json" not in site.html("topics/robust.md")


def test_static_i18n_gets_a_feed_per_language(site: Site) -> None:
    site.page("index.md", None, "# Home\n")
    site.page("index.fr.md", None, "# Accueil\n")
    site.page("papers.md", ["1707.08567"], "# Papers\n")
    site.page("papers.fr.md", ["astro-ph/0601001"], "# Articles\n")
    site.configure(feed=True)
    site.extra = {"site_url": SITE_URL}
    languages = [
        {"locale": "en", "name": "English", "default": True, "build": True},
        {"locale": "fr", "name": "Français", "build": True},
    ]
    site.plugins_before.append({"i18n": {"docs_structure": "suffix", "languages": languages}})
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    english, _ = read_feed(site)
    french, _ = read_feed(site, "fr/feed.xml")
    assert [e.id for e in english.entries] == ["https://arxiv.org/abs/1707.08567v1"]
    assert [e.id for e in french.entries] == ["https://arxiv.org/abs/astro-ph/0601001v1"]
    assert alternate(french.entries[0]) == SITE_URL + "fr/papers/#arxiv-astro-ph-0601001"
    assert_anchor(site, alternate(french.entries[0]))
    head = lxml.html.parse(str(site.root / "site/fr/papers/index.html")).getroot().head
    assert head.xpath('link[@type="application/atom+xml"]/@href') == ["../feed.xml"]


def test_material_blog_posts_are_dated_by_their_post_date(site: Site) -> None:
    site.page("index.md", ["1605.08386"], "# Home\n")
    site.page("blog/index.md", None, "# Daily digests\n")
    site.page("blog/posts/today.md", "date:\n  created: 2026-11-20\narxiv: [1707.08567]\n", "# Papers of the day\n")
    site.extra = {"theme": {"name": "material"}, "site_url": SITE_URL}
    site.plugins_before.append("blog")
    site.configure(feed=True, feed_pages=["blog/posts/*"])
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    parsed, _ = read_feed(site)
    (entry,) = parsed.entries
    assert entry.updated == "2026-11-20T00:00:00Z"
    assert alternate(entry) == SITE_URL + "blog/2026/11/20/papers-of-the-day/#arxiv-1707-08567"
    assert_anchor(site, alternate(entry))


def test_a_date_that_is_not_one_is_a_warning_naming_the_page(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    site.page("index.md", None, "# Home\n")
    site.page("day.md", "date: next tuesday\narxiv: [1707.08567]\n", "# Day\n")
    site.configure(feed=True)
    site.extra = {"site_url": SITE_URL}
    result = site.build(strict=True)
    assert result.error is not None
    assert result.warnings == [
        "arxiv-digest: Page 'day.md': 'date' is 'next tuesday', which is not a date like 2024-01-24, "
        "so the feed dates its papers by their arXiv versions."
    ]
    result = site.build()
    parsed, _ = read_feed(site)
    assert parsed.entries[0].updated == "2017-07-27T00:00:00Z"


@pytest.mark.parametrize(
    "value, problem",
    [
        ("../feed.xml", "Expected a path relative to the site's root"),
        ("/feed.xml", "Expected a path relative to the site's root"),
        ("feeds/", "Expected a path relative to the site's root"),
        ("feed.json", "Expected a file name ending in .xml or .atom"),
    ],
)
def test_a_feed_file_outside_the_site_is_refused_with_the_option_named(site: Site, value: str, problem: str) -> None:
    site.page("index.md", ["1707.08567"])
    site.configure(feed=True, feed_file=value)
    result = site.build_or_refuse()
    assert result.error is not None
    assert any("feed_file" in message and problem in message for message in result.messages(logging.ERROR))


def collision(result: Build) -> str:
    """The one error of a build that stopped because two outputs are one file."""
    assert result.error is not None
    (message,) = result.messages(logging.ERROR)
    assert "one would replace the other" in message
    return str(message)


def test_a_feed_file_that_the_docs_have_already_stops_the_build(site: Site) -> None:
    site.page("index.md", ["1707.08567"])
    (site.docs / "feed.xml").write_text("<feed/>", encoding="utf-8")
    site.configure(feed=True)
    message = collision(site.build())
    assert "the feed ('feed_file: feed.xml') and the file 'feed.xml' in docs_dir would both be 'feed.xml'" in message
    assert "Set 'feed_file' to another path" in message


@pytest.mark.parametrize("theme", ["mkdocs", "material"])
def test_a_feed_file_where_the_sitemap_is_stops_the_build_naming_both(site: Site, theme: str) -> None:
    """MkDocs renders `sitemap.xml` after the site's files: the feed would be
    replaced by the sitemap, and every page would link the sitemap as its feed."""
    site.page("index.md", ["1707.08567"])
    site.extra = {"site_url": SITE_URL, "theme": {"name": theme}}
    site.configure(feed=True, feed_file="sitemap.xml")
    message = collision(site.build(strict=True))
    assert "the feed ('feed_file: sitemap.xml')" in message
    assert "the sitemap MkDocs renders from the theme's template 'sitemap.xml'" in message
    assert not (site.root / "site/index.html").exists()
    # The fix the message gives: both files are written, each what it says.
    site.configure(feed=True, feed_file="papers.xml")
    assert site.build(strict=True).error is None
    parsed, _ = read_feed(site, "papers.xml")
    assert [entry.id for entry in parsed.entries] == ["https://arxiv.org/abs/1707.08567v1"]
    sitemap = etree.fromstring((site.root / "site/sitemap.xml").read_bytes())
    assert sitemap.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    head = lxml.html.parse(str(site.root / "site/index.html")).getroot().head
    assert head.xpath('link[@type="application/atom+xml"]/@href') == ["papers.xml"]


def test_a_feed_file_a_theme_template_renders_stops_the_build(site: Site) -> None:
    """A theme (or `custom_dir`) that renders a feed of its own from a template."""
    site.page("index.md", ["1707.08567"])
    (site.root / "overrides").mkdir()
    (site.root / "overrides/feed.xml").write_text("<feed>{{ config.site_name }}</feed>\n", encoding="utf-8")
    site.extra = {"theme": {"name": "mkdocs", "custom_dir": "overrides", "static_templates": ["feed.xml"]}}
    site.configure(feed=True)
    message = collision(site.build())
    assert (
        "the feed ('feed_file: feed.xml') and the page MkDocs renders from the theme's template 'feed.xml'" in message
    )


@pytest.mark.parametrize("theme", ["mkdocs", "material"])
def test_a_json_file_where_the_search_index_is_stops_the_build_naming_both(site: Site, theme: str) -> None:
    """The search plugin writes `search/search_index.json` after every page:
    it would replace the page's JSON file, and a script would read the index."""
    site.page("index.md", None, "# Home\n")
    site.page("search/search_index.md", ["1707.08567"], "# Search index\n")
    site.extra = {"theme": {"name": theme}}
    site.configure(json=True)
    message = collision(site.build())
    assert (
        "the JSON file of page 'search/search_index.md' ('json: true') and the index the search plugin writes "
        "would both be 'search/search_index.json'"
    ) in message
    assert "Rename or move the page" in message and "set 'json: false'" in message
    # Without the search plugin nothing else writes that file: the page's JSON is there.
    site.search = False
    assert site.build(strict=True).error is None
    written = json.loads((site.root / "site/search/search_index.json").read_text(encoding="utf-8"))
    assert written["page"]["src"] == "search/search_index.md"
    assert [paper["id"] for paper in written["papers"]] == ["1707.08567"]


def test_a_bib_file_the_docs_have_already_stops_the_build_naming_both(site: Site) -> None:
    site.page("papers.md", ["1707.08567"], "# Papers\n")
    (site.docs / "papers.bib").write_text("@misc{mine, title = {Kept by hand}}\n", encoding="utf-8")
    message = collision(site.build())
    assert (
        "the BibTeX file of page 'papers.md' ('bibtex: true') and the file 'papers.bib' in docs_dir "
        "would both be 'papers.bib'"
    ) in message
    site.configure(bibtex=False)
    assert site.build(strict=True).error is None
    assert (site.root / "site/papers.bib").read_text(encoding="utf-8") == "@misc{mine, title = {Kept by hand}}\n"


@pytest.mark.parametrize(
    "value, expected",
    [
        (dt.date(2026, 11, 20), "2026-11-20T00:00:00+00:00"),
        (dt.datetime(2026, 11, 20, 8, 30), "2026-11-20T08:30:00+00:00"),
        (dt.datetime(2026, 11, 20, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))), "2026-11-20T00:30:00+00:00"),
        ("2026-11-20", "2026-11-20T00:00:00+00:00"),
        ("2026-11-20T08:30:00Z", "2026-11-20T08:30:00+00:00"),
        ({"created": dt.date(2026, 11, 20), "updated": dt.date(2026, 12, 1)}, "2026-11-20T00:00:00+00:00"),
    ],
)
def test_page_dates_in_every_form_yaml_and_material_give(value: Any, expected: str) -> None:
    when, problem = page_date(value)
    assert problem == "" and when is not None and when.isoformat() == expected


@pytest.mark.parametrize("value", ["someday", 20261120, {"updated": "2026-11-20"}, [2026, 11, 20]])
def test_page_dates_that_are_not_dates_say_so(value: Any) -> None:
    when, problem = page_date(value)
    assert when is None and problem.startswith("'date' is")


def test_material_pages_with_the_feed_load_without_errors_in_a_browser(site: Site) -> None:
    """Material fetches a sitemap.xml beside every `<link rel="alternate">`: the
    page's links must leave it nothing to fail on, even on a host that is not `site_url`."""
    import browser

    site.page("index.md", None, "# Home\n")
    site.page("a/b/nested.md", ["1707.08567"], "# Nested\n")
    site.configure(feed=True, json=True)
    # No web fonts: nothing is asked of a host but the local server.
    site.extra = {"theme": {"name": "material", "font": False}, "site_url": SITE_URL}
    assert site.build(strict=True).error is None
    with browser.playwright_chromium() as chromium, browser.serve(site.root / "site") as url:
        context = chromium.new_context()
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url) else route.abort())
        tab = context.new_page()
        problems: list[str] = []
        tab.on("console", lambda message: message.type == "error" and problems.append(message.text))
        tab.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
        tab.on(
            "response", lambda response: response.status >= 400 and problems.append(f"{response.status} {response.url}")
        )
        tab.goto(f"{url}a/b/nested/", wait_until="networkidle")
        feed = tab.evaluate("document.querySelector('link[type=\"application/atom+xml\"]').href")
        context.close()
    assert feed == f"{url}feed.xml"
    assert problems == []


def test_papers_without_dates_and_odd_dates_make_dates_atom_accepts() -> None:
    """From records, without a site: a paper a snapshot gave no date (dated
    1970-01-01) and a page dated in the year 999 still make valid Atom dates, in order."""
    from mkdocs_arxiv_digest.digest import Shown
    from mkdocs_arxiv_digest.feed import PageRecord, atom, entries
    from mkdocs_arxiv_digest.ids import Entry, parse_id
    from mkdocs_arxiv_digest.records import Paper, Summary

    def shown(arxiv_id: str, updated: str) -> Shown:
        paper = Paper(arxiv_id, 1, f"Title {arxiv_id}", "Abstract.", ("A. Author",), updated=updated)
        return Shown(Entry(parse_id(arxiv_id)), paper, Summary(tldr=f"TL;DR {arxiv_id}"))

    undated = PageRecord("a.md", "a/", "en", None, (shown("2501.00001", ""), shown("2501.00002", "2025-01-02")))
    ancient = PageRecord("b.md", "b/", "en", dt.datetime(999, 1, 1, tzinfo=dt.timezone.utc), (shown("2501.00003", ""),))
    written = atom(
        entries([undated, ancient], 10),
        feed_url="feed.xml",
        site_url=None,
        site_name="Site",
        author=None,
        max_authors=0,
        built=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
    )
    parsed = feedparser.parse(written)
    assert not parsed.bozo
    assert [(e.id[-12:], e.updated) for e in parsed.entries] == [
        ("2501.00002v1", "2025-01-02T00:00:00Z"),
        ("2501.00001v1", "1970-01-01T00:00:00Z"),
        ("2501.00003v1", "0999-01-01T00:00:00Z"),
    ]
    assert parsed.feed.id.startswith("urn:uuid:") and alternate(parsed.entries[0]) == "a/#arxiv-2501-00002"
