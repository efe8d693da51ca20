"""How often the offline summarizer's TL;DR is a sentence that states the paper's contribution.

Four measures, each with the first sentence of the abstract as a baseline beside it:

1. The development set, tests/fixtures/tldr-labels.jsonl: the abstracts of the example
   site's snapshot, with the contribution sentences marked by hand. The rules were written
   against it. With the `sumy` package installed, its LexRank and TextRank summarizers are
   measured too.
2. The second development set, tests/fixtures/tldr-dev2/ (abstracts.jsonl, labels.jsonl):
   abstracts from every field of arXiv, labelled with the held-out set's written guide. The
   rules may be tuned on it.
3. The held-out set, tests/fixtures/tldr-heldout/ (same files): abstracts from every field
   of arXiv, labelled by two readers who saw no output of the summarizer. The rules are never
   tuned on it.
   For both, the share of acceptable TL;DRs overall with its 95% Wilson interval, per field
   group and per decade. Skipped, with a note, when the files are absent.
4. CSAbstruct (Cohan et al., EMNLP 2019; tests/fixtures/csabstruct/), whose sentences are
   labelled background, objective, method, result or other: how often the TL;DR is a
   background or "other" sentence, on the test split and on the train split.

The labelled sets and CSAbstruct come with their own sentences. The TL;DR is chosen from the
abstract they make when joined, with this plugin's splitter, so it is matched back to the
reference sentence that contains it or that it contains, with whitespace collapsed and case
folded (the
longest, when it contains several); a TL;DR that matches no reference sentence is a miss.

    python scripts/tldr_accuracy.py [--dev2 DIR] [--heldout DIR] [--csabstruct DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from mkdocs_arxiv_digest.records import Paper
from mkdocs_arxiv_digest.summarize.extractive import ExtractiveSummarizer, sentences, without_connective

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
LABELS = FIXTURES / "tldr-labels.jsonl"
DEV2 = FIXTURES / "tldr-dev2"
HELDOUT = FIXTURES / "tldr-heldout"
CSABSTRUCT = FIXTURES / "csabstruct"
SNAPSHOT = FIXTURES.parent.parent / "snapshot" / "arxiv-metadata.jsonl"
CSABSTRUCT_LABELS = ("background", "objective", "method", "result", "other")
"""CSAbstruct's sentence labels; a TL;DR should be neither background nor other."""
OFF_TARGET = frozenset({"background", "other", "none"})
"""Labels of a TL;DR that misses: background, other, or no sentence matched."""

Chooser = Callable[[list[str], str], int]
"""Given the sentences of an abstract and its title, the index of the one chosen as TL;DR."""


def load(path: Path = LABELS) -> list[dict]:
    """The labelled abstracts; `contribution` is always a list of acceptable indexes, `title`
    the paper's title in the snapshot (empty when it is not there)."""
    titles = {record["id"]: record["title"] for record in _jsonl(SNAPSHOT)} if SNAPSHOT.is_file() else {}
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        wanted = record["contribution"]
        record["contribution"] = wanted if isinstance(wanted, list) else [wanted]
        record.setdefault("title", titles.get(record["id"], ""))
        records.append(record)
    return records


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def tldr(reference: list[str], title: str = "") -> str:
    """The summarizer's TL;DR of the abstract these sentences make, under this title."""
    paper = Paper(id="0", version=1, title=title, abstract=" ".join(reference))
    return ExtractiveSummarizer().summarize(paper, "en").tldr


def _collapse(text: str) -> str:
    return " ".join(text.split()).casefold()


def match(chosen: str, reference: list[str]) -> int | None:
    """The reference sentence the chosen one is: the one that contains it or that it
    contains, once whitespace is collapsed and case folded; a TL;DR shown without its
    opening connective ("We also show" as "We show") matches the sentence that has it. When this plugin's splitter joined sentences
    the reference keeps apart, the longest of them (the one that makes most of the TL;DR).
    None when it matches no sentence: the splitter cut one the reference keeps whole and
    the TL;DR is a part that does not match, or the TL;DR was rewritten."""
    text = _collapse(chosen)
    if not text:
        return None
    found = []
    for index, sentence in enumerate(reference):
        for other in {_collapse(sentence), _collapse(without_connective(sentence))}:
            if other and (text in other or other in text):
                found.append((len(other), -index))
                break
    return -max(found)[1] if found else None


