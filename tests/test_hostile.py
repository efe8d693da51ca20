"""Hostile text from arXiv, a snapshot or a model (the strings are in
`hostile.py`) never becomes live HTML: checked in the built pages, and in a
real browser that runs whatever got through. The API key's own tests are in
`test_api_key.py`."""

from __future__ import annotations

import contextlib
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import browser
from conftest import Site
from fake_openai import FakeOpenAI, paper_of
from hostile import ALL, MATH_PAYLOAD, TEXT_PAYLOADS, body_marks, js, live_payloads, parse, visible_text

HOSTILE_ID = "2501.00001"
PLAIN_ID = "2501.00002"
SNAPSHOT = [
    {
        "id": HOSTILE_ID,
        "title": "Robust models " + ALL,
        "abstract": "We study attacks. " + ALL + " It works.",
        "authors_parsed": [
            [f'<img src=x onerror="{js("author")}">', "Eve", ""],
            ["Mallory", f"<script>{js('name')}</script>", ""],
        ],
        "comments": ALL,
        "categories": f"<svg/onload={js('category')}> cs.CR",
        "journal-ref": ALL,
        "doi": f"10.1000/<script>{js('doi')}</script>",
        "versions": [{"version": "v1", "created": "Wed, 1 Jan 2025 00:00:00 GMT"}],
    },
    {
        "id": PLAIN_ID,
        "title": "An ordinary paper",
        "abstract": "We show that ordinary papers are ordinary. The proof is short.",
        "authors_parsed": [["Doe", "Jane", ""]],
        "categories": "cs.DL",
        "versions": [{"version": "v1", "created": "Thu, 2 Jan 2025 00:00:00 GMT"}],
    },
]


def hostile_answer(request: dict[str, Any]) -> str:
    """A model's answer about the paper it was asked about, every field hostile."""
    paper = paper_of(request)
    return json.dumps(
        {
            "id": paper["id"],
            "title": paper["title"] + " " + ALL,  # still this paper's title, as English pages require
            "tldr": "TLDR " + ALL,
            "tldr_en": "TLDR " + ALL,
            "abstract": "Translated. " + ALL,
            "takeaways": TEXT_PAYLOADS[:7],
            "structured": {
                "background": TEXT_PAYLOADS[0],
                "prior_work": TEXT_PAYLOADS[1],
                "method": TEXT_PAYLOADS[6],
                "results": MATH_PAYLOAD,
                "conclusion": TEXT_PAYLOADS[13],
            },
            "keywords": [f'<img src=x onerror="{js("keyword")}">', f"<script>{js('kw')}</script>", "robustness"],
        }
    )


@pytest.fixture(scope="module")
def hostile_model() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(responder=hostile_answer) as server:
        yield server


MINIMAL = ["footnotes", "attr_list", "md_in_html", {"pymdownx.arithmatex": {"generic": True}}]
FULL = [
    *MINIMAL,
    "abbr",
    "admonition",
    "def_list",
    "tables",
    {"toc": {"permalink": True}},
    "pymdownx.details",
    "pymdownx.superfences",
    {"pymdownx.tabbed": {"alternate_style": True}},
]


def hostile_site(root: Path, model: FakeOpenAI, extensions: list[Any], layout: str = "digest", **options: Any) -> Site:
    site = Site(root, "http://127.0.0.1:9/never")  # offline: no request is made
    (root / "snap.jsonl").write_text("".join(json.dumps(record) + "\n" for record in SNAPSHOT), encoding="utf-8")
    site.page("index.md", None, "# Home\n\nNothing here.\n")
    site.page("en.md", {"ids": [HOSTILE_ID, PLAIN_ID]}, "English digest.\n")
    site.page("zh.md", {"ids": [HOSTILE_ID, PLAIN_ID], "language": "zh"}, "Chinese digest.\n")
    site.configure(
        offline=True,
        snapshot="snap.jsonl",
        layout=layout,
        summarizer="openai",
        llm={"base_url": model.url, "model": "fake-model", "api_key_env": "", "timeout": 5, "retries": 0},
        **options,
    )
    site.extra = {"theme": {"name": "material", "font": False}, "markdown_extensions": extensions}
    return site


