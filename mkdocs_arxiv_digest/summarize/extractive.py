"""An offline summarizer: it picks sentences from the abstract (and, given a
paper's full text, from its method and results), needs no model and no network."""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..records import Paper, Summary
from . import PaperText, Summarizer


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
# Words that open a sentence, so a capital letter before them ends one ("of type A. We show"),
# where before a name it is an initial ("by J. Smith").
_OPENER = _Pattern(
    r"(?:We|Our|The|This|These|Those|That|There|It|Its|In|On|For|A|An|As|At|By|To|With|From|Here|Using|Such|"
    r"However|Moreover|Finally|Furthermore|Thus|Hence|Then|Also|Both|Each|All|Many|Most|Some|When|While|"
    r"Although|Since|If|Unlike|They|Their|One|Two|Three|[0-9])\b"
)
_NUMBER = _Pattern(r"[-+~≈<>]?\d[\d.,]*")

# What a paper says it does: "In this paper ...", "This work ...", "The aim of this study ...".
_DOCUMENT = (
    r"(?:paper|work|study|article|letter|note|chapter|thesis|review|survey|research|report|contribution|document|memo)"
)
_FRAME = _Pattern(
    rf"^.{{0,60}}?\b(?:in|of|with|through) (?:this|the present|our)(?: \w+)? {_DOCUMENT}\b|^(?:this|the present|our)(?: \w+)? {_DOCUMENT}\b",
    re.I,
)
# The paper as the subject of its own sentence: "This paper presents ...", "This study
# investigates ...", "the chapter gives ...", "This paper is a survey of ...".
_SELF = _Pattern(
    rf"\b(?:this|the present|our)(?: \w+)? {_DOCUMENT}(?: \w+ly| also| here| then| further)? (?!is\b|was\b|has\b)\w{{2,}}s\b"
    r"|\bthe (?:paper|article|letter|note|chapter|thesis)(?: \w+ly| also| here| then| further)? (?!is\b|was\b|has\b)\w{2,}s\b"
    rf"|\b(?:this|the present) {_DOCUMENT} (?:is|was) (?:a|an|devoted|dedicated|concerned|focused|aimed|about)\b",
    re.I,
)
# "Here we show ...": the way many abstracts name their contribution.
_HERE = _Pattern(r"^here,? we\b", re.I)
# Verbs that announce something new, with "we" (or "our ...") or in the passive.
_NEW = r"(?:propos|introduc|present|develop|design|construct|devis|formulat|creat|build|buil[dt]|defin|describ|report|deriv|establish|curat|put forward)\w*"
# In the passive only those that say something was made: "a method is proposed", not "X is defined".
_NEW_PASSIVE = (
    r"(?:propos|introduc|present|develop|design|construct|devis|formulat|describ|report|deriv|establish|curat)ed"
)
# "we also propose", "we further show", "we explicitly confirm"
_ADVERB = r"(?: (?:\w+ly|also|further|then|first|next|now|thus|hence|therefore|additionally|here|herein))?"
_WE = rf"(?:we|the authors|(?:this|our|the present) (?:\w+ )?{_DOCUMENT})"
_ANNOUNCE = _Pattern(rf"\b{_WE}{_ADVERB} (?:have |has )?(?:\w+ to )?{_NEW}", re.I)
_ANNOUNCE_PASSIVE = _Pattern(rf"\b(?:is|are|has been|have been) (?:\w+ly |here |herein )?{_NEW_PASSIVE}\b", re.I)
_PERFECT = _Pattern(r"\b(?:has|have) been\b", re.I)
# "A method is proposed", "A new model has been developed": something new as the subject.
_NEW_THING = _Pattern(
    r"(?:in this \w+,? )?an? (?!(?:number|variety|range|lot|few|host|plethora|wide|large|series|couple) of\b)", re.I
)
# Other people's work: "many methods are proposed in the literature".
_OTHERS = _Pattern(
    r"\[\d|\b(?:literature|previous(?:ly)?|prior|existing|earlier|traditional(?:ly)?|researchers|et al|"
    r"(?:many|most|several|various|numerous|some) (?:of the )?(?:\w+ )?(?:papers|works|studies|methods|approaches|techniques))\b",
    re.I,
)
# An announcing verb that announces nothing: "we build on X", "the approach we developed is",
# "we provided", "are defined".
_HOLLOW = _Pattern(
    rf"\bwe (?:have )?{_NEW}\b (?:on|upon|is|are|was|were|above|earlier|previously)\b"
    r"|\bwe (?:provided|built|defined|created)\b"
    rf"|^(?:\w+ )?(?:the|a|an|this|that|these|each) (?!{_DOCUMENT}\b)\w+(?: (?!{_DOCUMENT}\b)\w+)? we (?:have )?\w+ed\b"
    r"(?: (?:is|are|was|were|can|has|have)\b|,)",
    re.I,
)
# "We show ...", "We find ...": a result, said with "we", also after "and" ("We consider X and show ...").
_FIND = r"(?:provid|offer|show|prove|demonstrat|characteri[sz]|find|found|obtain|derive|improve|unify|argue|solve|confirm|identif|lift|formali[sz]|observe|discover|reveal|establish|compute|calculate|determine|predict|estimate|classify|construct|extend|generali[sz])\w*"
_WE_FIND = _Pattern(
    rf"\bwe{_ADVERB} (?:have |had |can |are able to )?(?:\w+ to )?{_FIND}|\bwe\b[^.;]{{0,160}}?,? and (?:then |also |further )?{_FIND}",
    re.I,
)
# Findings said without "we": "Our experiments reveal", "The results show", "Our main result is".
_FINDING = _Pattern(
    r"\b(?:our|the|these|such) (?:\w+ ){0,2}(?:results?|findings?|experiments?|analys[ie]s|simulations?|calculations?|"
    r"measurements?|observations?|evaluations?|data|study|studies|theory|model|computations?|estimates?) "
    r"(?:\w+ly )?(?:show|indicate|suggest|demonstrate|reveal|confirm|establish|imply|point|uncover|highlight|prove)\w*"
    r"|\bour (?:\w+ ){0,2}(?:result|finding|contribution|theorem|insight|observation|conclusion)s? (?:is|are|shows?|states?)\b"
    r"|\b(?:it|this) is (?:shown|found|demonstrated|proved|proven|established|observed)\b",
    re.I,
)
# "We study ...", "We consider ...": the paper's subject, said with "we".
_WE_STUDY = _Pattern(
    rf"\bwe{_ADVERB} (?:have |had )?(?:\w+ (?:out )?to )?(?:stud|consider|investigat|examin|explor|analy[sz]|perform|conduct|revisit|use|"
    r"appl|aim|focus|address|tackle|discuss|review|survey|measur|model|simulat|assess|quantif|test|explain|seek|"
    r"attempt|compute|calculate|report)\w*"
    rf"|\b(?:the|our) (?:\w+ ){{0,2}}(?:aim|goal|purpose|objective)s? (?:of (?:this|the present|our) {_DOCUMENT} )?(?:is|are|was)\b",
    re.I,
)
_NOVEL = _Pattern(r"\b(?:new|novel)\b|\bthe first \w+(?: \w+)? (?:to|that|which)\b", re.I)
# Said in the past tense by authors reporting their own study: "A survey was conducted to ...".
_DONE = _Pattern(
    r"\b(?:was|were) (?:\w+ly )?(?:conducted|carried out|performed|developed|designed|proposed|introduced|created|"
    r"built|implemented|constructed|undertaken|investigated|examined|studied|analy[sz]ed|collected|surveyed)\b",
    re.I,
)
# The authors' voice, with no cue: "our model", "the proposed method".
_OURS = _Pattern(r"\b(?:we|our|us|the proposed|the present)\b", re.I)
# A sentence that only names a problem says less than one that says what was done about it.
_PROBLEM = _Pattern(r"\bthe (?:problem|question|task|challenge)s? of\b", re.I)
# Sentences about checking, illustrating or discussing the contribution rather than stating it.
_DETAIL = _Pattern(
    r"^(?:we|our)\b.{0,30}?\b(?:evaluat|validat|illustrat|speculat|includ|compar|recommend|outline|match|select|"
    r"sampl|collect|train|implement|execut|apply|applied|conclude|close|end|finish|discuss (?:the |some |possible )?(?:implication|application|extension|limitation))\w*"
    r"|^(?:finally|lastly)\b",
    re.I,
)
_RESULT = _Pattern(
    r"\b(?:outperform\w*|state[- ]of[- ]the[- ]art|significant\w*|improv\w*|(?:results?|findings?|experiments?|evaluation|analysis) (?:show|indicate|suggest|demonstrate|reveal)\w*|"
    r"we find|achiev\w*|reduc\w*|faster|accura\w*)",
    re.I,
)
_BACKGROUND = _Pattern(
    r"\b(?:recent(?:ly)?|has been|have been|remains?|however|widely|traditionally|existing|previous(?:ly)?|"
    r"is (?:a|an) (?:key|fundamental|important|challenging|central|crucial)|(?:many|most|numerous) (?:\w+ )?(?:studies|works|methods|approaches|researchers)|"
    r"(?:is|are) (?:often|usually|commonly|increasingly)|plays? an? (?:\w+ )?role)\b",
    re.I,
)
# Words that tie a sentence to the one before it ("Moreover", "We also", "First,", "To this end").
# Such a sentence leans on the previous one, so it is marked down as the TL;DR and, when chosen,
# shown without them.
_CONNECTIVE = _Pattern(
    r"^(?:moreover|furthermore|finally|lastly|additionally|also|besides|thus|hence|therefore|consequently|"
    r"accordingly|then|firstly|secondly|thirdly|however|nevertheless|nonetheless|"
    # words that are adjectives too: "Further analysis", "First results", "Overall accuracy"
    r"(?:further|next|first|second|third|still|overall)(?=,| we\b)|"
    r"instead(?! of)|rather(?! than)|similarly|likewise|meanwhile|specifically|notably|interestingly|surprisingly|crucially|importantly|"
    r"indeed|in addition(?! to)|in particular|in turn|in contrast(?! to| with)|in summary|in conclusion|in short|in total|"
    r"on the other hand|on top of (?:this|that)|as such|as a result|as a consequence|as a byproduct|to this end|"
    r"to (?:achieve|do) (?:this|so|that)|for this|with (?:this|these)|based on (?:this|these|that|our)|"
    r"(?:we|our \w+|it|this|these|they) (?:also|then|first|further|furthermore|additionally|finally|next|thus|hence|therefore))\b(?!-)",
    re.I,
)
# Sentences that lean on an earlier one for their subject ("This allows ...", "These results ...").
_ANAPHORA = _Pattern(
    rf"^(?:this|these|those|such|it|they|the latter|the former)\b(?! {_DOCUMENT}\b)",
    re.I,
)
# Links and availability notes ("Code is available at ..."); a sentence that only names GitHub as
# its subject ("a benchmark of GitHub issues") is content.
_BOILERPLATE = _Pattern(
    r"https?://|www\.|\bgithub\.(?:com|io)\b"
    r"|\b(?:code|data(?:sets?)?|models?|implementations?|software|weights|checkpoints|benchmark|tool(?:kit)?|library|"
    r"materials?|scripts?)\b(?: \w+){0,6}? (?:is|are|will be|has been|have been|were|was) (?:\w+ly )?(?:made )?"
    r"(?:available|released|open[- ]?sourced?|public)\b",
    re.I,
)

