"""Untrusted text never executes.

A corpus of hostile entries reaches the plugin through each channel (the arXiv
API, a snapshot, a model's answers), in both layouts and in English and
Chinese, across Markdown extension stacks (arithmatex generic and not, each
`inline_syntax`, typographic extensions, mkdocs-macros before and after the
plugin). Each built page is checked against an allowlist: only the elements
and attributes a digest is made of, only links the plugin makes, no image, no
template evaluated. A fuzzer does the same with random strings built from the
pieces of these attacks, and math that should render is checked to render.
"""

from __future__ import annotations

import html
import json
import logging
import os
import pickle
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bibtexparser
import diskcache
import jinja2
import jinja2.bccache
import markdown
import pybtex.database
import pybtex.errors
import pytest

import mkdocs_arxiv_digest
from conftest import ORDINARY_RECORD, Site
from fake_arxiv import FakeArxiv
from fake_openai import FakeOpenAI, paper_of
from hostile import BIB_TITLES, CONTROL_MATH, CORPUS, JS, TITLE_HEAD, body_marks, fuzz_strings, live_payloads, parse
from mkdocs_arxiv_digest.bibtex import bibliography
from mkdocs_arxiv_digest.escape import Math
from mkdocs_arxiv_digest.ids import ArxivId, Entry
from mkdocs_arxiv_digest.records import Paper, Summary
from mkdocs_arxiv_digest.render import Item, Renderer
from test_hostile import dump_dom, http_server

HOSTILE_ID, PLAIN_ID = "2501.00001", "2501.00002"

ARITHMATEX = "pymdownx.arithmatex"
BASE = [
    "attr_list",
    "md_in_html",
    "tables",
    "footnotes",
    "abbr",
    "def_list",
    "admonition",
    "pymdownx.details",
    "pymdownx.superfences",
    {"pymdownx.tabbed": {"alternate_style": True}},
    {"toc": {"permalink": True}},
]
TYPOGRAPHIC = [
    "pymdownx.inlinehilite",
    "pymdownx.magiclink",
    "pymdownx.smartsymbols",
    "pymdownx.emoji",  # its default index writes `<img>` from a CDN
    "pymdownx.critic",
    "pymdownx.caret",
    "pymdownx.mark",
    "pymdownx.tilde",
    "pymdownx.keys",
    "pymdownx.betterem",
    "pymdownx.snippets",
    "smarty",
]
STACKS: dict[str, list[Any]] = {
    "generic": [*BASE, {ARITHMATEX: {"generic": True}}],
    "mathjax-script": [*BASE, {ARITHMATEX: {"generic": False}}],
    "round-only": [*BASE, {ARITHMATEX: {"generic": True, "inline_syntax": ["round"]}}],
    "plain-dollar-only": [*BASE, {ARITHMATEX: {"generic": True, "inline_syntax": ["dollar"], "smart_dollar": False}}],
    "typographic": [*BASE, *TYPOGRAPHIC, {ARITHMATEX: {"generic": True}}],
    "no-math": [*BASE, *TYPOGRAPHIC],
}

ALLOWED_TAGS = {
    "p", "a", "strong", "em", "table", "thead", "tbody", "tr", "th", "td", "h2", "h3", "h4", "ul", "li",
    "span", "div", "details", "summary", "pre", "code", "input", "label", "hr", "h1",
    "script",  # only arithmatex's `math/tex`, checked below
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "class",
    "id",
    "href",
    "title",
    "type",
    "name",
    "checked",
    "for",
    "data-tabs",
    "open",
    "hidden",
    "data-search-exclude",
}
OUR_LINKS = re.compile(r"#[\w-]+|https://arxiv\.org/(abs|pdf)/[\w./-]+|https://doi\.org/\S+|(\.\./)?[\w.-]+\.bib")


