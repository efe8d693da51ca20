"""Hostile text from arXiv, a snapshot or a model never becomes live HTML: checked
in the built pages, and in a real browser that runs whatever got through; the
API key never reaches the site, the cache or the log."""

from __future__ import annotations

import contextlib
import html
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

import browser
from conftest import Site
from fake_openai import FakeOpenAI, paper_of


def js(kind: str) -> str:
    """Code that leaves a mark on the page if it ever runs: `<body data-pwned-KIND="1">`.
    It has none of the characters the plugin escapes (`=`, `|`, `+`, `_`…): were
    the text let through as HTML, it would run as written."""
    return f"document.body.setAttribute('data-pwned-{kind}','1')"


# Each is shown as text wherever it lands; none may become an element, an attribute or a link.
TEXT_PAYLOADS = [
    f"<script>{js('script')}</script>",
    f'<img src=x onerror="{js("img")}">',
    f'<iframe srcdoc="<script>parent.{js("iframe")}</script>"></iframe>',
    f'<svg onload="{js("svg")}"></svg>',
    f'<details open ontoggle="{js("details")}">x</details>',
    f'<a href="javascript:{js("a")}">raw link</a>',
    f"[click me](javascript:{js('link')})",
    "![pixel](https://evil.example/pixel.png)",
    "<https://evil.example/autolink>",
    "<style>body{display:none}</style>",
    "a | b | c",
    "[^1]: a footnote definition",
    "{{ config.site_name }} and {% if true %}jinja{% endif %}",
    f'{{: onclick="{js("attr")}" }}',
    '<div markdown="1">*md in html*</div>',
    "&lt;script&gt; stays &amp;lt;",
    "<!-- an unterminated comment",
    "`inline code` and ``more``",
]
# Math reaches arithmatex as math (its `<` turned into `\lt{}`), so it is not shown verbatim.
MATH_PAYLOAD = f'$x<y$ and $<img src=x onerror="{js("math")}">$'
ALL = " ".join([*TEXT_PAYLOADS, MATH_PAYLOAD])

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


class _Elements(HTMLParser):
    """Every element with its attributes, and the text of scripts and of the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str]]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, [(name, value or "") for name, value in attrs]))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.text).append(data)


def parse(markup: str) -> _Elements:
    parser = _Elements()
    parser.feed(markup)
    parser.close()
    return parser


URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "xlink:href", "background"}


def live_payloads(markup: str) -> list[str]:
    """What a payload turned into markup: elements, event handlers, script URLs, script text."""
    found = []
    page = parse(markup)
    for tag, attrs in page.elements:
        if tag == "iframe" or (tag == "img" and ("src", "x") in attrs):
            found.append(f"<{tag}>")
        for name, value in attrs:
            squashed = re.sub(r"[\s\x00-\x1f]", "", value).lower()
            if name.startswith("on") or name == "srcdoc":
                found.append(f"<{tag} {name}=...>")
            elif name in URL_ATTRIBUTES and (
                squashed.startswith(("javascript:", "vbscript:")) or "evil.example" in squashed
            ):
                found.append(f"<{tag} {name}={value[:60]!r}>")
            elif "pwned" in value and name not in ("id", "title") and not (name == "href" and value.startswith("#")):
                # A heading's id, its link, and a tooltip's text are harmless.
                found.append(f"<{tag} {name}={value[:60]!r}>")
    found += [f"<script>{text[:60]}" for text in page.scripts if "pwned" in text]
    return found


def visible_text(markup: str) -> str:
    return " ".join(" ".join(parse(markup).text).split())


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


def body_marks(dom: str) -> list[str]:
    """The payloads that ran, by the marks they left on `<body>`."""
    body = re.search(r"<body\b[^>]*>", dom)
    return re.findall(r"\bdata-pwned-([a-z-]+)=", body.group()) if body else ["<no body>"]


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

KEY = "sk-test-hostile-3f9c2a7e1b5d"


@pytest.fixture
def keyed_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Site, FakeOpenAI]]:
    monkeypatch.setenv("ARXIV_DIGEST_HOSTILE_KEY", KEY)
    with FakeOpenAI() as server:
        site = Site(tmp_path, "http://127.0.0.1:9/never")
        (tmp_path / "snap.jsonl").write_text("".join(json.dumps(record) + "\n" for record in SNAPSHOT[1:]))
        site.page("index.md", [PLAIN_ID])
        site.configure(
            offline=True,
            snapshot="snap.jsonl",
            summarizer="openai",
            llm={"base_url": server.url, "api_key_env": "ARXIV_DIGEST_HOSTILE_KEY", "timeout": 5, "retries": 1},
        )
        yield site, server


def assert_key_nowhere(site: Site, logs: list[Any]) -> None:
    log = "\n".join(record.getMessage() + repr(record.args) for record in logs)
    assert KEY not in log
    for folder in (site.root / "site", site.root / ".cache"):
        for path in folder.rglob("*"):
            if path.is_file():
                assert KEY.encode() not in path.read_bytes(), path


def echo(status: int) -> bytes:
    message = f"Incorrect API key provided: {KEY}. You sent the header Authorization: Bearer {KEY}"
    return json.dumps({"error": {"message": message, "type": "invalid_request_error", "code": str(status)}}).encode()


@pytest.mark.parametrize("status", [401, 400, 500])
def test_a_key_echoed_in_an_error_never_reaches_the_site_the_cache_or_the_log(
    keyed_site: tuple[Site, FakeOpenAI], status: int
) -> None:
    site, server = keyed_site
    server.fail(status=status, body=echo(status), times=10)
    result = site.build()
    assert server.requests[0].authorization == f"Bearer {KEY}", "the key was sent"
    warned = [w for w in result.warnings if "Summaries from" in w]
    assert warned and f"HTTP {status}" in warned[0], result.warnings
    assert_key_nowhere(site, result.logs)


def test_a_key_echoed_in_an_answer_never_reaches_the_site_or_the_cache(keyed_site: tuple[Site, FakeOpenAI]) -> None:
    site, server = keyed_site
    answer = {"id": PLAIN_ID, "title": "An ordinary paper", "tldr": f"Your request carried Bearer {KEY}."}
    server.fail(content=json.dumps(answer))
    result = site.build()
    assert result.error is None
    assert_key_nowhere(site, result.logs)


def test_a_key_with_a_trailing_newline_works_or_is_named(
    keyed_site: tuple[Site, FakeOpenAI], monkeypatch: pytest.MonkeyPatch
) -> None:
    site, server = keyed_site
    monkeypatch.setenv("ARXIV_DIGEST_HOSTILE_KEY", KEY + "\r\n")
    result = site.build()
    said = "\n".join(result.messages())
    assert server.calls == 1 or "api_key_env" in said, said
    assert_key_nowhere(site, result.logs)