VERSION = 4
"""Bumped when the choice of sentences changes, so cached summaries are redone."""


def sentences(text: str) -> list[str]:
    """Split an abstract into sentences, keeping abbreviations, decimals, initials,
    parentheses and inline math whole."""
    pieces = _BOUNDARY.split(text.strip())
    merged: list[str] = []
    for piece in pieces:
        if merged and _continues(merged[-1], piece):
            merged[-1] += " " + piece
            continue
        merged.append(piece)
    return [sentence.strip() for sentence in merged if sentence.strip()]


def _continues(before: str, after: str) -> bool:
    """Whether the full stop that ends `before` does not end a sentence."""
    words = before.split()
    last = words[-1].lstrip("\"'([{").rstrip(".")
    if last.lower() in _ABBREVIATIONS:
        return True
    # Still inside parentheses or inline math that closes in what follows: "(e.g. $1024$ bits)".
    for opening, closing in ("()", "[]"):
        if before.count(opening) > before.count(closing) and closing in after:
            return True
    if _dollars(before) % 2 and "$" in after:
        return True
    if len(last) == 1 and last.isupper() and last.isalpha():
        # "4.6 K." is a unit and "of type A. We" a sentence's end; "by J. Smith" an initial.
        previous = words[-2] if len(words) > 1 else ""
        return not _NUMBER.fullmatch(previous) and not _OPENER.match(after.lstrip("\"'([$\\"))
    # A lone small letter ("the range of d.", "time-step t.") is a symbol, and ends the sentence.
    return False


