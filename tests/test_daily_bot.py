"""`mkdocs-arxiv-digest daily` run as a bot runs it every morning, through
the console script, on a site whose people edit the pages in between: it
never loses a writer's word, never repeats a paper, never writes outside
`docs_dir`."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from conftest import Site, announced
from fake_arxiv import FakeArxiv
from fake_feed import FakeFeed, Fault, FeedItem, feed_document

TUESDAY, WEDNESDAY, THURSDAY = dt.date(2024, 1, 23), dt.date(2024, 1, 24), dt.date(2024, 1, 25)

DAYS = {
    TUESDAY: [
        FeedItem("2401.12001v1", "new", "Diffusion for images", "A diffusion model."),
        FeedItem("2401.12002v1", "new", "Sorting networks", "Faster sorting."),
    ],
    WEDNESDAY: [
        FeedItem("2401.12101v1", "new", "Diffusion for video", "A video diffusion model."),
        FeedItem("2401.12102v1", "cross", "Graphs of images", "Cross-listed.", categories=("cs.LG", "cs.CV")),
    ],
}


@dataclass
class Ran:
    code: int
    out: str
    err: str


def daily(site: Site, *args: str, cwd: Path | None = None) -> Ran:
    """The console script, as a scheduler runs it, in the site's folder."""
    script = shutil.which("mkdocs-arxiv-digest")
    command = [script] if script else [sys.executable, "-m", "mkdocs_arxiv_digest.cli"]
    done = subprocess.run(
        [*command, "daily", *args],
        cwd=cwd or site.root,
        capture_output=True,
        text=True,
        env=os.environ,
        timeout=120,
        check=False,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def front(path: Path) -> dict[str, object]:
    text = path.read_text(encoding="utf-8-sig")
    return yaml.safe_load(text.split("---", 2)[1].split("\n...")[0])


@pytest.fixture
def bot_site(site: Site, feed: FakeFeed, arxiv_api: FakeArxiv) -> Site:
    return announced(site, feed, arxiv_api, DAYS)


# -- A writer's word ------------------------------------------------------------------------------------------------

EDITED = """\
title: Our Wednesday reading
date: 2024-01-24
tags:
- reading group  # chosen by the team
arxiv:
  ids:
  - id: 2401.12101v1
    tldr: Our own one-line take.
  - 2401.12102v1
  source:
    listing: cs.CV
    announced: '2024-01-24'
    cross_listed:
    - 2401.12102v1
"""


@pytest.mark.parametrize(
    ("opening", "closing", "bom"),
    [("---", "---", "\ufeff"), ("---", "...", ""), ("--- ", "---", ""), ("---", "---", "")],
    ids=["bom", "dots", "trailing-space", "plain"],
)
def test_a_same_day_rerun_keeps_the_writers_text_and_front_matter(
    bot_site: Site, feed: FakeFeed, opening: str, closing: str, bom: str
) -> None:
    feed.today = WEDNESDAY
    assert daily(bot_site, "--listing", "cs.CV").code == 0
    page = bot_site.docs / "daily" / "2024-01-24.md"
    edited = f"{bom}{opening}\n{EDITED}{closing}\n\nOur notes on the day.\n\n## Discussion\n\nLong text.\n"
    page.write_text(edited, encoding="utf-8")

    ran = daily(bot_site, "--listing", "cs.CV")

    assert ran.code == 0, ran.err
    assert page.read_text(encoding="utf-8") == edited  # nothing the command owns changed: not a byte
    # A paper announced later that day: added, and every edit kept.
    feed.announce(WEDNESDAY, [FeedItem("2401.12103v1", "new", "Late paper", "Announced late.")])
    assert daily(bot_site, "--listing", "cs.CV").code == 0
    text = page.read_text(encoding="utf-8")
    assert text.startswith(bom + "---\n")
    assert text.endswith("\n\nOur notes on the day.\n\n## Discussion\n\nLong text.\n")
    meta = front(page)
    assert meta["title"] == "Our Wednesday reading"
    assert meta["tags"] == ["reading group"]
    assert meta["arxiv"]["ids"] == [  # type: ignore[index]
        {"id": "2401.12101v1", "tldr": "Our own one-line take."},
        "2401.12102v1",
        "2401.12103v1",
    ]


def test_a_rerun_keeps_numbers_as_written_and_a_broken_page_stops_it(bot_site: Site, feed: FakeFeed) -> None:
    feed.today = WEDNESDAY
    assert daily(bot_site, "--listing", "cs.CV").code == 0
    page = bot_site.docs / "daily" / "2024-01-24.md"
    text = page.read_text(encoding="utf-8").replace("title:", "weight: 1.50\nextra_ids: [2401.12010]\ntitle:")
    page.write_text(text, encoding="utf-8")
    feed.announce(WEDNESDAY, [FeedItem("2401.12103v1", "new", "Late paper", "Announced late.")])

    assert daily(bot_site, "--listing", "cs.CV").code == 0
    assert "weight: 1.50\nextra_ids:\n- 2401.12010\n" in page.read_text(encoding="utf-8")

    page.write_text("---\ntitle: [unclosed\n---\nNotes.\n", encoding="utf-8")
    ran = daily(bot_site, "--listing", "cs.CV")
    assert ran.code == 1
    assert f"the front matter of {page} is not valid YAML" in ran.err and "fix it" in ran.err
    assert page.read_text(encoding="utf-8") == "---\ntitle: [unclosed\n---\nNotes.\n"


# -- Indexes -------------------------------------------------------------------------------------------------------


def test_an_index_the_command_did_not_write_is_left_alone(bot_site: Site, feed: FakeFeed) -> None:
    home = bot_site.page("index.md", None, "# Our lab\n\nWelcome.\n")
    hand = bot_site.page("daily/index.md", None, "# Our days\n\nPicked by hand.\n")
    feed.today = TUESDAY

    ran = daily(bot_site, "--listing", "cs.CV")

    assert ran.code == 0, ran.err
    assert hand.read_text(encoding="utf-8") == "# Our days\n\nPicked by hand.\n"
    assert f"{hand.resolve()} was not written by this command, so it is left as it is" in ran.out
    assert "move it away" in ran.out
    # `--dir .`: the folder is docs_dir itself, whose index is the home page.
    feed.today = WEDNESDAY
    assert daily(bot_site, "--listing", "cs.CV", "--dir", ".").code == 0
    assert home.read_text(encoding="utf-8") == "# Our lab\n\nWelcome.\n"
    assert (bot_site.docs / "2024-01-24.md").exists()


def test_the_index_the_command_wrote_is_kept_up_to_date(bot_site: Site, feed: FakeFeed) -> None:
    for day in (TUESDAY, WEDNESDAY):
        feed.today = day
        assert daily(bot_site, "--listing", "cs.CV").code == 0
    index = (bot_site.docs / "daily" / "index.md").read_text(encoding="utf-8")
    assert index.index("[2024-01-24](2024-01-24.md): 2 papers") < index.index("[2024-01-23](2024-01-23.md): 2 papers")


# -- No paper twice --------------------------------------------------------------------------------------------------


def test_a_day_page_saved_with_a_bom_still_counts(bot_site: Site, feed: FakeFeed) -> None:
    feed.today = TUESDAY
    assert daily(bot_site, "--listing", "cs.CV").code == 0
    tuesday = bot_site.docs / "daily" / "2024-01-23.md"
    tuesday.write_text("\ufeff" + tuesday.read_text(encoding="utf-8"), encoding="utf-8")  # saved by an editor
    feed.announce(THURSDAY, [DAYS[TUESDAY][0], FeedItem("2401.12201v1", "new", "Thursday", "New.")])
    feed.today = THURSDAY

    assert daily(bot_site, "--listing", "cs.CV").code == 0

    assert front(bot_site.docs / "daily" / "2024-01-25.md")["arxiv"]["ids"] == ["2401.12201v1"]  # type: ignore[index]
    assert "[2024-01-23](2024-01-23.md): 2 papers" in (bot_site.docs / "daily" / "index.md").read_text("utf-8")


def test_an_item_repeated_in_one_feed_is_one_paper(bot_site: Site, feed: FakeFeed) -> None:
    item = FeedItem("2401.12301v1", "new", "Twice", "Listed twice.")
    body = feed_document("cs.CV", THURSDAY, [item, DAYS[TUESDAY][1], item])
    feed._script(Fault(status=200, body=body), 1)

    ran = daily(bot_site, "--listing", "cs.CV")

    assert ran.code == 0, ran.err
    assert "2 new and 0 updated paper(s)" in ran.out
    assert front(bot_site.docs / "daily" / "2024-01-25.md")["arxiv"]["ids"] == [  # type: ignore[index]
        "2401.12301v1",
        "2401.12002v1",
    ]


def test_a_query_whose_newest_day_goes_back_repeats_nothing(bot_site: Site, arxiv_api: FakeArxiv) -> None:
    query = "all:testing AND cat:cs.SE"
    assert daily(bot_site, "--query", query, "--max", "3").code == 0
    folder = bot_site.docs / "daily"
    (first,) = [path for path in folder.iterdir() if path.name != "index.md"]
    # That page was written on a later day: the newest result's day has gone back since.
    later = dt.date.fromisoformat(first.stem) + dt.timedelta(days=3)
    first.rename(folder / f"{later}.md")

    ran = daily(bot_site, "--query", query, "--max", "3")

    assert ran.code == 0, ran.err
    assert "nothing written" in ran.out
    assert sorted(path.name for path in folder.iterdir()) == [f"{later}.md", "index.md"]


def test_a_new_version_is_shown_under_updated_once_per_version(bot_site: Site, feed: FakeFeed) -> None:
    feed.today = TUESDAY
    assert daily(bot_site, "--listing", "cs.CV").code == 0
    revised = FeedItem("2401.12001v2", "replace", "Diffusion for images", "Revised.")
    feed.announce(WEDNESDAY, [revised])
    feed.announce(THURSDAY, [revised, FeedItem("2401.12002v3", "replace", "Sorting", "Third.")])
    for day in (WEDNESDAY, THURSDAY):
        feed.today = day
        assert daily(bot_site, "--listing", "cs.CV").code == 0
    folder = bot_site.docs / "daily"
    assert front(folder / "2024-01-24.md")["arxiv"]["updated"] == ["2401.12001v2"]  # type: ignore[index]
    assert front(folder / "2024-01-25.md")["arxiv"] == {
        "ids": [],
        "updated": ["2401.12002v3"],
        "source": {"listing": "cs.CV", "announced": "2024-01-25"},
    }


# -- Where it writes -------------------------------------------------------------------------------------------------


def test_dir_is_read_against_docs_dir_and_never_leaves_it(bot_site: Site, feed: FakeFeed, tmp_path: Path) -> None:
    feed.today = TUESDAY
    elsewhere = tmp_path / "work"
    elsewhere.mkdir()
    config = str(bot_site.root / "mkdocs.yml")

    assert daily(bot_site, "-f", config, "--listing", "cs.CV", "--dir", "cv", cwd=elsewhere).code == 0
    assert (bot_site.docs / "cv" / "2024-01-23.md").exists()
    assert not (elsewhere / "cv").exists()
    inside = bot_site.docs / "days"
    assert daily(bot_site, "--listing", "cs.CV", "--dir", str(inside)).code == 0
    assert (inside / "2024-01-23.md").exists()

    for outside in ("../../x", str(tmp_path / "x"), ".."):
        ran = daily(bot_site, "--listing", "cs.CV", "--dir", outside)
        assert ran.code == 1, outside
        assert f"--dir {outside} is outside docs_dir" in ran.err
        assert "nothing written" in ran.err
    assert not (tmp_path / "x").exists() and not (tmp_path.parent / "x").exists()
    assert not list(bot_site.root.glob("*.md"))


# -- The build without arXiv's API -----------------------------------------------------------------------------------


def test_the_days_build_strict_from_their_announcement_while_the_api_is_down(
    bot_site: Site, feed: FakeFeed, arxiv_api: FakeArxiv
) -> None:
    feed.today = WEDNESDAY
    late = FeedItem("2401.12199v1", "new", "Only in the feed", "Its abstract.", authors=("Ada Lovelace", "Alan Turing"))
    feed.announce(WEDNESDAY, [late])  # the fake API does not know this one at all
    assert daily(bot_site, "--listing", "cs.CV").code == 0
    arxiv_api.reset()
    arxiv_api.fail(503, times=1000)

    result = bot_site.build(strict=True)

    assert result.error is None, result.warnings
    assert result.warnings == []
    content = bot_site.content("daily/2024-01-24.md")
    assert "Only in the feed" in content and "Ada Lovelace" in content and "Its abstract." in content
    assert "Diffusion for video" in content
    assert len(arxiv_api.requests) >= 1  # it asked, and did without
    assert any("shown from their announcement" in line for line in result.messages(logging.INFO))

    # When the API answers, its records (with a comment) replace the announcement's.
    arxiv_api.reset()
    arxiv_api.add_paper(
        "2401.12101v1", title="Diffusion for video", summary="A video diffusion model.", comment="9 pages"
    )
    arxiv_api.add_paper(late.id, title=late.title, summary=late.abstract)
    result = bot_site.build(strict=True)
    assert result.error is None, result.warnings
    assert "9 pages" in bot_site.content("daily/2024-01-24.md")
    arxiv_api.reset()
    assert bot_site.build(strict=True).error is None
    assert not any("2401.12101" in ",".join(ids) for ids in [r.id_list for r in arxiv_api.requests])


def test_the_announcement_kept_for_the_build_is_cut_and_inert_as_the_feeds_text_is(
    bot_site: Site, feed: FakeFeed, arxiv_api: FakeArxiv
) -> None:
    authors = tuple(f"Author Number{n}" for n in range(1, 1501))  # 27,391 characters on one line
    hostile = FeedItem(
        "2401.12399v1",
        "new",
        r"Links $\href{javascript:alert(1)}{click}$ " + "long " * 5000,
        "An abstract.",
        authors=authors,
        categories=("cs.CV", *(f"cs.X{n}" for n in range(59))),
    )
    feed.announce(THURSDAY, [hostile])
    feed.today = THURSDAY

    ran = daily(bot_site, "--listing", "cs.CV")

    assert ran.code == 0, ran.err
    assert (
        f"mkdocs-arxiv-digest: warning: the feed {feed.url}cs.CV: text longer than 20,000 characters was cut to its "
        f"first 20,000, in 2401.12399v1 (title of {len(hostile.title):,} characters, author list of "
        f"{len(', '.join(authors)):,} characters)"
    ) in ran.err
    from mkdocs_arxiv_digest.cache import Cache
    from mkdocs_arxiv_digest.ids import parse_id
    from mkdocs_arxiv_digest.records import ANNOUNCEMENT
    from mkdocs_arxiv_digest.stages.metadata import Papers

    cache = Cache(bot_site.root / ".cache" / "plugin" / "arxiv-digest")
    try:
        kept = Papers(cache).paper(parse_id("2401.12399v1"), None)
    finally:
        cache.close()
    assert kept is not None and kept.origin == ANNOUNCEMENT
    assert "javascript" not in kept.title and "click" in kept.title  # the link goes, its text stays
    assert len(kept.title) <= 20_001 and kept.title.endswith("…")
    assert kept.authors[:2] == ("Author Number1", "Author Number2") and kept.authors[-1].endswith("…")
    assert sum(len(name) + 2 for name in kept.authors) < 20_100
    assert kept.categories == ("cs.CV", *(f"cs.X{n}" for n in range(49))) and kept.primary_category == "cs.CV"

    arxiv_api.reset()
    arxiv_api.fail(503, times=1000)
    result = bot_site.build(strict=True)
    assert result.error is None, result.warnings
    assert "Author Number1, Author Number2" in bot_site.content("daily/2024-01-25.md")


def test_the_json_of_a_day_tells_new_cross_listed_and_updated_papers_apart(
    bot_site: Site, feed: FakeFeed, arxiv_api: FakeArxiv
) -> None:
    items = [
        FeedItem("2401.13001v1", "new", "Diffusion for images", "A diffusion model."),
        FeedItem("2401.13002v1", "cross", "Graphs of images", "Cross-listed.", categories=("cs.LG", "cs.CV")),
        FeedItem("2312.01005v3", "replace", "Old diffusion, revised", "A new version."),
    ]
    feed.announce(THURSDAY, items)
    feed.today = THURSDAY
    for item in items:
        arxiv_api.add_paper(item.id, title=item.title, summary=item.abstract)
    assert daily(bot_site, "--listing", "cs.CV").code == 0
    assert front(bot_site.docs / "daily" / "2024-01-25.md")["arxiv"] == {
        "ids": ["2401.13001v1", "2401.13002v1"],
        "updated": ["2312.01005v3"],
        "source": {"listing": "cs.CV", "announced": "2024-01-25", "cross_listed": ["2401.13002v1"]},
    }
    bot_site.page("live.md", {"listing": "cs.CV"})  # the same announcement, read by the build
    bot_site.page("reading.md", ["2401.13001v1"])  # a list of IDs: no kind, no source
    bot_site.configure(listing_url=feed.url, json=True)

    result = bot_site.build(strict=True)

    assert result.error is None, result.warnings
    kinds = {"2401.13001v1": "new", "2401.13002v1": "cross-list", "2312.01005v3": "updated"}
    for name in ("daily/2024-01-25", "live"):
        data = json.loads((bot_site.root / "site" / f"{name}.json").read_text(encoding="utf-8"))
        assert data["format_version"] == 1
        assert (data["page"]["source"], data["page"]["announced"]) == ({"listing": "cs.CV"}, "2024-01-25"), name
        assert {paper["versioned_id"]: paper["kind"] for paper in data["papers"]} == kinds, name
    reading = json.loads((bot_site.root / "site" / "reading.json").read_text(encoding="utf-8"))
    assert (reading["page"]["source"], reading["page"]["announced"]) == (None, None)
    assert [paper["kind"] for paper in reading["papers"]] == [None]


NAV_RECIPE = """\
sort:
  direction: desc
nav:
  - index.md
  - "*"
"""
"""The `.nav.yml` docs/daily.md gives for mkdocs-awesome-nav."""


def test_the_documented_awesome_nav_recipe_lists_the_days_newest_first(
    bot_site: Site, feed: FakeFeed, arxiv_api: FakeArxiv
) -> None:
    pytest.importorskip("mkdocs_awesome_nav")
    feed.announce(THURSDAY, [FeedItem("2401.12201v1", "new", "Thursday's paper", "Its abstract.")])
    arxiv_api.add_paper("2401.12201v1", title="Thursday's paper", summary="Its abstract.")
    for day in (TUESDAY, WEDNESDAY, THURSDAY):
        feed.today = day
        assert daily(bot_site, "--listing", "cs.CV").code == 0
    (bot_site.docs / "daily" / ".nav.yml").write_text(NAV_RECIPE, encoding="utf-8")
    bot_site.page("index.md", None, "# Home\n")
    bot_site.plugins_after.append("awesome-nav")

    result = bot_site.build(strict=True)

    assert result.error is None, result.warnings
    html = (bot_site.root / "site" / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="daily/([^"]*)"', html)
    assert [link for i, link in enumerate(links) if link not in links[:i]] == [
        "",
        "2024-01-25/",
        "2024-01-24/",
        "2024-01-23/",
    ]


