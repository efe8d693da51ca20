"""An offline summarizer: it picks sentences from the abstract, needs no model and no network."""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Any

from ..records import Paper, Summary
from . import Summarizer


class _Pattern:
    """A regular expression compiled when first used: a warm build, which
    summarizes nothing, does not pay the few milliseconds these take."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._source = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        if self._compiled is None:
            self._compiled = re.compile(*self._source)
        return getattr(self._compiled, name)


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
        # months, as in "Aug. 10, 2025"
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    ]
)
_BOUNDARY = _Pattern(r"(?<=[.!?])\s+(?=[\"'(\[$\\]?[A-Z0-9])")

# What a paper says it does: "In this paper ...", "This work ...", "Here we ...", "The aim of this study ...".
_DOCUMENT = r"(?:paper|work|study|article|letter|note|chapter|thesis|review|survey|research|report)"
_FRAME = _Pattern(
    rf"\b(?:in|of) (?:this|the present|our)(?: \w+)? {_DOCUMENT}\b"
    rf"|^(?:this|the present|our)(?: \w+)? {_DOCUMENT}\b"
    rf"|\bthis {_DOCUMENT}(?: \w+ly)? \w{{2,}}s\b"
    r"|^here,? we\b",
    re.I,
)
# Verbs that announce something new, with "we" (or "our ...") or in the passive.
_NEW = r"(?:propos|introduc|present|develop|design|construct|devis|formulat|creat|build|buil[dt]|defin|describ|report|provid|deriv|establish|curat)\w*"
# "we also propose", "we further show", "we explicitly confirm"
_ADVERB = r"(?: (?:\w+ly|also|further|then|first|next|now|thus|hence|therefore|additionally))?"
_ANNOUNCE = _Pattern(
    rf"\b(?:we|(?:this|our) {_DOCUMENT}){_ADVERB} (?:have |has )?(?:\w+ to )?{_NEW}"
    rf"|\b(?:is|are) (?:\w+ly )?{_NEW}",
    re.I,
)
# "We show ...", "We find ...": a result, said with "we".
_WE_FIND = _Pattern(
    rf"\bwe{_ADVERB} (?:have |had )?(?:show|prove|demonstrat|characteri[sz]|find|found|obtain|derive|improve|unify|"
    r"argue|solve|confirm|identif|lift|formali[sz])\w*",
    re.I,
)
# "We study ...", "We consider ...": the paper's subject, said with "we".
_WE_STUDY = _Pattern(
    rf"\bwe{_ADVERB} (?:have |had )?(?:stud|consider|investigat|examin|explor|analy[sz]|perform|conduct|revisit|use|"
    r"appl|aim|focus|address|tackle|discuss)\w*",
    re.I,
)
# A sentence that only names a problem says less than one that says what was done about it.
_PROBLEM = _Pattern(r"\bthe (?:problem|question|task|challenge)s? of\b", re.I)
# Sentences about checking, illustrating or discussing the contribution rather than stating it.
_DETAIL = _Pattern(
    r"^(?:we|our)\b.{0,30}?\b(?:evaluat|validat|illustrat|speculat|includ|compar|recommend|outline|match|select|"
    r"sampl|collect|train|implement|execut|apply|applied)\w*",
    re.I,
)
_RESULT = _Pattern(
    r"\b(?:outperform\w*|state[- ]of[- ]the[- ]art|significant\w*|improv\w*|(?:results?|findings?|experiments?|evaluation|analysis) (?:show|indicate|suggest|demonstrate|reveal)\w*|"
    r"we find|achiev\w*|reduc\w*|faster|accura\w*)",
    re.I,
)
_BACKGROUND = _Pattern(
    r"\b(?:recent(?:ly)?|has been|have been|remains?|however|widely|traditionally|existing|previous(?:ly)?|"
    r"is (?:a|an) (?:key|fundamental|important|challenging))\b",
    re.I,
)
# Words that tie a sentence to the one before it ("Moreover", "We also", "First,", "To this end"):
# such a sentence does not stand alone, so it is never the TL;DR.
_CONNECTIVE = _Pattern(
    r"^(?:moreover|furthermore|further|finally|lastly|additionally|also|besides|thus|hence|therefore|consequently|"
    r"accordingly|then|next|first(?:ly)?|second(?:ly)?|third(?:ly)?|however|nevertheless|nonetheless|still|"
    r"instead(?! of)|rather(?! than)|similarly|likewise|meanwhile|specifically|notably|interestingly|surprisingly|crucially|importantly|"
    r"indeed|in addition|in particular|in turn|in contrast|in summary|in conclusion|in short|in total|overall|"
    r"on the other hand|on top of (?:this|that)|as such|as a result|as a consequence|as a byproduct|to this end|"
    r"to (?:achieve|do) (?:this|so|that)|for this|with (?:this|these)|based on (?:this|these|that|our)|"
    r"(?:we|our \w+|it|this|these|they) (?:also|then|first|further|furthermore|additionally|finally|next|thus|hence|therefore))\b(?!-)",
    re.I,
)
# Sentences that lean on an earlier one for their subject ("This allows ...", "These results ...").
_ANAPHORA = _Pattern(
    r"^(?:this|these|those|such|it|they|the latter|the former)\b(?! (?:paper|work|study|article|letter|note|chapter|thesis|review|survey)\b)",
    re.I,
)
_BOILERPLATE = _Pattern(r"\b(?:code|data|models?|implementation)\b.{0,40}\bavailable\b|https?://|github", re.I)

VERSION = 2
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


def opens_on_connective(sentence: str) -> bool:
    """Whether a sentence starts by tying itself to the one before it ("Moreover", "We also")."""
    return bool(_CONNECTIVE.match(sentence.lstrip("\"'([")))


def score(sentence: str, position: int, count: int) -> float:
    """How much a sentence says, on its own, what the paper contributes."""
    value = 0.0
    framed = bool(_FRAME.search(sentence))
    if framed:
        value += 3.0
    if _ANNOUNCE.search(sentence):
        value += 3.5
    elif _WE_FIND.search(sentence):
        value += 2.0
    elif _WE_STUDY.search(sentence):
        value += 1.0
    if _PROBLEM.search(sentence):
        value -= 1.0
    if _DETAIL.search(sentence):
        value -= 2.0
    value += 0.5 * min(len(_RESULT.findall(sentence)), 2)
    if not framed:  # "In this paper, we ... what has been missing" is still the contribution
        value -= 1.0 * min(len(_BACKGROUND.findall(sentence)), 2)
    if _BOILERPLATE.search(sentence):
        value -= 4.0
    words = len(sentence.split())
    if words < 6:
        value -= 2.0
    elif words > 60:
        value -= 1.0
    # Of two equally good sentences, the earlier: abstracts state their contribution before its details.
    return value - 0.1 * position / max(count, 1)


class ExtractiveSummarizer(Summarizer):
    """TL;DR: the sentence that best states the contribution, never one that
    opens on a connective. Takeaways: the next best sentences, 3-5 of them
    when the abstract has enough, in the abstract's order, without the TL;DR."""

    key = f"extractive-{VERSION}"
    model = "extractive"

    def summarize(self, paper: Paper, language: str) -> Summary:
        found = sentences(paper.abstract)
        if not found:
            return Summary(backend="extractive", created=_now())
        scores = [score(sentence, i, len(found)) for i, sentence in enumerate(found)]
        useful = [i for i in range(len(found)) if not _BOILERPLATE.search(found[i])] or list(range(len(found)))
        # The TL;DR must stand alone: not open on a connective, and better not lean on "This ..." or "It ...".
        standalone = [i for i in useful if not opens_on_connective(found[i])]
        best = max(standalone or useful, key=lambda i: scores[i] - (1.0 if _ANAPHORA.match(found[i]) else 0.0))
        tldr = found[best] if standalone else _drop_connective(found[best])
        # Takeaways: the best of the rest; what comes before the contribution is mostly background.
        rest = sorted((i for i in useful if i != best), key=lambda i: -(scores[i] - (1.5 if i < best else 0.0)))
        wanted = min(len(rest), max(3, min(5, math.ceil(len(found) / 2))))
        takeaways = tuple(found[i] for i in sorted(rest[:wanted]))
        return Summary(tldr=tldr, tldr_en=tldr, takeaways=takeaways, backend="extractive", created=_now())


def _drop_connective(sentence: str) -> str:
    """The sentence without its opening connective, for abstracts where every sentence has one."""
    rest = _CONNECTIVE.sub("", sentence.lstrip("\"'(["), count=1).lstrip(" ,;:")
    return rest[:1].upper() + rest[1:] if rest else sentence


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