def _dollars(text: str) -> int:
    return len(re.findall(r"(?<!\\)\$", text))


def opens_on_connective(sentence: str) -> bool:
    """Whether a sentence starts by tying itself to the one before it ("Moreover", "We also")."""
    return bool(_CONNECTIVE.match(sentence.lstrip("\"'([")))


def score(sentence: str, position: int, count: int) -> float:
    """How much a sentence says, on its own, what the paper contributes."""
    value = 0.0
    framed = bool(_FRAME.search(sentence))
    here = bool(_HERE.match(sentence))
    hollow = bool(_HOLLOW.search(sentence))
    announces = bool(_ANNOUNCE.search(sentence)) and not hollow
    # "A method is proposed" announces; "The geometry is described by ..." describes.
    passive = bool(_ANNOUNCE_PASSIVE.search(sentence)) and not (announces or hollow or _OTHERS.search(sentence))
    if passive and (
        _NEW_THING.match(sentence) or ((framed or _NOVEL.search(sentence)) and not _PERFECT.search(sentence))
    ):
        announces, passive = True, False
    itself = bool(_SELF.search(sentence))
    # The strongest cue counts: an announcement, the paper as subject, a result, a topic.
    cue = strong = True
    if announces:
        value += 4.0
    elif itself:
        value += 3.0
    elif _WE_FIND.search(sentence) or passive:
        value += 2.0
    elif _FINDING.search(sentence):
        value += 1.5
    elif _WE_STUDY.search(sentence) or (_DONE.search(sentence) and not _OTHERS.search(sentence)):
        value += 1.0
        strong = False
    else:
        cue = strong = False
        if _OURS.search(sentence):
            value += 0.5
        elif position == 0:  # an opening sentence that says nothing of the authors' work sets the scene
            value -= 0.5
    # "In this paper ..." says whose work it is, but not yet what it is: it adds to a cue and
    # does not outrank a later "we propose".
    if here:
        value += 2.5
    elif framed and (announces or not itself):
        value += 1.5 if cue else 1.0
    # What is new is the contribution: "we propose a new method", "we present the first study".
    if (announces or itself) and _NOVEL.search(sentence):
        value += 0.5
    # Abstracts in physics and mathematics often open on their contribution: "We compute ...".
    if position == 0 and cue and re.match(r"we\b", sentence, re.I):
        value += 1.5 if strong else 0.5
    if _PROBLEM.search(sentence) and not (announces or itself):
        value -= 1.0
    if _DETAIL.search(sentence):
        value -= 2.0
    value += 0.5 * min(len(_RESULT.findall(sentence)), 2)
    # "In this paper, we ... what has been missing" is still the contribution.
    if not (framed or here or announces or itself):
        # An opening "However, we find" is weighed as a connective, not also as background.
        value -= 1.0 * min(len(_BACKGROUND.findall(without_connective(sentence))), 2)
    if _BOILERPLATE.search(sentence):
        value -= 4.0
    words = len(sentence.split())
    if words < 6:
        value -= 2.0
    elif words > 60:
        value -= 1.0
    # Of two equally good sentences, the earlier: abstracts state their contribution before its details.
    return value - 0.1 * position / max(count, 1)


