"""Whole sites built with the plugin, against the fake arXiv API."""

from __future__ import annotations

import itertools
import json
import logging
import re
import time

import diskcache
import pytest
from mkdocs.exceptions import Abort

from conftest import Clock, Site, ids_requested
from fake_arxiv import FakeArxiv
from mkdocs_arxiv_digest.render import Renderer

# Papers the fake arXiv knows (recorded responses).
KNOWN = [
    "1605.08386",
    "1707.08567",
    "2104.12255v1",
    "astro-ph/0601001",
    "quant-ph/0201082v1",
    "cs/0503050",
    "1111.2011v2",
    "2409.05654",
    "2206.10210",
    "hep-ph/0301050",
    "2501.05022",
    "1912.05434",
]
MANY = [
    "0804.0970", "0807.2873", "1005.5383", "1009.3186", "1106.3680", "1201.4869", "1202.4527",
    "1205.1866", "1303.6954", "1306.4664", "1309.0683", "1312.6177", "1408.2674", "1412.6529",
    "1509.08401", "1601.06222", "1602.05618", "1605.01097", "1609.07528", "1704.08347",
    "1706.00679", "1706.08286", "1709.03221", "1808.05353", "1809.08100", "1812.11470",
    "1904.08007", "1906.00673", "1907.06632", "1908.03707", "1912.04900", "1912.09881",
    "2002.06611", "2004.03322", "2005.06826", "2005.14124", "2007.09895", "2007.10224",
]  # fmt: skip


def titles(html: str) -> list[str]:
    """The titles in the digest's table."""
    return re.findall(
        r'<td><a href="#arxiv-[^"]+"[^>]*>\d+</a></td>\s*<td><a href="https://arxiv.org/abs/[^"]+">([^<]*)</a>', html
    )


def test_a_multi_page_site_takes_one_request_and_a_rebuild_none(site: Site, arxiv_api: FakeArxiv) -> None:
    # Four pages, 50 distinct papers, some on several pages.
    site.page("index.md", KNOWN[:6])
    site.page("a.md", KNOWN[3:] + MANY[:10])
    site.page("b/c.md", MANY[10:30])
    site.page("b/d.md", [*MANY[25:], KNOWN[0]])
    site.page("plain.md", None, "No papers here.\n")

    first = site.build(strict=True)
    assert first.error is None, first.warnings
    assert len(arxiv_api.requests) == 1
    assert sorted(ids_requested(arxiv_api)[0]) == sorted(set(KNOWN + MANY))
    assert "Proceedings of Workshop AEW10" in site.html("index.md")
    assert len(titles(site.content("b/c.md"))) == 20
    assert any("50 paper(s)" in message for message in first.messages(20))
    # Papers on two pages are summarized once, and that is not a cache hit.
    assert "summaries: 0 cached, 50 new" in "\n".join(first.messages(20))

    second = site.build(strict=True)
    assert second.error is None
    assert len(arxiv_api.requests) == 1, "a rebuild with everything cached must not ask arXiv"
    assert site.html("a.md").count("arxiv.org/abs/") >= 2 * len(KNOWN[3:] + MANY[:10])


def test_the_log_counts_each_summary_once(site: Site) -> None:
    # The same paper listed bare and pinned to its latest version, and shown
    # on two pages; the JSON files read each page's summaries in warm builds too.
    site.page("index.md", ["1605.08386"])
    site.page("a.md", ["1605.08386v1"])
    site.page("b.md", ["1605.08386v1"])
    site.configure(json=True)

    first = site.build(strict=True)
    assert first.error is None, first.warnings
    assert "summaries: 0 cached, 1 new" in "\n".join(first.messages(20))
    second = site.build(strict=True)
    assert second.error is None, second.warnings
    assert "summaries: 1 cached, 0 new" in "\n".join(second.messages(20))


def test_batches_follow_batch_size(site: Site, arxiv_api: FakeArxiv) -> None:
    site.page("index.md", MANY[:25])
    site.configure(batch_size=10)
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    assert [len(ids) for ids in ids_requested(arxiv_api)] == [10, 10, 5]


