"""`library:`: what `rank: library` ranks against, named as pages (globs) or
as a reference manager's export (BibTeX from Zotero, Better BibTeX or
JabRef; Zotero's CSL JSON), read from the hand-written exports in
tests/fixtures/library/ and built against the fake arXiv API."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from test_rank_pages import READING

from conftest import Site
from fake_arxiv import FakeArxiv
from mkdocs_arxiv_digest import library
from mkdocs_arxiv_digest.ids import ArxivId

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "library"
RANKED = {"query": "all:testing", "rank": "library", "max": 8}
NEYMAN = "On the Problem of the Most Efficient Tests of Statistical Hypotheses"
LIKE = re.compile(r"<strong>Like</strong>: (?:<a href=\"([^\"]+)\">([^<]+)</a>|([^<·]+?)) · score (\d\.\d\d)")


def likes(html: str) -> list[tuple[str, str, str]]:
    """Each entry's "Like": the link (empty for none), the title, the score."""
    return [(link, linked or plain, score) for link, linked, plain, score in LIKE.findall(html)]


def shown(html: str) -> list[str]:
    return re.findall(r'<td><a href="#([^"]+)"', html)


def with_file(site: Site, name: str, text: str | None = None) -> None:
    """The fixture `name` (or `text`) in the site's folder, beside mkdocs.yml."""
    (site.root / name).write_text(text if text is not None else (FIXTURES / name).read_text("utf-8"), "utf-8")


# Reading the exports


def test_each_export_gives_its_arxiv_papers_and_those_with_an_abstract() -> None:
    zotero = library.read(FIXTURES / "zotero.bib")
    assert [str(p.id) for p in zotero.papers if p.id] == READING
    assert [(p.title, p.published) for p in zotero.papers if p.id is None] == [(NEYMAN, "1933-02-01")]
    assert zotero.skipped == 1 and zotero.problems == ()  # the book, with no abstract
    # Zotero's escapes for TeX come back as the TeX arXiv wrote.
    assert "two distributions $p$ and $q$ apart, with type-I error at most \\alpha" in zotero.papers[0].abstract

    csl = library.read(FIXTURES / "zotero.json")
    assert [(p.id, p.title) for p in csl.papers] == [(p.id, p.title) for p in zotero.papers]
    assert csl.papers[0].published == "2024-03-25" and csl.skipped == 1

    bbt = library.read(FIXTURES / "betterbibtex.bib")
    assert [p.id for p in bbt.papers] == [ArxivId("2106.13414"), ArxivId("1609.07528"), None]
    assert bbt.papers[0].title == "The Price of Tolerance in Distribution Testing"
    assert bbt.papers[2].title == "Über formal unentscheidbare Sätze der Principia Mathematica und verwandter Systeme I"
    assert bbt.papers[2].abstract.startswith("Beweis, dass es in formalen Systemen wie dem der Principia Mathematica")
    assert "Sätze gibt — und dass" in bbt.papers[2].abstract

    jabref = library.read(FIXTURES / "jabref.bib")
    assert [p.id for p in jabref.papers] == [ArxivId("2409.05654"), ArxivId("2403.16981")]  # eprint; journal
    assert jabref.skipped == 1  # Wald's paper: no arXiv ID, no abstract


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ("eprint = {hep-th/9901001v2}, archiveprefix = {arXiv}", "hep-th/9901001"),
        ("eprint = {2101.00001}, eprinttype = {arxiv}", "2101.00001"),
        ("url = {https://arxiv.org/pdf/2101.00001v3}", "2101.00001"),
        ("doi = {10.48550/ARXIV.2101.00001}", "2101.00001"),
        ("journal = {arXiv preprint arXiv:2101.00001}", "2101.00001"),
        ("eprint = {2101.00001}, archiveprefix = {PubMed}", None),  # another archive's number
        ("eprint = {2113.00001}, archiveprefix = {arXiv}", None),  # no 13th month
        ("url = {https://example.org/2101.00001}", None),
    ],
)
def test_an_arxiv_id_is_taken_only_where_the_entry_says_arxiv(fields: str, expected: str | None) -> None:
    read = library.read_bibtex(f"@misc{{key, title = {{T}}, abstract = {{A}}, {fields}}}")
    assert [str(p.id) if p.id else None for p in read.papers] == [expected]


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (
            r"The {{Price}} of {{Tolerance}} in {{Distribution Testing}}",
            "The Price of Tolerance in Distribution Testing",
        ),
        (
            r"{\"U}ber S{\"a}tze, G\"{o}del and Kov{\'a}cs, \v{S}ediv{\'y}, Fran\c{c}ois",
            "Über Sätze, Gödel and Kovács, Šedivý, François",
        ),
        (r"{\it Ab initio} calculations of $\mathrm{H_2O}$", r"Ab initio calculations of $\mathrm{H_2O}$"),
        (r"Rates of 50\% \& \#1 in a\_b --- One \$ dollar", "Rates of 50% & #1 in a_b — One $ dollar"),
        (r"An unbalanced \textbraceleft{} brace", "An unbalanced { brace"),
        (r"sets {\textbackslash}\{1, {\textbackslash}dots, n{\textbackslash}\}", r"sets \{1, \dots, n\}"),
    ],
)
def test_tex_in_a_title_reads_as_its_text(tex: str, text: str) -> None:
    """Accents, escapes and protective braces as Zotero, Better BibTeX, JabRef and
    this plugin's own `.bib` files write them; math stays as written."""
    assert library.tex_text(tex) == text


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"number": "arXiv:2101.00001", "publisher": "arXiv"}, "2101.00001"),
        ({"number": "2101.00001", "publisher": "arXiv"}, "2101.00001"),
        ({"DOI": "10.48550/arXiv.2101.00001"}, "2101.00001"),
        ({"URL": "http://arxiv.org/abs/2101.00001v2"}, "2101.00001"),
        ({"container-title": "arXiv:2101.00001 [cs]"}, "2101.00001"),  # Zotero before its preprint type
        ({"number": "2101.00001", "publisher": "Springer"}, None),
    ],
)
def test_csl_items_name_arxiv_papers_as_zotero_writes_them(item: dict[str, str], expected: str | None) -> None:
    read = library.read_csl(json.dumps([{"type": "article", "title": "T", "abstract": "A", **item}]))
    assert [str(p.id) if p.id else None for p in read.papers] == [expected]