def tldr_score(sentence: str, position: int, count: int) -> float:
    """How good a TL;DR the sentence makes: its score, less what it owes an earlier sentence
    ("Moreover, ...", "This ...")."""
    return score(sentence, position, count) - _owed(sentence)


def _owed(sentence: str) -> float:
    """What a sentence owes the one before it, as a TL;DR."""
    if opens_on_connective(sentence):
        return 1.5
    return 1.0 if _ANAPHORA.match(sentence) else 0.0


FEATURES = (
    "first",
    "last",
    "relative",
    "length",
    "opens_we",
    "opens_our",
    "opens_the",
    "number",
    "comparative",
    "title",
    "title_name",
    "previous",
    "next",
    "next_leans",
)
"""What the learned scorer adds to `tldr_score`, per sentence: whether it is the first or the
last, its relative position, its length (log of words over 25), whether it opens on "We",
"Our" or an article, holds a number or a comparative, the share of the title's words it holds,
whether it names the title's "Name:", the rule score of the sentences before and after it
(over 4), and whether the next one leans on it."""
WEIGHTS = Path(__file__).with_name("tldr_weights.json")
"""The learned scorer's weights, one per name in FEATURES, written by scripts/train_tldr_scorer.py."""

_COMPARATIVE = _Pattern(r"\b(?:than|better|higher|lower|faster|slower|larger|smaller|fewer|outperform\w*)\b", re.I)
_WORD = _Pattern(r"[A-Za-z][A-Za-z-]{3,}")
# Title words that say nothing of what a sentence is about.
_STOP = frozenset(
    [
        "with",
        "from",
        "into",
        "that",
        "this",
        "their",
        "these",
        "using",
        "based",
        "over",
        "under",
        "between",
        "towards",
        "toward",
        "through",
        "about",
        "paper",
        "study",
        "analysis",
        "approach",
        "method",
        "methods",
        "model",
        "models",
        "theory",
        "problem",
        "problems",
        "case",
        "note",
        "some",
        "when",
        "where",
        "which",
        "what",
        "via",
    ]
)