def assert_inert(markup: str, where: str) -> None:
    """Only what a digest is made of: its elements and attributes, links the
    plugin makes, no image, no script but math, no template evaluated."""
    page = parse(markup)
    for tag, attrs in page.elements:
        assert tag in ALLOWED_TAGS, f"{where}: <{tag} {attrs}>"
        if tag == "script":
            assert [name for name, _ in attrs] == ["type"], f"{where}: <script {attrs}>"
        for name, value in attrs:
            assert name in ALLOWED_ATTRIBUTES, f"{where}: <{tag} {name}={value!r}>"
            if name == "href":
                assert OUR_LINKS.fullmatch(value), f"{where}: a link the plugin did not make: {value!r}"
            if tag == "script":
                assert name == "type" and value.startswith("math/tex"), f"{where}: <script {name}={value!r}>"
    assert "PWNED-VARIABLE" not in markup and "5439" not in markup, f"{where}: a template was evaluated"
    assert "Macro Syntax Error" not in markup and "TemplateSyntaxError" not in markup, where


def math_rendered(markup: str, generic: bool) -> list[str]:
    """The TeX of each span arithmatex made."""
    if generic:
        return [html.unescape(t) for t in re.findall(r'<span class="arithmatex">\\\((.*?)\\\)</span>', markup)]
    return [html.unescape(t) for t in re.findall(r'<script type="math/tex">(.*?)</script>', markup)]


# Whole sites


def hostile_record(arxiv_id: str) -> dict[str, Any]:
    text = " ".join(CORPUS)
    return {
        "id": arxiv_id,
        "title": TITLE_HEAD + CONTROL_MATH + " " + text,
        "abstract": f"We study {CONTROL_MATH}. {text} It works.",
        "authors_parsed": [[f"<img src=x onerror={JS}>", "Eve", ""], ["{{ pwned_var }}", "Mallory", ""]],
        "comments": text,
        "categories": "cs.CR",
        "journal-ref": text,
        "versions": [{"version": "v1", "created": "Wed, 1 Jan 2025 00:00:00 GMT"}],
    }


PLAIN_RECORD = ORDINARY_RECORD


def hostile_answer(request: dict[str, Any]) -> str:
    """A model's answer about the paper it was asked about, every field hostile."""
    paper = paper_of(request)
    text = " ".join(CORPUS)
    return json.dumps(
        {
            "id": paper["id"],
            "title": paper["title"] + " " + text,
            "tldr": f"TLDR {CONTROL_MATH} {text}",
            "tldr_en": f"TLDR {text}",
            "abstract": f"Translated {CONTROL_MATH}. {text}",
            "takeaways": CORPUS[:8],
            "structured": {part: CORPUS[i] for i, part in enumerate(("background", "prior_work", "method", "results"))},
            "keywords": CORPUS[8:12],
        }
    )


@pytest.fixture(scope="module")
def hostile_model() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(responder=hostile_answer) as server:
        yield server


def hostile_site(root: Path, api_url: str, model: FakeOpenAI, extensions: list[Any], **options: Any) -> Site:
    site = Site(root, api_url)
    site.page("index.md", None, "# Home\n\nNothing here.\n")
    site.page("en.md", {"ids": [HOSTILE_ID, PLAIN_ID]}, "English digest.\n")
    site.page("zh.md", {"ids": [HOSTILE_ID, PLAIN_ID], "language": "zh"}, "Chinese digest.\n")
    site.configure(
        summarizer="openai",
        llm={"base_url": model.url, "model": "fake-model", "api_key_env": "", "timeout": 5, "retries": 0},
        bibtex=True,
        **options,
    )
    site.extra = {"markdown_extensions": extensions, "extra": {"pwned_var": "PWNED-VARIABLE"}}
    return site


