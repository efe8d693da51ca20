"""Rank a day's papers by their likeness to a library of papers the reader keeps.

The offline ranker, with no download and no dependency: each paper's title and abstract
become a vector of TF-IDF weights (BM25's inverse document frequency, over the library and
the day together) of word stems and pairs of adjacent stems (a pair such as "hypothesis
test" tells apart topics that share the word "test"); two papers are alike by the cosine
of their vectors. A candidate's score is half its likeness to the whole library (the sum
of the library's vectors, each times a weight for how recent its paper is) and half the
mean of its likeness to its three nearest library papers, each times that weight: a
topic the library holds several recent papers on counts for more than one old paper.

The library's words are not all the words its topic is written in, and a small library
holds few of them. So the ranking runs twice, as pseudo-relevance feedback does: the
day's five best candidates join the sum of the library's vectors as five more papers (as
new as its newest), and every candidate's likeness to that widened sum is taken again,
each against the five best candidates other than itself (one of the five has the sixth
in its place), so that none is lifted by its own words. The words the day's best matches
share then count, where a candidate also shares a word with the library itself: one that
shares none still scores 0."""

from __future__ import annotations

import functools
import heapq
import itertools
import math
import operator
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

NEIGHBOURS = 3
"""How many of its nearest library papers a candidate's score is the mean of."""
HALF_LIFE_DAYS = 2 * 365
OLDEST_WEIGHT = 0.5
"""A library paper counts from OLDEST_WEIGHT (long before the library's newest) to 1 (as
new as it), the part above OLDEST_WEIGHT halving every HALF_LIFE_DAYS of age."""
PROFILE_SHARE = 0.5
"""How much of the score is the likeness to the whole library (its recency-weighted sum
of vectors), the rest being the mean over the nearest library papers."""
SEARCH_TERMS = 60
"""The nearest library papers are looked for through a candidate's heaviest terms only:
the light ones are the common words, whose long lists of papers cost the most time and
add little to a likeness (60 of an abstract's 150 to 250 terms changed no top-10 of the
labelled set and took a fifth off the time for 2,000 library papers)."""
FEEDBACK = 5
"""How many of the day's best candidates join the library's profile for the second pass
(as many as a reader's first look takes in; with 3 to 7 the labelled set's dev figures
were as good, with 10 the second pass drew in the first pass's misses)."""
COMMON_WEIGHT = 0.05
"""The inverse document frequency of a term in half the papers or more (BM25's is 0 or
below there), about a hundredth of a rare term's: on a day of a hundred papers or more
such terms are the common words and change nothing (not one figure of the labelled set
moved); where the filters leave a handful of papers, all on the reading list's subject,
its words are in most of them, and with no weight every paper scored 0 and none was kept."""
TITLE_WEIGHT = 1
"""How many times a title's stems count (its words are also, mostly, in the abstract)."""

_TEX = re.compile(r"\\[A-Za-z]+|\$[^$]*\$")
_TOKEN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_SUFFIXES = ("ations", "ation", "ings", "ing", "ities", "ity", "ness", "ies", "ers", "er", "ed", "es", "al", "s")
_STOP_WORDS = """a about above after again against all also although am among an and any are as at be
    because been before being below between both but by can could did do does doing done
    down during each either few for from further had has have having here how however i if
    in into is it its itself just more most much must no nor not now of off on once only or
    other our ours out over own paper papers propose proposed present presents show shows
    shown same should so some such than that the their them then there these they this those
    through thus to too under until up upon us use used uses using very via was we were what
    when where which while who whom why will with within without would yet new study based
    approach method methods result results work"""
_STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True)
class Document:
    """A paper as the ranker reads it."""

    key: str
    """What the caller knows the paper by (its arXiv ID, a page's link)."""
    title: str
    abstract: str
    when: date | None = None
    """For a library paper: when it was published, for its recency weight; None counts as new."""


