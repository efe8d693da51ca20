"""`enabled: false`: the site builds as if the plugin were not listed, and the
plugin neither fetches, opens its cache, adds files, nor imports its heavy parts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.utils.yaml import yaml_load

from conftest import Site
from fake_arxiv import FakeArxiv

ROOT = Path(__file__).resolve().parents[1]
PAPERS = ["1605.08386", "1707.08567"]

BUILD = """
import json, sys
from mkdocs_arxiv_digest import render

made = []
make = render.Renderer.__init__
render.Renderer.__init__ = lambda self, *args, **kwargs: made.append(1) or make(self, *args, **kwargs)

from mkdocs.commands.build import build
from mkdocs.config import load_config

config = load_config(sys.argv[1])
config.plugins.on_startup(command="build", dirty=False)
build(config)
config.plugins.on_shutdown()
print(json.dumps({"renderers": len(made), "modules": sorted(sys.modules)}))
"""
"""Builds the site of `mkdocs.yml` given as argument in a fresh process, and
prints the modules it imported and how many of the plugin's renderers (its
Jinja templates) it made."""

HEAVY = ("arxiv", "openai", "diskcache", "httpx")
PLUGIN_WORK = ("cache", "pipeline", "digest", "fetch", "sources", "feed", "background", "settings", "snapshot")


def example_site(tmp_path: Path, name: str, plugin: dict[str, Any] | None) -> Path:
    """The repository's own site (mkdocs.yml and docs/), written to build into
    `tmp_path`, with its arxiv-digest options replaced by `plugin`, or without
    the plugin when `plugin` is None."""
    with (ROOT / "mkdocs.yml").open(encoding="utf-8") as file:
        site = yaml_load(file)
    site["docs_dir"] = str(ROOT / "docs")
    site["site_dir"] = str(tmp_path / name)
    site["hooks"] = [str(ROOT / hook) for hook in site["hooks"]]
    for extension in site["markdown_extensions"]:
        if isinstance(extension, dict) and "pymdownx.snippets" in extension:
            extension["pymdownx.snippets"]["base_path"] = [str(ROOT / "docs")]
    plugins = [entry for entry in site["plugins"] if not (isinstance(entry, dict) and "arxiv-digest" in entry)]
    assert len(plugins) == len(site["plugins"]) - 1, "the example site lists the plugin"
    site["plugins"] = plugins if plugin is None else [*plugins, {"arxiv-digest": plugin}]
    if plugin is not None:
        # The guard fails a build the plugin did not run in; switched off, it ran.
        site["markdown_extensions"].append("mkdocs_arxiv_digest.guard")
    path = tmp_path / f"{name}.yml"
    path.write_text(yaml.safe_dump(site, allow_unicode=True), encoding="utf-8")
    return path


def build_apart(config: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(config)], capture_output=True, text=True, env=env, cwd=config.parent
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def site_files(folder: Path) -> dict[str, bytes]:
    # sitemap.xml.gz holds the time it was compressed.
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != "sitemap.xml.gz"
    }


def test_switched_off_the_example_site_builds_as_without_the_plugin(tmp_path: Path, arxiv_api: FakeArxiv) -> None:
    # Online and with every output on: any work would show as a request, a file or a folder.
    options = {"enabled": False, "offline": False, "api_url": arxiv_api.url, "json": True, "feed": True}
    off = build_apart(example_site(tmp_path, "off", options))
    absent = build_apart(example_site(tmp_path, "absent", None))

    assert arxiv_api.requests == []
    assert not (tmp_path / ".cache").exists(), "the cache folder was made"
    assert off["renderers"] == 0, "the plugin's templates were loaded"
    imported = [name for name in off["modules"] if name.split(".")[0] in HEAVY]
    imported += [name for name in off["modules"] if name.removeprefix("mkdocs_arxiv_digest.") in PLUGIN_WORK]
    assert imported == []
    # Beyond what the site imports without the plugin (Pygments' lexers bring
    # IPython and sqlite3 on some machines), only the plugin's own light modules
    # and the standard library's (which of those a site imports anyway differs
    # between MkDocs versions: concurrent.futures, for one).
    extra = set(off["modules"]) - set(absent["modules"])
    foreign = [name for name in extra if name.split(".")[0] not in sys.stdlib_module_names]
    assert [name for name in foreign if not name.startswith("mkdocs_arxiv_digest")] == []

    built, without = site_files(tmp_path / "off"), site_files(tmp_path / "absent")
    assert not [name for name in built if name.endswith((".bib", ".xml")) and name != "sitemap.xml"]
    assert [name for name in built if name.endswith(".json")] == ["search/search_index.json"]
    assert list(built) == list(without)
    assert [name for name in built if built[name] != without[name]] == []
    # The pages that list papers are there, without a digest.
    reading = (tmp_path / "off" / "examples" / "reading-list" / "index.html").read_text(encoding="utf-8")
    assert "arxiv.org/abs/" not in reading


def test_switched_on_the_same_check_sees_the_plugin_work(tmp_path: Path) -> None:
    """The test above, with the plugin on and offline: what it counts as work shows."""
    on = build_apart(
        example_site(tmp_path, "on", {"offline": True, "snapshot": str(ROOT / "snapshot/arxiv-metadata.jsonl")})
    )
    assert on["renderers"] == 1
    assert {"diskcache", "mkdocs_arxiv_digest.cache", "mkdocs_arxiv_digest.pipeline"} <= set(on["modules"])
    assert (tmp_path / ".cache" / "plugin" / "arxiv-digest").is_dir()
    assert "arxiv.org/abs/" in (tmp_path / "on" / "examples" / "reading-list" / "index.html").read_text(
        encoding="utf-8"
    )


def load_with_env(site: Site) -> MkDocsConfig:
    """The site's config, its `enabled` read by `!ENV` from ARXIV_DIGEST_ENABLED."""
    path = site.write_config()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("arxiv-digest:\n", "arxiv-digest:\n    enabled: !ENV [ARXIV_DIGEST_ENABLED, true]\n"))
    assert "!ENV" in path.read_text(encoding="utf-8")
    return load_config(str(path), strict=True)