# -- Dates -----------------------------------------------------------------------------------------------------------


def _without_channel_dates(document: bytes, items_too: bool = False) -> bytes:
    head, _, rest = document.partition(b"<item>")
    for tag in (b"pubDate", b"lastBuildDate"):
        head = re.sub(rb"\s*<" + tag + rb">[^<]*</" + tag + rb">", b"", head)
    if items_too:
        rest = re.sub(rb"\s*<pubDate>[^<]*</pubDate>", b"", rest)
    return head + b"<item>" + rest


def test_a_feed_without_a_channel_date_is_dated_by_its_items_or_today(bot_site: Site, feed: FakeFeed) -> None:
    body = feed_document("cs.CV", WEDNESDAY, DAYS[WEDNESDAY])
    feed._script(Fault(status=200, body=_without_channel_dates(body)), 1)

    ran = daily(bot_site, "--listing", "cs.CV")

    assert ran.code == 0, ran.err
    assert "cs.CV, 2024-01-24: 2 new and 0 updated paper(s)" in ran.out
    feed._script(Fault(status=200, body=_without_channel_dates(body, items_too=True)), 1)
    today = dt.datetime.now(dt.timezone.utc).date()
    assert daily(bot_site, "--listing", "cs.CV", "--dir", "today").code == 0
    assert (bot_site.docs / "today" / f"{today}.md").exists()