def from_snapshot(site: Site) -> Site:
    records = [hostile_record(HOSTILE_ID), PLAIN_RECORD]
    (site.root / "snap.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    site.options.update(offline=True, snapshot="snap.jsonl")
    return site


def check_site(site: Site, extensions: list[Any]) -> None:
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    arithmatex = next((e[ARITHMATEX] for e in extensions if isinstance(e, dict) and ARITHMATEX in e), None)
    for name in ("en.md", "zh.md"):
        content = site.html(name)
        article = re.search(r'<div class="col-md-9" role="main">(.*)<footer', content, re.S)
        assert article, name
        body = article.group(1).split('<h2 id="summary"', 1)[-1].split('<h2 id="_1"', 1)[-1]
        assert_inert(body, name)
        # TeX inside arithmatex's `math/tex` scripts is never run; everything else is looked at.
        assert live_payloads(re.sub(r'<script type="math/tex">.*?</script>', "", content, flags=re.S)) == [], name
        text = " ".join(parse(body).text)
        assert "ordinary papers are ordinary" in text or "An ordinary paper" in text, "the next paper is there"
        for piece in ("{{ pwned_var }}", "![img](https://evil.example/pixel.png)", "<script>", ":fire:"):
            assert piece in text, (name, piece)
        assert "{ #arxiv-2501-00002 }" in text, "a title's own `{ #id }` stays text"
        assert re.findall(r'<h[1-6] id="(arxiv-[^"]+)"', body) == ["arxiv-2501-00001", "arxiv-2501-00002"], name
        if arithmatex is not None:
            rendered = math_rendered(body, arithmatex.get("generic", False))
            syntax = arithmatex.get("inline_syntax", ["dollar", "round"])
            assert ("x^2 + y_1" in rendered) == ("round" in syntax), f"{name}: \\(…\\) renders as math"
            assert ("x^2 + y_2" in rendered) == ("dollar" in syntax), f"{name}: $…$ renders as math"
    assert_bib_parses((site.root / "site" / "en.bib").read_text(encoding="utf-8"), 2)


def assert_bib_parses(text: str, count: int) -> dict[str, str]:
    """The `.bib` text read by two BibTeX parsers, each finding `count` entries;
    the titles as pybtex (which counts braces as BibTeX does) reads them."""
    pybtex.errors.set_strict_mode(True)
    entries = pybtex.database.parse_string(text, "bibtex").entries
    assert len(entries) == count, text
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks and len(library.entries) == count, text
    return {key: entry.fields["title"] for key, entry in entries.items()}


@pytest.mark.parametrize("layout", ["digest", "chatpaper"])
@pytest.mark.parametrize("stack", list(STACKS))
def test_hostile_snapshot_and_answers_stay_text(
    tmp_path: Path, hostile_model: FakeOpenAI, stack: str, layout: str
) -> None:
    site = from_snapshot(
        hostile_site(tmp_path, "http://127.0.0.1:9/never", hostile_model, STACKS[stack], layout=layout)
    )
    check_site(site, STACKS[stack])


@pytest.mark.parametrize("stack", ["generic", "round-only", "typographic"])
def test_hostile_api_answers_stay_text(
    tmp_path: Path, arxiv_api: FakeArxiv, hostile_model: FakeOpenAI, stack: str
) -> None:
    record = hostile_record(HOSTILE_ID)
    control = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # XML cannot carry these: neither can arXiv
    arxiv_api.add_paper(
        HOSTILE_ID,
        title=control.sub("", record["title"]),
        summary=control.sub("", record["abstract"]),
        authors=[f"<img src=x onerror={JS}>", "{{ pwned_var }} Mallory"],
        comment=control.sub("", record["comments"]),
    )
    arxiv_api.add_paper(PLAIN_ID, title="An ordinary paper", summary="We show that ordinary papers are ordinary.")
    site = hostile_site(tmp_path, arxiv_api.url, hostile_model, STACKS[stack])
    check_site(site, STACKS[stack])
    assert len(arxiv_api.requests) == 1


@pytest.mark.parametrize("order", ["before", "after"])
@pytest.mark.parametrize("layout", ["digest", "chatpaper"])
def test_mkdocs_macros_evaluates_nothing_from_outside(
    tmp_path: Path, hostile_model: FakeOpenAI, order: str, layout: str
) -> None:
    extensions = STACKS["typographic"]
    site = from_snapshot(hostile_site(tmp_path, "http://127.0.0.1:9/never", hostile_model, extensions, layout=layout))
    site.page("index.md", None, "# Home\n\nThe variable is {{ pwned_var }}.\n")  # the site's own use of macros
    (site.plugins_before if order == "before" else site.plugins_after).append({"macros": {"on_error_fail": True}})
    check_site(site, extensions)
    assert "The variable is PWNED-VARIABLE." in site.html("index.md"), "macros runs on the site's own pages"


def test_custom_macros_delimiters_are_avoided_too(tmp_path: Path, hostile_model: FakeOpenAI) -> None:
    site = from_snapshot(hostile_site(tmp_path, "http://127.0.0.1:9/never", hostile_model, STACKS["generic"]))
    site.plugins_after.append(
        {"macros": {"on_error_fail": True, "j2_variable_start_string": "[[", "j2_variable_end_string": "]]"}}
    )
    record = hostile_record(HOSTILE_ID)
    record["title"] = r"Sets $[[ pwned_var ]]$ and $A_{[[}$ " + CONTROL_MATH
    (site.root / "snap.jsonl").write_text(json.dumps(record) + "\n" + json.dumps(PLAIN_RECORD) + "\n")
    check_site(site, STACKS["generic"])


# In a real browser


@pytest.mark.parametrize("layout", ["digest", "chatpaper"])
def test_no_hostile_entry_runs_in_a_browser(
    tmp_path: Path, chromium: Path, hostile_model: FakeOpenAI, layout: str
) -> None:
    site = from_snapshot(
        hostile_site(tmp_path, "http://127.0.0.1:9/never", hostile_model, STACKS["typographic"], layout=layout)
    )
    site.plugins_after.append("macros")
    site.extra["theme"] = {"name": "material", "font": False}
    assert site.build(strict=True).error is None
    with http_server(site.root / "site") as url:
        for page in ("en", "zh"):
            dom = dump_dom(chromium, f"{url}{page}/", tmp_path / f"profile-{page}")
            assert body_marks(dom) == [], f"{page}: payloads ran"
            assert "PWNED-VARIABLE" not in dom
            assert 'id="arxiv-2501-00001"' in dom and f"https://arxiv.org/abs/{PLAIN_ID}" in dom


# The fuzzer

FUZZ_STACKS = ["generic", "mathjax-script", "round-only", "typographic"]


@pytest.mark.parametrize("stack", FUZZ_STACKS)
def test_fuzzed_hostile_strings_never_come_out_live(stack: str) -> None:
    extensions = [e for e in STACKS[stack] if not isinstance(e, dict)]
    configs = {k: v for e in STACKS[stack] if isinstance(e, dict) for k, v in e.items()}
    extensions += list(configs)
    math = Math.of_site(extensions, configs)
    assert math is not None
    renderer = Renderer(math=math)
    md = markdown.Markdown(extensions=extensions, extension_configs=configs)
    identity = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    features = {"details": True, "tabbed": True, "admonition": True}
    for number, text in enumerate(fuzz_strings(seed=zlib.crc32(stack.encode()), count=60)):
        paper = Paper(
            id="2501.00001", version=1, title=text, abstract=text, authors=(text, "B"), comment=text,
            primary_category=text, published="2025-01-01", doi=text, journal_ref=text,
        )  # fmt: skip
        summary = Summary(
            tldr=text, title=text, abstract=text, takeaways=(text,), structured={"method": text}, keywords=(text,)
        )
        for layout in ("digest", "chatpaper"):
            source = renderer.render(
                [Item(1, Entry(ArxivId("2501.00001")), paper, summary)],
                "en",
                layout=layout,
                features=features,
                bibtex=True,
                bib_file="page.bib",
            )
            where = f"{stack}/{layout}/#{number}: {text!r}"
            assert identity.from_string(source).render() == source, f"{where}: template syntax in the Markdown"
            md.reset()
            assert_inert(md.convert(source), where)


def test_the_allowlist_check_sees_live_markup() -> None:
    # Proof that the check above can fail: the raw payloads, handed to Markdown as they are.
    md = markdown.Markdown(extensions=["attr_list", "md_in_html", "pymdownx.emoji", "pymdownx.magiclink"])
    for payload in (CORPUS[9], CORPUS[10], "![](x){: onerror=y}", "[x](javascript:y)", ":fire:", "www.evil.example"):
        md.reset()
        with pytest.raises(AssertionError):
            assert_inert(md.convert(payload), payload)
    with pytest.raises(AssertionError):
        assert_inert(jinja2.Environment().from_string("{{ 7*777 }}").render(), "jinja")


# BibTeX


def test_every_bib_file_parses_whatever_the_titles() -> None:
    papers = [
        Paper(
            id=f"2501.{index:05d}",
            version=1,
            title=title,
            abstract="A.",
            authors=("{Eve", "Mallory}"),
            published="2025-01-01",
            journal_ref="Vol. }3{",
            doi="10.1000/{x",
        )
        for index, title in enumerate(BIB_TITLES, start=1)
    ]
    titles = assert_bib_parses(bibliography(papers), len(papers))
    assert list(titles.values()) == list(BIB_TITLES.values())


def test_a_site_bib_file_parses_and_its_page_shows_no_template_syntax(
    tmp_path: Path, hostile_model: FakeOpenAI
) -> None:
    site = from_snapshot(hostile_site(tmp_path, "http://127.0.0.1:9/never", hostile_model, STACKS["generic"]))
    records = [
        {**PLAIN_RECORD, "id": f"2501.{index:05d}", "title": title} for index, title in enumerate(BIB_TITLES, start=10)
    ]
    (site.root / "snap.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    site.page("en.md", {"ids": [r["id"] for r in records]}, "English digest.\n")
    site.page("zh.md", {"ids": [r["id"] for r in records], "language": "zh"}, "Chinese digest.\n")
    site.plugins_after.append({"macros": {"on_error_fail": True}})
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    titles = assert_bib_parses((site.root / "site" / "en.bib").read_text(encoding="utf-8"), len(records))
    assert r"{\it Ab initio} calculations of $\mathrm{H_2O}$" in titles.values()
    code = " ".join(html.unescape(c) for c in re.findall(r"<code>(.*?)</code>", site.html("en.md"), re.S))
    assert "title = { {\\it Ab initio}" in code, "the page's copy cannot open a template"
    assert "5439" not in site.html("en.md")


# A poisoned cache


class _Planted:
    """Unpickled, it makes the folder `marker`: proof that code from the cache ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (str(self.marker),))


def plant(cache_dir: Path, marker: Path) -> int:
    """Replace every row of the cache with a pickle that runs code when read,
    add a row under a pickled key, and leave compiled templates (a pickle,
    then marshalled code) where Jinja's bytecode cache would read them."""
    with diskcache.Cache(str(cache_dir)) as store:  # diskcache's default Disk: it pickles
        keys = list(store.iterkeys())
        for key in keys:
            store.set(key, _Planted(marker))
        store.set(("a", "pickled", "key"), "x")
    folder = cache_dir / "templates"
    folder.mkdir(exist_ok=True)
    for template in (Path(mkdocs_arxiv_digest.__file__).parent / "templates").glob("*.j2"):
        key = jinja2.BytecodeCache().get_cache_key(template.name, str(template))
        payload = jinja2.bccache.bc_magic + pickle.dumps(_Planted(marker))
        (folder / f"__jinja2_{key}.cache").write_bytes(payload)
    return len(keys)


def test_a_poisoned_cache_runs_nothing_and_the_build_goes_on(tmp_path: Path, hostile_model: FakeOpenAI) -> None:
    (tmp_path / "site").mkdir()
    site = from_snapshot(hostile_site(tmp_path / "site", "http://127.0.0.1:9/never", hostile_model, STACKS["generic"]))
    assert site.build(strict=True).error is None
    marker = tmp_path / "code-ran"
    planted = plant(site.root / ".cache" / "plugin" / "arxiv-digest", marker)
    assert planted > 5, "papers, summaries, digests and front matter were cached"

    result = site.build()
    assert not marker.exists(), "a pickle from the cache was loaded"
    assert result.error is None
    damaged = [w for w in result.warnings if "is not data" in w]
    assert damaged and all("check who can write to 'cache_dir'" in w for w in damaged), result.warnings
    assert "the cache now holds only data" in "\n".join(result.messages(logging.INFO))
    assert not (site.root / ".cache" / "plugin" / "arxiv-digest" / "templates").exists()
    content = site.content("en.md")
    assert "An ordinary paper" in content and 'id="arxiv-2501-00001"' in content, "rebuilt from the snapshot"

    # The damaged rows were removed: the next build is clean, and --strict passes again.
    again = site.build(strict=True)
    assert again.error is None, again.warnings
    assert not marker.exists()


def test_a_poisoned_cache_fails_a_strict_build(tmp_path: Path, hostile_model: FakeOpenAI) -> None:
    (tmp_path / "site").mkdir()
    site = from_snapshot(hostile_site(tmp_path / "site", "http://127.0.0.1:9/never", hostile_model, STACKS["generic"]))
    assert site.build().error is None
    plant(site.root / ".cache" / "plugin" / "arxiv-digest", tmp_path / "code-ran")
    result = site.build(strict=True)
    assert result.error is not None and not (tmp_path / "code-ran").exists()


def test_a_pickle_under_the_key_the_cache_reads_first_is_one_warning_not_a_crash(site: Site, tmp_path: Path) -> None:
    # The cache reads its folder's format when it opens, which also finds a
    # corrupt database before the build relies on it; a pickle planted there is a damaged row.
    from mkdocs_arxiv_digest.cache import FOLDER_FORMAT_KEY

    site.page("index.md", ["1605.08386"])
    assert site.build(strict=True).error is None
    cache_dir = site.root / ".cache" / "plugin" / "arxiv-digest"
    marker = tmp_path / "code-ran"

    def poison() -> None:
        with diskcache.Cache(str(cache_dir)) as store:  # diskcache's default Disk: it pickles
            store.set(FOLDER_FORMAT_KEY, _Planted(marker))

    poison()
    result = site.build()
    assert result.error is None, result.warnings
    assert not marker.exists(), "a pickle from the cache was loaded"
    assert len(result.warnings) == 1 and repr(FOLDER_FORMAT_KEY) in result.warnings[0], result.warnings
    assert "is not data (its value is a pickle)" in result.warnings[0]
    assert 'id="arxiv-1605-08386"' in site.content(), "the cached paper is still shown"
    assert site.build(strict=True).error is None, "the row was removed"

    poison()
    strict = site.build(strict=True)
    assert strict.error is not None and not marker.exists()


def test_hostile_data_planted_in_the_cache_is_refused(tmp_path: Path, hostile_model: FakeOpenAI) -> None:
    # Valid JSON, wrong content: an ID that is markup, values of the wrong kind.
    (tmp_path / "site").mkdir()
    site = from_snapshot(hostile_site(tmp_path / "site", "http://127.0.0.1:9/never", hostile_model, STACKS["generic"]))
    assert site.build(strict=True).error is None
    evil_id = f"<img src=x onerror={JS}>"
    with diskcache.Cache(str(site.root / ".cache" / "plugin" / "arxiv-digest")) as store:
        for key in list(store.iterkeys()):
            if key.startswith("spec:"):
                store.set(key, json.dumps({"ids": [[evil_id, None], [PLAIN_ID, "1"]], "options": {}, "problems": []}))
            elif key.startswith(("paper:", "latest:")):
                record = json.loads(store.get(key))
                paper = record.get("paper", record)
                paper.update(id=evil_id, authors=[{"name": "not text"}])
                store.set(key, json.dumps(record))
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    content = site.html("en.md")
    assert live_payloads(content) == [] and "img" not in {tag for tag, _ in parse(content).elements}
    assert 'id="arxiv-2501-00001"' in content and "An ordinary paper" in content


def test_a_cite_key_is_made_for_any_author_and_title() -> None:
    for authors, title in [((" ",), "  "), ((), ""), (("\u3000",), "!!!"), (("O'Brien",), "{{ x }}")]:
        paper = Paper(id="2501.00001", version=1, title=title, abstract="", authors=authors, published="2025-01-01")
        key = bibliography([paper]).split("{", 1)[1].split(",", 1)[0]
        assert re.fullmatch(r"[a-z0-9]+", key), key


# A library file's titles (`library:`), shown in "Like:" on a ranked page


@pytest.mark.parametrize("layout", ["digest", "chatpaper"])
def test_hostile_titles_of_library_files_stay_text(site: Site, arxiv_api: FakeArxiv, layout: str) -> None:
    """A BibTeX or CSL-JSON export is outside text too: its titles never become
    an element, a link the plugin did not make, or template code that
    mkdocs-macros (after the plugin) would run; its `url` is never a link."""
    hostile = " ".join(CORPUS)
    csl = [
        {
            "id": "evil-1",
            "type": "article-journal",
            "title": TITLE_HEAD + CONTROL_MATH + " " + hostile,
            "abstract": "Binary hypothesis testing: the sample complexity of simple tests and their error exponents.",
            "URL": f"javascript:{JS}",
            "issued": {"date-parts": [[2025]]},
        }
    ]
    # TeX that becomes a link or a style in MathJax, HTML, Markdown and template syntax, braces balanced.
    bib_title = (
        rf"Tests](javascript:{JS}) \href{{javascript:{JS}}}{{x}} $\href{{javascript:{JS}}}{{y}}$ "
        rf"<script>{JS}</script> {{{{ pwned_var }}}} <img src=x onerror={JS}> {{: onclick={JS}}}"
    )
    bib = (
        "@misc{evil2,\n"
        f"  title = {{{bib_title}}},\n"
        "  abstract = {Tolerant distribution testing: samples that tell whether a distribution is close to a "
        "reference one or far from it in total variation distance.},\n"
        # An arXiv ID the fake API does not know, in a URL that is not arXiv's: the
        # ID is checked and the plugin makes the link; the rest of the URL is dropped.
        f'  url = {{https://evil.example/arxiv.org/abs/2401.99999"onmouseover="{JS}}},\n'
        "  year = {2025},\n}\n"
    )
    (site.root / "evil.json").write_text(json.dumps(csl), encoding="utf-8")
    (site.root / "evil.bib").write_text(bib, encoding="utf-8")
    site.page("news.md", {"query": "all:testing", "rank": "library", "max": 6, "layout": layout})
    site.configure(library=["evil.json", "evil.bib"])
    site.extra = {"markdown_extensions": STACKS["typographic"], "extra": {"pwned_var": "PWNED-VARIABLE"}}
    site.plugins_after.append({"macros": {"on_error_fail": True}})
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    content = site.content("news.md")
    assert live_payloads(re.sub(r'<script type="math/tex">.*?</script>', "", content, flags=re.S)) == []
    likes = re.findall(r"<strong>Like</strong>: (.*?) · score", content)
    assert len(likes) == 6
    # The lines that show the files' titles (the recorded search's own text, "10th" made
    # `10<sup>th</sup>` by smartsymbols, is not the subject here).
    assert_inert(" ".join(likes), layout)
    text = [" ".join(parse(like).text) for like in likes]
    # Both titles are shown, as text: the one without an ID alone, the other linked to arXiv.
    assert any("{{ pwned_var }}" in t and "<script>" in t and t.startswith("{ 7*777 } A study of") for t in text), text
    assert any(like.startswith('<a href="https://arxiv.org/abs/2401.99999">Tests](javascript:') for like in likes), (
        likes
    )
    assert not any("evil.example" in like and "href" in like.split("evil.example")[0][-10:] for like in likes)