@pytest.mark.parametrize("layout", ["digest", "chatpaper"])
@pytest.mark.parametrize("extensions", [MINIMAL, FULL], ids=["minimal", "full"])
def test_hostile_metadata_and_answers_are_shown_as_text(
    tmp_path: Path, hostile_model: FakeOpenAI, layout: str, extensions: list[Any]
) -> None:
    site = hostile_site(tmp_path, hostile_model, extensions, layout)
    result = site.build(strict=True)
    assert result.error is None, result.warnings

    for name in ("en.md", "zh.md"):
        content = site.content(name)
        tags = {tag for tag, _ in parse(content).elements}
        assert not tags & {"script", "img", "iframe", "svg", "style", "object", "embed", "form"}, tags
        assert live_payloads(content) == [], name
        assert 'class="footnote"' not in content and 'id="fnref' not in content
        text = visible_text(content)
        for payload in TEXT_PAYLOADS:
            assert payload in text, (name, payload)
        assert "TLDR " + TEXT_PAYLOADS[0] in text, "the model's answer is shown, as text"
        assert f"https://arxiv.org/abs/{PLAIN_ID}" in content, "the paper after the hostile one is there"
        if layout == "digest":
            rows = re.findall(r"<tr>(.*?)</tr>", content, re.S)
            assert len(rows) == 3 and all(len(re.findall(r"<t[hd][ >]", row)) == 3 for row in rows), rows
        # Nothing outside the article either: navigation, table of contents, title, scripts.
        assert live_payloads(site.html(name)) == [], name
    assert "Translated. " + TEXT_PAYLOADS[0] in visible_text(site.content("zh.md"))

    index = json.loads((site.root / "site" / "search" / "search_index.json").read_text())
    for doc in index["docs"]:
        for field in (doc["title"], doc["text"]):
            assert not re.search(r"<(script|img|iframe|svg|style)\b", field, re.I), field[:200]


def test_hostile_categories_and_keywords_in_tags_are_shown_as_text(tmp_path: Path, hostile_model: FakeOpenAI) -> None:
    site = with_tags_plugin(hostile_site(tmp_path, hostile_model, FULL, tags=["categories", "keywords"]))
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    html_page = site.html("en.md")
    assert 'class="md-tag' in html_page, "the tags are shown"
    assert live_payloads(html_page) == []


def with_tags_plugin(site: Site) -> Site:
    """The site, with Material's tags plugin before this one."""
    write = site.write_config

    def write_config() -> Path:
        path = write()
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["plugins"].insert(0, "tags")
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return path

    site.write_config = write_config  # type: ignore[method-assign]
    return site


def test_a_valid_answer_quoting_a_code_fence_is_accepted(tmp_path: Path) -> None:
    def answer(request: dict[str, Any]) -> str:
        paper = paper_of(request)
        return json.dumps({"id": paper["id"], "title": paper["title"], "tldr": "Wraps ``` fences in {braces}."})

    with FakeOpenAI(responder=answer) as model:
        site = hostile_site(tmp_path, model, MINIMAL)
        result = site.build()
    assert result.error is None
    assert not [w for w in result.warnings if "summarizer failed" in w], result.warnings
    assert "Wraps ``` fences in {braces}." in visible_text(site.content("en.md"))


# In a real browser


def http_server(folder: Path) -> contextlib.AbstractContextManager[str]:
    return browser.serve(folder)


def dump_dom(chromium: Path, url: str, profile: Path) -> str:
    return browser.dump_dom(url, profile)


CONTROL = f"""# Control

A script written by the site's author runs:

<script>{js("control-script")}</script>

<img src="x" onerror="{js("control-img")}">
"""


def test_the_browser_check_sees_a_script_that_runs(tmp_path: Path, chromium: Path) -> None:
    # Proof that the check below can fail: raw HTML in the Markdown itself is live.
    site = Site(tmp_path, "http://127.0.0.1:9/never")
    site.page("index.md", None, CONTROL)
    site.extra = {"theme": {"name": "material", "font": False}}
    assert site.build(strict=True).error is None
    with http_server(site.root / "site") as url:
        dom = dump_dom(chromium, url, tmp_path / "profile")
    assert sorted(body_marks(dom)) == ["control-img", "control-script"], dom[:2000]


@pytest.mark.parametrize("layout", ["digest", "chatpaper"])
def test_no_hostile_text_runs_in_a_browser(
    tmp_path: Path, chromium: Path, hostile_model: FakeOpenAI, layout: str
) -> None:
    site = hostile_site(tmp_path, hostile_model, FULL, layout)
    assert site.build(strict=True).error is None
    with http_server(site.root / "site") as url:
        for page in ("en", "zh"):
            dom = dump_dom(chromium, f"{url}{page}/", tmp_path / f"profile-{page}")
            assert body_marks(dom) == [], f"{page}: payloads ran"
            assert "pwned" not in (re.search(r"<title>(.*?)</title>", dom, re.S) or [""])[0]
            anchor = "arxiv-" + HOSTILE_ID.replace(".", "-")
            assert f'id="{anchor}"' in dom, "the digest is on the page"
            if layout == "digest":
                assert re.search(f'<a href="#{anchor}"(?: title="[^"]*")?>1</a>', dom), "with its table"
            assert f"https://arxiv.org/abs/{PLAIN_ID}" in dom
            assert TEXT_PAYLOADS[0] in html.unescape(re.sub(r"<[^>]+>", "", dom)), "the payload is shown as text"


def test_no_hostile_tag_runs_in_a_browser(tmp_path: Path, chromium: Path, hostile_model: FakeOpenAI) -> None:
    site = with_tags_plugin(hostile_site(tmp_path, hostile_model, FULL, tags=["categories", "keywords"]))
    assert site.build(strict=True).error is None
    with http_server(site.root / "site") as url:
        dom = dump_dom(chromium, f"{url}en/", tmp_path / "profile")
    assert 'class="md-tag' in dom
    assert body_marks(dom) == [], "payloads ran"


# Secrets