def test_delay_seconds_spaces_requests(site: Site, arxiv_api: FakeArxiv) -> None:
    site.page("index.md", MANY[:6])
    site.configure(batch_size=2, delay_seconds=0.4)
    assert site.build(strict=True).error is None
    times = [request.received_at for request in arxiv_api.requests]
    assert len(times) == 3
    assert all(later - earlier >= 0.38 for earlier, later in itertools.pairwise(times))


def test_serve_rebuilds_share_the_cache_and_fetch_only_new_ids(site: Site, arxiv_api: FakeArxiv) -> None:
    site.page("index.md", KNOWN[:3])
    config = site.load()
    config.plugins.on_startup(command="serve", dirty=False)
    try:
        assert site.build(config=config, startup=None).error is None
        assert len(arxiv_api.requests) == 1
        # As `mkdocs serve` does: config reloaded, same plugin instance.
        assert site.build(config=site.load(), startup=None).error is None
        assert len(arxiv_api.requests) == 1
        site.page("index.md", [*KNOWN[:3], "2206.10210"])
        assert site.build(config=site.load(), startup=None).error is None
        assert ids_requested(arxiv_api)[1:] == [["2206.10210"]]
        assert "2206.10210" in site.html()
    finally:
        config.plugins.on_shutdown()


def test_marker_places_the_digest_and_text_stays_around_it(site: Site) -> None:
    site.page("index.md", ["1707.08567"], "Intro text.\n\n<!-- arxiv-digest -->\n\nText after the digest.\n")
    site.page("end.md", ["1707.08567"], "Only intro.\n")
    assert site.build(strict=True).error is None
    html = site.content()
    assert html.index("Intro text.") < html.index("Proceedings of Workshop") < html.index("Text after the digest.")
    assert "arxiv-digest -->" not in html
    end = site.content("end.md")
    assert end.index("Only intro.") < end.index("Proceedings of Workshop")


def test_entry_shows_the_whole_abstract_authors_comment_and_links(site: Site) -> None:
    site.page("index.md", ["astro-ph/0601001"])
    site.configure(max_authors=0)
    assert site.build(strict=True).error is None
    html = site.content()
    assert "Frequency of Hot Jupiters and Very Hot Jupiters" in html
    # The abstract's last words are there: nothing is cut.
    assert "but there are too few in the sample to map this distribution in detail." in html
    assert 'href="https://arxiv.org/pdf/astro-ph/0601001v1"' in html
    assert 'href="#arxiv-astro-ph-0601001"' in html and 'id="arxiv-astro-ph-0601001"' in html
    assert "astro-ph" in html and "v1" in html


def test_ids_are_read_as_written_and_collapse(site: Site, arxiv_api: FakeArxiv) -> None:
    # Unquoted: YAML would read 1912.09880 as a float; 1605.08386 has no trailing zero but
    # 2005.06826 and the quoted, prefixed and URL forms must name the same papers.
    site.page(
        "index.md",
        "arxiv:\n  - 1605.08386\n  - arXiv:1605.08386\n  - https://arxiv.org/abs/1605.08386\n"
        "  - https://arxiv.org/pdf/1605.08386v1.pdf\n  - 2007.10224\n  - math.GT/0309136x\n",
    )
    result = site.build()
    asked = ids_requested(arxiv_api)[0]
    assert sorted(asked) == ["1605.08386", "1605.08386v1", "2007.10224"]
    html = site.content()
    assert html.count('<td><a href="#arxiv-') == 3
    assert any("math.GT/0309136x" in w and "index.md" in w for w in result.warnings)