@dataclass(frozen=True)
class Ranked:
    """A candidate's place in the ranking."""

    key: str
    score: float
    """From 0 (shares no weighted word with the library) to 1 (as like its nearest
    library papers as a paper is like itself)."""
    nearest: str | None
    """The key of the library paper most like it; None when it is like none."""


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A word without its common English suffixes, taken off one after the other, so
    that "tests", "testing" and "tested" meet, and "critical" and "criticality"; stems
    keep four letters at least, and short words and acronyms stay as they are."""
    while True:
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                break
        else:
            return word


def terms(text: str) -> list[str]:
    """The stems of a text's words, stop words and TeX left out, then the pairs of stems
    that stand next to each other in it."""
    words = [stem(w) for w in _TOKEN.findall(_TEX.sub(" ", text).casefold()) if w not in _STOP and len(w) > 1]
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def _counts(doc: Document) -> Counter[str]:
    found = Counter(terms(doc.abstract))
    for term in terms(doc.title):
        found[term] += TITLE_WEIGHT
    return found


def _vector(found: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    weights = {}
    for term, n in found.items():
        if weight := idf.get(term):  # most terms are found once: (1 + log 1) = 1
            weights[term] = weight if n == 1 else (1 + math.log(n)) * weight
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {term: w / norm for term, w in weights.items()}


def _recency(library: Sequence[Document]) -> list[float]:
    dated = [doc.when for doc in library if doc.when is not None]
    newest = max(dated) if dated else None
    return [
        1.0
        if doc.when is None or newest is None
        else OLDEST_WEIGHT + (1 - OLDEST_WEIGHT) * 0.5 ** ((newest - doc.when).days / HALF_LIFE_DAYS)
        for doc in library
    ]


def rank(candidates: Sequence[Document], library: Sequence[Document]) -> list[Ranked]:
    """The candidates, most like the library first (ties in the candidates' order)."""
    counted = [_counts(doc) for doc in (*library, *candidates)]
    frequency: Counter[str] = Counter()
    for found in counted:
        frequency.update(found.keys())
    total = len(counted)
    # A term found in a single paper matches nothing; one in half the papers or more
    # tells little (BM25's weight, below zero there): it keeps COMMON_WEIGHT.
    idf = {term: max(COMMON_WEIGHT, math.log((total - n + 0.5) / (n + 0.5))) for term, n in frequency.items() if n > 1}
    recency = _recency(library)
    vectors = [_vector(found, idf) for found in counted[len(library) :]]
    searched = [heapq.nlargest(SEARCH_TERMS, vector.items(), key=operator.itemgetter(1)) for vector in vectors]
    wanted = {term for heavy in searched for term, _ in heavy}
    index: dict[str, list[tuple[int, float]]] = {term: [] for term in wanted}
    profile: dict[str, float] = {}
    for number, found in enumerate(counted[: len(library)]):
        for term, weight in _vector(found, idf).items():
            profile[term] = profile.get(term, 0.0) + weight * recency[number]
            if term in wanted:
                index[term].append((number, weight))
    slots = max(1, min(NEIGHBOURS, len(library)))
    norm = math.sqrt(sum(w * w for w in profile.values())) or 1.0
    central = [sum(weight * profile.get(term, 0.0) for term, weight in vector.items()) / norm for vector in vectors]
    near, nearest = [], []
    for heavy in searched:
        alike = [0.0] * len(library)
        for term, weight in heavy:
            for number, other in index[term]:
                alike[number] += weight * other
        near.append(sum(heapq.nlargest(slots, map(operator.mul, alike, recency))) / slots)
        closest = max(alike, default=0.0)
        nearest.append(library[alike.index(closest)].key if closest > 0 else None)
    first = [PROFILE_SHARE * c + (1 - PROFILE_SHARE) * n for c, n in zip(central, near, strict=True)]
    ahead = heapq.nlargest(FEEDBACK + 1, (n for n, score in enumerate(first) if score > 0), key=first.__getitem__)
    best, runner_up = ahead[:FEEDBACK], {} if len(ahead) <= FEEDBACK else vectors[ahead[FEEDBACK]]
    for number in best:
        for term, weight in vectors[number].items():
            profile[term] = profile.get(term, 0.0) + weight
    squares = sum(w * w for w in profile.values())
    # Only a candidate that shares a word with the library is measured again, each
    # against the library and the five best candidates other than itself: one of the
    # five against the widened profile with the sixth in its place.
    for n, likeness in enumerate(central):
        if likeness > 0:
            central[n] = _cosine(vectors[n], profile, squares, *((runner_up, vectors[n]) if n in best else ({}, {})))
    ranked = [
        Ranked(doc.key, min(1.0, PROFILE_SHARE * c + (1 - PROFILE_SHARE) * n), key)
        for doc, c, n, key in zip(candidates, central, near, nearest, strict=True)
    ]
    order = sorted(range(len(ranked)), key=lambda n: -ranked[n].score)
    return [ranked[n] for n in order]


def _cosine(
    vector: dict[str, float],
    profile: dict[str, float],
    squares: float,
    plus: dict[str, float],
    minus: dict[str, float],
) -> float:
    """The cosine of a vector of length 1 with `profile + plus - minus`, where
    `squares` is the profile's squared length: only the terms of `plus` and `minus`
    are looked at again, not the whole profile."""
    changed = {term: profile.get(term, 0.0) for term in (*plus, *minus)}
    for term, weight in plus.items():
        changed[term] += weight
    for term, weight in minus.items():
        changed[term] -= weight
    squares += sum(w * w - profile.get(term, 0.0) ** 2 for term, w in changed.items())
    dot = sum(weight * changed.get(term, profile.get(term, 0.0)) for term, weight in vector.items())
    return max(0.0, dot) / math.sqrt(squares) if squares > 1e-12 else 0.0