# Ranked pages


def ranked_site(site: Site, *names: str, **options: Any) -> Site:
    for name in names:
        if "/" not in name:
            with_file(site, name)
    site.page("news.md", RANKED)
    site.configure(json=True, library=list(names), **options)
    return site


def test_a_page_ranked_against_a_zotero_export_ranks_as_against_its_reading_list(
    site: Site, arxiv_api: FakeArxiv
) -> None:
    # The reading list as a page of the site.
    site.page("reading.md", READING)
    site.page("news.md", RANKED)
    first = site.build(strict=True)
    assert first.error is None, first.warnings
    as_page = site.content("news.md")

    # The same papers in a Zotero export (without its journal article), and no page.
    (site.docs / "reading.md").unlink()
    text = (FIXTURES / "zotero.bib").read_text("utf-8")
    with_file(site, "zotero.bib", text[: text.index("@article{neyman")])
    site.configure(library=["zotero.bib"])
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    html = site.content("news.md")
    assert shown(html) == shown(as_page) and len(shown(html)) == 8
    # Each entry is like the same paper, with the same score, linked to its arXiv page, not to a page.
    assert [like[1:] for like in likes(html)] == [like[1:] for like in likes(as_page)]
    links = [link for link, _, _ in likes(html)]
    assert all(
        re.fullmatch(r"https://arxiv\.org/abs/(2403\.16981|2106\.13414|2409\.05654|1609\.07528)", x) for x in links
    )