def test_a_date_after_tomorrow_is_an_error_naming_the_feed(bot_site: Site, feed: FakeFeed) -> None:
    feed._script(Fault(status=200, body=feed_document("cs.CV", dt.date(9999, 12, 31), DAYS[TUESDAY])), 1)

    ran = daily(bot_site, "--listing", "cs.CV")

    assert ran.code == 1
    assert f"listing cs.CV (the feed {feed.url}cs.CV) gave the date 9999-12-31, later than tomorrow" in ran.err
    assert not (bot_site.docs / "daily").exists()


# -- Messages --------------------------------------------------------------------------------------------------------


def test_messages_say_what_is_wrong(bot_site: Site) -> None:
    ran = daily(bot_site, "--listing", "cs.CV", "--max", "0")
    assert ran.code == 1
    assert "--max 0 is not a whole number from 1 to 2000 (leave it out for no limit)" in ran.err
    assert "using no limit" not in ran.err
    ran = daily(bot_site, "--listing", "")
    assert ran.code == 1 and "--listing needs categories" in ran.err and "None" not in ran.err

    bot_site.configure(listing_url="http://127.0.0.1:9/rss/")
    bot_site.write_config()
    ran = daily(bot_site, "--listing", "cs.CV")
    assert ran.code == 1
    # Said while it waits, and at the end, naming the host it could not reach.
    assert "mkdocs-arxiv-digest: could not connect to 127.0.0.1:9; trying again in" in ran.err
    assert "could not connect to 127.0.0.1:9 after 2 tries (http://127.0.0.1:9/rss/cs.CV)" in ran.err
    assert "could not connect to arXiv" not in ran.err
    assert not (bot_site.docs / "daily").exists()


