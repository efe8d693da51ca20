"""`mkdocs-arxiv-digest daily`, run as a user runs it, against the fake feed and API."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import Site, announced
from fake_arxiv import FakeArxiv
from fake_feed import FakeFeed, FeedItem
from fake_html import FIXTURES, FakeHtml
from hostile import live_payloads, visible_text
from mkdocs_arxiv_digest.cli import main

TUESDAY, WEDNESDAY, THURSDAY = dt.date(2024, 1, 23), dt.date(2024, 1, 24), dt.date(2024, 1, 25)
SATURDAY = dt.date(2024, 1, 27)

DAYS = {
    TUESDAY: [
        FeedItem("2401.12001v1", "new", "Diffusion for images", "A diffusion model."),
        FeedItem("2401.12002v1", "new", "Sorting networks", "Faster sorting."),
    ],
    WEDNESDAY: [
        FeedItem("2401.12101v1", "new", "Diffusion for video", "A video diffusion model."),
        # Shown on Tuesday: its new version is shown under "Updated".
        FeedItem("2401.12001v2", "replace", "Diffusion for images", "A diffusion model, revised."),
        FeedItem("2312.09003v2", "replace", "Old diffusion, revised", "A new version of an old paper."),
    ],
    THURSDAY: [
        FeedItem("2401.12201v1", "new", "Diffusion for audio", "An audio diffusion model."),
        FeedItem("2401.12202v1", "cross", "Diffusion for proteins", "Cross-listed.", categories=("q-bio", "cs.CV")),
    ],
}


@pytest.fixture
def daily_site(site: Site, feed: FakeFeed, arxiv_api: FakeArxiv) -> Site:
    return announced(site, feed, arxiv_api, DAYS)


def run(site: Site, *args: str) -> int:
    return main(["daily", "-f", str(site.root / "mkdocs.yml"), *args])


def front(path: Path) -> dict[str, object]:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---\n")[1])


def test_three_days_make_three_pages_without_duplicates_and_none_on_a_weekend(
    daily_site: Site, feed: FakeFeed, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = daily_site.docs / "daily"
    for day in (TUESDAY, WEDNESDAY, THURSDAY, SATURDAY):
        feed.today = day
        assert run(daily_site, "--listing", "cs.CV", "--keyword", "diffusion") == 0

    assert sorted(path.name for path in folder.iterdir()) == [
        "2024-01-23.md",
        "2024-01-24.md",
        "2024-01-25.md",
        "index.md",
    ]
    pages = {name: front(folder / f"{name}.md") for name in ("2024-01-23", "2024-01-24", "2024-01-25")}
    assert pages["2024-01-23"]["date"] == TUESDAY
    assert pages["2024-01-23"]["arxiv"] == {
        "ids": ["2401.12001v1"],
        "source": {"listing": "cs.CV", "keywords": ["diffusion"], "announced": "2024-01-23"},
    }
    # Wednesday: the new version of Tuesday's paper and the other replacement are under `updated`.
    assert pages["2024-01-24"]["arxiv"]["ids"] == ["2401.12101v1"]  # type: ignore[index]
    assert pages["2024-01-24"]["arxiv"]["updated"] == ["2401.12001v2", "2312.09003v2"]  # type: ignore[index]
    assert pages["2024-01-25"]["arxiv"]["ids"] == ["2401.12201v1", "2401.12202v1"]  # type: ignore[index]
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "No announcement in cs.CV on 2024-01-27: nothing written."
    assert len(feed.requests) == 4

    index = (folder / "index.md").read_text(encoding="utf-8")
    assert index.index("[2024-01-25](2024-01-25.md): 2 papers") < index.index("[2024-01-24](2024-01-24.md): 3 papers")
    assert index.index("[2024-01-24]") < index.index("[2024-01-23](2024-01-23.md): 1 paper\n")


def test_a_rerun_on_the_same_day_writes_the_same_page(daily_site: Site, feed: FakeFeed) -> None:
    feed.today = TUESDAY
    assert run(daily_site, "--listing", "cs.CV") == 0
    feed.today = WEDNESDAY
    assert run(daily_site, "--listing", "cs.CV") == 0
    folder = daily_site.docs / "daily"
    with (folder / "2024-01-24.md").open("a", encoding="utf-8") as page:
        page.write("\nOur notes on the day.\n")
    before = {path.name: path.read_bytes() for path in folder.iterdir()}

    assert run(daily_site, "--listing", "cs.CV") == 0

    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before
    assert (folder / "2024-01-24.md").read_text(encoding="utf-8").endswith("---\n\nOur notes on the day.\n")
    assert front(folder / "2024-01-24.md")["arxiv"]["ids"] == ["2401.12101v1"]  # type: ignore[index]


def test_the_pages_build_into_digests_with_their_frozen_papers(
    daily_site: Site, feed: FakeFeed, arxiv_api: FakeArxiv
) -> None:
    for day in (TUESDAY, WEDNESDAY):
        feed.today = day
        assert run(daily_site, "--listing", "cs.CV") == 0
    arxiv_api.reset()

    result = daily_site.build(strict=True)

    assert result.error is None, result.warnings
    assert len(arxiv_api.requests) == 1  # every day's papers in one batch
    content = daily_site.content("daily/2024-01-24.md")
    assert "The papers announced on arXiv in cs.CV on 2024-01-24." in content
    assert 'id="updated"' in content and 'id="arxiv-2312-09003v2"' in content
    index = (daily_site.root / "site" / "daily" / "index.html").read_text(encoding="utf-8")
    index = index[index.index("one page per day") :]
    assert index.index('href="2024-01-24/"') < index.index('href="2024-01-23/"')


def test_a_page_gives_the_source_and_a_blog_post_is_written(
    daily_site: Site, feed: FakeFeed, capsys: pytest.CaptureFixture[str]
) -> None:
    daily_site.plugins_before = ["blog"]
    daily_site.extra = {"theme": {"name": "material"}}
    daily_site.write_config()
    source = daily_site.root / "source.md"
    source.write_text("---\narxiv:\n  listing: cs.CV\n  exclude: [sorting]\n---\n", encoding="utf-8")
    feed.today = TUESDAY

    assert run(daily_site, "--page", str(source), "--blog") == 0

    post = daily_site.docs / "blog" / "posts" / "2024-01-23.md"
    assert front(post)["arxiv"]["ids"] == ["2401.12001v1"]  # type: ignore[index]
    assert front(post)["date"] == TUESDAY
    assert not (daily_site.docs / "blog" / "posts" / "index.md").exists()
    assert "1 new and 0 updated paper(s) written to" in capsys.readouterr().out
    # Material's blog takes it as a post, and the plugin gives it its digest.
    (daily_site.docs / "blog" / "index.md").write_text("# Blog\n", encoding="utf-8")
    result = daily_site.build(strict=True)
    assert result.error is None, result.warnings
    built = (daily_site.root / "site" / "blog" / "2024" / "01" / "23" / "cscv-2024-01-23" / "index.html").read_text()
    assert 'id="arxiv-2401-12001v1"' in built


def test_errors_name_what_to_fix(daily_site: Site, feed: FakeFeed, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(daily_site, "--listing", "cs.XY") == 1
    assert (
        "listing cs.XY could not be read: the feed answered HTTP 400: Bad subject class 'XY'" in capsys.readouterr().err
    )
    assert run(daily_site, "--listing", "cs CV!") == 1
    assert "is not a list of arXiv categories" in capsys.readouterr().err
    assert not (daily_site.docs / "daily").exists()


def test_with_the_plugin_switched_off_nothing_is_read_or_written(
    daily_site: Site, feed: FakeFeed, arxiv_api: FakeArxiv, capsys: pytest.CaptureFixture[str]
) -> None:
    feed.today = TUESDAY
    daily_site.configure(listing_url=feed.url, enabled=False)
    daily_site.write_config()
    arxiv_api.reset()

    assert run(daily_site, "--listing", "cs.CV") == 1

    said = capsys.readouterr()
    assert said.out == ""
    assert said.err == (
        f"mkdocs-arxiv-digest: {daily_site.root / 'mkdocs.yml'} switches the plugin off (`enabled` is false), "
        "so nothing was read or written; switch it on to run this command "
        "(where `enabled:` reads a variable with !ENV, set it to true)\n"
    )
    assert (feed.requests, arxiv_api.requests) == ([], [])
    assert not (daily_site.docs / "daily").exists()
    assert not (daily_site.root / ".cache").exists(), "the cache is not opened"


def test_the_console_script_runs_as_a_program(daily_site: Site, feed: FakeFeed) -> None:
    feed.today = SATURDAY
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs_arxiv_digest.cli", "daily", "--listing", "cs.CV"],
        cwd=daily_site.root,
        capture_output=True,
        text=True,
        env=os.environ,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        "No announcement in cs.CV on 2024-01-27: nothing written.\n",
        "",
    )


def test_a_query_makes_a_page_of_its_newest_results_and_filters_can_leave_nothing(
    daily_site: Site, feed: FakeFeed, arxiv_api: FakeArxiv, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(daily_site, "--query", "all:testing AND cat:cs.SE", "--max", "2") == 0
    pages = [path for path in (daily_site.docs / "daily").iterdir() if path.name != "index.md"]
    assert len(pages) == 1
    meta = front(pages[0])
    assert meta["arxiv"]["source"]["query"] == "all:testing AND cat:cs.SE"  # type: ignore[index]
    assert len(meta["arxiv"]["ids"]) == 2  # type: ignore[index]
    assert str(meta["date"]) == pages[0].stem == meta["arxiv"]["source"]["announced"]  # type: ignore[index]
    assert arxiv_api.requests[0].params["sortBy"] == "submittedDate"
    capsys.readouterr()

    feed.today = TUESDAY
    assert run(daily_site, "--listing", "cs.CV", "--keyword", "no such words") == 0
    assert capsys.readouterr().out == (
        "cs.CV, 2024-01-23: none of the 2 paper(s) is kept by the filters and not on another page: nothing written.\n"
    )
    assert not (daily_site.docs / "daily" / "2024-01-23.md").exists()


HOSTILE_QUERY = 'ti:"<img src=x onerror=alert(1)>" AND abs:"{{ 7*7 }} & \'it\' <b>"'
"""A search the fake arXiv answers, holding HTML, a template and quotes."""


@pytest.mark.parametrize("theme", ["mkdocs", "material"])
def test_a_query_with_markup_is_plain_text_in_titles_and_nav(
    daily_site: Site, arxiv_api: FakeArxiv, theme: str
) -> None:
    """MkDocs takes a page's `title:` as it is, and themes write it as HTML
    into the nav of every page and the `<title>`; mkdocs-macros renders it."""
    arxiv_api.add_paper("2401.19999v1", title="On <img src=x onerror=alert(1)> tags", summary="{{ 7*7 }} & 'it' <b>.")
    daily_site.extra = {"theme": {"name": theme, "font": False} if theme == "material" else {"name": theme}}
    daily_site.plugins_after = ["macros"]
    daily_site.write_config()
    assert run(daily_site, "--query", HOSTILE_QUERY) == 0
    daily_site.page("index.md", None, "# Home\n")
    (page,) = [path for path in (daily_site.docs / "daily").iterdir() if path.name != "index.md"]

    result = daily_site.build(strict=True)

    assert result.error is None, result.warnings
    # Read as the query it is, with look-alike characters for the markup.
    shown = "ti:“‹img src=x onerror=alert(1)›” AND abs:“{ { 7*7 }} ＆ ’it’ ‹b›”"
    titles = {f"{shown}: {page.stem}", f"Daily digest: {shown}"}
    for built in ("index.html", "daily/index.html", f"daily/{page.stem}/index.html"):
        html = (daily_site.root / "site" / built).read_text(encoding="utf-8")
        assert live_payloads(html) == [], built
        assert not re.search(r"<(img|b)\b", html), built
        text = visible_text(html)
        assert all(title in text for title in titles), (built, text[:400])  # in the nav of every page
        assert "49" not in text, "mkdocs-macros rendered the query"
    day = (daily_site.root / "site" / "daily" / page.stem / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<title>\s*" + re.escape(f"{shown}: {page.stem} - Test") + r"\s*</title>", day)
    # The line above the digest quotes the query as written, as text.
    assert (
        'The newest papers of the arXiv search ti:"<img src=x onerror=alert(1)>" AND abs:"{{ 7*7 }} & \'it\' <b>"'
        in (visible_text(daily_site.content(f"daily/{page.stem}.md")))
    )
    index = json.loads((daily_site.root / "site" / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert {doc["title"] for doc in index["docs"]} >= titles


def test_a_feed_past_listing_max_papers_writes_the_first_and_says_so(
    site: Site, feed: FakeFeed, capsys: pytest.CaptureFixture[str]
) -> None:
    items = [FeedItem(f"2401.{n:05d}v1", "new", f"Paper {n}", "We study things.") for n in range(12301, 12306)]
    feed.announce(THURSDAY, items)
    feed.today = THURSDAY
    site.configure(listing_url=feed.url, listing_max_papers=3)
    site.write_config()

    assert run(site, "--listing", "cs.CV") == 0

    assert front(site.docs / "daily" / "2024-01-25.md")["arxiv"]["ids"] == [  # type: ignore[index]
        "2401.12301v1",
        "2401.12302v1",
        "2401.12303v1",
    ]
    assert (
        f"mkdocs-arxiv-digest: warning: the feed {feed.url}cs.CV: it lists 5 items, more than "
        "`listing_max_papers` (3); the first 3 are kept"
    ) in capsys.readouterr().err


def fulltext_site(site: Site, host: FakeHtml, **options: object) -> Site:
    for item in DAYS[TUESDAY]:
        host.serve(item.id, "2612.00001v1")
        for image in ("teaser.png", "pipeline.png"):  # its figures, for a chatpaper page (CC BY)
            host.serve_file(f"{item.id}/{image}", (FIXTURES / "2612.00001v1" / image).read_bytes())
    site.configure(**{**site.options, "fulltext": "auto", "html_url": host.url, "html_delay_seconds": 0, **options})
    site.write_config()
    return site


def test_a_chatpaper_day_s_full_text_is_read_by_the_run_and_the_build_asks_nothing(
    daily_site: Site, feed: FakeFeed, capsys: pytest.CaptureFixture[str]
) -> None:
    feed.today = TUESDAY
    with FakeHtml() as host:
        fulltext_site(daily_site, host, layout="chatpaper")
        assert run(daily_site, "--listing", "cs.CV") == 0
        asked = sorted(r.path.rsplit("/", 1)[-1] for r in host.requests)
        assert asked == ["2401.12001v1", "2401.12002v1", *["pipeline.png"] * 2, *["teaser.png"] * 2]
        assert "full texts: 0 cached, 2 new" in capsys.readouterr().out
        assert not (daily_site.root / "site").exists(), "the run writes no site"
        result = daily_site.build(strict=True)
        assert result.error is None, result.warnings
        assert len(host.requests) == 6, "the build found the run's full text and figures in the cache"
        assert daily_site.content("daily/2024-01-23.md").count("Fixture Lab, Example Institute of Technology") == 2
        assert (daily_site.root / "site" / "assets" / "arxiv-digest" / "figures" / "2401.12001v1-2.png").is_file()


def test_the_run_keeps_to_the_budget_and_asks_nothing_for_digest_pages(
    daily_site: Site, feed: FakeFeed, capsys: pytest.CaptureFixture[str]
) -> None:
    feed.today = TUESDAY
    with FakeHtml() as host:
        fulltext_site(daily_site, host, layout="chatpaper", fulltext_budget_seconds=0)
        assert run(daily_site, "--listing", "cs.CV") == 0
        assert host.requests == []
        assert "2 left for a later build by 'fulltext_budget_seconds'" in capsys.readouterr().out
        fulltext_site(daily_site, host, layout="digest", fulltext_budget_seconds=600)  # fulltext: auto
        (daily_site.docs / "daily" / "2024-01-23.md").unlink()
        assert run(daily_site, "--listing", "cs.CV") == 0
        assert host.requests == [] and "Full text" not in capsys.readouterr().out
