"""What a page's full text adds to the files beside it: the JSON file and
the feed carry the affiliations and code links of the papers whose page
shows full text, and nothing for the others. Sites are built offline from a
snapshot of the fixture papers, their HTML read from the fixtures' folder."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_feed import read_feed, snapshot_site

from conftest import Site
from fake_html import FIXTURES, FakeHtml, fixture_records

ARXIV = "{http://arxiv.org/schemas/atom}"
ATOM = "{http://www.w3.org/2005/Atom}"
TINYSEG, SPINS, STUB = "2612.00001", "2612.00002", "2612.00004"


def fixture_site(site: Site, **options: Any) -> Site:
    snapshot_site(site, fixture_records())
    site.options.update(
        {"fulltext": "auto", "html_url": str(FIXTURES), "json": True, "feed": True, "site_url": "https://example.org/"}
    )
    site.options.update(options)
    site.extra["site_url"] = site.options.pop("site_url")
    return site


def test_the_json_file_holds_the_affiliations_and_code_links_of_a_full_text_page(site: Site) -> None:
    fixture_site(site)
    site.page("index.md", {"ids": [TINYSEG, SPINS, STUB], "layout": "chatpaper"})
    site.page("plain.md", [TINYSEG])
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    tinyseg, spins, stub = json.loads((site.root / "site/index.json").read_text(encoding="utf-8"))["papers"]
    assert tinyseg["fulltext"]["affiliations"] == [
        "Department of Test Data, University of Examples, Springfield",
        "Fixture Lab, Example Institute of Technology",
    ]
    assert tinyseg["fulltext"]["authors"][1] == {
        "name": "Bo Placeholder",
        "affiliations": ["Fixture Lab, Example Institute of Technology"],
    }
    assert {"url": "https://github.com/example-lab/tinyseg", "kind": "github"} in tinyseg["fulltext"]["code"]
    assert "Laboratory of Fixtures, National Test Centre, Sampleburg" in spins["fulltext"]["affiliations"]
    assert stub["fulltext"] is None, "a paper without usable HTML"
    (plain,) = json.loads((site.root / "site/plain.json").read_text(encoding="utf-8"))["papers"]
    assert plain["fulltext"] is None, "a digest page does not show full text (fulltext: auto)"

    site.build()  # a kept digest hands the same records over
    again = json.loads((site.root / "site/index.json").read_text(encoding="utf-8"))["papers"]
    assert again[0]["fulltext"] == tinyseg["fulltext"]


def test_the_feed_gives_authors_their_affiliations_and_links_the_code(site: Site) -> None:
    fixture_site(site)
    site.page("index.md", {"ids": [TINYSEG, STUB], "layout": "chatpaper"})
    site.page("plain.md", [SPINS])
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    parsed, tree = read_feed(site)
    entries = {e.find(f"{ATOM}id").text.rsplit("/", 1)[-1]: e for e in tree.iter(f"{ATOM}entry")}
    tinyseg = entries[TINYSEG + "v1"]
    authors = {
        a.find(f"{ATOM}name").text: [x.text for x in a.iter(f"{ARXIV}affiliation")]
        for a in tinyseg.iter(f"{ATOM}author")
    }
    assert authors["Bo Placeholder"] == ["Fixture Lab, Example Institute of Technology"]
    assert len(authors["Chen Fixture"]) == 2
    code = [link.get("href") for link in tinyseg.iter(f"{ATOM}link") if link.get("title") == "Code"]
    assert code[0] == "https://github.com/example-lab/tinyseg" and len(code) == 4
    for plain in (entries[STUB + "v1"], entries[SPINS + "v1"]):
        assert not list(plain.iter(f"{ARXIV}affiliation"))
        assert not [link for link in plain.iter(f"{ATOM}link") if link.get("title") == "Code"]
    assert len(parsed.entries) == 3


def chatpaper_site(site: Site, **options: Any) -> Site:
    snapshot_site(site, fixture_records())
    site.options.update({"fulltext": "auto", "html_url": str(FIXTURES), **options})
    return site


@pytest.mark.parametrize(("language", "label"), [("en", "Outline"), ("zh", "章节")])
@pytest.mark.parametrize("details", [True, False])
def test_chatpaper_shows_the_outline_linking_into_the_paper_s_html(
    site: Site, language: str, label: str, details: bool
) -> None:
    chatpaper_site(site)
    if details:
        site.extra["markdown_extensions"] = ["admonition", "pymdownx.details"]
    site.page("index.md", {"ids": [SPINS, STUB], "layout": "chatpaper", "language": language})
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    spins, stub = site.content().split("<h2")[1:]
    # A local folder's papers are linked on arXiv: readers cannot open the builder's files.
    for number, section, title in (("I", "S1", "Introduction"), ("III", "S3", "Results")):
        assert f'<a href="https://arxiv.org/html/{SPINS}v1#{section}">{number} {title}</a>' in spins, spins
    assert (
        spins.index("Laboratory of Fixtures")
        < spins.index(label)
        < spins.index("Abstract" if language == "en" else "摘要")
    )
    assert ("<details" in spins) == details and ("<details" in spins.split(label)[0]) == details
    assert label not in stub, "no HTML, no outline"


def test_outline_links_go_to_the_html_host_and_ids_from_the_page_are_checked(site: Site) -> None:
    from hostile import live_payloads

    page = (FIXTURES / f"{TINYSEG}v1" / "index.html").read_text(encoding="utf-8")
    page = page.replace('id="S2"', 'id="S2&quot; onmouseover=&quot;pwned()"', 1)
    page = page.replace('id="S3"', 'id="javascript:pwned()"', 1)
    page = page.replace(
        "Related Work", "Related &lt;img src=x onerror=pwned()&gt; [x](javascript:pwned()) {{ pwned }}", 1
    )
    with FakeHtml() as host:
        host.serve(f"{TINYSEG}v1", page=page.encode())
        chatpaper_site(site, html_url=host.url, html_delay_seconds=0, offline=False)
        site.page("index.md", {"ids": [TINYSEG], "layout": "chatpaper"})
        result = site.build(strict=True)
        url = host.url
    assert result.error is None, result.warnings
    content = site.content()
    assert f'<a href="{url}{TINYSEG}v1#S1">1 Introduction</a>' in content, content
    assert f'<a href="{url}{TINYSEG}v1#S4">4 Experiments</a>' in content
    assert "<li>2 Related &#60;img src=x onerror=pwned()&#62; [x](javascript:pwned()) {{ pwned }}</li>" in content
    assert "<li>3 Method</li>" in content, "an id LaTeXML does not give is no fragment"
    assert live_payloads(site.html()) == []
    assert "onmouseover" not in content


def test_hostile_affiliations_are_text_in_the_feed_and_the_json(site: Site) -> None:
    hostile = "Lab &lt;script&gt;pwned()&lt;/script&gt; &amp;amp; \x0b $\\href{javascript:pwned()}{x}$ ]]&gt;"
    page = (FIXTURES / f"{TINYSEG}v1" / "index.html").read_text(encoding="utf-8")
    page = page.replace("Fixture Lab, Example Institute of Technology", hostile)
    with FakeHtml() as host:
        host.serve(f"{TINYSEG}v1", page=page.encode())
        fixture_site(site, html_url=host.url, html_delay_seconds=0, offline=False)
        site.page("index.md", {"ids": [TINYSEG], "layout": "chatpaper"})
        result = site.build()
    assert result.error is None, result.warnings
    raw = (site.root / "site/index.json").read_text(encoding="utf-8")
    assert "<" not in raw and ">" not in raw
    (paper,) = json.loads(raw)["papers"]
    (written,) = [a for a in paper["fulltext"]["affiliations"] if a.startswith("Lab")]
    assert "<script>pwned()</script>" in written and "\\href" not in written, "text, its TeX made inert"
    _, tree = read_feed(site)  # well-formed, and feedparser finds nothing wrong
    affiliations = [x.text for x in tree.iter(f"{ARXIV}affiliation")]
    assert any("<script>pwned()</script>" in a for a in affiliations), affiliations
    assert not list(tree.iter("script")) and not list(tree.iter(f"{ATOM}script"))
