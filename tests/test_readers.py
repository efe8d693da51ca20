"""What readers see of a digest outside its text: heading ids, the table of
contents, the search index, tooltips, and entries whose paper is missing."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest

from conftest import Site

PAPERS = ["1707.08567", "astro-ph/0601001", "1605.08386", "2306.03845"]
EXTENSIONS: list[Any] = [{"toc": {"permalink": True}}, {"pymdownx.arithmatex": {"generic": True}}]
THEME = {"name": "mkdocs", "navigation_depth": 4}  # its sidebar lists the entries' headings too
TEX = re.compile(r"\\[A-Za-z(\[)\]]|\$")


def anchor(arxiv_id: str) -> str:
    return "arxiv-" + re.sub(r"[^0-9A-Za-z-]", "-", arxiv_id)


def search_index(site: Site) -> list[dict[str, str]]:
    docs = json.loads((site.root / "site" / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    return list(docs)


def toc_links(page_html: str) -> dict[str, str]:
    """The sidebar's table of contents of MkDocs' own theme: target -> text."""
    return {
        target: html.unescape(re.sub(r"<[^>]+>", "", text)).strip()
        for target, text in re.findall(r'<a href="#([^"]+)" class="nav-link">(.*?)</a>', page_html, re.S)
    }


@pytest.mark.parametrize("layout", ["digest", "chatpaper"])
@pytest.mark.parametrize("language", ["en", "zh"])
def test_reordering_a_list_keeps_every_link_to_a_paper(site: Site, layout: str, language: str) -> None:
    site.extra = {"theme": THEME, "markdown_extensions": EXTENSIONS}
    site.configure(layout=layout, language=language)
    seen: list[dict[str, str]] = []
    for order in (PAPERS, PAPERS[::-1]):
        site.page("index.md", order)
        assert site.build(strict=True).error is None
        page = site.html()
        permalinks = re.findall(r'<h[1-6] id="(arxiv-[^"]+)">.*?<a class="headerlink" href="#([^"]+)"', page)
        assert [heading for heading, _ in permalinks] == [anchor(i) for i in order], "one heading per paper, in order"
        assert all(heading == link for heading, link in permalinks), "the permalink is the heading's id"
        for arxiv_id in order:
            assert page.count(f'id="{anchor(arxiv_id)}"') == 1, "no second target with the same id"
        toc = toc_links(page)
        assert [target for target in toc if target.startswith("arxiv-")] == [anchor(i) for i in order]
        if layout == "digest":
            refs = re.findall(r'<td><a href="#([^"]+)"[^>]*>(\d+)</a></td>', page)
            assert refs == [(anchor(i), str(n)) for n, i in enumerate(order, start=1)]
        sections = {d["location"].split("#")[-1]: d["title"] for d in search_index(site) if "#" in d["location"]}
        assert {a: toc[a] for a in toc if a.startswith("arxiv-")} == {
            a: html.unescape(t) for a, t in sections.items() if a.startswith("arxiv-")
        }
        seen.append({a: t for a, t in toc.items() if a.startswith("arxiv-")})
    # The same paper has the same id (and, less its number, the same title) in both orders.
    strip = re.compile(r"^\d+\. ")
    assert {a: strip.sub("", t) for a, t in seen[0].items()} == {a: strip.sub("", t) for a, t in seen[1].items()}


def test_a_papers_id_is_its_headings_id_without_toc_options_or_attr_list(site: Site) -> None:
    site.page("index.md", PAPERS[:2])
    assert site.build(strict=True).error is None
    page = site.html()
    assert re.findall(r'<h3 id="(arxiv-[^"]+)"', page) == [anchor(i) for i in PAPERS[:2]]
    assert '<a id="arxiv-' not in page


@pytest.mark.parametrize("extensions", [[], ["attr_list"]])
@pytest.mark.parametrize(
    "heading",
    [
        "## {{ item.paper.title }} { #{{ item.anchor }} }",  # the built-in templates' form
        '## <a id="{{ item.anchor }}"></a>{{ item.paper.title }}',  # their earlier form
    ],
)
def test_a_custom_templates_heading_gets_the_papers_id(site: Site, extensions: list[str], heading: str) -> None:
    templates = site.root / "overrides"
    templates.mkdir()
    (templates / "digest.md.j2").write_text(f"{{% for item in items %}}\n{heading}\n\nText.\n{{% endfor %}}\n")
    site.extra = {"markdown_extensions": ["toc", *extensions]}
    site.configure(custom_templates="overrides")
    site.page("index.md", PAPERS[:2])
    assert site.build(strict=True).error is None
    page = site.html()
    assert re.findall(r'<h2 id="(arxiv-[^"]+)">', page) == [anchor(i) for i in PAPERS[:2]]
    assert "<a id=" not in page and "{ #" not in page


def test_titles_outside_the_page_body_are_plain_text(site: Site) -> None:
    site.extra = {"theme": THEME, "markdown_extensions": EXTENSIONS}
    site.page("index.md", [PAPERS[3], {"id": PAPERS[0], "title": r"关于 $\alpha \le \omega$ 的论文"}])
    site.page("zh.md", {"language": "zh", "ids": [{"id": PAPERS[3], "title": r"$\omega$测试：安卓 WebView 测试"}]})
    assert site.build(strict=True).error is None
    page = site.html()
    # In the page, the title's math is math.
    assert r'<span class="arithmatex">\(ω\)</span>Test' in page
    toc = toc_links(page)
    assert toc[anchor(PAPERS[3])] == "1. ωTest: WebView-Oriented Testing for Android Applications"
    assert toc[anchor(PAPERS[0])] == "2. 关于 α ≤ ω 的论文"
    titles = [d["title"] for d in search_index(site)]
    assert "1. ωTest: WebView-Oriented Testing for Android Applications" in titles
    assert "1. ω测试：安卓 WebView 测试" in titles
    assert not [t for t in titles if TEX.search(t)], "no TeX in the search index's titles"
    assert not [t for t in toc_links(site.html("zh.md")).values() if TEX.search(t)]
    # The Ref tooltip shows what the row does not: the translated title, as text; else nothing.
    tooltips = re.findall(r'<td><a href="#([^"]+)"(?: title="([^"]*)")?>', page)
    assert tooltips == [(anchor(PAPERS[3]), ""), (anchor(PAPERS[0]), "关于 α ≤ ω 的论文")]


@pytest.mark.parametrize(
    ("language", "unavailable", "unknown"),
    [
        ("en", "Not available: its details could not be retrieved", "Not available: arXiv has no paper with this ID"),
        ("zh", "暂无：生成本页时未能获取该论文的信息", "暂无：arXiv 上没有这个编号的论文"),
    ],
)
def test_a_missing_paper_is_explained_to_readers_and_the_fix_to_the_builder(
    site: Site, language: str, unavailable: str, unknown: str
) -> None:
    site.page("index.md", {"language": language, "ids": [PAPERS[0], "2312.99999"]})
    assert site.build().error is None  # fetch the one that exists; arXiv has no 2312.99999
    site.configure(offline=True)
    site.page("index.md", {"language": language, "ids": [PAPERS[0], "2312.99999", "1905.00001"]})
    result = site.build()
    text = html.unescape(re.sub(r"<[^>]+>", "", site.content()))
    assert unavailable in text and unknown in text
    assert "offline" not in text and "cache" not in text and "fetch" not in text
    # One warning for the build names the paper and the fix (not the page: it is said once, for every page).
    assert any("1905.00001" in w and "turn `offline` off" in w for w in result.warnings)
    assert any("2312.99999" in w and "arXiv has no paper" in w for w in result.warnings)


def test_a_page_titled_by_a_papers_heading_has_a_plain_title(site: Site) -> None:
    site.extra = {"markdown_extensions": EXTENSIONS}
    site.configure(layout="chatpaper", heading_level=1)
    site.page("paper.md", [PAPERS[3]], body="")
    site.page("other.md", [PAPERS[3]], body="# My reading\n")
    assert site.build(strict=True).error is None
    titles = {d["location"]: d["title"] for d in search_index(site)}
    assert titles["paper/"] == "ωTest: WebView-Oriented Testing for Android Applications"
    assert "<title>ωTest: WebView-Oriented Testing for Android Applications - Test</title>" in site.html("paper.md")
    assert "<title>My reading - Test</title>" in site.html("other.md")


def test_materials_search_index_has_the_titles_math_as_text(site: Site) -> None:
    # Material's search plugin reads the heading's markup, not the table of contents' label.
    site.extra = {"theme": {"name": "material"}, "markdown_extensions": EXTENSIONS}
    site.page("index.md", [PAPERS[3], {"id": PAPERS[0], "title": r"On $\alpha \le \omega$ bounds"}])
    assert site.build(strict=True).error is None
    page = site.html()
    assert re.search(
        r'<span class="arithmatex" data-search-exclude="">\\\(ω\\\)</span><span hidden="">ω</span>Test', page
    )
    sections = {d["location"].split("#")[-1]: d["title"] for d in search_index(site) if "#" in d["location"]}
    assert sections[anchor(PAPERS[3])] == "1. ωTest: WebView-Oriented Testing for Android Applications"
    assert sections[anchor(PAPERS[0])] == "2. On α ≤ ω bounds"
    assert not [t for t in sections.values() if TEX.search(t)], "no TeX in the search index's titles"
