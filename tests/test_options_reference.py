"""The options reference in docs/configuration.md is generated from config.py
(by the hook scripts/options_reference.py): every option is in it, with its
type, default and docstring, and it cannot silently drift or vanish."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from mkdocs.commands.build import build
from mkdocs.config import config_options as c
from mkdocs.config import load_config
from mkdocs.utils.yaml import yaml_load

from mkdocs_arxiv_digest.config import SECTIONS, ArxivDigestConfig, LlmConfig, RankModelConfig

ROOT = Path(__file__).resolve().parents[1]
HOOK = ROOT / "scripts" / "options_reference.py"


@pytest.fixture(scope="module")
def hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("options_reference", HOOK)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def all_options() -> list[str]:
    names = [name for name, _ in ArxivDigestConfig._schema]
    subs = {"llm": LlmConfig, "rank_model": RankModelConfig}
    expanded = []
    for name in names:
        expanded.append(name)
        if name in subs:
            expanded += [f"{name}.{sub}" for sub, _ in subs[name]._schema]
    return expanded


def test_every_option_has_a_docstring(hook: ModuleType) -> None:
    for cls in (ArxivDigestConfig, LlmConfig, RankModelConfig):
        texts = hook.docstrings(cls)
        for name, _ in cls._schema:
            assert texts.get(name, "").strip(), f"{cls.__name__}.{name} has no docstring"


def test_every_option_is_in_the_reference_with_its_type_and_default(hook: ModuleType) -> None:
    markdown = hook.reference()
    options = {name: option for name, option, _ in hook.options()}
    assert list(options) == all_options()
    for name, option in options.items():
        kind, default = hook.kind(option), hook.default(option)
        assert f"| [`{name}`](#{hook.anchor(name)}) | {kind} | {default} |" in markdown, name
        section = markdown.split(f"\n### `{name}`\n", 1)[1].split("\n### ", 1)[0]
        assert section.startswith(f"\n**Type:** {kind} · **Default:** {default}\n"), name
        assert section.strip().count("\n") >= 2, f"{name}: no text under the type line"
    assert markdown.count("\n### ") == len(options)
    for title, _ in SECTIONS.values():
        assert f"\n## {title}\n" in markdown


@pytest.mark.parametrize(
    "row",
    [
        "| [`cache_dir`](#cache_dir) | path to a folder | `.cache/plugin/arxiv-digest` |",
        "| [`api_url`](#api_url) | `http://` or `https://` URL | `https://export.arxiv.org/api/query` |",
        "| [`batch_size`](#batch_size) | integer from 1 to 2000 | `100` |",
        "| [`timeout`](#timeout) | number, at least 0.1 | `30.0` |",
        "| [`offline`](#offline) | boolean | `false` |",
        "| [`snapshot`](#snapshot) | path to an existing file, optional | none |",
        "| [`language`](#language) | `en`, `zh` or a language in [`labels`](#labels) | `en` |",
        "| [`labels`](#labels) | mapping of languages to mappings of label names to text | `{}` |",
        "| [`summarizer`](#summarizer) | `extractive`, `openai` or `none` | `extractive` |",
        "| [`custom_templates`](#custom_templates) | path to an existing folder, optional | none |",
        "| [`tags`](#tags) | list of `categories` and `keywords` | `[]` |",
        "| [`llm.model`](#llmmodel) | text | `gpt-4o-mini` |",
        "| [`llm.temperature`](#llmtemperature) | number from 0 to 2 | `0.2` |",
        "| [`llm.max_summaries`](#llmmax_summaries) | integer, at least 0, optional | none |",
        "| [`rank_model.base_url`](#rank_modelbase_url) | `http://` or `https://` URL, optional | none |",
        "| [`rank_model.batch_size`](#rank_modelbatch_size) | integer from 1 to 2048 | `64` |",
    ],
)
def test_types_and_defaults_are_read_from_the_options(hook: ModuleType, row: str) -> None:
    assert row in hook.reference()


def test_an_option_of_a_type_without_words_is_an_error_not_a_guess(hook: ModuleType) -> None:
    with pytest.raises(TypeError):
        hook.kind(c.Deprecated())


def test_the_docs_hold_the_marker_and_the_site_runs_the_hook(hook: ModuleType) -> None:
    page = (ROOT / "docs" / hook.PAGE).read_text(encoding="utf-8")
    assert page.count(hook.MARKER) == 1
    assert "### `" not in page, "option sections are generated, not written in configuration.md"
    with (ROOT / "mkdocs.yml").open(encoding="utf-8") as file:
        site = yaml_load(file)
    assert "scripts/options_reference.py" in site.get("hooks", [])


def test_the_built_page_has_a_heading_for_every_link_of_the_table(tmp_path: Path, hook: ModuleType) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "configuration.md").write_text((ROOT / "docs" / "configuration.md").read_text(encoding="utf-8"))
    with (ROOT / "mkdocs.yml").open(encoding="utf-8") as file:
        extensions = yaml_load(file)["markdown_extensions"]  # the site's own, for its headings' ids
    site = {"site_name": "Test", "hooks": [str(HOOK)], "markdown_extensions": extensions}
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(site), encoding="utf-8")
    config = load_config(str(tmp_path / "mkdocs.yml"))
    build(config)
    html = (tmp_path / "site" / "configuration" / "index.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'<h[23] id="([^"]+)"', html))
    assert hook.MARKER not in html
    assert "Options at a glance" in html and "A full example" in html
    for name in all_options():
        assert hook.anchor(name) in ids, name
        assert f'<a href="#{hook.anchor(name)}"><code>{name}</code></a>' in html, name
