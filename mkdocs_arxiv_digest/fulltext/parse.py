"""Reading arXiv's HTML (LaTeXML's HTML5 in arXiv's page chrome) into a `FullText`.

The page is outside input: it is parsed by libxml2's HTML parser through lxml
with the network off, comments and processing instructions dropped, and no
entity but HTML's own expanded; nothing in it is run, and nothing is fetched.
What is kept is text and URLs checked against the page's own folder, each
bounded (see `record`). The tree is walked without recursion, so a page nested
10,000 levels deep costs what a flat one does."""

from __future__ import annotations

import functools
import itertools
import posixpath
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from ..escape import one_line
from .links import code_link, dedupe_key, license_code, urls_in_text
from .record import (
    MAX_ABSTRACT,
    MAX_AFFILIATION,
    MAX_AFFILIATIONS,
    MAX_AUTHORS,
    MAX_CAPTION,
    MAX_CODE_LINKS,
    MAX_FIGURES,
    MAX_IMAGES,
    MAX_LICENSE_TEXT,
    MAX_SECTION_TEXT,
    MAX_SECTIONS,
    MAX_TABLES,
    MAX_TEXT,
    MAX_TITLE,
    MAX_URL,
    Author,
    CodeLink,
    Figure,
    FullText,
    NoHtml,
    Section,
    Table,
    cut,
)

MAX_HTML_BYTES = 40_000_000
"""Pages larger than this are not parsed (`too-large`). arXiv's largest pages,
heavy with MathML, run to a few tens of MB."""

MIN_TEXT = 400
"""Fewer characters of text outside the abstract than this is no paper
(`little-text`): a page with a title and an abstract alone adds nothing to
what arXiv's API says."""

_SKIP_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "svg",
        "button",
        "nav",
        "head",
        "title",
        "meta",
        "link",
        "base",
        "form",
        "input",
        "select",
        "textarea",
        "audio",
        "video",
        "canvas",
    ]
)
_SKIP_CLASSES = frozenset(
    [
        "ltx_note",
        "ltx_tag_section",
        "ltx_tag_subsection",
        "ltx_tag_subsubsection",
        "ltx_tag_appendix",
        "ltx_tag_paragraph",
        "ltx_figure",
        "ltx_table",
        "ltx_float",
        "ltx_bibliography",
        "ltx_ERROR",
        "sr-only",
        "ltx_note_mark",
        "ltx_note_type",
        "ltx_tag_note",
        "ltx_tag_equation",
    ]
)
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_MARKS = "*†‡§¶‖#∗⋆✉♠♣♥♦"
_ALSO_AT = re.compile(
    r"^(?:also\s+(?:at|with)|(?:present|permanent|current)\s+address|now\s+at|on\s+leave\s+from)\s*:?\s*", re.I
)


@functools.lru_cache(maxsize=64)
def _xp(expression: str) -> Any:
    """The XPath expression compiled once (lxml compiles it on every `.xpath()` call)."""
    from lxml import etree

    return etree.XPath(expression)


def _has_class(name: str) -> str:
    """An XPath test for an element of class `name`; the cheap substring test
    first, so that the exact one runs only on the few elements it lets by."""
    return f"contains(@class, '{name}') and contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def _classes(element: Any) -> set[str]:
    value = element.get("class")
    return set(value.split()) if value else set()


class _Text:
    """Text gathered up to a bound; past it, more is ignored and `full` is set."""

    def __init__(self, limit: int) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit
        self.full = False

    def add(self, text: str) -> None:
        if self.full or not text:
            return
        self.parts.append(text)
        self.size += len(text)
        if self.size > self.limit:
            self.full = True

    def value(self) -> str:
        text = one_line("".join(self.parts))
        if "$" in text:  # no space between math and the punctuation after it
            text = re.sub(r"\$ (?=[.,;:!?)\]])", "$", text)
        return cut(text, self.limit)


