"""Reading arXiv's HTML (LaTeXML's HTML5 in arXiv's page chrome) into a `FullText`.

The page is outside input: it is parsed by libxml2's HTML parser through lxml
with the network off, comments and processing instructions dropped, and no
entity but HTML's own expanded; nothing in it is run, and nothing is fetched.
What is kept is text and URLs checked against the page's own folder, each
bounded (see `record`). The tree is walked without recursion, so a page nested
10,000 levels deep costs what a flat one does."""

from __future__ import annotations

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


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


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
    stack: list[tuple[Any, bool]] = [(element, False)]
    while stack and not out.full:
        node, closing = stack.pop()
        if closing:
            if node.tag in blocks:
                out.add(" ")
            if node is not element and node.tail:
                out.add(node.tail)
            continue
        tag = node.tag
        if not isinstance(tag, str):  # a comment or entity that got through
            if node.tail:
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
            if node.tail:
                out.add(node.tail)
            continue
        if tag == "br":
            out.add(br)
        if node.text:
            out.add(node.text)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    return out.value()


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
        root = etree.fromstring(html, parser) if html.strip() else None
    except (etree.ParserError, ValueError):
        root = None
    if root is None:
        return NoHtml("empty", "no HTML")
    articles = root.xpath(f"//article[{_has_class('ltx_document')}]")
    if not articles:
        return NoHtml("not-latexml", "no LaTeXML document")
    article = articles[0]
    if root.xpath(
        f"//*[{_has_class('ltx_ERROR')}][contains(., 'Fatal error')] | //*[{_has_class('ar5iv-severity-fatal')}]"
    ):
        return NoHtml("fatal", "the conversion to HTML stopped part-way")

    base = root.xpath("//head/base/@href") or root.xpath("//base/@href")
    folder = _Folder(page_url, str(base[0]) if base else None)

    abstract_el = article.xpath(f".//*[{_has_class('ltx_abstract')}]")
    abstract = (
        text_of(abstract_el[0], MAX_ABSTRACT, skip=lambda n: "ltx_title_abstract" in _classes(n), blocks=_BLOCKS)
        if abstract_el
        else ""
    )
    sections = _sections(article)
    body_text = sum(len(s.text) for s in sections)
    if body_text < MIN_TEXT:
        whole = text_of(article, 2_000, blocks=_BLOCKS)
        if re.search(r"\bSee pages? .{0,40}\bof\b.{0,100}\.pdf\b", whole, re.I):
            return NoHtml("stub", "the paper's source is a PDF")
        return NoHtml("little-text", f"{body_text} characters of text besides the abstract")

    title_el = article.xpath(f".//h1[{_has_class('ltx_title_document')}]")
    license_el = root.xpath("//*[@id='license-tr']")
    license_text = cut(text_of(license_el[0], 1_000), MAX_LICENSE_TEXT) if license_el else ""
    return FullText(
        url=cut(page_url, MAX_URL),
        title=text_of(title_el[0], MAX_TITLE, blocks=_BLOCKS) if title_el else "",
        authors=_authors(article),
        abstract=abstract,
        sections=sections,
        figures=_figures(article, folder),
        tables=_tables(article),
        code=_code(article, abstract_el[0] if abstract_el else None),
        license=license_code(license_text) if license_text else "unknown",
        license_text=license_text,
    )


# Sections


def _top_sections(article: Any) -> list[Any]:
    kinds = ("ltx_section", "ltx_appendix", "ltx_chapter")
    condition = " or ".join(_has_class(k) for k in kinds)
    ancestors = " or ".join(f"ancestor::section[{_has_class(k)}]" for k in kinds)
    return list(article.xpath(f".//section[{condition}][not({ancestors})]"))


def _sections(article: Any) -> tuple[Section, ...]:
    out: list[Section] = []
    total = 0
    for element in _top_sections(article)[:MAX_SECTIONS]:
        heading = element.xpath(f"./*[{_has_class('ltx_title')}]")
        tag = heading[0].xpath(f".//*[{_has_class('ltx_tag')}]") if heading else []
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
        skip = {*article.xpath(f".//*[{_has_class('ltx_abstract')} or {_has_class('ltx_authors')}]")}
        skip |= set(article.xpath(f".//*[{_has_class('ltx_title_document')} or {_has_class('ltx_dates')}]"))
        text = text_of(article, MAX_SECTION_TEXT, skip=lambda n: n in skip, blocks=_BLOCKS)
        if text:
            out.append(Section(id="", number="", title="", text=text))
    return tuple(out)


def _this(target: Any) -> Callable[[Any], bool]:
    return lambda node: node is target


def _section_of(element: Any) -> str:
    """The id of the top-level section `element` is in."""
    ids = element.xpath(
        "ancestor::section["
        + " or ".join(_has_class(k) for k in ("ltx_section", "ltx_appendix", "ltx_chapter"))
        + "]/@id"
    )
    return cut(str(ids[0]), 100) if ids else ""


# Figures and tables


def _number(element: Any, words: str) -> str:
    tag = element.xpath(f".//*[{_has_class('ltx_tag')}]")
    text = text_of(tag[0], 80) if tag else ""
    match = re.search(rf"(?:{words})\.?\s*([A-Z]?\d+(?:\.\d+)*|[A-Z]\.?\d*)", text, re.I)
    return match.group(1) if match else ""