def test_unquoted_number_keeps_its_trailing_zero(site: Site, arxiv_api: FakeArxiv) -> None:
    site.page("index.md", "arxiv: [2310.10040, 1509.08401]\n")
    result = site.build()
    assert sorted(ids_requested(arxiv_api)[0]) == ["1509.08401", "2310.10040"]
    assert any("2310.10040" in w and "index.md" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ('"abc"', "'abc'"),
        ('"12345"', "'12345'"),
        ('"2403.1004"', "2403.1004"),
        ('""', "empty"),
        ("{title: no id}", "no `id:`"),
        ("null", "empty entry"),
        ('"https://example.com/abs/1605.08386"', "example.com"),
    ],
)
def test_a_bad_entry_warns_with_page_and_value_and_the_rest_renders(site: Site, value: str, said: str) -> None:
    site.page("list.md", f'arxiv: ["1605.08386", {value}, "1707.08567"]\n')
    result = site.build()
    assert result.error is None
    problems = [w for w in result.warnings if "list.md" in w]
    assert len(problems) == 1 and said in problems[0], result.warnings
    assert len(titles(site.content("list.md"))) == 2
    strict = site.build(strict=True)
    assert strict.error is not None


def test_unknown_ids_are_warned_with_their_pages_and_remembered(site: Site, arxiv_api: FakeArxiv) -> None:
    site.page("one.md", ["1605.08386", "2501.99999"])
    site.page("two.md", ["2501.99999"])
    result = site.build()
    unknown = [w for w in result.warnings if "2501.99999" in w]
    assert {page for page in ("one.md", "two.md") if any(page in w for w in unknown)} == {"one.md", "two.md"}
    assert "arXiv has no paper" in unknown[0]
    assert len(titles(site.content("one.md"))) == 1
    site.build()
    assert len(arxiv_api.requests) == 1, "unknown IDs are remembered, not asked again at once"


def test_a_malformed_id_arxiv_rejects_does_not_sink_the_batch(site: Site, arxiv_api: FakeArxiv) -> None:
    # The plugin validates IDs first; if arXiv still rejects one (HTTP 400), the batch is split.
    from mkdocs_arxiv_digest.fetch import ArxivApi
    from mkdocs_arxiv_digest.ids import ArxivId

    api = ArxivApi(arxiv_api.url, delay_seconds=0, timeout=5, retries=0)
    try:
        asked = [ArxivId("1605.08386"), ArxivId("abc"), ArxivId("1707.08567")]
        (batch,) = api.fetch(asked, batch_size=10)
    finally:
        api.close()
    assert set(batch.found) == {asked[0], asked[2]}
    assert batch.unknown == [asked[1]]
    assert batch.requests >= 3


def test_offline_builds_from_cache_and_snapshot_without_network(site: Site, arxiv_api: FakeArxiv) -> None:
    site.page("index.md", ["1605.08386"])
    assert site.build(strict=True).error is None
    snapshot = site.root / "snapshot.jsonl"
    record = {
        "id": "9912.00001",
        "title": "A paper only the snapshot has",
        "abstract": "We show that snapshots work. It is short.",
        "authors": "A. Author, B. Author",
        "authors_parsed": [["Author", "A.", ""], ["Author", "B.", ""]],
        "comments": "3 pages",
        "categories": "cs.DL cs.IR",
        "versions": [
            {"version": "v1", "created": "Mon, 6 Dec 1999 10:00:00 GMT"},
            {"version": "v2", "created": "Tue, 7 Dec 1999 10:00:00 GMT"},
        ],
        "update_date": "1999-12-07",
        "doi": None,
        "journal-ref": None,
    }
    snapshot.write_text(json.dumps({"id": "0000.0001", "title": "other"}) + "\n" + json.dumps(record) + "\n")
    site.page("index.md", ["1605.08386", "9912.00001", "1707.08567"])
    site.configure(offline=True, snapshot="snapshot.jsonl", api_url="http://127.0.0.1:9/never")
    result = site.build()
    assert len(arxiv_api.requests) == 1, "offline: no request"
    html = site.content()
    assert "A paper only the snapshot has" in html and "9912.00001v2" in html
    assert "B. Author" in html and "cs.DL" in html and "1999-12-06" in html
    missing = [w for w in result.warnings if "1707.08567" in w]
    assert missing == [
        "arxiv-digest: 1 paper(s) not shown (their pages say they are unavailable): not in the cache or the "
        "snapshot, and `offline` is on; turn `offline` off to fetch them. Papers: 1707.08567."
    ]