def text_of(
    element: Any,
    limit: int,
    skip: Callable[[Any], bool] | None = None,
    blocks: frozenset[str] = frozenset(),
    br: str = " ",
) -> str:
    """The element's text on one line, math as `$alttext$`, without the
    elements `skip` accepts or `_SKIP_TAGS`/`_SKIP_CLASSES` name (the element
    itself is always read). `blocks`: tags after which a space is put, so
    that blocks do not run together; `br`: what a line break becomes."""
    out = _Text(limit)
    if element.tag in _SKIP_TAGS:  # a script with the licence line's id, say
        return ""
    stack: list[tuple[Any, bool]] = [(element, False)]
    while stack and not out.full:
        node, closing = stack.pop()
        if closing:
            if node.tag in _HEADINGS and out.parts and out.parts[-1].rstrip()[-1:].isalnum():
                out.add(". ")  # a subsection's or paragraph's title ends as a sentence
            elif node.tag in blocks:
                out.add(" ")
            if node is not element and node.tail:
                out.add(node.tail)
            continue
        tag = node.tag
        if not isinstance(tag, str):  # a comment or entity that got through
            if node is not element and node.tail:
                out.add(node.tail)
            continue
        if node is not element and (
            tag in _SKIP_TAGS or not _SKIP_CLASSES.isdisjoint(_classes(node)) or (skip is not None and skip(node))
        ):
            if node.tail:
                out.add(node.tail)
            continue
        if tag == "math":
            alt = node.get("alttext")
            out.add(f" ${one_line(alt)}$ " if alt and "$" not in alt else " ")
            if node is not element and node.tail:
                out.add(node.tail)
            continue
        if tag == "br":
            out.add(br)
        if node.text:
            out.add(node.text)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    return out.value()


_HEADINGS = frozenset(["h3", "h4", "h5", "h6"])
_CODE_HOST = re.compile(r"github|gitlab|huggingface|hf\.co|zenodo|10\.5281|bitbucket|codeberg", re.I)
_BLOCKS = frozenset(["p", "div", "section", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "tr", "figcaption"])


class _Folder:
    """Where the paper's images may be: its page's host, under its folder."""

    def __init__(self, page_url: str, base: str | None) -> None:
        page = urlsplit(page_url)
        path = page.path or "/"
        if not path.endswith("/"):
            path = posixpath.dirname(path) + "/" if re.search(r"\.x?html?$", path, re.I) else path + "/"
        self.scheme, self.host, self.path = page.scheme.lower(), page.netloc.lower(), path
        self.base = urlunsplit((page.scheme, page.netloc, path, "", ""))
        if base:
            joined = self.check(urljoin(self.base, base.strip()), folder=True)
            if joined:
                self.base = joined if joined.endswith("/") else joined + "/"

    def check(self, url: str, folder: bool = False) -> str | None:
        """`url` when it is under the paper's folder on its host, else `None`."""
        if len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in url) or "\\" in url:
            return None
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        if parts.scheme.lower() != self.scheme or parts.netloc.lower() != self.host or parts.query:
            return None
        path = unquote(parts.path)
        if "\\" in path or any(segment in ("..", ".") for segment in path.split("/")):
            return None
        if not (path.startswith(self.path) and (folder or len(path) > len(self.path))):
            return None
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))

    def image(self, src: str | None) -> str | None:
        if not src or len(src) > MAX_URL:
            return None
        try:
            return self.check(urljoin(self.base, src.strip()))
        except ValueError:
            return None


_INDEXED = frozenset(
    [
        "ltx_document",
        "ltx_ERROR",
        "ar5iv-severity-fatal",
        "ltx_abstract",
        "ltx_title_document",
        "ltx_section",
        "ltx_appendix",
        "ltx_chapter",
        "ltx_figure",
        "ltx_table",
        "ltx_role_footnote",
        "ltx_role_thanks",
        "ltx_authors",
        "ltx_creator",
        "ltx_role_institutetext",
        "ltx_bibliography",
        "ltx_dates",
    ]
)
_INDEXED_RE = re.compile(r"(?<!\S)(" + "|".join(sorted(_INDEXED, key=len, reverse=True)) + r")(?!\S)")
_INDEXED_TAGS = ("article", "section", "div", "span", "figure", "h1")
"""The elements that carry those classes (and arXiv's licence line, a `div` or an `a`)."""
_SECTIONS = ("ltx_section", "ltx_appendix", "ltx_chapter")
_INDEX_LIMIT = 5_000
"""The most elements of one kind looked at: far more than a paper has
sections, figures, footnotes, authors or links, and far more than a record keeps."""