def _caption(element: Any) -> str:
    captions = element.xpath(f"./figcaption | ./*[{_has_class('ltx_caption')}]")
    if not captions:
        captions = element.xpath(".//figcaption")
    if not captions:
        return ""
    return text_of(captions[0], MAX_CAPTION, skip=lambda n: "ltx_tag" in _classes(n), blocks=_BLOCKS)


def _figures(article: Any, folder: _Folder) -> tuple[Figure, ...]:
    out = []
    elements = article.xpath(f".//figure[{_has_class('ltx_figure')}][not(ancestor::figure)]")
    for element in elements[:MAX_FIGURES]:
        images: list[str] = []
        for src in element.xpath(".//img/@src"):
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
                section=_section_of(element),
            )
        )
    return tuple(out)


def _tables(article: Any) -> tuple[Table, ...]:
    out = []
    elements = article.xpath(f".//figure[{_has_class('ltx_table')}][not(ancestor::figure)]")
    for element in elements[:MAX_TABLES]:
        out.append(
            Table(
                id=cut(element.get("id") or "", 100),
                number=_number(element, "Table|Tab"),
                caption=_caption(element),
                section=_section_of(element),
            )
        )
    return tuple(out)


# Code links


def _code(article: Any, abstract: Any) -> tuple[CodeLink, ...]:
    found: dict[str, CodeLink] = {}

    def add(urls: Iterable[str], where: str) -> None:
        for url in urls:
            if len(found) >= MAX_CODE_LINKS:
                return
            link = code_link(str(url))
            if link and dedupe_key(link[0]) not in found:
                found[dedupe_key(link[0])] = CodeLink(url=link[0], kind=link[1], where=where)

    not_in_refs = f"[not(ancestor::*[{_has_class('ltx_bibliography')}])]"
    if abstract is not None:
        add(abstract.xpath(".//a/@href"), "abstract")
        add(urls_in_text(text_of(abstract, MAX_ABSTRACT)), "abstract")
    notes = article.xpath(f".//*[{_has_class('ltx_role_footnote')} or {_has_class('ltx_role_thanks')}]")
    for note in notes[:200]:
        add(note.xpath(".//a/@href"), "footnote")
        add(urls_in_text(text_of(note, 2_000)), "footnote")
    add(article.xpath(f".//a{not_in_refs}/@href")[:2_000], "body")
    return tuple(found.values())


# Authors


def _skipped(node: Any) -> bool:
    return not isinstance(node.tag, str) or node.tag in _SKIP_TAGS or not _SKIP_CLASSES.isdisjoint(_classes(node))


def _author_name(creator: Any) -> str:
    person = creator.xpath(f".//*[{_has_class('ltx_personname')}]")
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


def _clean_name(name: str) -> str:
    name = _EMAIL.sub("", name)
    name = re.sub(rf"[\s,{_MARKS}\d]+$", "", name)
    return name.strip(" ,;")


def _lines_after_break(creator: Any) -> list[str]:
    """The lines of `\\author{Name \\\\ Affiliation \\\\ email}` after the name."""
    person = creator.xpath(f".//*[{_has_class('ltx_personname')}]")
    if not person or not person[0].xpath("./br"):
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
    text = one_line(_EMAIL.sub(" ", text))
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


def _institutes(article: Any) -> dict[str, str]:
    """llncs's `\\institute`: notes numbered by their mark, outside the authors."""
    out: dict[str, str] = {}
    for index, note in enumerate(article.xpath(f".//*[{_has_class('ltx_role_institutetext')}]")[:50], start=1):
        mark = note.xpath(f"./*[{_has_class('ltx_note_mark')}]")
        key = text_of(mark[0], 10) if mark else str(index)
        content = note.xpath(f".//*[{_has_class('ltx_note_content')}]")
        text = text_of(
            content[0] if content else note, MAX_AFFILIATION * 2, skip=lambda n: "ltx_role_email" in _classes(n)
        )
        out.setdefault(key or str(index), clean_affiliation(text))
    return out


def _affiliation_text(element: Any) -> str:
    """One affiliation's text, its lines (`\\\\`) and acmart's parts (`\\institution`,
    `\\city`, `\\country`) separated by commas."""
    parts = element.xpath("./*[contains(@class, 'ltx_affiliation_')]")
    if parts:
        return ", ".join(t for t in (text_of(p, MAX_AFFILIATION) for p in parts[:10]) if t)
    return text_of(element, MAX_AFFILIATION * 2, br=", ")


def _authors(article: Any) -> tuple[Author, ...]:
    institutes = _institutes(article)
    creators = article.xpath(f".//*[{_has_class('ltx_authors')}]//*[{_has_class('ltx_creator')}]")
    out = []
    for creator in creators[:MAX_AUTHORS]:
        name = _author_name(creator)
        if not name:
            continue
        roles = " or ".join(_has_class(r) for r in _AFFILIATION_ROLES)
        found = [_affiliation_text(e) for e in creator.xpath(f".//*[{roles}]")[: MAX_AFFILIATIONS * 2]]
        if not found and institutes:
            notes = creator.xpath(f".//*[{_has_class('ltx_author_notes')}]")
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
