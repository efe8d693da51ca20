"""Text from arXiv and models is shown as written and never becomes markup."""

from __future__ import annotations

import html
import json
import re

import markdown
import pytest

from conftest import Site
from hostile import SHORT_PAYLOADS
from mkdocs_arxiv_digest.escape import Math, escape_text
from mkdocs_arxiv_digest.ids import ArxivId, Entry
from mkdocs_arxiv_digest.records import Paper, Summary
from mkdocs_arxiv_digest.render import Item, Renderer

EXTENSIONS = ["toc", "tables", "fenced_code", "footnotes", "attr_list", "md_in_html", "abbr", "def_list"]


MATH = Math.of_site([*EXTENSIONS, "pymdownx.arithmatex"], {"pymdownx.arithmatex": {"generic": True}})


def to_html(text: str, math: bool = False) -> str:
    extensions = EXTENSIONS + (["pymdownx.arithmatex"] if math else [])
    return markdown.markdown(text, extensions=extensions, extension_configs={"pymdownx.arithmatex": {"generic": True}})


def visible(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


@pytest.mark.parametrize("text", SHORT_PAYLOADS)
@pytest.mark.parametrize("math", [False, True])
def test_hostile_text_is_inert_and_shown_as_written(text: str, math: bool) -> None:
    out = to_html(escape_text(text, MATH if math else None), math=math)
    assert re.fullmatch(r"<p>[^<>]*</p>", out), out  # no element at all inside the paragraph
    assert visible(out) == text
    table = to_html(f"| a | b |\n| --- | --- |\n| {escape_text(text, MATH if math else None)} | x |\n", math=math)
    assert table.count("<td>") == 2, table


def test_math_reaches_arithmatex_intact() -> None:
    text = (
        r"Energy $E_{k} < m|x|^2$ for *all* $\alpha_i$, costs $5 and $10, \( a_1 \) and \[\sum_i b_i\], $\|v\| \& w$."
    )
    out = to_html(escape_text(text, MATH), math=True)
    spans = re.findall(r'<span class="arithmatex">(.*?)</span>', out)
    assert [html.unescape(s) for s in spans] == [
        r"\(E_{k} \lt{} m\vert{}x\vert{}^2\)",
        r"\(\alpha_i\)",
        r"\(a_1\)",
        r"\(\sum_i b_i\)",
        r"\(\Vert{}v\Vert{} \& w\)",
    ]
    assert "for *all*" in html.unescape(out) and "$5 and $10" in html.unescape(out)


def test_digest_escapes_every_field_and_only_lets_http_links_through() -> None:
    evil = "<script>alert(1)</script> | [x](javascript:alert(1))"
    paper = Paper(
        id="2403.10045", version=1, title=evil, abstract=evil, authors=(evil, "B"), comment=evil,
        primary_category=evil, published="2024-01-01",
    )  # fmt: skip
    summary = Summary(tldr=evil, title=evil, abstract=evil)
    out = Renderer(math=MATH).render([Item(1, Entry(ArxivId("2403.10045")), paper, summary)], "en")
    page = to_html(out, math=True)
    tags = re.sub(r' title="[^"]*"', "", re.sub(r">[^<]*<", "><", page))  # a tooltip's text is text
    assert "<script" not in page and "javascript:" not in tags
    assert re.search(r'<a href="#arxiv-2403-10045" title="[^"<>]*&#60;script&#62;', page), (
        "the translated title is the tooltip"
    )
    assert page.count("<td>") == 3
    assert visible(page).count("<script>alert(1)</script>") >= 8


def test_a_site_shows_hostile_metadata_as_text(site: Site) -> None:
    hostile = {
        "id": "2501.00001",
        "title": "Robust | models <script>alert('t')</script> with $x_1 < y$",
        "abstract": "We show [a link](javascript:alert(1)) and <img src=x onerror=alert(2)>. {{ secret }} [^1]: x",
        "authors_parsed": [["<b>Bold</b>", "Eve", ""]],
        "comments": "<iframe src=//evil></iframe>",
        "categories": "cs.CR",
        "versions": [{"version": "v1", "created": "Wed, 1 Jan 2025 00:00:00 GMT"}],
    }
    (site.root / "snap.jsonl").write_text(json.dumps(hostile) + "\n")
    site.page("index.md", ["2501.00001"])
    site.configure(offline=True, snapshot="snap.jsonl")
    site.extra = {
        "theme": {"name": "material"},
        "markdown_extensions": ["footnotes", {"pymdownx.arithmatex": {"generic": True}}],
    }
    assert site.build(strict=True).error is None
    content = site.content()
    assert not re.search(r"<(script|img|iframe|b)\b", content)
    assert 'href="javascript' not in content
    assert "<script>alert('t')</script>" in html.unescape(re.sub(r"<[^>]+>", "", content))
    assert content.count("<td>") == 3
    assert r"\(x_1 \lt{} y\)" in html.unescape(content)


def test_tex_accents_outside_math_become_letters() -> None:
    from mkdocs_arxiv_digest.records import clean

    assert clean("R\\'{e}nyi entropy of Schr\\\"odinger") == "Rényi entropy of Schrödinger"
    assert clean("Erd\\H{o}s, \\v{S}ivic, Fran\\c{c}ois, {\\o}ster, \\'{\\i}") == "Erdős, Šivic, François, øster, í"
    assert clean('$\\"a + \\over b$ and \\ln x') == '$\\"a + \\over b$ and \\ln x'


def test_a_tooltip_cannot_break_its_link() -> None:
    title = """It's "quoted" (with parentheses) and 'single' ones) "x" ("""
    paper = Paper(id="2403.10045", version=1, title="T", abstract="A.", published="2024-01-01")
    out = Renderer().render([Item(1, Entry(ArxivId("2403.10045")), paper, Summary(title=title))], "en")
    link = re.search(r'<a href="([^"]*)" title="([^"]*)">1</a>', to_html(out))
    assert link is not None and link.group(1) == "#arxiv-2403-10045"
    assert html.unescape(link.group(2)) == title