def acceptable(chosen: str, reference: list[str], wanted: Iterable[int]) -> bool:
    """Whether the TL;DR is one of the acceptable sentences; no match is a miss."""
    return match(chosen, reference) in set(wanted)


def wilson(hits: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion."""
    if total == 0:
        return 0.0, 1.0
    p = hits / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return max(0.0, centre - half), min(1.0, centre + half)


def _share(hits: int, total: int) -> str:
    return f"{hits}/{total} ({hits / total:.0%})" if total else "0/0"


# 1. The development set


def extractive(found: list[str], title: str) -> int:
    chosen = match(tldr(found, title), found)
    return -1 if chosen is None else chosen


def first(found: list[str], title: str) -> int:
    return 0


def _sumy(name: str) -> Chooser | None:
    try:
        from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
        from sumy.nlp.stemmers import Stemmer
        from sumy.summarizers.lex_rank import LexRankSummarizer
        from sumy.summarizers.text_rank import TextRankSummarizer
        from sumy.utils import get_stop_words
    except ImportError:
        return None

    class Words:
        # sumy's own tokenizer needs NLTK's punkt data, downloaded from the internet; split words here.
        language = "english"

        def to_words(self, text: str) -> list[str]:
            return re.findall(r"[A-Za-z][A-Za-z'-]*|\d+", text)

    kind = {"LexRank": LexRankSummarizer, "TextRank": TextRankSummarizer}[name]
    summarizer = kind(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")

    def choose(found: list[str], title: str) -> int:
        document = ObjectDocumentModel([Paragraph([Sentence(s, Words()) for s in found])])
        best = summarizer(document, 1)
        return found.index(str(best[0])) if best else 0

    return choose


def accuracy(choose: Chooser, records: list[dict]) -> tuple[int, int]:
    hits = sum(choose(r["sentences"], r["title"]) in r["contribution"] for r in records)
    return hits, len(records)


def development(records: list[dict]) -> None:
    methods: list[tuple[str, Chooser | None]] = [
        ("extractive (this plugin)", extractive),
        ("first sentence", first),
        ("sumy LexRank", _sumy("LexRank")),
        ("sumy TextRank", _sumy("TextRank")),
    ]
    print(f"## Development set: {LABELS.relative_to(FIXTURES.parent.parent)}\n")
    print(
        f"{len(records)} labelled abstracts, {sum(len(r['contribution']) > 1 for r in records)} with two acceptable sentences\n"
    )
    print("| Method | Contribution sentence picked | Accuracy |")
    print("| --- | ---: | ---: |")
    for name, choose in methods:
        if choose is None:
            print(f"| {name} | not installed (`pip install sumy`) | |")
            continue
        hits, total = accuracy(choose, records)
        print(f"| {name} | {hits}/{total} | {hits / total:.0%} |")


# 2. and 3. The second development set and the held-out set, labelled with one guide


@dataclass
class Tally:
    ours: int = 0
    first: int = 0
    total: int = 0


def labelled_set(title: str, folder: Path) -> None:
    """The share of acceptable TL;DRs on a set of abstracts.jsonl and labels.jsonl, overall,
    per field group and per decade, beside the first sentence's."""
    print(f"\n## {title}: {folder}\n")
    abstracts_file, labels_file = folder / "abstracts.jsonl", folder / "labels.jsonl"
    if not (abstracts_file.is_file() and labels_file.is_file()):
        print(f"Not measured: {abstracts_file.name} and {labels_file.name} are not both there.")
        return
    abstracts = {record["id"]: record for record in _jsonl(abstracts_file)}
    labels = _jsonl(labels_file)
    unknown = [label["id"] for label in labels if label["id"] not in abstracts]
    if unknown:
        print(f"Labels for abstracts that are not in {abstracts_file.name}: {', '.join(unknown)}")
    tallies: dict[str, dict[str, Tally]] = {"overall": {}, "field group": {}, "decade": {}}
    unmatched = 0
    for label in labels:
        record = abstracts.get(label["id"])
        if record is None:
            continue
        reference, wanted = record["sentences"], label["acceptable"]
        chosen = tldr(reference, record.get("title", ""))
        unmatched += match(chosen, reference) is None
        ours, baseline = acceptable(chosen, reference, wanted), 0 in wanted
        year = record.get("year")
        keys = {
            "overall": "all",
            "field group": str(record.get("group", "?")),
            "decade": f"{int(year) // 10 * 10}s" if year else "?",
        }
        for kind, key in keys.items():
            tally = tallies[kind].setdefault(key, Tally())
            tally.ours += ours
            tally.first += baseline
            tally.total += 1
    every = tallies["overall"].get("all", Tally())
    if not every.total:
        print("No labelled abstracts.")
        return
    low, high = wilson(every.ours, every.total)
    print(
        f"{every.total} labelled abstracts. TL;DR acceptable: {_share(every.ours, every.total)}, "
        f"95% interval {low:.0%}-{high:.0%}; first sentence: {_share(every.first, every.total)}. "
        f"TL;DRs matching no reference sentence: {unmatched}.\n"
    )
    for kind in ("field group", "decade"):
        print(f"| {kind.capitalize()} | Abstracts | TL;DR acceptable | First sentence acceptable |")
        print("| --- | ---: | ---: | ---: |")
        for key, tally in sorted(tallies[kind].items()):
            print(f"| {key} | {tally.total} | {_share(tally.ours, tally.total)} | {_share(tally.first, tally.total)} |")
        print()


# 4. CSAbstruct


def csabstruct_counts(records: list[dict]) -> tuple[Counter[str], Counter[str]]:
    """Per label, how many TL;DRs and how many first sentences are sentences of that label;
    "none" counts the TL;DRs that match no sentence."""
    ours: Counter[str] = Counter()
    baseline: Counter[str] = Counter()
    for record in records:
        reference, kinds = record["sentences"], record["labels"]
        found = match(tldr(reference), reference)
        ours["none" if found is None else kinds[found]] += 1
        baseline[kinds[0]] += 1
    return ours, baseline


def csabstruct(folder: Path, split: str) -> None:
    path = folder / f"{split}.jsonl"
    print(f"\n## CSAbstruct, {split} split: {path}\n")
    if not path.is_file():
        print("Not measured: the file is not there.")
        return
    records = _jsonl(path)
    ours, baseline = csabstruct_counts(records)
    off = sum(ours[label] for label in OFF_TARGET)
    first_off = sum(baseline[label] for label in OFF_TARGET)
    print(
        f"{len(records)} abstracts. TL;DR is a background or other sentence (or matches none): "
        f"{_share(off, len(records))}; first sentence: {_share(first_off, len(records))}.\n"
    )
    print("| Label | TL;DR | First sentence |")
    print("| --- | ---: | ---: |")
    for label in (*CSABSTRUCT_LABELS, "none"):
        print(f"| {label} | {ours[label]} | {baseline[label]} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev2", type=Path, default=DEV2, help="folder of abstracts.jsonl and labels.jsonl")
    parser.add_argument("--heldout", type=Path, default=HELDOUT, help="folder of abstracts.jsonl and labels.jsonl")
    parser.add_argument("--csabstruct", type=Path, default=CSABSTRUCT, help="folder of CSAbstruct's splits")
    arguments = parser.parse_args(argv)
    records = load()
    stale = [r["id"] for r in records if sentences(" ".join(r["sentences"])) != r["sentences"]]
    if stale:
        print(f"The splitter no longer yields the labelled sentences of: {', '.join(stale)}", file=sys.stderr)
        return 1
    development(records)
    labelled_set("Second development set", arguments.dev2)
    labelled_set("Held-out set", arguments.heldout)
    for split in ("test", "train"):
        csabstruct(arguments.csabstruct, split)
    return 0


if __name__ == "__main__":
    sys.exit(main())
