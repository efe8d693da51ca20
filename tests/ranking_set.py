"""The labelled set for ranking a day's papers against a library (tests/fixtures/ranking/).

Papers are named by `ref`, a path in the repository and either `#<arXiv id>` (a JSON-lines
file with an `id` per line) or `:<line>` (the 0-based line of a file without unique ids);
`load()` reads their titles and abstracts from there.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "tests" / "fixtures" / "ranking"


@dataclass(frozen=True)
class Text:
    ref: str
    title: str
    abstract: str
    year: int | None = None


@dataclass(frozen=True)
class Library:
    name: str
    split: str
    """`dev` (rules may be tuned on it) or `heldout` (only measured)."""
    day: str
    topic: str
    keywords: tuple[str, ...]
    papers: tuple[Text, ...]
    candidates: tuple[Text, ...]
    """The day's papers, in the order they were announced."""
    relevant: frozenset[str]
    """The refs of the candidates the labeller marked relevant."""


def _record(line: dict[str, object]) -> tuple[str, str]:
    title = " ".join(str(line.get("title") or "").split())
    sentences = line.get("sentences")
    abstract = str(line["abstract"]) if "abstract" in line else " ".join(map(str, sentences or ()))
    return title, " ".join(abstract.split())


@cache
def _file(path: str) -> tuple[dict[str, object], ...]:
    with open(ROOT / path, encoding="utf-8") as lines:
        return tuple(json.loads(line) for line in lines)


def text(ref: str, year: int | None = None) -> Text:
    """The title and abstract `ref` names."""
    if "#" in ref:
        path, key = ref.split("#", 1)
        (line,) = (row for row in _file(path) if row.get("id") == key)
    else:
        path, number = ref.rsplit(":", 1)
        line = _file(path)[int(number)]
    title, abstract = _record(line)
    return Text(ref, title, abstract, year)


def load() -> list[Library]:
    """Every library of the set with its day's candidates and their labels."""
    labels: dict[str, list[tuple[str, bool]]] = {}
    with open(HERE / "labels.jsonl", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            labels.setdefault(row["library"], []).append((row["ref"], row["relevant"]))
    libraries = []
    with open(HERE / "libraries.jsonl", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            marked = labels[row["library"]]
            libraries.append(
                Library(
                    name=row["library"],
                    split=row["split"],
                    day=row["day"],
                    topic=row["topic"],
                    keywords=tuple(row["keywords"]),
                    papers=tuple(text(p["ref"], p["year"]) for p in row["papers"]),
                    candidates=tuple(text(ref) for ref, _ in marked),
                    relevant=frozenset(ref for ref, relevant in marked if relevant),
                )
            )
    return libraries


def precision(order: Sequence[str], relevant: frozenset[str], k: int) -> float:
    """The share of relevant papers among the first `k` shown (all of them when fewer
    are shown; 0 when none is)."""
    shown = order[:k]
    return sum(ref in relevant for ref in shown) / len(shown) if shown else 0.0


def keyword_order(lib: Library) -> list[str]:
    """What the `keywords` filter shows: the candidates holding one of the library's
    keywords in their title or abstract, in any case, in the day's order."""
    return [
        c.ref
        for c in lib.candidates
        if any(word.casefold() in f"{c.title}\n{c.abstract}".casefold() for word in lib.keywords)
    ]


def random_precision(lib: Library) -> float:
    """The expected precision of a random pick of the day's papers, at any depth."""
    return len(lib.relevant) / len(lib.candidates)