class _Index:
    """The elements the parser looks for, found in one pass over the page
    (an XPath query per kind would walk the whole tree each time)."""

    def __init__(self, root: Any) -> None:
        self.by_class: dict[str, list[Any]] = {}
        self.license: Any = None
        for node in root.iter(*_INDEXED_TAGS):  # MathML, most of a page's elements, is passed over in C
            value = node.get("class")
            if value:
                for name in _INDEXED_RE.findall(value):
                    found = self.by_class.setdefault(name, [])
                    if len(found) < _INDEX_LIMIT:
                        found.append(node)
            if self.license is None and node.get("id") == "license-tr":
                self.license = node
        self.links: list[Any] = []
        for node in root.iter("a"):
            href = node.get("href")
            if href and _CODE_HOST.search(href):
                self.links.append(node)
                if len(self.links) >= _INDEX_LIMIT:
                    break
            if self.license is None and node.get("id") == "license-tr":
                self.license = node
        base = next(root.iter("base"), None)
        self.base: str | None = base.get("href") if base is not None else None

    def of(self, name: str, tag: str | None = None) -> list[Any]:
        found = self.by_class.get(name, [])
        return [e for e in found if e.tag == tag] if tag else found


def parse(html: bytes, page_url: str) -> FullText | NoHtml:
    """The paper on the page `html`, fetched from `page_url` (what its
    relative URLs are resolved against, with its `<base>`)."""
    if len(html) > MAX_HTML_BYTES:
        return NoHtml("too-large", f"{len(html):,} bytes")
    from lxml import etree

    parser = etree.HTMLParser(
        encoding="utf-8", no_network=True, remove_comments=True, remove_pis=True, default_doctype=False
    )
    try:
        root = None if not html or html.isspace() else etree.fromstring(html, parser)
    except (etree.ParserError, ValueError):
        root = None
    if root is None:
        return NoHtml("empty", "no HTML")
    index = _Index(root)
    articles = index.of("ltx_document", "article")
    if not articles:
        return NoHtml("not-latexml", "no LaTeXML document")
    article = articles[0]
    if len(articles) > 1:  # keep to the first
        inside = set(article.iter(*_INDEXED_TAGS))
        for name, found in index.by_class.items():
            index.by_class[name] = [e for e in found if e in inside]
        index.links = [e for e in index.links if e in inside]
    fatal = [e for e in index.of("ltx_ERROR")[:1_000] if "Fatal error" in text_of(e, 200)]
    if fatal or index.of("ar5iv-severity-fatal"):
        return NoHtml("fatal", "the conversion to HTML stopped part-way")

    folder = _Folder(page_url, index.base)
    abstracts = index.of("ltx_abstract")
    abstract = (
        text_of(abstracts[0], MAX_ABSTRACT, skip=lambda n: "ltx_title_abstract" in _classes(n), blocks=_BLOCKS)
        if abstracts
        else ""
    )
    top = _top_sections(index)
    sections = _sections(article, index, top)
    body_text = sum(len(s.text) for s in sections)
    if body_text < MIN_TEXT:
        whole = text_of(article, 2_000, blocks=_BLOCKS)
        if re.search(r"\bSee pages? .{0,40}\bof\b.{0,100}\.pdf\b", whole, re.I):
            return NoHtml("stub", "the paper's source is a PDF")
        return NoHtml("little-text", f"{body_text} characters of text besides the abstract")

    titles = index.of("ltx_title_document", "h1")
    license_text = cut(text_of(index.license, 1_000), MAX_LICENSE_TEXT) if index.license is not None else ""
    top_set = set(top)
    return FullText(
        url=cut(page_url, MAX_URL),
        title=text_of(titles[0], MAX_TITLE, blocks=_BLOCKS) if titles else "",
        authors=_authors(index),
        abstract=abstract,
        sections=sections,
        figures=_figures(index, folder, top_set),
        tables=_tables(index, top_set),
        code=_code(index, abstracts[0] if abstracts else None),
        license=license_code(license_text) if license_text else "unknown",
        license_text=license_text,
    )