# -- A week of mornings ----------------------------------------------------------------------------------------------

WEEK = [dt.date(2024, 1, 22) + dt.timedelta(days=n) for n in range(7)]  # Monday to Sunday


def _week_feed(feed: FakeFeed, arxiv_api: FakeArxiv) -> int:
    """Five announcements with cross-lists, replacements of the week's own
    papers, a paper listed twice in one feed and one announced again as a
    cross-list; returns how many papers arXiv announced in all."""
    announced = 0
    for number, day in enumerate(WEEK[:5]):
        items = [
            FeedItem(f"2401.13{number}01v1", "new", f"Diffusion {number}", f"Day {number}, a."),
            FeedItem(f"2401.13{number}02v1", "new", f"Graphs {number}", f"Day {number}, b."),
            FeedItem(f"2401.13{number}03v1", "cross", f"Proteins {number}", "Cross.", categories=("q-bio", "cs.CV")),
        ]
        if number:
            previous = number - 1
            items.append(FeedItem(f"2401.13{previous}01v2", "replace", f"Diffusion {previous}", "Revised."))
            items.append(FeedItem(f"2401.13{previous}02v1", "cross", f"Graphs {previous}", "Again.", ("cs.CV",)))
        items.append(items[0])  # listed twice
        feed.announce(day, items)
        announced += len({item.id for item in items})
        for item in items:
            arxiv_api.add_paper(item.id, title=item.title, summary=item.abstract)
    return announced


