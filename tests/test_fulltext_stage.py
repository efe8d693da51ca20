"""The full-text stage against a fake HTML host: papers' HTML read one page at
a time, paced, politely retried, kept for good (a second build and an offline
one ask nothing), a paper without HTML shown from its abstract without a
warning, and nothing asked on pages that do not want full text."""

from __future__ import annotations

import itertools
import logging
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import Clock, Site
from fake_html import FIXTURES, FakeHtml
from mkdocs_arxiv_digest.fetch import USER_AGENT
from mkdocs_arxiv_digest.fulltext.record import SCHEMA
from mkdocs_arxiv_digest.stages.fulltext import RECORD_SCHEMA

PAPERS = ["0804.0970", "0807.2873", "1005.5383"]
AFFILIATION = "Fixture Lab, Example Institute of Technology"
"""Of the `article` fixture (2612.00001v1), served for the first paper."""
PHYSICS = "Laboratory of Fixtures, National Test Centre, Sampleburg"
"""Of the `revtex` fixture (2612.00002v1), served for the second paper."""

TEMPLATE = (
    "{% for item in items %}{{ item.id }}: "
    '{% set text = item.outputs.get("fulltext") %}'
    "{% if text and text.affiliations is defined %}{{ text.affiliations | join('; ') }}"
    "{% else %}abstract only{% endif %}.\n\n{% endfor %}"
)


@pytest.fixture
def host() -> Iterator[FakeHtml]:
    with FakeHtml() as server:
        for version in ("v1", "v2", "v3"):
            server.serve(PAPERS[0] + version, "2612.00001v1")
            server.serve(PAPERS[1] + version, "2612.00002v1")
        yield server


def full_site(site: Site, host: FakeHtml, **options: object) -> Site:
    (site.root / "templates").mkdir(exist_ok=True)
    for name in ("digest.md.j2", "chatpaper.md.j2"):
        (site.root / "templates" / name).write_text(TEMPLATE, encoding="utf-8")
    options = {"fulltext": "auto", "figures": 0, **options}
    site.configure(custom_templates="templates", html_url=host.url, html_delay_seconds=0.3, **options)
    return site


def test_full_text_is_read_paced_kept_and_asked_again_by_no_build(site: Site, host: FakeHtml) -> None:
    full_site(site, host)
    site.page("index.md", {"ids": PAPERS, "layout": "chatpaper"})
    first = site.build(strict=True)
    assert first.error is None, "a paper with no HTML does not fail a strict build"
    content = site.content()
    assert AFFILIATION in content and PHYSICS in content, content
    assert f"{PAPERS[2]}: abstract only." in content
    asked = host.requests
    assert sorted(r.path.split("/")[-1].split("v")[0] for r in asked) == sorted(PAPERS)
    assert [r.status for r in asked].count(404) == 1
    assert {r.user_agent for r in asked} == {USER_AGENT}
    gaps = [b.received_at - a.received_at for a, b in itertools.pairwise(asked)]
    assert min(gaps) >= 0.28, gaps
    log = first.messages(logging.INFO)
    said = [line for line in log if "have no HTML at the host" in line]
    assert len(said) == 1 and PAPERS[2] in said[0], log
    assert not first.warnings

    second = site.build()
    assert second.error is None
    assert len(host.requests) == 3, "a version's HTML, and its absence, are kept"
    assert site.content() == content

    shutil.rmtree(site.root / "site")
    site.configure(**{**site.options, "offline": True, "html_url": "http://127.0.0.1:9/html/"})
    offline = site.build()
    assert offline.error is None and len(host.requests) == 3
    assert AFFILIATION in site.content() and PHYSICS in site.content()


def test_pages_that_do_not_want_full_text_ask_nothing(site: Site, host: FakeHtml) -> None:
    full_site(site, host)
    site.page("index.md", PAPERS[:1])
    site.page("plain.md", {"ids": PAPERS[1:2], "layout": "chatpaper", "fulltext": False})
    result = site.build()
    assert result.error is None and not result.warnings, result.warnings
    assert host.requests == []
    assert f"{PAPERS[0]}: abstract only." in site.content()


def test_a_digest_page_can_ask_for_full_text(site: Site, host: FakeHtml) -> None:
    full_site(site, host)
    site.page("index.md", {"ids": PAPERS[:1], "fulltext": True})
    site.page("other.md", PAPERS[1:2])
    result = site.build()
    assert result.error is None and not result.warnings, result.warnings
    assert AFFILIATION in site.content()
    assert f"{PAPERS[1]}: abstract only." in site.content("other.md")
    assert len(host.requests) == 1