# Sections


def _top_sections(index: _Index) -> list[Any]:
    """The sections, appendices and chapters not inside another, in page order."""
    found = [e for name in _SECTIONS for e in index.of(name, "section")]
    candidates = set(found)
    top = [e for e in found if not any(a in candidates for a in e.iterancestors("section"))]
    return sorted(dict.fromkeys(top), key=_position(top))


def _position(elements: list[Any]) -> Callable[[Any], int]:
    """A sort key putting elements in page order (the index lists them by class first)."""
    rank: dict[Any, int] = {}
    if elements:
        root = elements[0].getroottree().getroot()
        wanted = set(elements)
        for n, node in enumerate(root.iter("section")):
            if node in wanted:
                rank[node] = n
    return lambda e: rank.get(e, 0)


def _sections(article: Any, index: _Index, top: list[Any]) -> tuple[Section, ...]:
    out: list[Section] = []
    total = 0
    for element in top[:MAX_SECTIONS]:
        heading = _xp(f"./*[{_has_class('ltx_title')}]")(element)
        tag = _xp(f".//*[{_has_class('ltx_tag')}]")(heading[0]) if heading else []
        number = text_of(tag[0], 40).rstrip(". ") if tag else ""
        title = text_of(heading[0], MAX_TITLE) if heading else ""  # its tag (the number) is skipped
        number = re.sub(r"^(?:Appendix|Chapter|Section)\s+", "", number)
        limit = min(MAX_SECTION_TEXT, MAX_TEXT - total)
        if limit <= 0:
            break
        text = text_of(element, limit, skip=_this(heading[0] if heading else None), blocks=_BLOCKS)
        total += len(text)
        out.append(Section(id=cut(element.get("id") or "", 100), number=number, title=title, text=text))
    if not out:  # a paper without sections: its paragraphs, as one
        skip = {*index.of("ltx_abstract"), *index.of("ltx_authors"), *index.of("ltx_title_document")}
        skip |= set(index.of("ltx_dates"))
        text = text_of(article, MAX_SECTION_TEXT, skip=lambda n: n in skip, blocks=_BLOCKS)
        if text:
            out.append(Section(id="", number="", title="", text=text))
    return tuple(out)


def _this(target: Any) -> Callable[[Any], bool]:
    return lambda node: node is target


def _section_of(element: Any, top: set[Any]) -> str:
    """The id of the top-level section `element` is in."""
    for ancestor in element.iterancestors("section"):
        if ancestor in top:
            return cut(ancestor.get("id") or "", 100)
    return ""


# Figures and tables


def _number(element: Any, words: str) -> str:
    tag = _xp(f".//*[{_has_class('ltx_tag')}]")(element)
    text = text_of(tag[0], 80) if tag else ""
    match = re.search(rf"(?:{words})\.?\s*([A-Z]?\d+(?:\.\d+)*|[A-Z]\.?\d*)", text, re.I)
    return match.group(1) if match else ""


def _caption(element: Any) -> str:
    captions = _xp(f"./figcaption | ./*[{_has_class('ltx_caption')}]")(element)
    if not captions:
        captions = _xp(".//figcaption")(element)
    if not captions:
        return ""
    return text_of(captions[0], MAX_CAPTION, skip=lambda n: "ltx_tag" in _classes(n), blocks=_BLOCKS)


def _outer(elements: list[Any], limit: int) -> list[Any]:
    """The first `limit` figures not inside another figure (subfigures are their figure's)."""
    outer = (e for e in elements if next(e.iterancestors("figure"), None) is None)
    return list(itertools.islice(outer, limit))


