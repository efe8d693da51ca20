"""Programs other than MkDocs that build MkDocs sites: ProperDocs (a fork of
MkDocs 1.x) runs the plugin; Zensical skips MkDocs plugins, and with the guard
extension listed it stops with a clear error instead of leaving digests out."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ORDINARY_RECORD, Site

RECORD = ORDINARY_RECORD


def offline_site(root: Path, guard: bool) -> Path:
    """A site whose one page lists one paper from a snapshot; returns its mkdocs.yml."""
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text("---\narxiv: [2501.00002]\n---\n# Papers\n", encoding="utf-8")
    (root / "snap.jsonl").write_text(json.dumps(RECORD) + "\n", encoding="utf-8")
    config = {
        "site_name": "Hosts",
        "theme": {"name": "material", "font": False},
        "plugins": [{"arxiv-digest": {"offline": True, "snapshot": "snap.jsonl"}}],
        "markdown_extensions": ["mkdocs_arxiv_digest.guard"] if guard else [],
    }
    path = root / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def build_with(program: str, config: Path) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec(program) is None:
        pytest.skip(f"{program} is not installed (pip install -e '.[test]')")
    return subprocess.run(
        [sys.executable, "-m", program, "build", "-f", str(config)]
        if program != "zensical"
        else [sys.executable, "-m", program, "build"],
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_properdocs_runs_the_plugin(tmp_path: Path) -> None:
    config = offline_site(tmp_path, guard=True)
    done = build_with("properdocs", config)
    assert done.returncode == 0, done.stderr[-3000:]
    page = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "https://arxiv.org/abs/2501.00002" in page and "An ordinary paper" in page


def test_zensical_skips_the_plugin_and_the_guard_says_so(tmp_path: Path) -> None:
    (tmp_path / "silent").mkdir()
    silent = build_with("zensical", offline_site(tmp_path / "silent", guard=False))
    assert silent.returncode == 0, "without the guard, Zensical builds the page without its digest"
    assert "arxiv.org/abs/2501.00002" not in (tmp_path / "silent" / "site" / "index.html").read_text()

    (tmp_path / "guarded").mkdir()
    guarded = build_with("zensical", offline_site(tmp_path / "guarded", guard=True))
    assert guarded.returncode != 0
    assert "the 'arxiv-digest' plugin did not run" in guarded.stdout + guarded.stderr


def test_the_guard_is_silent_under_mkdocs(site: Site) -> None:
    (site.root / "snap.jsonl").write_text(json.dumps(RECORD) + "\n", encoding="utf-8")
    site.page("index.md", ["2501.00002"])
    site.configure(offline=True, snapshot="snap.jsonl")
    site.extra = {"markdown_extensions": ["mkdocs_arxiv_digest.guard"]}
    assert site.build(strict=True).error is None
    assert "https://arxiv.org/abs/2501.00002" in site.content()
