"""The example site in a real browser: headless Chromium driven by Playwright.

Skipped, saying why, where Chromium or Playwright is missing on a developer's
machine; in CI (`CI` set) a missing browser fails instead. MathJax comes from
the `mathjax` package's files, served in place of the CDN the site names.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config

import browser
from conftest import Site
from fake_html import FIXTURES, RECORDS

ROOT = Path(__file__).resolve().parent.parent
_need = browser.need


@pytest.fixture(scope="module")
def browser_instance() -> Iterator[Any]:
    with browser.playwright_chromium() as instance:
        yield instance


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The repository's own site, built offline in a temporary folder and served on 127.0.0.1."""
    work = tmp_path_factory.mktemp("example")
    for part in ("mkdocs.yml", "docs", "snapshot", "scripts", "tests/fixtures/fulltext/html"):
        source = ROOT / part
        (shutil.copytree if source.is_dir() else shutil.copy)(source, work / part)
    config = load_config(str(work / "mkdocs.yml"), strict=True)
    config.plugins.on_startup(command="build", dirty=False)
    try:
        build(config)
    finally:
        config.plugins.on_shutdown()
    with browser.serve(work / "site") as url:
        yield url.rstrip("/")


def _nav() -> list[object]:
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]
    assert isinstance(nav, list)
    return nav


def _mathjax_files() -> Path:
    try:
        import mathjax  # the django-static-mathjax package
    except ImportError:
        _need("the MathJax files are not installed (pip install -e '.[test]')")
    return Path(mathjax.__file__).parent / "static" / "mathjax"


def _context(browser_instance: Any, example_site: str, width: int) -> Any:
    """A browser context `width` px wide that serves MathJax locally and refuses other hosts."""
    files = _mathjax_files()
    context = browser_instance.new_context(viewport={"width": width, "height": 900})

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if url.startswith(example_site):
            request_route.continue_()
        elif match := re.match(r"https://unpkg\.com/mathjax@3/(.+)", url):
            request_route.fulfill(path=str(files / match.group(1)))
        else:
            request_route.abort()

    context.route("**/*", route)
    return context


@pytest.fixture
def page(browser_instance: Any, example_site: str) -> Iterator[Any]:
    """A page with MathJax served locally, everything else outside 127.0.0.1 refused,
    and every console error and uncaught exception collected in `page.errors`."""
    context = _context(browser_instance, example_site, 1280)
    tab = context.new_page()
    tab.errors = []
    tab.on("console", lambda message: message.type == "error" and tab.errors.append(message.text))
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    yield tab
    context.close()


def test_the_digest_renders_and_ref_links_land_on_their_entries(page: Any, example_site: str) -> None:
    page.goto(f"{example_site}/examples/reading-list/", wait_until="networkidle")
    rows = page.locator("article table tbody tr")
    assert rows.count() == 8
    assert rows.nth(0).locator("td").count() == 3
    for number in (3, 7):
        link = rows.nth(number - 1).locator("td").first.locator("a")
        target = link.get_attribute("href")
        assert target and target.startswith("#arxiv-")
        link.click()
        page.wait_for_function(f"location.hash === {target!r}", polling=100, timeout=5000)
        box = page.locator(f"[id='{target[1:]}']").bounding_box()
        assert box is not None and 0 <= box["y"] < 900, f"{target} is not in view after the click"
    assert page.errors == []


def test_math_is_typeset(page: Any, example_site: str) -> None:
    page.goto(f"{example_site}/examples/reading-list/", wait_until="networkidle")
    page.wait_for_selector("mjx-container", timeout=15000)
    assert page.locator("mjx-container").count() >= 3
    # No TeX is left as text where MathJax was due.
    assert not re.search(r"\\\(|\$\\", page.locator("article").inner_text())
    assert page.errors == []


@pytest.mark.parametrize(
    "path",
    ["", "usage/", "daily/", "examples/daily/", "examples/daily/2026-02-23/", "examples/daily/2026-02-26/", "summaries/", "layouts/", "templates/", "configuration/", "examples/marker/",
     "examples/chinese/", "examples/chatpaper/", "examples/fulltext/"],
)  # fmt: skip
def test_pages_load_without_console_errors(page: Any, example_site: str, path: str) -> None:
    page.goto(f"{example_site}/{path}", wait_until="networkidle")
    assert page.locator("article h1").count() == 1
    assert page.errors == []