def _stems(text: str) -> set[str]:
    return {word.lower()[:5] for word in _WORD.findall(text) if word.lower() not in _STOP}


def features(found: list[str], title: str, scores: list[float] | None = None) -> list[list[float]]:
    """Per sentence of an abstract, the values of FEATURES; `scores` are the sentences'
    `score`s when already known."""
    count = len(found)
    if scores is None:
        scores = [score(sentence, i, count) for i, sentence in enumerate(found)]
    totals = [value - _owed(sentence) for value, sentence in zip(scores, found, strict=True)]
    title_stems = _stems(title)
    name = re.match(r"\s*([A-Z][\w-]*[A-Z][\w-]*)\s*[:-]", title)
    rows = []
    for i, sentence in enumerate(found):
        opening = sentence.lstrip("\"'([").lower()
        following = found[i + 1] if i + 1 < count else ""
        rows.append(
            [
                float(i == 0),
                float(i == count - 1 and count > 1),
                i / (count - 1) if count > 1 else 0.0,
                math.log(max(len(sentence.split()), 1) / 25),
                float(bool(re.match(r"we\b", opening))),
                float(bool(re.match(r"our\b", opening))),
                float(bool(re.match(r"(?:the|a|an)\b", opening))),
                float(bool(_NUMBER.search(sentence))),
                float(bool(_COMPARATIVE.search(sentence))),
                len(title_stems & _stems(sentence)) / len(title_stems) if title_stems else 0.0,
                float(bool(name and name.group(1) in sentence)),
                totals[i - 1] / 4 if i else 0.0,
                totals[i + 1] / 4 if following else 0.0,
                float(bool(following and (opens_on_connective(following) or _ANAPHORA.match(following)))),
            ]
        )
    return rows


@functools.cache
def _weights() -> tuple[float, ...]:
    data = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    if tuple(data["features"]) != FEATURES:
        raise ValueError(f"{WEIGHTS.name} does not hold the weights of this module's FEATURES")
    return tuple(float(value) for value in data["weights"])


def tldr_scores(found: list[str], title: str = "", scores: list[float] | None = None) -> list[float]:
    """Per sentence, how good a TL;DR it makes by the learned scorer: its `tldr_score`, plus
    the weighed FEATURES (position, length, opening, the title's words, the neighbours)."""
    count = len(found)
    if scores is None:
        scores = [score(sentence, i, count) for i, sentence in enumerate(found)]
    weights = _weights()
    return [
        value - _owed(sentence) + sum(x * w for x, w in zip(row, weights, strict=True))
        for value, sentence, row in zip(scores, found, features(found, title, scores), strict=True)
    ]


_DOING = re.compile(
    r"\b(?:we|our)\b[^.]*?\b(?:propose|present|introduce|use|train|design|build|define|formulate|adopt|develop|"
    r"apply|model|compute|derive|extend|combine|learn|encode|measure|construct)\w*",
    re.I,
)
_FOUND = re.compile(
    r"\b(?:outperform|improv|achiev|reach|reduc|surpass|beat|exceed|gain|accura|better|lower|higher|faster|"
    r"find|found|show|observ)\w*",
    re.I,
)
_FIGURE = re.compile(r"\d")