def test_snapshot_is_consulted_before_the_api(site: Site, arxiv_api: FakeArxiv) -> None:
    snapshot = site.root / "snap.jsonl"
    snapshot.write_text(
        json.dumps({"id": "1605.08386", "title": "Snapshot title", "abstract": "From the file.", "versions": []}) + "\n"
    )
    site.page("index.md", ["1605.08386", "1707.08567"])
    site.configure(snapshot="snap.jsonl")
    assert site.build(strict=True).error is None
    assert ids_requested(arxiv_api) == [["1707.08567"]]
    assert "Snapshot title" in site.content()


def test_bare_ids_are_rechecked_after_refresh_days_versioned_never(site: Site, arxiv_api: FakeArxiv) -> None:
    site.page("index.md", ["1605.08386", "2104.12255v1"])
    site.configure(refresh_days=1)
    site.clock = Clock()
    assert site.build().error is None
    site.clock.advance(86400 / 2)  # each ID is checked after 0.75 to 1.25 times `refresh_days`
    assert site.build().error is None
    assert len(arxiv_api.requests) == 1
    site.clock.advance(86400)
    assert site.build().error is None
    assert ids_requested(arxiv_api)[1] == ["1605.08386"]


@pytest.mark.parametrize("checked", ["ten years ahead", "tomorrow", float("nan")])
def test_a_bare_id_checked_in_the_future_is_checked_again(site: Site, arxiv_api: FakeArxiv, checked: object) -> None:
    # A clock set ten years ahead once writes the first; the others are no time at all.
    site.page("index.md", ["1605.08386", "2104.12255v1"])
    assert site.build(strict=True).error is None
    cache_dir = site.root / ".cache" / "plugin" / "arxiv-digest"
    if checked == "ten years ahead":
        checked = time.time() + 10 * 365 * 86400
    with diskcache.Cache(str(cache_dir)) as store:
        row = json.loads(store.get("latest:1605.08386"))
        store.set("latest:1605.08386", json.dumps({**row, "checked": checked}))

    assert site.build(strict=True).error is None
    assert ids_requested(arxiv_api) == [["1605.08386", "2104.12255v1"], ["1605.08386"]]
    assert site.build(strict=True).error is None
    assert len(arxiv_api.requests) == 2, "dated now once checked: fresh for refresh_days again"


def test_language_zh_uses_the_chinese_labels(site: Site) -> None:
    site.page("index.md", ["1707.08567"])
    site.page("en.md", {"ids": ["1707.08567"], "language": "en"})
    site.configure(language="zh")
    assert site.build(strict=True).error is None
    html = site.content()
    assert ">摘要</h2>" in html and ">详细</h2>" in html and "作者" in html
    assert ">Details</h2>" in site.content("en.md")


def test_summarizer_none_shows_abstracts_only(site: Site) -> None:
    site.page("index.md", ["1707.08567"])
    site.configure(summarizer="none")
    assert site.build(strict=True).error is None
    html = site.content()
    assert "TL;DR" not in html and "<th>Summary</th>" not in html
    assert "The 10th Asia-Europe workshop" in html


def test_extractive_summary_is_in_table_and_entry(site: Site) -> None:
    site.page("index.md", ["2104.12255v1"])
    assert site.build(strict=True).error is None
    html = site.content()
    # TL;DR in the table and in the entry: the contribution, not the "Furthermore, ..." sentence after it.
    assert html.count("This article discusses crypto bugs") >= 2