def test_a_week_of_mornings_with_edits_in_between(
    site: Site, feed: FakeFeed, arxiv_api: FakeArxiv, capsys: pytest.CaptureFixture[str]
) -> None:
    bot_site = site
    site.configure(listing_url=feed.url)
    site.write_config()
    announced = _week_feed(feed, arxiv_api)
    hand_index = bot_site.page("daily/index.md", None, "# Our days\n\nThe days we read, picked by hand.\n")
    home = bot_site.page("index.md", None, "# Our lab\n")
    outside_before = {p for p in bot_site.root.parent.rglob("*") if bot_site.root not in p.parents}
    folder = bot_site.docs / "daily"
    edits: dict[Path, list[str]] = {}
    runs = 0

    for number, day in enumerate(WEEK):
        feed.today = day
        for _ in range(2):  # the bot's run, and a second one the same morning (a retried job)
            ran = daily(bot_site, "--listing", "cs.CV")
            runs += 1
            assert ran.code == 0, (day, ran.err)
        page = folder / f"{day}.md"
        if not page.exists():
            assert "No announcement in cs.CV" in ran.out
            continue
        # People edit the day's page: a note, a new title, tags, a tl;dr of their own, saved with a BOM.
        text = page.read_text(encoding="utf-8")
        first = front(page)["arxiv"]["ids"][0]  # type: ignore[index]
        text = text.replace("title: ", "tags:\n- week\ntitle: ", 1).replace(
            f"- {first}\n", f"- id: {first}\n    tldr: Read this one first ({number}).\n", 1
        )
        text = re.sub(r"title: .*\n", f"title: Day {number} of our week\n", text, count=1)
        note = f"Discussed on day {number}: see the thread."
        page.write_text(("\ufeff" if number % 2 else "") + text + f"\n{note}\n", encoding="utf-8")
        edits[page] = [
            f"title: Day {number} of our week",
            "tags:\n- week",
            f"tldr: Read this one first ({number}).",
            note,
        ]
        # A late paper the same day, on the third and fifth days: the rerun adds it, keeping the edits.
        if number in (2, 4):
            feed.announce(day, [FeedItem(f"2401.13{number}09v1", "new", "Late", "Late paper.")])
            arxiv_api.add_paper(f"2401.13{number}09v1", title="Late", summary="Late paper.")
            announced += 1
            assert daily(bot_site, "--listing", "cs.CV").code == 0
            runs += 1

    pages = sorted(path for path in folder.glob("2024-*.md"))
    assert [path.stem for path in pages] == [str(day) for day in WEEK[:5]]
    for page, kept in edits.items():
        text = page.read_text(encoding="utf-8")
        assert all(word in text for word in kept), (page, text)
    assert hand_index.read_text(encoding="utf-8") == "# Our days\n\nThe days we read, picked by hand.\n"
    assert home.read_text(encoding="utf-8") == "# Our lab\n"
    # No paper on two days, but a new version under "Updated".
    where: dict[str, list[tuple[str, str]]] = {}
    written = 0
    for page in pages:
        arxiv = front(page)["arxiv"]
        for key in ("ids", "updated"):
            for entry in arxiv.get(key, []):  # type: ignore[attr-defined]
                arxiv_id = entry["id"] if isinstance(entry, dict) else entry
                where.setdefault(arxiv_id.split("v")[0], []).append((key, arxiv_id))
                written += 1
    for base, places in where.items():
        assert [key for key, _ in places[1:]] == ["updated"] * (len(places) - 1), (base, places)
        assert len({arxiv_id for _, arxiv_id in places}) == len(places), (base, places)
    assert len(where["2401.13001"]) == 2 and len(where["2401.13002"]) == 1
    # Nothing written outside docs_dir but the cache.
    after = {p for p in bot_site.root.parent.rglob("*") if bot_site.root not in p.parents}
    assert after == outside_before
    made = {p.relative_to(bot_site.root).parts[0] for p in bot_site.root.rglob("*") if p.is_file()}
    assert made == {"docs", ".cache", "mkdocs.yml"}

    # The site builds with --strict while arXiv's API is down: from the cache the command filled.
    arxiv_api.reset()
    arxiv_api.fail(503, times=10_000)
    result = bot_site.build(strict=True)
    assert result.error is None, result.warnings
    assert result.warnings == []
    for number, day in enumerate(WEEK[:5]):
        content = bot_site.content(f"daily/{day}.md")
        assert f"Diffusion {number}" in content and f"Read this one first ({number})." in content
    with capsys.disabled():
        print(
            f"\nweek: {len(WEEK)} days, {runs} runs, {announced} papers announced, {written} written "
            f"({len(where)} papers, {written - len(where)} new versions under Updated) on {len(pages)} pages; "
            f"build --strict with the API down: {len(result.warnings)} warnings, "
            f"{len(arxiv_api.requests)} API requests refused"
        )


