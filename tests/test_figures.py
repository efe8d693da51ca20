"""Figures, licence-aware, against the fake HTML host: a CC BY paper's main
figure and more copied into the site (paced with the pages, kept in the cache
as bytes, copied again by an offline build from an empty `site/`), a paper
under arXiv's licence linked to instead with no image asked for, and hostile
or oversized images refused with the entry still built."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import logging
import os
import re
import shutil
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ORDINARY_RECORD, Clock, Site
from fake_arxiv import FakeArxiv
from fake_feed import FakeFeed, FeedItem, feed_document
from fake_html import FIXTURES, FakeHtml
from mkdocs_arxiv_digest.records import Paper
from mkdocs_arxiv_digest.sources import parse_feed

CC_BY = "0804.0970"
"""Served the `article` fixture (2612.00001v1, CC BY 4.0): Figure 1 a teaser,
Figure 2 the pipeline overview (the main figure)."""
ARXIV_LICENSE = "0807.2873"
"""Served the `revtex` fixture (2612.00002v1, arXiv's non-exclusive licence)."""
NO_HTML = "1005.5383"
FOLDER = Path("site/assets/arxiv-digest/figures")
THURSDAY = dt.date(2024, 1, 25)


def png(width: int, height: int) -> bytes:
    """A real PNG of `width` × `height` grey pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def jpeg(width: int, height: int) -> bytes:
    """A JPEG's start: SOI, a JFIF APP0 segment and a baseline frame header."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'


@pytest.fixture
def host() -> Iterator[FakeHtml]:
    with FakeHtml() as server:
        server.serve(CC_BY + "v1", "2612.00001v1")
        server.serve(ARXIV_LICENSE + "v1", "2612.00002v1")
        server.serve_file(f"{CC_BY}v1/teaser.png", jpeg(96, 48), "image/png")
        server.serve_file(f"{CC_BY}v1/pipeline.png", png(160, 60))
        for name in ("magnetisation.png", "energy.png"):
            server.serve_file(f"{ARXIV_LICENSE}v1/{name}", png(10, 10))
        yield server


def figures_site(site: Site, host: FakeHtml, **options: object) -> Site:
    site.configure(html_url=host.url, html_delay_seconds=0.3, **{"fulltext": "auto", **options})
    return site


def image_requests(host: FakeHtml) -> list[str]:
    return [r.path for r in host.requests if r.path.endswith(".png")]


def files_outside_site(root: Path) -> set[Path]:
    """Every file under the test's folder but the built site and the cache."""
    return {
        path.relative_to(root)
        for path in root.rglob("*")
        if path.is_file() and not {"site", ".cache"} & set(path.relative_to(root).parts)
    }


def test_a_cc_by_paper_s_figures_are_copied_paced_with_the_pages_and_kept(site: Site, host: FakeHtml) -> None:
    figures_site(site, host)
    site.page("index.md", {"ids": [CC_BY, ARXIV_LICENSE, NO_HTML], "layout": "chatpaper"})
    site.write_config()
    before = files_outside_site(site.root)
    first = site.build(strict=True)
    assert first.error is None, first.warnings
    asked = host.requests
    gaps = [b.received_at - a.received_at for a, b in itertools.pairwise(asked)]
    assert len(asked) == 5 and min(gaps) >= 0.28, "three pages and two images, one at a time, paced together"
    assert image_requests(host) == [f"/html/{CC_BY}v1/pipeline.png", f"/html/{CC_BY}v1/teaser.png"], (
        "the main figure first; none of the paper under arXiv's licence"
    )
    folder = site.root / FOLDER
    assert sorted(p.name for p in folder.iterdir()) == [f"{CC_BY}v1-1.jpg", f"{CC_BY}v1-2.png"]
    assert (folder / f"{CC_BY}v1-2.png").read_bytes() == png(160, 60)
    assert files_outside_site(site.root) == before, "nothing is written outside the site and the cache"
    content = site.content()
    main = (
        f'<img src="assets/arxiv-digest/figures/{CC_BY}v1-2.png" alt="Figure 2" width="160" height="60" loading="lazy">'
    )
    assert main in content
    assert content.index(main) < content.index(f"{CC_BY}v1-1.jpg") < content.index("More figures") + 200
    assert "Overview of the TinySeg pipeline" in content
    credit = (
        f'Figure 2 of <a href="https://arxiv.org/abs/{CC_BY}">arXiv:{CC_BY}v1</a>, '
        '<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>'
    )
    assert credit in content
    link = f'<a href="{host.url}{ARXIV_LICENSE}v1#S2.F1">Figure 1 in the paper\'s HTML</a>'
    assert link in content, "arXiv's licence: a link into the paper's HTML instead of a copy"
    sources = re.findall(r'<img[^>]*\ssrc="([^"]*)"', content)
    assert len(sources) == 2 and all(src.startswith("assets/arxiv-digest/figures/") for src in sources), (
        "no image is hotlinked from the host"
    )
    assert not first.warnings

    second = site.build(strict=True)
    assert second.error is None and len(host.requests) == 5, "a second build sends nothing"
    said = second.messages(logging.INFO)
    assert any("figures: 3 cached, 0 new" in line for line in said), "a paper without HTML has nothing to fetch"
    assert not [line for line in said if "Fetching up to" in line], said
    assert site.content() == content

    shutil.rmtree(site.root / "site")
    site.configure(**{**site.options, "offline": True, "html_url": "http://127.0.0.1:9/html/"})
    offline = site.build(strict=True)
    assert offline.error is None and len(host.requests) == 5
    assert (folder / f"{CC_BY}v1-2.png").read_bytes() == png(160, 60), "the images come from the cache"
    assert (folder / f"{CC_BY}v1-1.jpg").read_bytes() == jpeg(96, 48)
    assert main in site.content()


def test_images_that_cannot_be_copied_are_a_warning_not_a_crash(site: Site, host: FakeHtml) -> None:
    figures_site(site, host)
    site.page("index.md", {"ids": [CC_BY], "layout": "chatpaper"})
    (site.docs / "assets").mkdir()
    (site.docs / "assets" / "arxiv-digest").write_text("a file of the site's own where the figures' folder goes\n")
    result = site.build()
    assert result.error is None, "the site is built"
    warned = [w for w in result.warnings if "could not be copied" in w]
    assert len(warned) == 1 and f"{CC_BY}v1-2.png" in warned[0], result.warnings
    assert "Figure 2 of" in site.content(), "the page is written"
    assert site.build(strict=True).error is not None, "--strict fails on it"


def test_figures_an_offline_build_leaves_for_later_are_named_as_figures(site: Site, host: FakeHtml) -> None:
    figures_site(site, host, figures=0)
    site.page("index.md", {"ids": [CC_BY, ARXIV_LICENSE], "layout": "chatpaper"})
    assert site.build(strict=True).error is None
    site.configure(**{**site.options, "figures": 3, "offline": True})
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    closing = next(line for line in result.messages(logging.INFO) if "paper(s): 2 from the cache" in line)
    assert "full texts: 2 cached, 0 new, figures: 2 left for a later build by 'offline' (not shown)" in closing, (
        "not read as full texts left for later"
    )


def test_svg_oversized_bytes_and_pixels_are_refused_and_the_entry_still_builds(site: Site, host: FakeHtml) -> None:
    host.serve_file(f"{CC_BY}v1/teaser.png", SVG, "image/png")
    host.serve_file(f"{CC_BY}v1/pipeline.png", png(1, 1)[:16] + struct.pack(">II", 10_000, 10_000) + png(1, 1)[24:])
    host.serve(ARXIV_LICENSE + "v1", "2612.00006v1")  # CC BY-ND, one figure
    host.serve_file(f"{ARXIV_LICENSE}v1/sensor.png", png(2, 2) + b"\0" * 5_000_000)
    figures_site(site, host)
    site.page("index.md", {"ids": [CC_BY, ARXIV_LICENSE], "layout": "chatpaper"})
    result = site.build(strict=True)
    assert result.error is None and not result.warnings, result.warnings
    assert not (site.root / FOLDER).exists(), "nothing refused is copied"
    said = [line for line in result.messages(logging.INFO) if "image(s)" in line]
    assert len(said) == 2, said
    assert any("1 image(s) were not the PNG" in line and f"{CC_BY}v1 figure 1" in line for line in said), said
    too_large = next(line for line in said if "2 image(s) were larger" in line)
    assert f"{CC_BY}v1 figure 2" in too_large and f"{ARXIV_LICENSE}v1 figure 1" in too_large
    content = site.content()
    assert f'href="{host.url}{CC_BY}v1#S3.F2">Figure 2 in the paper' in content, "refused: linked instead"
    assert "<svg" not in site.html() and "alert" not in site.html()


def test_a_paper_without_figures_or_html_builds_strict(site: Site, host: FakeHtml) -> None:
    host.serve(ARXIV_LICENSE + "v1", "2612.00004v1")
    figures_site(site, host)
    site.page("index.md", {"ids": [ARXIV_LICENSE, NO_HTML], "layout": "chatpaper"})
    result = site.build(strict=True)
    assert result.error is None and not result.warnings, result.warnings
    assert "Figure" not in site.content() and image_requests(host) == []


def test_a_page_and_an_entry_choose_how_many_and_which(site: Site, host: FakeHtml) -> None:
    figures_site(site, host, markdown_extensions=None)
    site.extra = {"markdown_extensions": ["pymdownx.details", "admonition"]}
    site.page("one.md", {"ids": [{"id": CC_BY, "figure": 1}], "layout": "chatpaper", "figures": 1})
    site.page("none.md", {"ids": [ARXIV_LICENSE], "layout": "chatpaper", "figures": 0, "language": "zh"})
    site.page("folded.md", {"ids": [CC_BY], "layout": "chatpaper", "language": "zh"})
    host.serve(NO_HTML + "v1", "2612.00001v1")
    host.serve_file(f"{NO_HTML}v1/pipeline.png", png(5, 5))
    site.page("digest.md", {"ids": [NO_HTML], "fulltext": True})
    site.options.pop("markdown_extensions")
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    one = site.content("one.md")
    assert f"{CC_BY}v1-1.jpg" in one and f"{CC_BY}v1-2.png" not in one, "figure: 1 first, figures: 1 alone"
    assert 'src="../assets/arxiv-digest/figures/' in one, "linked from the page's own folder"
    assert "Figure" not in site.content("none.md") and "图" not in site.content("none.md")
    assert all(not p.endswith(("magnetisation.png", "energy.png")) for p in image_requests(host))
    assert all(NO_HTML not in p for p in image_requests(host)), "the digest layout shows no figures: none asked"
    assert "Fixture Lab" in site.content("digest.md") and "pipeline" not in site.content("digest.md")
    folded = site.content("folded.md")
    assert "<details" in folded and "更多图片" in folded and "的图 2" in folded
    assert folded.index(f"{CC_BY}v1-2.png") < folded.index("<details") < folded.index(f"{CC_BY}v1-1.jpg")
    assert f'<img src="../assets/arxiv-digest/figures/{CC_BY}v1-1.jpg"' in folded, "an image, not text, when folded"


def test_bad_figures_values_are_warned_naming_page_and_value(site: Site, host: FakeHtml) -> None:
    figures_site(site, host)
    site.page("index.md", {"ids": [{"id": CC_BY, "figure": "../x"}], "layout": "chatpaper", "figures": "many"})
    result = site.build()
    assert result.error is None
    warned = result.warnings
    assert any("index.md" in w and "figures 'many' is not a whole number from 0 to 20; using 3" in w for w in warned)
    assert any("index.md" in w and f"{CC_BY}: figure '../x' is not a figure's number" in w for w in warned)
    assert f"{CC_BY}v1-2.png" in site.content(), "the site's count and the main figure are used"


def test_hostile_sources_and_captions_fetch_nothing_elsewhere_and_stay_text(site: Site, host: FakeHtml) -> None:
    from hostile import TEXT_PAYLOADS, live_payloads

    fixture = (FIXTURES / "2612.00001v1" / "index.html").read_text(encoding="utf-8")
    page = fixture.replace('src="teaser.png"', f'src="../{ARXIV_LICENSE}v1/magnetisation.png"')
    page = page.replace('src="pipeline.png"', f'src="http://localhost:{host.port}/html/{CC_BY}v1/pipeline.png"')
    host.serve(CC_BY + "v1", page=page.encode())
    caption = " ".join(TEXT_PAYLOADS).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    page = fixture.replace("License: CC BY 4.0", "License: arXiv.org perpetual non-exclusive license")
    page = page.replace("Overview of the TinySeg pipeline", "Overview " + caption)
    page = page.replace('id="S3.F2"', 'id="S3.F2&quot;onclick=&quot;pwned()"')
    host.serve(ARXIV_LICENSE + "v1", page=page.encode())
    figures_site(site, host)
    site.page("index.md", {"ids": [CC_BY, ARXIV_LICENSE], "layout": "chatpaper"})
    result = site.build()
    assert result.error is None, result.warnings
    assert image_requests(host) == [], "no image from another paper's folder or another host name"
    assert not (site.root / FOLDER).exists()
    html = site.html()
    assert live_payloads(html) == [], live_payloads(html)
    assert f'href="{host.url}{ARXIV_LICENSE}v1">Figure 2' in html, "an id that is not plain: no fragment"
    assert "Overview &#60;script&#62;" in site.content(), "the caption is text"


BEFORE_LICENCES = "ead2cba"
"""The last commit whose papers had no licence: its caches are what users have."""

OLD_BUILD = """
import sys
import time
sys.path.insert(0, sys.argv[2])
from mkdocs.commands.build import build
from mkdocs.config import load_config
config = load_config(sys.argv[1])
config.plugins.on_startup(command="build", dirty=False)
build(config)
config.plugins.on_shutdown()
import mkdocs_arxiv_digest
print("CODE", mkdocs_arxiv_digest.__file__)
"""


def test_a_paper_cached_without_a_licence_reads_as_before() -> None:
    paper = Paper("2501.00002", 1, "A title", "An abstract.", authors=("A. Author",))
    written_before = {key: value for key, value in paper.to_dict().items() if key != "license"}
    assert Paper.from_dict(written_before) == paper and paper.license == ""
    assert "license" not in paper.to_dict(), "a paper without a licence keeps its fingerprint"
    licensed = dataclasses.replace(paper, license="cc-by")
    assert Paper.from_dict(licensed.to_dict()) == licensed
    assert licensed.fingerprint() != paper.fingerprint()


def test_a_cache_written_before_licences_is_used_without_asking_arxiv(
    site: Site, host: FakeHtml, arxiv_api: FakeArxiv, tmp_path: Path
) -> None:
    old = tmp_path / "old"
    root = Path(__file__).resolve().parent.parent
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", BEFORE_LICENCES, "mkdocs_arxiv_digest"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        pytest.skip(f"the code of {BEFORE_LICENCES} is not in this checkout's history")
    old.mkdir()
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    site.page("index.md", {"ids": [CC_BY, ARXIV_LICENSE], "layout": "chatpaper"})
    site.configure()
    done = subprocess.run(
        [sys.executable, "-c", OLD_BUILD, str(site.write_config()), str(old)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=site.root,
        env={**os.environ, "PYTHONPATH": str(old)},
    )
    assert done.returncode == 0 and f"CODE {old}" in done.stdout, done.stderr[-2000:]
    asked = len(arxiv_api.requests)
    assert asked == 1

    figures_site(site, host)
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    assert len(arxiv_api.requests) == asked, "the papers come from the old cache"
    assert f"{CC_BY}v1-2.png" in site.content() and (site.root / FOLDER / f"{CC_BY}v1-2.png").is_file()
    assert f"{host.url}{ARXIV_LICENSE}v1#S2.F1" in site.content()


def test_the_snapshot_s_licence_is_used_when_the_html_names_none(site: Site, tmp_path: Path) -> None:
    """Offline, from a snapshot and a local folder of HTML: a page without a
    licence line, so the snapshot's `license` decides."""
    record = {**ORDINARY_RECORD, "license": "http://creativecommons.org/licenses/by-sa/4.0/"}
    (site.root / "snap.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    folder = site.root / "html" / f"{record['id']}v1"
    folder.mkdir(parents=True)
    page = (FIXTURES / "2612.00001v1" / "index.html").read_bytes()
    (folder / "index.html").write_bytes(page.replace(b"License: CC BY 4.0", b""))
    (folder / "pipeline.png").write_bytes(png(20, 10))
    (folder / "teaser.png").write_bytes(png(10, 10))
    site.page("index.md", {"ids": [record["id"]], "layout": "chatpaper"})
    site.configure(snapshot="snap.jsonl", offline=True, html_url="html", fulltext="auto")
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    content = site.content()
    assert "creativecommons.org/licenses/by-sa/4.0/" in content and 'width="20" height="10"' in content
    assert (site.root / FOLDER / f"{record['id']}v1-2.png").read_bytes() == png(20, 10)

    (site.root / "snap.jsonl").write_text(json.dumps({**record, "license": None}) + "\n", encoding="utf-8")
    shutil.rmtree(site.root / ".cache")
    shutil.rmtree(site.root / "site")
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    assert not (site.root / FOLDER).exists(), "no licence known: nothing copied"
    assert f"https://arxiv.org/html/{record['id']}v1#S3.F2" in site.content(), "a local folder's links go to arXiv"


def test_the_feed_s_licence_is_kept_when_the_api_answers_and_decides_when_the_html_names_none(
    site: Site, host: FakeHtml, arxiv_api: FakeArxiv, feed: FakeFeed
) -> None:
    cc_by_sa = "http://creativecommons.org/licenses/by-sa/4.0/"
    items = [FeedItem("2401.13001v1", title="Seen in a feed", rights=cc_by_sa), FeedItem("2401.13002v1", rights="")]
    assert [p.license for p in parse_feed(feed_document("cs.CV", THURSDAY, items)).papers] == ["cc-by-sa", ""]
    page = (FIXTURES / "2612.00001v1" / "index.html").read_bytes().replace(b"License: CC BY 4.0", b"")
    for item in items:
        host.serve(item.id, page=page)
        for name in ("teaser.png", "pipeline.png"):
            host.serve_file(f"{item.id}/{name}", png(12, 8))
    feed.announce(THURSDAY, items)
    feed.today = THURSDAY
    for item in items:
        arxiv_api.add_paper(item.id, title=item.title, summary=item.abstract)
    figures_site(site, host, listing_url=feed.url)
    site.page("index.md", {"listing": "cs.CV", "layout": "chatpaper"})
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    assert arxiv_api.requests, "the API's records replace the announcement's"
    assert sorted(p.name for p in (site.root / FOLDER).iterdir()) == ["2401.13001v1-1.png", "2401.13001v1-2.png"]
    assert "creativecommons.org/licenses/by-sa/4.0/" in site.content()
    assert all("2401.13002v1/" not in path for path in image_requests(host)), "no licence known: no image asked"


@pytest.mark.xdist_group("timing")  # its bound on time needs the machine to itself
def test_under_serve_figures_land_in_the_background_and_a_rebuild_copies_them(site: Site, host: FakeHtml) -> None:
    slow = 6.0
    host.fail(200, delay=slow)  # the paper's page is slow to come, within the site's timeout
    figures_site(site, host, timeout=20)
    site.page("index.md", {"ids": [CC_BY], "layout": "chatpaper"})
    config = site.load()
    config.plugins.on_startup(command="serve", dirty=False)
    try:
        first = site.build(config=config, startup=None)
        built = time.monotonic()
        assert first.error is None and not first.warnings, first.warnings
        # Done before the host sent the page (if it had been asked yet): measured
        # from the request, not around the build, which a loaded machine slows.
        asked = host.requests[0].received_at if host.requests else built
        assert built < asked + slow, "the build waited for the page or its images"
        assert "assets/arxiv-digest/figures" not in site.content()
        until = time.monotonic() + 20
        while f"{CC_BY}v1-1.jpg" not in site.content() and time.monotonic() < until:
            time.sleep(0.3)
            assert site.build(config=config, startup=None).error is None
        assert f"{CC_BY}v1-2.png" in site.content() and f"{CC_BY}v1-1.jpg" in site.content()
        assert (site.root / FOLDER / f"{CC_BY}v1-1.jpg").read_bytes() == jpeg(96, 48)
        assert len(host.requests) == 3, "each asked for once, across the rebuilds"
    finally:
        config.plugins.on_shutdown()


def test_figures_come_once_html_missing_for_a_week_appears(site: Site, host: FakeHtml) -> None:
    site.clock = Clock()
    figures_site(site, host)
    site.page("index.md", {"ids": [NO_HTML], "layout": "chatpaper"})
    assert site.build(strict=True).error is None and len(host.requests) == 1
    host.serve(NO_HTML + "v1", "2612.00001v1")
    host.serve_file(f"{NO_HTML}v1/pipeline.png", png(7, 7))
    host.serve_file(f"{NO_HTML}v1/teaser.png", png(8, 8))
    site.clock.advance(6 * 86400)
    assert site.build(strict=True).error is None and len(host.requests) == 1, "no HTML: believed for 7 days"
    assert not (site.root / FOLDER).exists()
    site.clock.advance(2 * 86400)
    assert site.build(strict=True).error is None
    assert image_requests(host) == [f"/html/{NO_HTML}v1/pipeline.png", f"/html/{NO_HTML}v1/teaser.png"]
    assert f"{NO_HTML}v1-2.png" in site.content() and (site.root / FOLDER / f"{NO_HTML}v1-2.png").is_file()


def test_unnumbered_figures_get_names_of_their_own_and_a_planted_name_is_refused(tmp_path: Path) -> None:
    from mkdocs_arxiv_digest.cache import Cache
    from mkdocs_arxiv_digest.fulltext import Figure, FullText
    from mkdocs_arxiv_digest.ids import parse_id
    from mkdocs_arxiv_digest.stages import Budget, Unit
    from mkdocs_arxiv_digest.stages.figures import Figures, FiguresStage

    arxiv_id = parse_id("astro-ph/0601001v2")
    folder = tmp_path / "html" / str(arxiv_id)
    folder.mkdir(parents=True)
    (folder / "a.png").write_bytes(png(3, 2))
    (folder / "b.png").write_bytes(png(4, 5))
    text = FullText(
        url=folder.as_uri(),
        figures=(
            Figure("S1.F1", "", "An overview.", ((folder / "a.png").as_uri(),)),
            Figure("S1.F2", "", "Another.", ((folder / "b.png").as_uri(),)),
        ),
        license="cc-by",
    )
    cache = Cache(tmp_path / "cache")
    site_dir = tmp_path / "site"
    stage = FiguresStage(
        cache, str(tmp_path / "html"), None, Budget(), {arxiv_id.base: (3, ())}, ("cc-by",), str(site_dir)
    )
    paper = Paper(arxiv_id.base, 2, "T", "A.")
    record = stage.make(Unit(arxiv_id), paper, {"fulltext": text})
    assert [f.file for f in record.figures] == ["astro-ph_0601001v2-n1.png", "astro-ph_0601001v2-n2.png"]
    stage.finish(cache)
    written = site_dir / "assets" / "arxiv-digest" / "figures"
    assert (written / "astro-ph_0601001v2-n2.png").read_bytes() == png(4, 5)
    assert sorted(p.name for p in site_dir.rglob("*") if p.is_file()) == [f.file for f in record.figures]
    planted = record.to_dict()
    planted["figures"][0]["images"][0][0] = "../../evil.png"
    assert Figures.from_dict(planted) is None and Figures.from_dict(record.to_dict()) == record
    cache.close()


def test_a_figure_with_subfigures_shows_each_of_its_images(site: Site, host: FakeHtml) -> None:
    page = (FIXTURES / "2612.00001v1" / "index.html").read_bytes()
    second = b'<img src="panel.png" class="ltx_graphics" width="2" height="2" alt="">'
    host.serve(CC_BY + "v1", page=page.replace(b'<img src="pipeline.png"', second + b'<img src="pipeline.png"'))
    host.serve_file(f"{CC_BY}v1/panel.png", png(30, 20))
    figures_site(site, host, figures=1)
    site.page("index.md", {"ids": [CC_BY], "layout": "chatpaper"})
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    assert image_requests(host) == [f"/html/{CC_BY}v1/panel.png", f"/html/{CC_BY}v1/pipeline.png"]
    content = site.content()
    first = f'<img src="assets/arxiv-digest/figures/{CC_BY}v1-2.png" alt="Figure 2" width="30" height="20"'
    second_image = f'<img src="assets/arxiv-digest/figures/{CC_BY}v1-2-2.png" alt="Figure 2" width="160" height="60"'
    assert first in content and second_image in content and content.index(first) < content.index(second_image)
    assert content.count("Overview of the TinySeg pipeline") == 1, "one caption for the figure"


def test_two_figures_with_one_number_each_show_their_own_image(site: Site, host: FakeHtml) -> None:
    """A paper whose supplement numbers its figures from 1 again: each image
    is named by its figure's place, not by the number they share."""
    page = (FIXTURES / "2612.00001v1" / "index.html").read_text(encoding="utf-8")
    host.serve(CC_BY + "v1", page=page.replace("Figure 2: </span>Overview", "Figure 1: </span>Overview").encode())
    figures_site(site, host)
    site.page("index.md", {"ids": [CC_BY], "layout": "chatpaper"})
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    assert sorted(image_requests(host)) == [f"/html/{CC_BY}v1/pipeline.png", f"/html/{CC_BY}v1/teaser.png"]
    sources = re.findall(r'<img[^>]*\ssrc="assets/arxiv-digest/figures/([^"]*)"', site.content())
    assert len(set(sources)) == 2, sources
    copied = {name: (site.root / FOLDER / name).read_bytes() for name in sources}
    assert sorted(copied.values()) == sorted([png(160, 60), jpeg(96, 48)]), "each figure its own image"


def test_a_figure_s_link_follows_html_url_and_is_never_read_from_the_cache(site: Site, host: FakeHtml) -> None:
    """A link into the paper's HTML is made on each build from `html_url`, the
    paper's ID and a checked id: a changed `html_url` moves it with the
    outline's links, and a link planted in the cache is not shown."""
    import diskcache

    figures_site(site, host)
    site.page("index.md", {"ids": [ARXIV_LICENSE], "layout": "chatpaper"})
    assert site.build(strict=True).error is None
    with diskcache.Cache(str(site.root / ".cache/plugin/arxiv-digest")) as store:
        key = next(k for k in store if isinstance(k, str) and k.startswith(f"figures:{ARXIV_LICENSE}v1:"))
        record = json.loads(store[key])
        record["figures"][0]["link"] = "https://evil.example/phish#S2.F1"
        store[key] = json.dumps(record)
    with FakeHtml() as other:
        other.serve(ARXIV_LICENSE + "v1", "2612.00002v1")
        site.configure(**{**site.options, "html_url": other.url})
        result = site.build(strict=True)
        assert result.error is None, result.warnings
        assert len(other.requests) == 0, "nothing is fetched again"
        content = site.content()
        assert "evil.example" not in content
        assert f'href="{other.url}{ARXIV_LICENSE}v1#S2.F1">Figure 1 in the paper' in content
        assert host.url not in content, "no link to the html_url of before"


def test_a_code_link_planted_in_the_cache_is_not_shown(site: Site, host: FakeHtml) -> None:
    import diskcache

    figures_site(site, host, figures=0)
    site.page("index.md", {"ids": [CC_BY], "layout": "chatpaper"})
    assert site.build(strict=True).error is None
    assert "https://github.com/example-lab/tinyseg" in site.content()
    with diskcache.Cache(str(site.root / ".cache/plugin/arxiv-digest")) as store:
        key = next(k for k in store if isinstance(k, str) and k.startswith(f"fulltext:{CC_BY}v1:"))
        record = json.loads(store[key])
        record["code"].append({"url": "https://evil.example/github.com/x/y", "kind": "github", "where": "body"})
        store[key] = json.dumps(record)
        for digest in [k for k in store if isinstance(k, str) and k.startswith("digest:")]:
            del store[digest]
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    content = site.content()
    assert "evil.example" not in content and "https://github.com/example-lab/tinyseg" in content
    assert len(host.requests) == 1, "the record is still used: nothing is fetched again"


def test_the_documented_custom_template_shows_the_figures(site: Site, host: FakeHtml) -> None:
    docs = (Path(__file__).resolve().parent.parent / "docs" / "templates.md").read_text(encoding="utf-8")
    section = docs.split("### Figures", 1)[1]
    snippet = section.split("```jinja\n", 1)[1].split("```", 1)[0]
    (site.root / "templates").mkdir()
    template = "{% for item in items %}" + snippet + "{% endfor %}"
    (site.root / "templates" / "chatpaper.md.j2").write_text(template, encoding="utf-8")
    figures_site(site, host, custom_templates="templates")
    site.page("index.md", {"ids": [CC_BY, ARXIV_LICENSE], "layout": "chatpaper"})
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    content = site.content()
    assert f'<img src="assets/arxiv-digest/figures/{CC_BY}v1-2.png" alt="Figure 2" width="160"' in content
    assert f'<a href="{host.url}{ARXIV_LICENSE}v1#S2.F1">Figure 1</a>' in content