def test_a_429_is_waited_out_as_retry_after_says(site: Site, host: FakeHtml, no_backoff: list[float]) -> None:
    full_site(site, host)
    host.fail(429, retry_after="7")
    site.page("index.md", {"ids": PAPERS[:1], "layout": "chatpaper"})
    result = site.build()
    assert result.error is None and not result.warnings, result.warnings
    assert [r.status for r in host.requests] == [429, 200]
    assert 7.0 in no_backoff
    assert AFFILIATION in site.content()


def test_a_slow_host_is_a_warning_and_the_paper_is_asked_again(site: Site, host: FakeHtml) -> None:
    full_site(site, host, timeout=0.5, retries=0)
    host.fail(200, delay=2.0)
    site.page("index.md", {"ids": PAPERS[:1], "layout": "chatpaper"})
    result = site.build()
    warned = [w for w in result.warnings if "Full texts" in w]
    assert len(warned) == 1 and "could not be fetched" in warned[0], result.warnings
    assert f"{PAPERS[0]}: abstract only." in site.content()
    again = site.build()
    assert not again.warnings and AFFILIATION in site.content()
    assert len(host.requests) == 2


def test_a_redirect_is_followed_on_the_html_host_only(site: Site, host: FakeHtml) -> None:
    """arXiv may move a page within its host; a redirect to another host
    (a planted page, a misconfigured mirror) is not followed: nothing is
    asked of it, and the paper shows its abstract with a warning."""
    full_site(site, host)
    with FakeHtml() as elsewhere:
        elsewhere.serve(PAPERS[1] + "v1", "2612.00002v1")
        host.pages[f"moved/{PAPERS[0]}v1"] = host.pages.pop(f"{PAPERS[0]}v1")
        host.redirects[f"{PAPERS[0]}v1"] = f"/html/moved/{PAPERS[0]}v1"  # the same host: followed
        host.redirects[f"{PAPERS[1]}v1"] = elsewhere.url + f"{PAPERS[1]}v1"
        site.page("index.md", {"ids": PAPERS[:2], "layout": "chatpaper"})
        result = site.build()
        assert elsewhere.requests == []
        other = f"127.0.0.1:{elsewhere.port}"
    content = site.content()
    assert AFFILIATION in content and f"{PAPERS[1]}: abstract only." in content, content
    [warning] = [w for w in result.warnings if "Full texts" in w]
    assert f"sent it to another host ({other})" in warning
    asked = sorted((r.path, r.status) for r in host.requests)
    assert asked == [(f"/html/{PAPERS[0]}v1", 302), (f"/html/{PAPERS[1]}v1", 302), (f"/html/moved/{PAPERS[0]}v1", 200)]
    gaps = [b.received_at - a.received_at for a, b in itertools.pairwise(host.requests)]
    assert min(gaps) >= 0.3 * 0.95, "each hop is paced as a request"


def test_what_does_not_fit_the_budget_comes_on_a_later_build(site: Site, host: FakeHtml) -> None:
    full_site(site, host, fulltext_budget_seconds=0)
    site.page("index.md", {"ids": PAPERS[:2], "layout": "chatpaper"})
    result = site.build()
    assert result.error is None and host.requests == []
    assert any("left for a later build by 'fulltext_budget_seconds'" in line for line in result.messages(logging.INFO))
    full_site(site, host, fulltext_budget_seconds=60)
    site.build()
    assert len(host.requests) == 2 and AFFILIATION in site.content()


def test_html_url_may_be_a_local_folder(site: Site, host: FakeHtml, tmp_path: Path) -> None:
    folder = tmp_path / "html"
    for version in ("v1", "v2", "v3"):
        shutil.copytree(FIXTURES / "2612.00001v1", folder / (PAPERS[0] + version))
    full_site(site, host)
    site.configure(**{**site.options, "html_url": "html"})
    site.page("index.md", {"ids": PAPERS[:1], "layout": "chatpaper"})
    result = site.build()
    assert result.error is None and not result.warnings, result.warnings
    assert AFFILIATION in site.content() and host.requests == []


def built_in_site(site: Site, host: FakeHtml, **options: object) -> Site:
    # Figures off: these tests count the pages asked for (tests/test_figures.py has the images).
    site.configure(**{"fulltext": "auto", "html_url": host.url, "html_delay_seconds": 0, "figures": 0, **options})
    return site