# -- Blog posts and page options -------------------------------------------------------------------------------------


def test_a_blog_post_has_an_excerpt_and_keeps_the_pages_language_and_layout(bot_site: Site, feed: FakeFeed) -> None:
    bot_site.plugins_before = [{"blog": {"post_excerpt": "required"}}]
    bot_site.extra = {"theme": {"name": "material", "font": False}}
    bot_site.write_config()
    source = bot_site.root / "source.md"
    source.write_text("---\narxiv:\n  listing: cs.CV\n  language: zh\n  layout: chatpaper\n---\n", encoding="utf-8")
    (bot_site.docs / "blog").mkdir()
    (bot_site.docs / "blog" / "index.md").write_text("# Blog\n", encoding="utf-8")
    feed.today = TUESDAY

    ran = daily(bot_site, "--page", str(source), "--blog")

    assert ran.code == 0, ran.err
    post = bot_site.docs / "blog" / "posts" / "2024-01-23.md"
    meta = front(post)
    assert meta["arxiv"]["language"] == "zh" and meta["arxiv"]["layout"] == "chatpaper"  # type: ignore[index]
    assert "2 new papers announced on arXiv in cs.CV on 2024-01-23.\n\n<!-- more -->\n" in post.read_text("utf-8")
    result = bot_site.build(strict=True)
    assert result.error is None, result.warnings
    index = (bot_site.root / "site" / "blog" / "index.html").read_text(encoding="utf-8")
    assert "2 new papers announced on arXiv in cs.CV on 2024-01-23." in index
    assert 'id="arxiv-2401-12001v1"' not in index  # the digest is in the post, not in the blog's index
    built = (bot_site.root / "site" / "blog" / "2024" / "01" / "23" / "cscv-2024-01-23" / "index.html").read_text()
    assert 'id="arxiv-2401-12001v1"' in built