def test_a_paper_of_the_export_without_arxiv_id_is_named_without_a_link(site: Site, arxiv_api: FakeArxiv) -> None:
    ranked_site(site, "zotero.bib")
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    html = site.content("news.md")
    found = likes(html)
    assert len(found) == 8
    # The journal article is known by its title and abstract alone: its title is shown, as text.
    assert ("", NEYMAN) in {(link, title) for link, title, _ in found}, found
    assert all(link.startswith("https://arxiv.org/abs/") for link, title, _ in found if title != NEYMAN)
    # No paper of the export is news.
    assert not {re.sub(r"v\d+$", "", anchor.removeprefix("arxiv-")).replace("-", ".") for anchor in shown(html)} & set(
        READING
    )
    # The JSON says the same; a paper of a file has no page on the site.
    papers = json.loads((site.root / "site/news.json").read_text("utf-8"))["papers"]
    for paper, (link, title, score) in zip(papers, found, strict=True):
        like = paper["like"]
        assert (like["title"], round(like["score"], 2), like["page"], like["anchor"]) == (
            title,
            float(score),
            None,
            None,
        )
        assert like["id"] == (link.rsplit("/", 1)[1] if link else None)
    info = "\n".join(result.messages(logging.INFO))
    assert (
        "Library 'zotero.bib': 4 papers with an arXiv ID, 1 by their title and abstract; "
        "1 skipped, with neither an arXiv ID nor a title and abstract"
    ) in info


def test_a_csl_json_export_ranks_as_the_same_bibtex_export(site: Site, arxiv_api: FakeArxiv) -> None:
    ranked_site(site, "zotero.bib")
    assert site.build(strict=True).error is None
    from_bib = site.content("news.md")
    ranked_site(site, "zotero.json")
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    assert site.content("news.md") == from_bib
    assert len(likes(from_bib)) == 8


def test_offline_the_papers_arxiv_was_not_asked_for_keep_the_export_text(site: Site, arxiv_api: FakeArxiv) -> None:
    """An offline build whose cache has the day's search but not the
    export's papers: the export's own titles and abstracts stand in."""
    site.page("news.md", RANKED)
    site.build()  # the search is read and kept; no reading list to rank against yet
    before = list(arxiv_api.requests)
    ranked_site(site, "zotero.bib", offline=True)
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    assert arxiv_api.requests == before
    found = likes(site.content("news.md"))
    assert len(found) == 8 and {title for _, title, _ in found} <= {
        "The Sample Complexity of Simple Binary Hypothesis Testing",
        "The Price of Tolerance in Distribution Testing",
        "Continuous Testing: Unifying Tests and E-values",
        "Compressed Hypothesis Testing: To Mix or Not to Mix?",
        NEYMAN,
    }


def test_a_chinese_chatpaper_page_links_a_file_paper_to_arxiv(site: Site, arxiv_api: FakeArxiv) -> None:
    with_file(site, "zotero.json")
    site.page("zh.md", {**RANKED, "max": 3, "layout": "chatpaper", "language": "zh"})
    site.configure(library=["zotero.json"])
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    found = re.findall(
        r"<strong>相似于</strong>：(?:<a href=\"(https://arxiv\.org/abs/[0-9.]+)\">)?([^<·]+)", site.content("zh.md")
    )
    assert len(found) == 3 and all(link or title.strip() == NEYMAN for link, title in found), found


def test_a_glob_of_pages_is_the_library(site: Site, arxiv_api: FakeArxiv) -> None:
    site.page("reading/hypotheses.md", READING[:2])
    site.page("reading/more.md", READING[2:3])
    site.page("elsewhere.md", READING[3:])
    site.page("news.md", RANKED)
    assert site.build(strict=True).error is None
    everything = [link for link, _, _ in likes(site.content("news.md"))]
    assert any(link.startswith("../elsewhere/") for link in everything), everything  # the default: every page

    site.configure(library=["reading/*.md"])
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    links = [link for link, _, _ in likes(site.content("news.md"))]
    assert len(links) == 8 and all(re.match(r"\.\./reading/(hypotheses|more)/#arxiv-", link) for link in links), links
    # A paper of a page outside the library is news again.
    assert "arxiv-1609-07528" in "".join(shown(site.content("news.md")))


def test_pages_and_a_file_together(site: Site, arxiv_api: FakeArxiv) -> None:
    """A paper both on a named page and in the file is linked to the page."""
    site.page("reading/list.md", READING)
    ranked_site(site, "reading/*.md", "zotero.bib")
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    found = likes(site.content("news.md"))
    assert {link.split("#")[0] for link, title, _ in found if title != NEYMAN} == {"../reading/list/"}


# What goes wrong


