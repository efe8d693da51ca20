"""What a model reads of a paper, and which figure leads: choices made on a `FullText`."""

from __future__ import annotations

import math
import re

from .record import Figure, FullText, Section

_OVERVIEW = re.compile(r"\b(?:overview|architecture|pipeline|framework|workflow)s?\b", re.I)


def main_figure(paper: FullText, number: str | None = None) -> Figure | None:
    """The figure to show first: the one numbered `number` when given and
    present; else the first whose caption reads like an overview
    (architecture, pipeline, framework, overview, workflow); else Figure 1;
    else the first. Figures with an image are preferred to those without."""
    figures = [f for f in paper.figures if f.images] or list(paper.figures)
    if number is not None:
        return next((f for f in figures if f.number == str(number)), None)
    return (
        next((f for f in figures if _OVERVIEW.search(f.caption)), None)
        or next((f for f in figures if f.number == "1"), None)
        or (figures[0] if figures else None)
    )


def figures_in_order(paper: FullText, count: int, number: str | None = None) -> list[Figure]:
    """Up to `count` figures with images: the main one first, then the rest in the paper's order."""
    first = main_figure(paper, number)
    rest = [f for f in paper.figures if f.images and f is not first]
    return ([first] if first is not None and first.images else [])[:count] + rest[: max(count - 1, 0)]


def estimate_tokens(text: str) -> int:
    """A model's token count for `text`, estimated without a tokenizer: one
    token per four characters of ASCII (the usual rate for English under
    GPT-style tokenizers) and one per other character (CJK characters, Greek
    letters and math symbols often take one or more each). It errs on the high
    side, so an excerpt within a budget by this count fits the model."""
    ascii_chars = sum(1 for c in text if c < "\x80")
    return math.ceil(ascii_chars / 4) + (len(text) - ascii_chars)


_PARTS = {
    "introduction": re.compile(r"\b(?:introduction|motivation)\b", re.I),
    "method": re.compile(
        r"\b(?:method|methods|methodology|approach|model|framework|architecture|proposed|algorithm|design|"
        r"preliminar(?:y|ies)|formulation|technique|system)\b",
        re.I,
    ),
    "results": re.compile(
        r"\b(?:experiment|experiments|experimental|results?|evaluation|evaluations|benchmarks?|ablations?|"
        r"analysis|performance|empirical|findings)\b",
        re.I,
    ),
    "conclusion": re.compile(r"\b(?:conclusions?|concluding|discussion|summary|limitations|future work)\b", re.I),
}
_SKIP = re.compile(r"\b(?:related work|prior work|literature|acknowledge?ments?|references|appendix)\b", re.I)
SHARES = {"introduction": 0.2, "method": 0.35, "results": 0.3, "conclusion": 0.15}
"""How the budget left after the abstract is shared; a part's unused share goes to the next."""


def sections_by_part(paper: FullText) -> dict[str, list[Section]]:
    """The paper's sections sorted into introduction, method, results and
    conclusion by their titles (related work, acknowledgements and appendices
    left out). A section whose title says nothing is taken as method when it
    comes between the introduction and the results."""
    parts: dict[str, list[Section]] = {name: [] for name in _PARTS}
    seen_results = False
    for section in paper.sections:
        if section.id.startswith("A") or _SKIP.search(section.title):
            continue
        part = next((name for name, pattern in _PARTS.items() if pattern.search(section.title)), None)
        if part is None and not section.title and len(paper.sections) == 1:
            part = "introduction"
        elif part is None and parts["introduction"] and not seen_results:
            part = "method"
        if part == "results":
            seen_results = True
        if part:
            parts[part].append(section)
    return parts


def _trim(text: str, tokens: int) -> str:
    """`text` cut to about `tokens` (see `estimate_tokens`), at a sentence end when one is near."""
    if tokens <= 0:
        return ""
    if estimate_tokens(text) <= tokens:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix within the budget
        middle = (low + high + 1) // 2
        if estimate_tokens(text[:middle]) + 1 <= tokens:
            low = middle
        else:
            high = middle - 1
    head = text[:low]
    stop = max(head.rfind(". "), head.rfind("? "), head.rfind("! "))
    return (head[: stop + 1] if stop > low * 0.6 else head.rstrip()) + " …"


def excerpt(paper: FullText, tokens: int = 6_000) -> str:
    """The paper for a model within `tokens` (see `estimate_tokens`): the
    abstract, then the introduction, method, results (with the captions of
    the tables in them) and conclusion, each under a `## ` heading and cut to
    its share of what the abstract leaves (`SHARES`)."""
    out: list[str] = []
    used = 0

    def add(heading: str, text: str, allowance: int) -> int:
        body = _trim(text, allowance - estimate_tokens(heading) - 2)
        if not body:
            return 0
        block = f"## {heading}\n{body}"
        out.append(block)
        return estimate_tokens(block) + 2

    if paper.abstract:
        used += add("Abstract", paper.abstract, min(tokens, max(tokens // 4, 600)))
    parts = sections_by_part(paper)
    left = tokens - used
    carry = 0.0
    for part, share in SHARES.items():
        allowance = int(left * share + carry)
        text = " ".join(s.text for s in parts[part])
        if part == "results":
            ids = {s.id for s in parts[part]}
            captions = [f"Table {t.number}: {t.caption}" for t in paper.tables if t.section in ids and t.caption]
            text = " ".join([*captions, text])
        titles = ", ".join(dict.fromkeys(s.title for s in parts[part] if s.title))  # each title once
        spent = add(f"{part.capitalize()} ({titles})" if titles else part.capitalize(), text, allowance) if text else 0
        used += spent
        carry = allowance - spent
    return "\n\n".join(out)