def test_the_documented_cron_line_exits_0_on_a_day_with_nothing_new(bot_site: Site, feed: FakeFeed) -> None:
    docs = (Path(__file__).parent.parent / "docs" / "daily.md").read_text(encoding="utf-8")
    (line,) = [line for line in docs.splitlines() if line.startswith("30 2 * * 1-5  cd /srv/wiki && ")]
    command = line.removeprefix("30 2 * * 1-5  cd /srv/wiki && ")
    if not shutil.which("mkdocs-arxiv-digest"):
        command = command.replace("mkdocs-arxiv-digest", f"{sys.executable} -m mkdocs_arxiv_digest.cli")
    command = command.replace("mkdocs build", f"{sys.executable} -m mkdocs build")
    remote = bot_site.root.parent / f"{bot_site.root.name}-remote.git"
    env = {**os.environ, "GIT_AUTHOR_NAME": "bot", "GIT_AUTHOR_EMAIL": "bot@example.org"}
    env |= {"GIT_COMMITTER_NAME": "bot", "GIT_COMMITTER_EMAIL": "bot@example.org"}
    bot_site.page("index.md", None, "# Home\n")
    (bot_site.root / ".gitignore").write_text(".cache/\nsite/\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], env=env, check=True)
    for git in (["init", "-q"], ["remote", "add", "origin", str(remote)], ["add", "-A"], ["commit", "-qm", "site"]):
        subprocess.run(["git", *git], cwd=bot_site.root, env=env, check=True)
    subprocess.run(["git", "push", "-q", "-u", "origin", "HEAD"], cwd=bot_site.root, env=env, check=True)

    def cron() -> int:
        return subprocess.run(
            ["sh", "-c", command], cwd=bot_site.root, env=env, capture_output=True, check=False
        ).returncode

    feed.today = TUESDAY
    assert cron() == 0  # a new page, committed and pushed
    assert cron() == 0  # the same morning again: nothing new to commit
    feed.today = dt.date(2024, 1, 27)
    assert cron() == 0  # a Saturday: no announcement
    log = subprocess.run(
        ["git", "log", "--format=%s", "@{upstream}"], cwd=bot_site.root, capture_output=True, text=True
    )
    assert log.stdout.splitlines() == ["Daily digest", "site"]
