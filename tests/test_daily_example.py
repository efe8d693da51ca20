"""The example site's daily pages: what `scripts/make_daily_example.py` makes
the `daily` command write, and the ranked day as the built site shows it."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config

ROOT = Path(__file__).resolve().parent.parent
DAILY = Path("examples") / "daily"
RANKED = "2026-02-26"

sys.path.insert(0, str(ROOT / "scripts"))
import make_daily_example  # noqa: E402


def test_the_script_writes_the_committed_daily_pages_again_byte_for_byte(tmp_path: Path) -> None:
    """The pages are what the command writes today: a change to what it writes shows here first."""
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    shutil.rmtree(docs / DAILY)

    make_daily_example.write_pages(docs)

    written = {path.name: path.read_bytes() for path in sorted((docs / DAILY).iterdir())}
    committed = {path.name: path.read_bytes() for path in sorted((ROOT / "docs" / DAILY).iterdir())}
    assert list(written) == list(committed)
    assert [name for name in written if written[name] != committed[name]] == []
    front = yaml.safe_load(committed[f"{RANKED}.md"].decode().split("---\n")[1])["arxiv"]
    assert front["source"]["rank"] == "library"
    assert all({"id", "like", "score"} <= set(entry) for entry in [*front["ids"], *front["updated"]])


def test_the_ranked_day_links_each_like_to_the_entry_on_its_reading_list(tmp_path: Path) -> None:
    for part in ("mkdocs.yml", "docs", "snapshot", "scripts", "tests/fixtures/fulltext/html"):
        source = ROOT / part
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / part)
    config = load_config(str(tmp_path / "mkdocs.yml"), strict=True)
    config.plugins.on_startup(command="build", dirty=False)
    try:
        build(config)
    finally:
        config.plugins.on_shutdown()

    site = tmp_path / "site"
    page = f"/{DAILY.as_posix()}/{RANKED}/"
    html = (site / page.strip("/") / "index.html").read_text(encoding="utf-8")
    likes = re.findall(r'<strong>Like</strong>: <a href="([^"]+)">(.+?)</a> · score 0&#46;\d\d', html)
    front = yaml.safe_load((ROOT / "docs" / DAILY / f"{RANKED}.md").read_text(encoding="utf-8").split("---\n")[1])
    assert len(likes) == len(front["arxiv"]["ids"]) + len(front["arxiv"]["updated"])
    for href, title in likes:
        target = urlsplit(urljoin(page, href))
        assert target.path.startswith("/examples/") and target.fragment.startswith("arxiv-"), href
        liked = (site / target.path.strip("/") / "index.html").read_text(encoding="utf-8")
        assert f'id="{target.fragment}"' in liked, f"{href}: no such entry"
        assert title in liked