def _figures(index: _Index, folder: _Folder, top: set[Any]) -> tuple[Figure, ...]:
    out = []
    for element in _outer(index.of("ltx_figure", "figure"), MAX_FIGURES):
        images: list[str] = []
        for src in _xp(".//img/@src")(element):
            url = folder.image(str(src))
            if url and url not in images:
                images.append(url)
            if len(images) >= MAX_IMAGES:
                break
        out.append(
            Figure(
                id=cut(element.get("id") or "", 100),
                number=_number(element, "Figure|Fig"),
                caption=_caption(element),
                images=tuple(images),
                section=_section_of(element, top),
            )
        )
    return tuple(out)


def _tables(index: _Index, top: set[Any]) -> tuple[Table, ...]:
    out = []
    for element in _outer(index.of("ltx_table", "figure"), MAX_TABLES):
        out.append(
            Table(
                id=cut(element.get("id") or "", 100),
                number=_number(element, "Table|Tab"),
                caption=_caption(element),
                section=_section_of(element, top),
            )
        )
    return tuple(out)


# Code links


def _code(index: _Index, abstract: Any) -> tuple[CodeLink, ...]:
    found: dict[str, CodeLink] = {}

    def add(urls: Iterable[str], where: str) -> None:
        for url in dict.fromkeys(urls):
            if len(found) >= MAX_CODE_LINKS:
                return
            link = code_link(str(url))
            if link and dedupe_key(link[0]) not in found:
                found[dedupe_key(link[0])] = CodeLink(url=link[0], kind=link[1], where=where)

    if abstract is not None:
        add(_xp(".//a/@href")(abstract), "abstract")
        add(urls_in_text(text_of(abstract, MAX_ABSTRACT)), "abstract")
    for note in [*index.of("ltx_role_footnote"), *index.of("ltx_role_thanks")][:200]:
        add(_xp(".//a/@href")(note), "footnote")
        add(urls_in_text(text_of(note, 2_000)), "footnote")
    references = set(index.of("ltx_bibliography"))  # links to others' code
    links = [a for a in index.links[:2_000] if references.isdisjoint(a.iterancestors())]
    add((a.get("href") for a in links), "body")
    return tuple(found.values())


# Authors


def _skipped(node: Any) -> bool:
    return not isinstance(node.tag, str) or node.tag in _SKIP_TAGS or not _SKIP_CLASSES.isdisjoint(_classes(node))


def _author_name(creator: Any) -> str:
    person = _xp(f".//*[{_has_class('ltx_personname')}]")(creator)
    if not person:
        return ""
    # The name is what comes before the first line break; affiliations and
    # emails written into \author with \\ follow it.
    element = person[0]
    head = _Text(MAX_AFFILIATION)
    head.add(element.text or "")
    for child in element:
        if child.tag == "br":
            break
        if child.tag != "sup" and not _skipped(child):
            head.add(text_of(child, MAX_AFFILIATION))
        head.add(child.tail or "")
    name = head.value()
    return _clean_name(name)


_MATH = re.compile(r"\$[^$]*\$")
"""Math in a name or an affiliation is a footnote mark (`$^{1}$`, `$^{\\dagger}$`)."""


def _clean_name(name: str) -> str:
    name = one_line(_MATH.sub(" ", _EMAIL.sub("", name)))
    name = re.sub(rf"[\s,{_MARKS}\d]+$", "", name)
    return name.strip(" ,;")


def _lines_after_break(creator: Any) -> list[str]:
    """The lines of `\\author{Name \\\\ Affiliation \\\\ email}` after the name."""
    person = _xp(f".//*[{_has_class('ltx_personname')}]")(creator)
    if not person or not _xp("./br")(person[0]):
        return []
    lines: list[str] = []
    current = _Text(MAX_AFFILIATION * 2)
    started = False
    for child in person[0]:
        if child.tag == "br":
            if started:
                lines.append(current.value())
            current, started = _Text(MAX_AFFILIATION * 2), True
        elif started and child.tag != "sup" and not _skipped(child):
            current.add(text_of(child, MAX_AFFILIATION))
        if started:
            current.add(child.tail or "")
        if len(lines) > MAX_AFFILIATIONS * 2:
            break
    if started:
        lines.append(current.value())
    return lines