PART_CHARS = 8_000
"""How much of a part's text the structured summary's sentence is looked for in."""

PART_LENGTH = 500
"""The most characters of one structured field."""


def from_part(text: str, wanted: list[re.Pattern[str]]) -> str:
    """One or two sentences of a part of a paper for its structured summary:
    the first that matches every pattern of `wanted`, else the first that
    matches the first pattern, else the part's first sentence; with the next
    sentence when both fit in `PART_LENGTH` characters."""
    found = [s for s in sentences(text[:PART_CHARS]) if len(s) > 30]
    if not found:
        return ""
    best = next(
        (i for i, s in enumerate(found) if all(p.search(s) for p in wanted)),
        next((i for i, s in enumerate(found) if wanted[0].search(s)), 0),
    )
    chosen = [without_connective(found[best])]
    if best + 1 < len(found) and len(chosen[0]) + len(found[best + 1]) < PART_LENGTH:
        chosen.append(found[best + 1])
    text = " ".join(chosen)
    return text if len(text) <= PART_LENGTH else text[: PART_LENGTH - 1].rstrip() + "…"


class ExtractiveSummarizer(Summarizer):
    """TL;DR: the sentence that best states the contribution, without an opening connective.
    Takeaways: the next best sentences, 3-5 of them when the abstract has enough, in the
    abstract's order, without the TL;DR. Given the full text: the structured
    summary's method and results, from the sections of each (see `from_part`)."""

    key = f"extractive-{VERSION}"
    fulltext_key = "parts1"
    model = "extractive"

    def summarize(self, paper: Paper, language: str, text: PaperText | None = None) -> Summary:
        summary = self._from_abstract(paper)
        if text is None:
            return summary
        structured = {
            "method": from_part(text.parts.get("method", ""), [_DOING]),
            "results": from_part(text.parts.get("results", ""), [_FOUND, _FIGURE]),
        }
        return dataclasses.replace(summary, structured={k: v for k, v in structured.items() if v})

    def _from_abstract(self, paper: Paper) -> Summary:
        found = sentences(paper.abstract)
        if not found:
            return Summary(backend="extractive", created=_now())
        count = len(found)
        scores = [score(sentence, i, count) for i, sentence in enumerate(found)]
        useful = [i for i in range(count) if not _BOILERPLATE.search(found[i])] or list(range(count))
        best = max(useful, key=tldr_scores(found, paper.title, scores).__getitem__)
        tldr = without_connective(found[best])
        # Takeaways: the best of the rest; what comes before the contribution is mostly background.
        rest = sorted((i for i in useful if i != best), key=lambda i: -(scores[i] - (1.5 if i < best else 0.0)))
        wanted = min(len(rest), max(3, min(5, math.ceil(count / 2))))
        takeaways = tuple(found[i] for i in sorted(rest[:wanted]))
        return Summary(tldr=tldr, tldr_en=tldr, takeaways=takeaways, backend="extractive", created=_now())


def without_connective(sentence: str) -> str:
    """The sentence without its opening connectives: "We then present X" is "We present X",
    "Based on this analysis, we propose X" is "We propose X", "Specifically, we first
    propose X" is "We propose X"."""
    shorter = _without_one_connective(sentence)
    return shorter if shorter == sentence else without_connective(shorter)


def _without_one_connective(sentence: str) -> str:
    text = sentence.lstrip("\"'([")
    found = _CONNECTIVE.match(text)
    if not found:
        return sentence
    subject = re.fullmatch(r"(we|our \w+|it|this|these|they) \w+", found.group(0), re.I)
    if subject:
        return subject.group(1) + text[found.end() :]
    rest = text[found.end() :]
    if re.match(r"\s+\w", rest) and re.search(r"(?:this|these|that|our|for this)$", found.group(0), re.I):
        # The connective opens a phrase ("With these results, ..."): drop the phrase up to its comma.
        phrase = re.match(r"[^,;:.]{0,60}?[,;:]\s*", rest)
        if not phrase:
            return sentence
        rest = rest[phrase.end() :]
    rest = rest.lstrip(" ,;:")
    return rest[:1].upper() + rest[1:] if rest else sentence


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