def test_each_unusable_item_is_one_warning_and_the_rest_ranks(site: Site, arxiv_api: FakeArxiv) -> None:
    with_file(site, "zotero.bib")
    with_file(site, "broken.json", '[{"title": "A", "abstract": "B"},')
    with_file(site, "not-csl.json", '{"title": "A"}')
    with_file(site, "latin1.bib", "")
    (site.root / "latin1.bib").write_bytes(b"@misc{k, title = {G\xf6del}, abstract = {x}}")
    site.page("reading.md", READING)  # not in the library: `library` names what counts
    site.page("news.md", RANKED)
    items = ["missing.bib", "broken.json", "not-csl.json", "latin1.bib", "notes/*.md", "zotero.bib"]
    site.configure(library=items)
    result = site.build()
    assert result.error is None
    warnings = [w for w in result.warnings if "library:" in w]
    assert len(warnings) == 5, warnings
    said = "\n".join(warnings)
    assert f"library: 'missing.bib' ({site.root / 'missing.bib'}) was not used: the file does not exist." in said
    assert "library: 'broken.json' (" in said and "it is not JSON (Expecting value at line 1, column 34)" in said
    assert "library: 'not-csl.json' (" in said and "expected a list of items" in said
    assert "library: 'latin1.bib' (" in said and "not UTF-8 text" in said
    assert "library: 'notes/*.md' matches no page that lists papers (`ids`) in docs_dir" in said
    assert "relative to the folder of mkdocs.yml" in said and "e.g. 'reading/*.md'" in said
    # The file that could be read is the library.
    found = likes(site.content("news.md"))
    assert len(found) == 8 and all(link.startswith("https://arxiv.org/abs/") or not link for link, _, _ in found)

    strict = site.build(strict=True)
    assert strict.error is not None


def test_a_broken_entry_is_a_warning_and_the_others_count(site: Site, arxiv_api: FakeArxiv) -> None:
    text = (FIXTURES / "zotero.bib").read_text("utf-8")
    broken = text.replace("@book{lehmann_testing_2005,", "@book{lehmann_testing_2005,\n\ttitle = {Unclosed,\n", 1)
    with_file(site, "zotero.bib", broken)
    site.page("news.md", RANKED)
    site.configure(library=["zotero.bib"])
    result = site.build()
    assert result.error is None
    line = broken.splitlines().index("@book{lehmann_testing_2005,") + 1
    assert [w for w in result.warnings if "library:" in w] == [
        f"arxiv-digest: library: 'zotero.bib': the entry at line {line} is not valid BibTeX; the file's other entries are used"
    ]
    assert len(likes(site.content("news.md"))) == 8


def test_an_item_that_is_empty_is_refused_when_the_config_is_read(site: Site) -> None:
    site.page("news.md", RANKED)
    site.configure(library=["zotero.bib", " "])
    result = site.build_or_refuse()
    assert result.error is not None
    assert "An item is empty" in "\n".join(m for m in result.messages(logging.ERROR))


def test_one_file_may_be_written_without_a_list(site: Site, arxiv_api: FakeArxiv) -> None:
    with_file(site, "zotero.json")
    site.page("news.md", RANKED)
    site.configure(library="zotero.json")
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    assert len(likes(site.content("news.md"))) == 8


# Under `mkdocs serve`


def test_serve_watches_the_files_and_a_changed_file_ranks_at_once(site: Site, arxiv_api: FakeArxiv) -> None:
    with_file(site, "zotero.bib")
    site.page("news.md", RANKED)
    site.configure(library=["zotero.bib", "absent.bib"])
    config = site.load()
    config.plugins.on_startup(command="serve", dirty=False)
    try:
        first = site.build(config=config, startup=None)
        assert first.error is None
        before = likes(site.content("news.md"))
        watched: list[str] = []

        class Server:
            def watch(self, path: str) -> None:
                watched.append(path)

        config.plugins.on_serve(Server(), config=config, builder=lambda: None)
        assert str(site.root / "zotero.bib") in watched
        assert str(site.root / "absent.bib") not in watched  # a path that does not exist cannot be watched

        # Only the journal article is left in the file: every paper is like it now.
        text = (FIXTURES / "zotero.bib").read_text("utf-8")
        (site.root / "zotero.bib").write_text(text[text.index("@article{neyman") :], "utf-8")
        second = site.build(config=config, startup=None)
        assert second.error is None
        after = likes(site.content("news.md"))
        assert after != before and after and {(link, title) for link, title, _ in after} == {("", NEYMAN)}
    finally:
        config.plugins.on_shutdown()
