"""`rank: library` on a query page: the results most like the site's reading
lists, each saying which listed paper it is like, built against the fake API."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as etree
from pathlib import Path

from conftest import Site
from fake_arxiv import FakeArxiv

READING = ["2403.16981", "2106.13414", "2409.05654", "1609.07528"]
"""Statistical testing: binary hypothesis tests, distribution testing, e-values, compressed tests."""
STATISTICAL = {
    "2004.03322", "2406.19956", "2008.01944", "1704.08347", "2007.09895", "1706.00679", "2507.16734",
    "2104.12832", "2405.11454", "1009.3186", "1106.3680", "1306.4664", "2304.14166", "1706.08286",
    "2509.24242", "2501.05022",
}  # fmt: skip
"""The other papers of the recorded "testing" search on statistical, information-theoretic or
group testing (tests/fixtures/ranking/: the `stats` library's relevant papers)."""


def table_ids(html: str) -> list[str]:
    return [anchor.removeprefix("arxiv-") for anchor in re.findall(r'<td><a href="#([^"]+)"', html)]


def test_a_ranked_query_shows_the_results_most_like_the_reading_list(site: Site, arxiv_api: FakeArxiv) -> None:
    site.page("reading.md", READING)
    site.page("news/testing.md", {"query": "all:testing", "rank": "library", "max": 5})
    site.configure(json=True)
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    # The search asked for the candidates, 200 by default, not for `max`.
    searches = [r.params for r in arxiv_api.requests if r.params.get("search_query")]
    assert [params["max_results"] for params in searches] == ["200"]
    html = site.content("news/testing.md")
    shown = [re.sub(r"v\d+$", "", anchor).replace("-", ".") for anchor in table_ids(html)]
    assert len(shown) == 5
    assert not set(shown) & set(READING)  # what the library holds is not news
    assert len(set(shown) & STATISTICAL) >= 4, shown
    # Each entry names the listed paper it is most like, linked to its place on the reading list.
    likes = re.findall(r'<strong>Like</strong>: <a href="([^"]+)">[^<]+</a> · score (\d\.\d\d)', html)
    assert len(likes) == 5
    assert all(re.fullmatch(r"\.\./\.\./reading/#arxiv-[0-9-]+", link) for link, _ in likes), likes
    scores = [float(score) for _, score in likes]
    assert scores == sorted(scores, reverse=True) and 0 < scores[-1] <= scores[0] <= 1
    # The page's JSON says the same, with the score unrounded.
    papers = json.loads((site.root / "site/news/testing.json").read_text(encoding="utf-8"))["papers"]
    like = [paper["like"] for paper in papers]
    assert [round(liked["score"], 2) for liked in like] == scores
    assert all(liked["page"] == "reading.md" and liked["id"] in READING for liked in like), like
    assert [link.rsplit("#", 1)[1] for link, _ in likes] == [liked["anchor"] for liked in like]
    plain = json.loads((site.root / "site/reading.json").read_text(encoding="utf-8"))["papers"]
    assert {paper["like"] for paper in plain} == {None}

    # Offline, from the cache, the page is the same.
    before = arxiv_api.requests
    site.configure(offline=True)
    again = site.build(strict=True)
    assert again.error is None, again.warnings
    assert arxiv_api.requests == before
    assert site.content("news/testing.md") == html


def test_min_score_leaves_out_weak_matches_and_a_bad_rank_is_said(site: Site, arxiv_api: FakeArxiv) -> None:
    site.page("reading.md", READING)
    site.page("strict.md", {"query": "all:testing", "rank": "library", "max": 50, "min_score": 0.1})
    site.page("loose.md", {"query": "all:testing", "rank": "library", "max": 50, "candidates": 100})
    site.page("odd.md", {"query": "all:testing", "rank": "zotero", "max": 3})
    result = site.build()
    assert result.error is None
    assert 0 < len(table_ids(site.content("strict.md"))) < len(table_ids(site.content("loose.md"))) == 50
    assert "arxiv: rank 'zotero' is not `library`; the papers keep the source's order" in "\n".join(result.warnings)
    assert len(table_ids(site.content("odd.md"))) == 3 and "Like" not in site.content("odd.md")


def test_the_title_of_the_paper_an_entry_is_like_stays_text(site: Site, arxiv_api: FakeArxiv) -> None:
    hostile = "Hypothesis testing](javascript:alert(1)) <script>alert(2)</script> {{ 7 * 7 }}"
    arxiv_api.add_paper(
        "2401.00001",
        title=hostile,
        summary="Binary hypothesis testing, sample complexity and the error exponents of simple tests.",
    )
    site.page("reading.md", ["2401.00001"])
    site.page("news.md", {"query": "all:testing", "rank": "library", "max": 3})
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    html = site.content("news.md")
    assert html.count("<strong>Like</strong>") == 3
    assert "javascript:" not in re.sub(r">[^<]*<", "><", html)  # not in any tag or attribute
    assert "<script>" not in html
    assert 'href="../reading/#arxiv-2401-00001"' in html


def test_a_ranked_chatpaper_page_in_chinese_says_what_each_paper_is_like(site: Site, arxiv_api: FakeArxiv) -> None:
    site.page("reading.md", READING)
    site.page("zh.md", {"query": "all:testing", "rank": "library", "max": 3, "layout": "chatpaper", "language": "zh"})
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    likes = re.findall(
        r'<strong>相似于</strong>：<a href="../reading/#arxiv-[0-9-]+">[^<]+</a> · 相似度 \d\.\d\d',
        site.content("zh.md"),
    )
    assert len(likes) == 3


def test_the_reading_lists_come_from_the_snapshot_before_arxiv(site: Site, arxiv_api: FakeArxiv) -> None:
    snapshot = Path(__file__).resolve().parent.parent / "snapshot" / "arxiv-metadata.jsonl"
    lines = [line for line in snapshot.read_text(encoding="utf-8").splitlines() if json.loads(line)["id"] in READING]
    assert len(lines) == len(READING)
    (site.root / "snap.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    site.configure(snapshot="snap.jsonl")
    site.page("reading.md", READING)
    site.page("news.md", {"query": "all:testing", "rank": "library", "max": 3})
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    # The one request is the search: the reading list was read from the snapshot.
    assert [bool(r.params.get("search_query")) for r in arxiv_api.requests] == [True]
    assert site.content("news.md").count("<strong>Like</strong>") == 3


def test_the_pages_daily_froze_are_not_reading_lists(site: Site, arxiv_api: FakeArxiv) -> None:
    """Yesterday's picks would otherwise pull today's ranking towards themselves."""
    site.page("reading.md", READING)
    frozen = {"ids": ["2202.12139", "2301.05651"], "source": {"query": "all:testing", "announced": "2026-04-02"}}
    site.page("daily/2026-04-02.md", frozen)
    site.page("news.md", {"query": "all:testing", "rank": "library", "max": 10})
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    html = site.content("news.md")
    links = re.findall(r'<strong>Like</strong>: <a href="([^"]+)"', html)
    assert len(links) == 10 and all(link.startswith("../reading/#") for link in links), links


def test_without_reading_lists_a_ranked_page_keeps_max_in_the_source_s_order(site: Site, arxiv_api: FakeArxiv) -> None:
    site.page("news.md", {"query": "all:testing", "rank": "library", "max": 4})
    result = site.build()
    assert result.error is None
    assert any("`rank: library` found no paper to rank against" in w for w in result.warnings)
    html = site.content("news.md")
    assert len(table_ids(html)) == 4 and "<strong>Like</strong>" not in html


def test_the_feed_says_what_each_ranked_paper_is_like_as_text_and_unranked_feeds_do_not(
    site: Site, arxiv_api: FakeArxiv
) -> None:
    # The paper of the test above, as it added it: one more paper in the shared fake would be
    # found by other modules' searches.
    hostile = "Hypothesis testing](javascript:alert(1)) <script>alert(2)</script> {{ 7 * 7 }}"
    arxiv_api.add_paper(
        "2401.00001",
        title=hostile,
        summary="Binary hypothesis testing, sample complexity and the error exponents of simple tests.",
    )
    site.page("reading.md", ["2401.00001"])
    site.configure(feed=True)
    site.extra = {"site_url": "https://example.org/docs/"}
    assert site.build(strict=True).error is None
    unranked = (site.root / "site/feed.xml").read_bytes()
    assert b"xmlns:digest" not in unranked and b"digest:like" not in unranked

    site.page("news.md", {"query": "all:testing", "rank": "library", "max": 3})
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    tree = etree.fromstring((site.root / "site/feed.xml").read_bytes())
    likes = list(tree.iter("{urn:mkdocs-arxiv-digest:feed}like"))
    assert len(likes) == 3
    html = site.content("news.md")
    scores = re.findall(r"<strong>Like</strong>: <a [^>]+>[^<]+</a> · score (\d\.\d\d)", html)
    assert sorted(like.get("score") or "" for like in likes) == sorted(scores)  # the feed is by date
    atom = "{http://www.w3.org/2005/Atom}"
    (title,) = [
        e.findtext(f"{atom}title") for e in tree.iter(f"{atom}entry") if "2401.00001" in str(e.findtext(f"{atom}id"))
    ]
    assert title is not None and "<script>alert(2)</script>" in title
    for like in likes:
        assert like.text == title and len(like) == 0  # text, as the paper's own <title>
        assert like.attrib == {
            "arxiv": "2401.00001",
            "score": like.get("score"),
            "href": "https://example.org/docs/reading/#arxiv-2401-00001",
        }


def test_the_json_names_a_reading_list_with_spaces_by_its_path(site: Site, arxiv_api: FakeArxiv) -> None:
    """A reading list's file name with a space or an accent: the page links it
    URL-quoted, the JSON's `like.page` is its path under docs/ as it is."""
    site.page("lists/my reading é.md", READING)
    site.page("news/testing.md", {"query": "all:testing", "rank": "library", "max": 3})
    site.configure(json=True)
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    papers = json.loads((site.root / "site/news/testing.json").read_text(encoding="utf-8"))["papers"]
    assert [paper["like"]["page"] for paper in papers] == ["lists/my reading é.md"] * 3
    links = re.findall(r'<strong>Like</strong>: <a href="([^"#]+)#', site.content("news/testing.md"))
    assert links == ["../../lists/my%20reading%20%C3%A9/"] * 3
    assert (site.root / "site/lists/my reading é/index.html").exists()
