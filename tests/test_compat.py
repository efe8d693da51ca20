"""Other plugins on the same site, in either order: each test builds a real site
with the plugin installed (the `[test]` extra) and the fake arXiv API."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import Site, ids_requested
from fake_arxiv import FakeArxiv

BEFORE_AND_AFTER = pytest.mark.parametrize("before", [True, False], ids=["listed-before", "listed-after"])


def use(site: Site, plugin: Any, before: bool) -> None:
    """List another plugin before or after arxiv-digest."""
    (site.plugins_before if before else site.plugins_after).append(plugin)


def linked_bib(site: Site, page: str) -> str:
    """The text of the `.bib` file the built page (a path under `site/`) links to."""
    path = site.root / "site" / page
    links = re.findall(r'href="([^"]+\.bib)"', path.read_text(encoding="utf-8"))
    assert len(links) == 1, links
    bib = (path.parent / links[0]).resolve()
    assert bib.is_file(), f"{page} links to {links[0]}, which was not written"
    return bib.read_text(encoding="utf-8")


def i18n(structure: str) -> dict[str, Any]:
    return {
        "i18n": {
            "docs_structure": structure,
            "languages": [
                {"locale": "en", "name": "English", "default": True, "build": True},
                {"locale": "fr", "name": "Français", "build": True},
            ],
        }
    }


@BEFORE_AND_AFTER
@pytest.mark.parametrize(
    "structure, sources",
    [
        ("suffix", {"en": ("index.md", "papers.md"), "fr": ("index.fr.md", "papers.fr.md")}),
        ("folder", {"en": ("en/index.md", "en/papers.md"), "fr": ("fr/index.md", "fr/papers.md")}),
    ],
)
def test_static_i18n_both_languages_get_digests_and_bib_files(
    site: Site, structure: str, sources: dict[str, tuple[str, str]], before: bool
) -> None:
    papers = {"en": ["1707.08567", "1605.08386"], "fr": ["astro-ph/0601001", "1605.08386"]}
    for language, (index, page) in sources.items():
        site.page(index, None, f"# Home {language}\n")
        site.page(page, papers[language], f"# Papers {language}\n")
    site.configure(bibtex=True)
    use(site, i18n(structure), before)
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    for language, folder in (("en", ""), ("fr", "fr/")):
        html = (site.root / "site" / folder / "papers/index.html").read_text(encoding="utf-8")
        assert f"Papers {language}" in html
        for arxiv_id in papers[language]:
            assert f'id="arxiv-{arxiv_id.replace(".", "-").replace("/", "-")}"' in html, (language, arxiv_id)
        bib = linked_bib(site, f"{folder}papers/index.html")
        assert sorted(re.findall(r"eprint = \{([^}]+)\}", bib)) == sorted(papers[language])
    # Each language's `.bib` is beside its pages, in the language's folder.
    bibs = sorted(str(p.relative_to(site.root / "site")) for p in (site.root / "site").rglob("*.bib"))
    assert bibs == (["fr/papers.fr.bib", "papers.bib"] if structure == "suffix" else ["fr/papers.bib", "papers.bib"])


@BEFORE_AND_AFTER
def test_pages_mkdocs_exclude_removes_are_not_fetched_and_get_no_bib(
    site: Site, arxiv_api: FakeArxiv, before: bool
) -> None:
    site.page("index.md", ["1707.08567"])
    site.page("drafts/next.md", ["1605.08386"])
    site.page("private.md", ["astro-ph/0601001"])
    site.configure(bibtex=True)
    use(site, {"exclude": {"glob": ["drafts/*", "private.md"]}}, before)
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    assert [i for ids in ids_requested(arxiv_api) for i in ids] == ["1707.08567"]
    built = sorted(str(p.relative_to(site.root / "site")) for p in (site.root / "site").rglob("*.bib"))
    assert built == ["index.bib"]
    assert not (site.root / "site/private").exists() and not (site.root / "site/drafts").exists()
    assert "eprint = {1707.08567}" in linked_bib(site, "index.html")


def test_pages_exclude_docs_leaves_out_are_not_fetched_and_get_no_bib(site: Site, arxiv_api: FakeArxiv) -> None:
    """MkDocs' own `exclude_docs`, for comparison: the same result as mkdocs-exclude."""
    site.page("index.md", ["1707.08567"])
    site.page("private.md", ["astro-ph/0601001"])
    site.configure(bibtex=True)
    site.extra = {"exclude_docs": "private.md\n"}
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    assert [i for ids in ids_requested(arxiv_api) for i in ids] == ["1707.08567"]
    assert [p.name for p in (site.root / "site").rglob("*.bib")] == ["index.bib"]


@BEFORE_AND_AFTER
def test_material_tags_index_lists_the_categories(site: Site, before: bool) -> None:
    site.page("index.md", None, "# Home\n")
    site.page("papers.md", ["1707.08567", "astro-ph/0601001"], "# Papers\n")
    site.page("tags.md", None, "# Tags\n\n<!-- material/tags -->\n")
    site.configure(tags=["categories"])
    site.extra = {"theme": {"name": "material"}}
    use(site, "tags", before)
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    index = (site.root / "site/tags/index.html").read_text(encoding="utf-8")
    for category in ("cs.IT", "astro-ph"):
        section = re.search(rf'<h2 id="[^"]*">.*?{re.escape(category)}.*?</h2>(.*?)(?=<h2|</article>)', index, re.S)
        assert section is not None, f"the tags index has no section for {category}"
        assert 'href="../papers/"' in section.group(1)


@BEFORE_AND_AFTER
def test_mkdocs_macros_renders_the_page_and_the_digest_shows(site: Site, before: bool) -> None:
    site.page("index.md", ["1707.08567"], "# Home\n\nSix times seven is {{ 6 * 7 }}.\n")
    use(site, "macros", before)
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    content = site.content()
    assert "Six times seven is 42." in content
    assert 'id="arxiv-1707-08567"' in content and "Proceedings of Workshop AEW10" in content
    assert "eprint = {1707.08567}" in linked_bib(site, "index.html")


def test_material_blog_post_gets_its_digest_and_bib_file(site: Site, arxiv_api: FakeArxiv) -> None:
    site.page("index.md", None, "# Home\n")
    site.page("blog/index.md", None, "# Daily digests\n")
    site.page("blog/posts/today.md", "date: 2026-11-20\narxiv: [1707.08567]\n", "# Papers of the day\n")
    site.page("blog/posts/draft.md", "date: 2026-11-21\ndraft: true\narxiv: [1605.08386]\n", "# Not yet\n")
    site.extra = {"theme": {"name": "material"}}
    use(site, "blog", before=True)
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    post = next((site.root / "site/blog").rglob("papers-of-the-day/index.html"))
    assert 'id="arxiv-1707-08567"' in post.read_text(encoding="utf-8")
    assert "eprint = {1707.08567}" in linked_bib(site, str(post.relative_to(site.root / "site")))
    # A draft is not built: its papers are not fetched.
    assert [i for ids in ids_requested(arxiv_api) for i in ids] == ["1707.08567"]
    assert not list((site.root / "site/blog").rglob("not-yet"))