def clean_affiliation(text: str) -> str:
    """An affiliation as shown: no emails, no footnote marks or stray brackets
    (`\\altaffiliation`'s `[`), no "Also at"; empty when nothing is left."""
    text = one_line(_MATH.sub(" ", _EMAIL.sub(" ", text)))
    text = re.sub(r"\s*,(?:\s*,)*\s*", ", ", text)  # lines joined by commas, empty ones gone
    text = re.sub(r"\b(?:e-?mail|email)\s*:?\s*$", "", text, flags=re.I)
    text = re.sub(rf"^[\s\[\]{_MARKS}\d,;:.]+", "", text)
    text = _ALSO_AT.sub("", text)
    text = re.sub(r"[\s\[\],;:.]+$", "", text)
    if text.count("(") < text.count(")"):
        text = text.replace(")", "")
    if text.count("[") != text.count("]"):
        text = text.replace("[", "").replace("]", "")
    text = text.strip()
    if not re.search(r"[^\W\d_]{2}", text) or re.match(r"(?:https?://|www\.)", text, re.I):
        return ""
    if re.match(r"(?:corresponding author|equal contribution|these authors)", text, re.I):
        return ""
    return cut(text, MAX_AFFILIATION)


_AFFILIATION_ROLES = ("ltx_role_affiliation", "ltx_role_address", "ltx_role_institutetext", "ltx_role_institution")


def _institutes(index: _Index) -> dict[str, str]:
    """llncs's `\\institute`: notes numbered by their mark, outside the authors."""
    out: dict[str, str] = {}
    for number, note in enumerate(index.of("ltx_role_institutetext")[:50], start=1):
        mark = _xp(f"./*[{_has_class('ltx_note_mark')}]")(note)
        key = text_of(mark[0], 10) if mark else str(number)
        content = _xp(f".//*[{_has_class('ltx_note_content')}]")(note)
        text = text_of(
            content[0] if content else note, MAX_AFFILIATION * 2, skip=lambda n: "ltx_role_email" in _classes(n)
        )
        out.setdefault(key or str(number), clean_affiliation(text))
    return out


def _affiliation_text(element: Any) -> str:
    """One affiliation's text, its lines (`\\\\`) and acmart's parts (`\\institution`,
    `\\city`, `\\country`) separated by commas."""
    parts = _xp("./*[contains(@class, 'ltx_affiliation_')]")(element)
    if parts:
        return ", ".join(t for t in (text_of(p, MAX_AFFILIATION) for p in parts[:10]) if t)
    return text_of(element, MAX_AFFILIATION * 2, br=", ")


def _authors(index: _Index) -> tuple[Author, ...]:
    institutes = _institutes(index)
    blocks = set(index.of("ltx_authors"))
    creators = (c for c in index.of("ltx_creator") if not blocks.isdisjoint(c.iterancestors()))
    out = []
    for creator in itertools.islice(creators, MAX_AUTHORS):
        name = _author_name(creator)
        if not name:
            continue
        roles = " or ".join(_has_class(r) for r in _AFFILIATION_ROLES)
        found = [_affiliation_text(e) for e in _xp(f".//*[{roles}]")(creator)[: MAX_AFFILIATIONS * 2]]
        if not found and institutes:
            notes = _xp(f".//*[{_has_class('ltx_author_notes')}]")(creator)
            marks = text_of(notes[0], 40).replace(" ", "") if notes else ""
            half = len(marks) // 2  # LaTeXML writes `\inst{1,2}` as its marks twice: `1,21,2`
            if half and marks[:half] == marks[half:]:
                marks = marks[:half]
            found = [institutes[m] for m in marks.split(",") if m in institutes]
            if not found and len(institutes) == 1:
                found = list(institutes.values())
        if not found:
            found = _lines_after_break(creator)
        cleaned = [c for c in (clean_affiliation(f) for f in found) if c]
        out.append(Author(name=name, affiliations=tuple(dict.fromkeys(cleaned))[:MAX_AFFILIATIONS]))
    return tuple(out)