@pytest.mark.parametrize(("language", "affiliations", "code"), [("en", "Affiliations", "Code"), ("zh", "单位", "代码")])
def test_chatpaper_shows_affiliations_and_code_links(
    site: Site, host: FakeHtml, language: str, affiliations: str, code: str
) -> None:
    built_in_site(site, host)
    site.page("index.md", {"ids": PAPERS, "layout": "chatpaper", "language": language})
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    content = site.content()
    assert f"<strong>{affiliations}</strong>" in content and AFFILIATION in content, content
    assert '<a href="https://github.com/example-lab/tinyseg">github.com/example-lab/tinyseg</a>' in content
    assert f"<strong>{code}</strong>" in content
    # The paper without HTML: its entry as before, no empty lines.
    entries = content.split("<h2")
    assert len(entries) == 4 and affiliations not in entries[3]


def test_a_digest_page_with_full_text_shows_them_in_each_entry(site: Site, host: FakeHtml) -> None:
    built_in_site(site, host, fulltext=True)
    site.page("index.md", PAPERS[:2])
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    content = site.content()
    assert content.count("<strong>Affiliations</strong>") == 2 and PHYSICS in content
    assert '<a href="https://github.com/fixture-physics/toy-chain">' in content.lower()


def test_a_hostile_page_shows_as_text_only(site: Site, host: FakeHtml) -> None:
    from test_hostile import live_payloads

    page = (FIXTURES / "2612.00001v1" / "index.html").read_text(encoding="utf-8")
    page = page.replace(
        "Fixture Lab, Example Institute of Technology",
        "Fixture Lab &lt;img src=x onerror=alert('pwned')&gt; [pwned](javascript:alert(1)) "
        "&lt;script&gt;pwned()&lt;/script&gt; {{ pwned }} $\\href{javascript:pwned()}{x}$",
    )
    page = page.replace(
        "</body>",
        '<script>pwned()</script><a href="javascript:pwned()">https://github.com/evil/pwned</a></body>',
    )
    host.serve(PAPERS[0] + "v1", page=page.encode())
    host.serve(PAPERS[0] + "v2", page=page.encode())
    built_in_site(site, host)
    site.page("index.md", {"ids": PAPERS[:1], "layout": "chatpaper"})
    result = site.build()
    assert result.error is None, result.warnings
    html = site.html()
    assert live_payloads(html) == [], live_payloads(html)
    assert "Fixture Lab &#60;img src=x onerror=alert(" in site.content(), "markup in an affiliation is text"
    assert not [link for link in html.split('href="')[1:] if link.lower().startswith("javascript")]


@pytest.mark.xdist_group("timing")  # its bound on time needs the machine to itself
def test_under_serve_full_text_is_read_in_the_background_and_the_page_reloads(site: Site, host: FakeHtml) -> None:
    built_in_site(site, host, timeout=20)
    host.fail(200, delay=6.0)  # far longer than a build on a loaded machine (2.5 s was not)
    site.page("index.md", {"ids": PAPERS[:1], "layout": "chatpaper"})
    config = site.load()
    sentinel = site.root / ".cache" / "plugin" / "arxiv-digest" / "serve-reload"
    config.plugins.on_startup(command="serve", dirty=False)
    try:
        started = time.monotonic()
        first = site.build(config=config, startup=None)
        assert first.error is None and not first.warnings, first.warnings
        assert time.monotonic() - started < 5.0, "the build did not wait for the HTML"
        assert config.plugins["arxiv-digest"].report.stages["fulltext"].pending == 1
        assert "Affiliations" not in site.content()
        until = time.monotonic() + 10
        while sentinel.read_text() != "1\n" and time.monotonic() < until:  # not "": read mid-write
            time.sleep(0.02)
        assert sentinel.read_text() == "1\n", "a rebuild is asked for when the record lands"
        assert site.build(config=config, startup=None).error is None
        assert AFFILIATION in site.content() and len(host.requests) == 1
    finally:
        config.plugins.on_shutdown()


FULLTEXT_MODULES = ("lxml", "mkdocs_arxiv_digest.fulltext", "requests", "urllib3", "arxiv")


def test_a_digest_site_neither_asks_nor_imports_the_parser(site: Site, host: FakeHtml) -> None:
    built_in_site(site, host)
    site.page("index.md", PAPERS[:2])
    assert site.build(strict=True).error is None
    imported = site.imported_by_a_build(FULLTEXT_MODULES)
    assert "lxml" not in imported and "mkdocs_arxiv_digest.fulltext" not in imported, "auto, and no chatpaper page"
    assert host.requests == []


