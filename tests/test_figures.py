"""Figures, licence-aware, against the fake HTML host: a CC BY paper's main
figure and more copied into the site (paced with the pages, kept in the cache
as bytes, copied again by an offline build from an empty `site/`), a paper
under arXiv's licence linked to instead with no image asked for, and hostile
or oversized images refused with the entry still built."""

from __future__ import annotations

import itertools
import logging
import shutil
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import Site
from fake_html import FakeHtml

CC_BY = "0804.0970"
"""Served the `article` fixture (2612.00001v1, CC BY 4.0): Figure 1 a teaser,
Figure 2 the pipeline overview (the main figure)."""
ARXIV_LICENSE = "0807.2873"
"""Served the `revtex` fixture (2612.00002v1, arXiv's non-exclusive licence)."""
NO_HTML = "1005.5383"
FOLDER = Path("site/assets/arxiv-digest/figures")


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
    assert "127.0.0.1" not in content.replace(link, "").replace(f"{host.url}{ARXIV_LICENSE}v1#S3.F2", ""), (
        "no image is hotlinked from the host"
    )
    assert not first.warnings

    second = site.build(strict=True)
    assert second.error is None and len(host.requests) == 5, "a second build sends nothing"
    assert site.content() == content

    shutil.rmtree(site.root / "site")
    site.configure(**{**site.options, "offline": True, "html_url": "http://127.0.0.1:9/html/"})
    offline = site.build(strict=True)
    assert offline.error is None and len(host.requests) == 5
    assert (folder / f"{CC_BY}v1-2.png").read_bytes() == png(160, 60), "the images come from the cache"
    assert (folder / f"{CC_BY}v1-1.jpg").read_bytes() == jpeg(96, 48)
    assert main in site.content()


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
    site.options.pop("markdown_extensions")
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    one = site.content("one.md")
    assert f"{CC_BY}v1-1.jpg" in one and f"{CC_BY}v1-2.png" not in one, "figure: 1 first, figures: 1 alone"
    assert 'src="../assets/arxiv-digest/figures/' in one, "linked from the page's own folder"
    assert "Figure" not in site.content("none.md") and "图" not in site.content("none.md")
    assert all(not p.endswith(("magnetisation.png", "energy.png")) for p in image_requests(host))
    folded = site.content("folded.md")
    assert "<details" in folded and "更多图片" in folded and "的图 2" in folded
    assert folded.index(f"{CC_BY}v1-2.png") < folded.index("<details") < folded.index(f"{CC_BY}v1-1.jpg")


def test_bad_figures_values_are_warned_naming_page_and_value(site: Site, host: FakeHtml) -> None:
    figures_site(site, host)
    site.page("index.md", {"ids": [{"id": CC_BY, "figure": "../x"}], "layout": "chatpaper", "figures": "many"})
    result = site.build()
    assert result.error is None
    warned = result.warnings
    assert any("index.md" in w and "figures 'many' is not a whole number from 0 to 20; using 3" in w for w in warned)
    assert any("index.md" in w and f"{CC_BY}: figure '../x' is not a figure's number" in w for w in warned)
    assert f"{CC_BY}v1-2.png" in site.content(), "the site's count and the main figure are used"
