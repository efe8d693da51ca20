"""TeX from outside is inert for MathJax and KaTeX: every command that makes a
link, class, id, style, image or loads code is dropped and its text kept,
ordinary math is left as written, and records and escaped text carry none.
(tests/test_math_browser.py shows the same payloads doing nothing in a browser.)"""

from __future__ import annotations

import html
import re

import pytest

from hostile import MARKUP_COMMAND, ORDINARY_MATH, TEX_ALL, TEX_PAYLOADS
from mkdocs_arxiv_digest.escape import Math, escape_plain, escape_text, inert_tex
from mkdocs_arxiv_digest.records import Paper, Summary

HOSTILE_ID = "2501.00001"
ARITHMATEX = {"pymdownx.arithmatex": {"generic": True}}


def test_every_markup_command_is_dropped_and_its_text_kept() -> None:
    for payload in TEX_PAYLOADS:
        made = inert_tex(payload)
        assert not MARKUP_COMMAND.search(made), made
    assert inert_tex(TEX_PAYLOADS[0]) == "${href-text}$"
    assert inert_tex(r"$\unicode[serif]{x41}$") == r"$\unicode{x41}$"
    # Two pieces that would meet as `\href` once the command between them goes stay apart.
    assert not re.search(r"\\href", inert_tex(r"\h\class{x}ref{javascript:1}{y}"))
    # `\\` is a line break, and `href` after it is text, kept apart from it by an empty group.
    assert inert_tex(r"a \\href b") == r"a \\{}href b"


def test_ordinary_math_is_left_as_written() -> None:
    for text in (
        ORDINARY_MATH,
        r"$\frac{a}{b} \mathbb{R}^n \hat{x} \left( x \right) \boldsymbol{\theta}$",
        r"\stylized \hrefs",
    ):
        assert inert_tex(text) == text


def test_records_from_anywhere_are_inert() -> None:
    # What templates, the JSON file and the feed read is the record's own text.
    paper = Paper(id=HOSTILE_ID, version=1, title=TEX_PAYLOADS[0], abstract=TEX_ALL, authors=(TEX_PAYLOADS[1],))
    summary = Summary(tldr=TEX_ALL, takeaways=(TEX_PAYLOADS[3],), structured={"method": TEX_PAYLOADS[5]})
    rebuilt = Paper.from_dict({**paper.to_dict(), "title": TEX_PAYLOADS[3]})
    overridden = summary.with_overrides({"tldr": TEX_PAYLOADS[0]})
    assert rebuilt is not None
    texts = [
        paper.title,
        paper.abstract,
        *paper.authors,
        summary.tldr,
        *summary.takeaways,
        *summary.structured.values(),
    ]
    texts += [rebuilt.title, overridden.tldr]
    for text in texts:
        assert not MARKUP_COMMAND.search(text), text


@pytest.mark.parametrize("math", [None, Math.of_site(["pymdownx.arithmatex"], ARITHMATEX)])
def test_escaped_text_is_inert_with_and_without_site_math(math: Math | None) -> None:
    for escape in (lambda text: escape_text(text, math), escape_plain):
        shown = html.unescape(escape(TEX_ALL))  # what MathJax or KaTeX reads in the browser
        assert not MARKUP_COMMAND.search(shown), shown
