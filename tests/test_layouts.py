"""The two layouts, Material's extensions, BibTeX, tags, labels and custom templates."""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path
from typing import Any

from conftest import Site
from fake_openai import FakeOpenAI

PAPERS = ["1707.08567", "astro-ph/0601001", "1605.08386"]
MATERIAL = ["admonition", "pymdownx.details", "pymdownx.superfences", {"pymdownx.tabbed": {"alternate_style": True}}]


def text(content: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", content))


def test_chatpaper_layout_gives_each_paper_its_long_form(site: Site) -> None:
    site.page("index.md", PAPERS)
    site.configure(layout="chatpaper")
    assert site.build(strict=True).error is None
    content = site.content()
    assert "<table>" not in content
    headings = re.findall(r'<h2 id="(arxiv-[^"]+)">([^<]+)', content)
    assert [anchor for anchor, _ in headings] == ["arxiv-1707-08567", "arxiv-astro-ph-0601001", "arxiv-1605-08386"]
    visible = text(content)
    assert "Authors: Kees A. Schouhamer Immink" in visible
    assert "PDF · arXiv:1707.08567v1 · 44 pages" in visible
    assert visible.count("Key takeaways") == 3 and visible.count("Summary") == 3
    # The extractive takeaways are sentences of the abstract, as list items.
    assert re.search(r"<li>The 10th Asia-Europe workshop", content)


def test_a_page_chooses_its_layout_and_language(site: Site) -> None:
    site.page("index.md", PAPERS[:1])
    site.page("long.md", {"layout": "chatpaper", "language": "zh", "ids": PAPERS[:1]})
    assert site.build(strict=True).error is None
    assert "<table>" in site.content()
    long = text(site.content("long.md"))
    assert "<table>" not in site.content("long.md")
    for label in ("作者", "总结", "要点"):
        assert label in long
    for english in ("Authors", "Key takeaways", "Abstract", "Summary"):
        assert english not in long, english


def test_unknown_page_layout_warns_with_the_page(site: Site) -> None:
    site.page("odd.md", {"layout": "poster", "ids": PAPERS[:1]})
    result = site.build()
    assert any("odd.md" in w and "'poster'" in w for w in result.warnings)
    assert "<table>" in site.content("odd.md")


def test_material_extensions_fold_abstracts_and_bibtex(site: Site) -> None:
    site.page("index.md", PAPERS[:2])
    site.extra = {"theme": {"name": "material"}, "markdown_extensions": MATERIAL}
    assert site.build(strict=True).error is None
    content = site.content()
    assert len(re.findall(r'<details class="abstract">', content)) == 2
    assert len(re.findall(r'<details class="quote">', content)) == 2
    assert (
        "The 10th Asia-Europe workshop" in re.search(r'<details class="abstract">.*?</details>', content, re.S).group()
    )


def test_without_those_extensions_it_is_plain_markdown(site: Site) -> None:
    site.page("index.md", PAPERS[:1])
    assert site.build(strict=True).error is None
    content = site.content()
    assert "<details" not in content and "???" not in content and "===" not in content
    assert "<strong>Abstract</strong>: The 10th Asia-Europe workshop" in content


def test_translations_are_content_tabs(site: Site, model: FakeOpenAI) -> None:
    site.page("index.md", PAPERS[:1])
    site.configure(language="zh", summarizer="openai", llm=model_options(model))
    site.extra = {"theme": {"name": "material"}, "markdown_extensions": MATERIAL}
    assert site.build(strict=True).error is None
    tabs = re.search(r'<div class="tabbed-set.*?</div>\s*</div>', site.content(), re.S)
    assert tabs is not None
    labels = re.findall(r"<label[^>]*>([^<]+)</label>", tabs.group())
    assert labels == ["译文", "原文"]
    assert "[zh] abstract of 1707.08567" in text(tabs.group())
    assert "The 10th Asia-Europe workshop" in text(tabs.group())


def test_bibtex_blocks_and_a_bib_file_beside_the_page(site: Site) -> None:
    site.page("lists/reading.md", PAPERS)
    assert site.build(strict=True).error is None
    content = site.content("lists/reading.md")
    assert len(re.findall(r"<pre><code>@misc\{", content)) == 3
    link = re.search(r'<a href="([^"]+\.bib)">BibTeX of all papers on this page</a>', content)
    assert link is not None
    bib = (site.root / "site/lists/reading" / link.group(1)).resolve()
    assert bib == (site.root / "site/lists/reading.bib").resolve()
    entries = bib.read_text(encoding="utf-8")
    assert entries.count("@misc{") == 3
    assert "eprint = {astro-ph/0601001}" in entries and "archivePrefix = {arXiv}" in entries
    assert "gould2006frequency" in entries


def test_bibtex_can_be_turned_off(site: Site) -> None:
    site.page("index.md", PAPERS[:1])
    site.configure(bibtex=False)
    assert site.build(strict=True).error is None
    assert "@misc" not in site.content()
    assert not list((site.root / "site").rglob("*.bib"))


def test_categories_become_material_tags(site: Site) -> None:
    site.page("index.md", PAPERS, body="Papers.\n")
    site.configure(tags=["categories"])
    site.extra = {"theme": {"name": "material"}}
    site.options_plugins = ["tags"]
    write_plugins(site, ["search", "tags"])
    assert site.build(strict=True).error is None
    page = site.html()
    tags = re.findall(r'class="md-tag[^"]*"[^>]*>([^<]+)<', page)
    assert {"cs.IT", "astro-ph", "math.CO"} <= {t.strip() for t in tags}


def test_a_digest_page_is_a_material_blog_post(site: Site) -> None:
    site.page("index.md", None, "# Home\n")
    site.page("blog/index.md", None, "# Daily digests\n")
    site.page(
        "blog/posts/2026-11-20.md",
        "date: 2026-11-20\narxiv: [1707.08567, 1605.08386]\n",
        "# Papers of the day\n\nTwo papers today.\n",
    )
    site.extra = {"theme": {"name": "material"}}
    write_plugins(site, ["search", "blog"])
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    post = next((site.root / "site/blog").rglob("papers-of-the-day/index.html"))
    content = post.read_text(encoding="utf-8")
    assert "Proceedings of Workshop AEW10" in content and 'id="arxiv-1605-08386"' in content


def test_labels_can_be_changed_and_languages_added(site: Site) -> None:
    site.page("index.md", PAPERS[:1])
    site.page("fr.md", {"language": "fr", "ids": PAPERS[:1]})
    site.configure(labels={"en": {"tldr": "In short"}, "fr": {"summary": "Résumé", "details": "Détails"}})
    assert site.build(strict=True).error is None
    assert "<strong>In short</strong>" in site.content()
    fr = site.content("fr.md")
    assert ">Résumé</h2>" in fr and ">Détails</h2>" in fr and "<strong>TL;DR</strong>" in fr


def test_custom_templates_replace_a_layout_and_are_watched(site: Site) -> None:
    templates = site.root / "overrides"
    templates.mkdir()
    (templates / "digest.md.j2").write_text(
        "{% for item in items %}* Custom {{ item.number }}: {{ item.paper.title }}\n{% endfor %}", encoding="utf-8"
    )
    site.page("index.md", PAPERS[:2])
    site.configure(custom_templates="overrides")
    config = site.load()
    config.plugins.on_startup(command="serve", dirty=False)
    try:
        assert site.build(config=config, startup=None).error is None
        assert "<li>Custom 1: Proceedings of Workshop AEW10" in site.content()
        watched: list[str] = []

        class Server:
            def watch(self, path: str) -> None:
                watched.append(path)

        config.plugins.on_serve(Server(), config=config, builder=lambda: None)
        assert [Path(p).resolve() for p in watched] == [templates.resolve()]
        # An edit of the template shows on the next rebuild.
        (templates / "digest.md.j2").write_text("Edited: {{ items | length }} papers\n", encoding="utf-8")
        assert site.build(config=site.load(), startup=None).error is None
        assert "Edited: 2 papers" in site.content()
    finally:
        config.plugins.on_shutdown()


def test_a_broken_custom_template_names_the_page(site: Site) -> None:
    templates = site.root / "overrides"
    templates.mkdir()
    (templates / "digest.md.j2").write_text("{% for item in items %}never closed\n", encoding="utf-8")
    site.page("reading.md", PAPERS[:1])
    site.configure(custom_templates="overrides")
    result = site.build()
    assert result.error is not None
    assert any("reading.md" in m and "template" in m for m in result.messages(logging.ERROR))


# Helpers


def write_plugins(site: Site, plugins: list[Any]) -> None:
    """Use these plugins besides arxiv-digest (Site writes `search` alone by default)."""
    original = site.write_config

    def write() -> Path:
        path = original()
        import yaml

        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["plugins"] = [*plugins, data["plugins"][-1]]
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return path

    site.write_config = write  # type: ignore[method-assign]


def model_options(server: FakeOpenAI) -> dict[str, Any]:
    return {"base_url": server.url, "model": "fake-model", "api_key_env": "", "timeout": 5, "retries": 1}


def test_repeated_cite_keys_match_between_page_and_file() -> None:
    from mkdocs_arxiv_digest.bibtex import bibliography, cite_keys
    from mkdocs_arxiv_digest.records import Paper

    papers = [
        Paper(
            id=f"2401.0000{n}",
            version=1,
            title="Deep nets",
            abstract="",
            authors=("Ann Smith",),
            published="2024-01-02",
        )
        for n in range(1, 4)
    ]
    assert list(cite_keys(papers).values()) == ["smith2024deep", "smith2024deepa", "smith2024deepb"]
    assert re.findall(r"@misc\{(\w+),", bibliography(papers)) == ["smith2024deep", "smith2024deepa", "smith2024deepb"]


def test_labels_with_unknown_placeholders_are_refused(site: Site) -> None:
    site.page("index.md", PAPERS[:1])
    site.configure(labels={"en": {"more_authors": "+{count}"}})
    result = site.build_or_refuse()
    assert result.error is not None
    assert any("'labels'" in m and "more_authors" in m and "{n}" in m for m in result.messages(logging.ERROR))