def test_bibtex_is_downloadable_from_the_page(page: Any, example_site: str) -> None:
    page.goto(f"{example_site}/examples/reading-list/", wait_until="networkidle")
    link = page.locator("a[href$='.bib']")
    assert link.count() == 1
    response = page.request.get(link.evaluate("a => a.href"))
    assert response.ok
    assert response.text().count("@misc{") == 8


SITE_PAGES = [
    "", "usage/", "daily/", "summaries/", "layouts/", "templates/", "configuration/", "caching/", "reliability/",
    "benchmarks/", "examples/", "examples/reading-list/", "examples/marker/", "examples/chinese/",
    "examples/chatpaper/",
]  # fmt: skip


@pytest.mark.parametrize("width", [390, 1280, 1920])
def test_no_page_is_wider_than_the_screen_and_every_tab_shows(
    browser_instance: Any, example_site: str, width: int
) -> None:
    context = _context(browser_instance, example_site, width)
    tab = context.new_page()
    too_wide = []
    try:
        for path in SITE_PAGES:
            tab.goto(f"{example_site}/{path}", wait_until="networkidle")
            if "examples/" in path and path != "examples/":
                # The math is typeset, so it has its real width; on a page whose TL;DRs hold no math
                # it is all in folded abstracts, typeset but not visible.
                tab.wait_for_selector("mjx-container", state="attached", timeout=15000)
            scroll, inner = tab.evaluate("[document.documentElement.scrollWidth, innerWidth]")
            if scroll > inner:
                too_wide.append(f"{path or '/'}: {scroll} px")
            if path == "examples/reading-list/" and width == 390:
                ref = tab.locator("article table td").first.bounding_box()
                assert ref is not None and ref["width"] <= 48, "the Ref column is as narrow as its number"
        assert not too_wide, f"wider than {width} px: {too_wide}"
        if width >= 1280:  # below 1220 px Material moves the tabs into the drawer
            tabs = tab.evaluate(
                """() => [...document.querySelectorAll('.md-tabs__item')].map(item => {
                    const box = item.getBoundingClientRect();
                    return [item.innerText.trim(), box.width > 0 && box.left >= 0 && box.right <= innerWidth];
                })"""
            )
            # One tab per top-level entry of the site's nav, each inside the screen.
            assert len(tabs) == len(_nav()) and all(shown for _, shown in tabs), tabs
    finally:
        context.close()


FULL_TEXT_SHOWN = {
    "affiliations": "text=Fixture Lab, Example Institute of Technology",
    "code link": "a[href='https://github.com/example-lab/tinyseg']",
    "outline": "a[href='https://arxiv.org/html/2612.00001v1#S3']",
    "abstract only": "text=Abstract only: no usable HTML",
    "copied figure": "img[src*='assets/arxiv-digest/figures/2612.00001v1-']",
}
"""What a built full-text chatpaper page shows, each a Playwright locator that
must be visible once every folded block is open: one line per thing shown."""


def test_a_full_text_page_asks_no_host_but_its_own_and_shows_what_the_html_gave(
    browser_instance: Any, site: Site
) -> None:
    site.options.update(
        offline=True, snapshot=str(RECORDS), fulltext="auto", html_url=str(FIXTURES), json=True, bibtex=True
    )
    site.extra = {
        "theme": {"name": "material", "font": False},
        "markdown_extensions": ["admonition", "attr_list", "md_in_html", "pymdownx.details"],
    }
    site.page("index.md", {"ids": ["2612.00001v1", "2612.00003v1", "2612.00004v1"], "layout": "chatpaper"})
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    with browser.serve(site.root / "site") as url:
        context = browser_instance.new_context(viewport={"width": 1280, "height": 900})
        asked: list[str] = []
        context.on("request", lambda request: asked.append(request.url))
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url) else route.abort())
        try:
            tab = context.new_page()
            errors: list[str] = []
            tab.on("pageerror", lambda error: errors.append(str(error)))
            tab.goto(url, wait_until="networkidle")
            tab.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true })")
            hidden = [what for what, where in FULL_TEXT_SHOWN.items() if not tab.locator(where).first.is_visible()]
            assert hidden == [] and errors == [], (hidden, errors)
            # Every image is the site's copy, and the browser could read it.
            images = tab.evaluate("[...document.images].map(i => [i.currentSrc, i.naturalWidth])")
            assert images and all(src.startswith(url) and width > 0 for src, width in images), images
        finally:
            context.close()
    assert asked and [address for address in asked if not address.startswith(url)] == []