def test_a_warm_build_with_full_text_asks_nothing_and_imports_no_network_code(site: Site, host: FakeHtml) -> None:
    """Nor does it build a paper's full-text record to see that it has it:
    on a site of a thousand papers, that cleaning of every section's text
    took longer than the rest of the plugin's warm build."""
    built_in_site(site, host)
    site.page("index.md", {"ids": PAPERS[:1], "layout": "chatpaper"})
    assert site.build(strict=True).error is None and len(host.requests) == 1
    imported = site.imported_by_a_build(FULLTEXT_MODULES)
    assert not {"lxml", "requests", "urllib3", "arxiv", "mkdocs_arxiv_digest.fulltext"} & set(imported), imported
    assert len(host.requests) == 1


def test_the_stage_reads_the_parser_s_schema() -> None:
    """The stage keys records by the parser's schema without importing it."""
    assert RECORD_SCHEMA == SCHEMA


def test_a_mistaken_html_url_or_page_value_is_said(site: Site, host: FakeHtml) -> None:
    built_in_site(site, host, html_url="no-such-folder")
    site.page("index.md", {"ids": PAPERS[:1], "layout": "chatpaper"})
    result = site.build()
    assert result.error is not None
    assert any("'html_url' (no-such-folder) is neither" in line for line in result.messages(logging.ERROR))

    built_in_site(site, host)
    site.page("index.md", {"ids": PAPERS[:1], "layout": "chatpaper", "fulltext": "maybe"})
    result = site.build()
    assert result.error is None
    assert result.warnings == [
        "arxiv-digest: Page 'index.md': arxiv: fulltext 'maybe' is not one of auto, true, false; using 'auto'"
    ]
    assert AFFILIATION in site.content(), "the site's auto: a chatpaper page shows full text"


def test_a_paper_without_html_is_asked_again_after_seven_days(site: Site, host: FakeHtml) -> None:
    site.clock = Clock()
    built_in_site(site, host)
    site.page("index.md", {"ids": PAPERS, "layout": "chatpaper"})
    assert site.build().error is None and len(host.requests) == 3
    for version in ("v1", "v2", "v3"):
        host.serve(PAPERS[2] + version, "2612.00009v1")
    site.clock.advance(6 * 86400)
    assert site.build().error is None and len(host.requests) == 3, "believed for 7 days"
    assert site.content().count("<strong>Affiliations</strong>") == 2
    site.clock.advance(2 * 86400)
    assert site.build().error is None
    assert [r.path.split("/")[-1].split("v")[0] for r in host.requests[3:]] == [PAPERS[2]]
    assert site.content().count("<strong>Affiliations</strong>") == 3, "the page is made again with it"


@pytest.mark.parametrize(
    ("language", "no_html", "failed"),
    [
        ("en", "Abstract only: no usable HTML", "Abstract only: the paper's HTML could not be read"),
        ("zh", "仅据摘要：未找到", "仅据摘要：生成本页时未能读取"),
    ],
)
def test_an_entry_without_full_text_says_it_is_from_the_abstract_and_the_log_says_why(
    site: Site, host: FakeHtml, language: str, no_html: str, failed: str
) -> None:
    stub = (FIXTURES / "2612.00004v1" / "index.html").read_bytes()
    for version in ("v1", "v2", "v3"):
        host.serve(PAPERS[1] + version, page=stub)
    built_in_site(site, host)
    site.page("index.md", {"ids": PAPERS, "layout": "chatpaper", "language": language})
    site.page("digest.md", {"ids": PAPERS[2:], "fulltext": True, "language": language})
    first = site.build(strict=True)
    assert first.error is None, "no HTML is not a warning"
    entries = site.content().split("<h2")[1:]
    assert no_html not in entries[0] and failed not in entries[0]
    assert f"<em>{no_html}" in entries[1] and f"<em>{no_html}" in entries[2], entries
    assert f"<em>{no_html}" in site.content("digest.md")
    log = first.messages(logging.INFO)
    (stub_line,) = [line for line in log if "have no HTML rendering" in line]
    assert f"{PAPERS[1]}v1 (the paper's source is a PDF)" in stub_line, stub_line
    (missing,) = [line for line in log if "have no HTML at the host" in line]
    assert f"{PAPERS[2]}v1 ({host.url}{PAPERS[2]}v1: not found)" in missing, missing

    site.clock = Clock()
    site.clock.advance(8 * 86400)  # "no HTML" is asked again, and this time the host fails
    host.fail(503, times=10)
    built_in_site(site, host, retries=0)
    again = site.build()
    (warned,) = [w for w in again.warnings if "Full texts" in w]
    assert "HTTP 503" in warned and PAPERS[1] in warned and "They show the abstract only" in warned, warned
    entries = site.content().split("<h2")[1:]
    assert f"<em>{failed}" in entries[1] and f"<em>{failed}" in entries[2], entries
    assert AFFILIATION in entries[0], "a kept record is not asked for again"