@pytest.mark.parametrize(("value", "works"), [(None, True), ("true", True), ("false", False)])
def test_enabled_is_read_from_the_environment(
    site: Site, arxiv_api: FakeArxiv, monkeypatch: pytest.MonkeyPatch, value: str | None, works: bool
) -> None:
    if value is None:
        monkeypatch.delenv("ARXIV_DIGEST_ENABLED", raising=False)
    else:
        monkeypatch.setenv("ARXIV_DIGEST_ENABLED", value)
    site.page("index.md", PAPERS)
    site.configure(cache_dir="cache")
    config = load_with_env(site)
    assert config.plugins["arxiv-digest"].config.enabled is works
    result = site.build(strict=True, config=config)
    assert result.error is None, result.warnings
    assert ("arxiv.org/abs/1605.08386" in site.html()) is works
    assert bool(arxiv_api.requests) is works
    assert (site.root / "cache").exists() is works
    assert (site.root / "site" / "index.bib").exists() is works


def test_a_serve_rebuild_switched_off_keeps_nothing_of_the_one_before(site: Site, arxiv_api: FakeArxiv) -> None:
    site.page("index.md", PAPERS)
    site.page("plain.md", None, "# Plain\n")
    site.extra = {"site_url": "https://example.org/"}
    site.configure(feed=True, json=True)
    config = site.load()
    config.plugins.on_startup(command="serve", dirty=False)
    try:
        assert site.build(config=config, startup=None).error is None
        assert 'type="application/atom+xml"' in site.html("plain.md")
        site.configure(feed=True, json=True, enabled=False)
        off = site.load()
        assert off.plugins["arxiv-digest"] is config.plugins["arxiv-digest"], "serve keeps the instance"
        (site.root / "site").rename(site.root / "before")
        result = site.build(config=off, startup=None)
    finally:
        config.plugins.on_shutdown()
    assert result.error is None and result.warnings == []
    assert "arxiv.org/abs/" not in site.html()
    assert 'type="application/atom+xml"' not in site.html("plain.md")
    assert sorted(p.name for p in (site.root / "site").iterdir() if p.suffix in (".xml", ".bib", ".json")) == [
        "sitemap.xml"
    ]
    assert len(arxiv_api.requests) == 1