@pytest.mark.parametrize("theme", ["mkdocs", "material"])
@pytest.mark.parametrize("footnotes", [False, True])
def test_themes_and_footnotes_keep_entries_under_details(site: Site, theme: str, footnotes: bool) -> None:
    site.page("index.md", ["1707.08567", "1605.08386"], "Text with a note.[^1]\n\n[^1]: The note.\n")
    site.extra = {"theme": {"name": theme}}
    if footnotes:
        site.extra["markdown_extensions"] = ["footnotes"]
    assert site.build(strict=True).error is None
    html = site.content()
    details = html.index(">Details</h2>")
    for anchor in ("arxiv-1707-08567", "arxiv-1605-08386"):
        assert html.index(f'id="{anchor}"') > details
        assert f'href="#{anchor}"' in html[:details]


def test_config_errors_name_the_option(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    site.page("index.md", ["1605.08386"])
    for options, said in [
        ({"batch_size": -1}, "'batch_size': Must be at least 1"),
        ({"delay_seconds": "soon"}, "'delay_seconds'"),
        ({"offline": "yes"}, "'offline'"),
        ({"layout": "poster"}, "'layout'"),
        ({"tags": ["authors"]}, "'tags'"),
        ({"no_such_option": 1}, "no_such_option"),
    ]:
        caplog.clear()
        site.configure(**options)
        with pytest.raises(Abort):
            site.load(strict=True)
        assert said in caplog.text
    site.configure(cache_dir="docs/cache")  # refused by the plugin, which alone sees docs_dir
    result = site.build()
    assert result.error is not None
    assert any("'cache_dir'" in m and "inside 'docs_dir'" in m for m in result.messages(logging.ERROR))
    # Refused by the options' types, when MkDocs loads the config.
    for options, said in [
        ({"snapshot": "nope.jsonl"}, ("'snapshot'", "nope.jsonl", "relative to mkdocs.yml")),
        ({"language": "fr"}, ("'language'", "'fr'", "'labels'")),
        ({"labels": {"zh": {"tl_dr": "x"}}}, ("'labels'", "tl_dr")),
    ]:
        site.configure(**options)
        result = site.build_or_refuse()
        assert result.error is not None
        assert any(all(part in m for part in said) for m in result.messages(logging.ERROR)), result.messages()


def test_build_log_says_what_it_does(site: Site) -> None:
    site.page("index.md", KNOWN[:4])
    first = site.build()
    text = "\n".join(first.messages(20))
    assert "4 paper(s) on 1 page(s): 0 in the cache" in text
    assert "Fetching 4 paper(s) from arXiv in 1 request(s)" in text
    assert "4 fetched in 1 request(s)" in text
    second = site.build()
    assert "4 paper(s) on 1 page(s): 4 in the cache" in "\n".join(second.messages(20))


def test_a_serve_rebuild_does_no_work_for_unchanged_pages(
    site: Site, arxiv_api: FakeArxiv, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(5):
        site.page(f"p{n}.md", KNOWN[n : n + 3])
    config = site.load()
    config.plugins.on_startup(command="serve", dirty=False)
    plugin = config.plugins["arxiv-digest"]
    try:
        assert site.build(config=config, startup=None).error is None
        assert plugin.report.pages == 5 and plugin.report.front_matter_parsed == 5
        renders = []
        original = Renderer.render
        monkeypatch.setattr(Renderer, "render", lambda *args, **kwargs: renders.append(1) or original(*args, **kwargs))
        site.page("p2.md", KNOWN[2:5], "Edited text.\n")
        assert site.build(config=site.load(), startup=None).error is None
        assert plugin.report.front_matter_parsed == 0, "an edit below the front matter does not parse it again"
        assert renders == [], "unchanged digests are reused, the edited page's papers did not change"
        assert "Edited text." in site.content("p2.md") and "Proceedings of Workshop" in site.content("p0.md")
        site.page("p2.md", [*KNOWN[2:5], KNOWN[7]], "Edited again.\n")
        assert site.build(config=site.load(), startup=None).error is None
        assert len(renders) == 1, "a page whose papers changed is rendered again"
        assert plugin.report.front_matter_parsed == 1, "only the changed front matter is parsed"
        assert len(arxiv_api.requests) == 2
    finally:
        config.plugins.on_shutdown()
