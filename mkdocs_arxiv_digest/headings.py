"""A Markdown extension that gives each paper's heading a stable id and a plain-text label.

A digest ends each entry's heading with its id in `attr_list`'s syntax,
`## 4. Title { #arxiv-2403-10045 }`. Without an id, Python-Markdown's `toc`
gives the heading a slug of its text (`#4-heat-bath-…`), which changes when the
list is reordered or translated. Where `attr_list` is enabled it sets the id
(priority 8), as it does for any heading a writer gives one; where it is not,
the tree processor here (priority 6, after the inline patterns and before
`toc` at 5) takes the same trailing id off the heading's text. `toc` keeps an
id it finds, so the table of contents, the permalink and MkDocs' anchor
validation all use the arXiv ID, with or without `attr_list` and with any
option of `toc`. An inline anchor before the title, `<a id="arxiv-…"></a>`
(the built-in templates' earlier form, which custom templates may still
use), is moved onto the heading the same way; it costs Python-Markdown's
HTML parser a little more.

Where a heading holds more than plain text (math, escapes, inline HTML), it
also gives it a `data-toc-label` (which `toc` reads and removes) holding the
title as plain text, math reduced by `tex_to_text`: the table of contents and
MkDocs' search index, which take the label, show no TeX. A plain heading needs
none: `toc` names it by the same text.
Material's search plugin reads the heading's own text instead: each math
span there is marked `data-search-exclude` and followed by a `hidden` span
with its plain text, which only that index reads. MkDocs
takes a page's title from its first `h1` before that: `page_title` gives the
plugin's `on_page_content` the plain one.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from typing import Any

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from .escape import tex_to_text

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_STASHED = re.compile("\x02wzxhzdk:(\\d+)\x03")
_ESCAPED = re.compile("\x02(\\d+)\x03")
_ANCHOR = re.compile(r'<a id="(arxiv-[0-9A-Za-z-]+)">\Z')
_TRAILING_ID = re.compile(r"(?:\A|(?<= ))\{ #(arxiv-[0-9A-Za-z-]+) \}[ ]*\Z")
_OPENER = re.compile("\x02wzxhzdk:(\\d+)\x03\x02wzxhzdk:(\\d+)\x03")
_TAG = re.compile(r"<[^>]*>")
_MATH_WRAP = re.compile(r"\A\s*(?:\\\(|\\\[|\$\$?)(.*?)(?:\\\)|\\\]|\$\$?)\s*\Z", re.S)


class HeadingIds(Extension):  # type: ignore[misc]
    """Registered by the plugin in `on_config`; harmless on any other heading."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_HeadingIds(md), "arxiv_digest_headings", 6)


class _HeadingIds(Treeprocessor):  # type: ignore[misc]
    def run(self, root: etree.Element) -> None:
        has_toc = "toc" in self.md.treeprocessors
        # A pass per level, in C, rather than a test of every element in Python.
        for heading in (heading for tag in _HEADINGS for heading in root.iter(tag)):
            if not str(heading.get("id", "")).startswith("arxiv-") and not self._take_id(heading):
                continue
            if has_toc and "data-toc-label" not in heading.attrib and _needs_label(heading):
                heading.set("data-toc-label", html.escape(self._plain(heading)))
            if len(heading):  # math is a child element
                _search_text(heading)

    def _take_id(self, heading: etree.Element) -> bool:
        """Move a paper's id written in the heading's text onto the heading."""
        last = heading[-1] if len(heading) else None
        text = (heading.text if last is None else last.tail) or ""
        trailing = _TRAILING_ID.search(text)
        if trailing:
            if last is None:
                heading.text = text[: trailing.start()].rstrip(" ")
            else:
                last.tail = text[: trailing.start()].rstrip(" ")
            heading.set("id", trailing.group(1))
            return True
        # Inline HTML is stashed a tag at a time: `<a id="…">`, then `</a>`.
        found = _OPENER.match(heading.text or "")
        anchor = found and _ANCHOR.match(self._stashed(int(found.group(1))))
        if not found or not anchor or self._stashed(int(found.group(2))) != "</a>":
            return False
        heading.text = (heading.text or "")[found.end() :]
        heading.set("id", anchor.group(1))
        return True

    def _stashed(self, index: int) -> str:
        blocks = self.md.htmlStash.rawHtmlBlocks
        return str(blocks[index]) if 0 <= index < len(blocks) else ""

    def _text(self, text: str | None) -> str:
        """Text with the stash's placeholders as what they show: tags dropped, references read."""
        text = _STASHED.sub(lambda m: html.unescape(_TAG.sub("", self._stashed(int(m.group(1))))), text or "")
        return _ESCAPED.sub(lambda m: chr(int(m.group(1))), text)

    def _plain(self, element: etree.Element) -> str:
        parts = [self._text(element.text)]
        for child in element:
            classes = str(child.get("class", "")).split()
            if "arithmatex" in classes:
                parts.append(_math_text(child))
            elif "headerlink" not in classes:
                parts.append(self._plain(child))
            parts.append(self._text(child.tail))
        return " ".join("".join(parts).split())


def _needs_label(heading: etree.Element) -> bool:
    """Whether `toc`'s own name for the heading (its HTML with the tags taken
    out) would differ from the plain text: only when the heading holds
    elements (math), stashed HTML or escapes (placeholders), or runs of
    spaces. A label costs `toc` one more pass of the postprocessors."""
    text = heading.text or ""
    return len(heading) > 0 or "\x02" in text or text != " ".join(text.split())


def _math_text(math: etree.Element) -> str:
    """An arithmatex span's TeX as plain text (generic mode writes `\\(…\\)`,
    the other a `<script type="math/tex">`)."""
    scripts = [s.text or "" for s in math.iter("script")]
    tex = html.unescape(scripts[0]) if scripts else "".join(math.itertext())
    wrapped = _MATH_WRAP.match(tex)
    return tex_to_text(wrapped.group(1) if wrapped else tex)


def _search_text(heading: etree.Element) -> None:
    """Give Material's search index the math of a heading as plain text."""
    for parent in list(heading.iter()):
        for index, child in reversed(list(enumerate(parent))):
            if "arithmatex" not in str(child.get("class", "")).split():
                continue
            child.set("data-search-exclude", "")
            plain = etree.Element("span", {"hidden": ""})
            plain.text = _math_text(child)
            plain.tail, child.tail = child.tail, None
            parent.insert(index + 1, plain)


def page_title(content: str, toc: Any) -> str | None:
    """The plain-text title for a page whose first element is a paper's `h1`
    (MkDocs took the title from that heading's HTML, math and all); `None`
    for any other page. `toc` is the page's table of contents."""
    items = list(toc or [])
    if not content.lstrip().startswith('<h1 id="arxiv-') or not items or not items[0].id.startswith("arxiv-"):
        return None
    return str(items[0].title)
