"""An offline summarizer: it picks sentences from the abstract, needs no model and no network."""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone

from ..records import Paper, Summary
from . import Summarizer

# Words after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "et",
        "al",
        "etc",
        "fig",
        "figs",
        "eq",
        "eqs",
        "ref",
        "refs",
        "sec",
        "vs",
        "cf",
        "approx",
        "resp",
        "no",
        "nos",
        "resp",
        "ca",
        "dr",
        "prof",
    ]
)
_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[$\\]?[A-Z0-9])")

_CONTRIBUTION = re.compile(
    r"\b(?:we|this (?:paper|work|study|article|letter|note|thesis)|here,? we|in this (?:paper|work))\b", re.I
)
_ACTION = re.compile(
    r"\b(?:propose|introduce|present|develop|design|show|demonstrate|prove|derive|establish|"
    r"find|report|achieve|obtain|provide|describe|study|investigate|construct)\w*",
    re.I,
)
_RESULT = re.compile(
    r"\b(?:outperform\w*|state[- ]of[- ]the[- ]art|significant\w*|improv\w*|results? (?:show|indicate|suggest|demonstrate)\w*|"
    r"we find|achiev\w*|reduc\w*|faster|accura\w*)",
    re.I,
)
_BACKGROUND = re.compile(
    r"\b(?:recent(?:ly)?|has been|have been|remains?|however|widely|traditionally|existing|previous(?:ly)?|"
    r"is (?:a|an) (?:key|fundamental|important|challenging))\b",
    re.I,
)
_BOILERPLATE = re.compile(r"\b(?:code|data|models?|implementation)\b.{0,40}\bavailable\b|https?://|github", re.I)

VERSION = 1
"""Bumped when the choice of sentences changes, so cached summaries are redone."""


def sentences(text: str) -> list[str]:
    """Split an abstract into sentences, keeping abbreviations and decimals whole."""
    pieces = _BOUNDARY.split(text.strip())
    merged: list[str] = []
    for piece in pieces:
        if merged:
            last_word = merged[-1].rsplit(None, 1)[-1].rstrip(".").lower()
            if last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", last_word):
                merged[-1] += " " + piece
                continue
        merged.append(piece)
    return [sentence.strip() for sentence in merged if sentence.strip()]


def score(sentence: str, position: int, count: int) -> float:
    """How much a sentence says what the paper contributes."""
    value = 0.0
    contribution = bool(_CONTRIBUTION.search(sentence))
    if contribution:
        value += 2.0
        if _ACTION.search(sentence):
            value += 1.5
    value += 1.0 * min(len(_RESULT.findall(sentence)), 2)
    value -= 1.0 * min(len(_BACKGROUND.findall(sentence)), 2)
    if _BOILERPLATE.search(sentence):
        value -= 4.0
    words = len(sentence.split())
    if words < 6:
        value -= 2.0
    elif words > 60:
        value -= 1.0
    # Abstracts state their purpose early and their findings late.
    if count > 1 and position == count - 1:
        value += 0.3
    return value - 0.05 * position


class ExtractiveSummarizer(Summarizer):
    """TL;DR: the sentence that best states the contribution. Takeaways: the
    3-5 best sentences, in the abstract's order."""

    key = f"extractive-{VERSION}"
    model = "extractive"

    def summarize(self, paper: Paper, language: str) -> Summary:
        found = sentences(paper.abstract)
        if not found:
            return Summary(backend="extractive", created=_now())
        ranked = sorted(range(len(found)), key=lambda i: -score(found[i], i, len(found)))
        wanted = min(len(found), max(3, min(5, math.ceil(len(found) / 2))))
        useful = [i for i in ranked if not _BOILERPLATE.search(found[i])] or ranked
        takeaways = tuple(found[i] for i in sorted(useful[:wanted]))
        tldr = found[useful[0]]
        return Summary(tldr=tldr, tldr_en=tldr, takeaways=takeaways, backend="extractive", created=_now())


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
