"""How often each way of choosing a TL;DR picks the sentence a reader marked as the contribution.

Reads the hand-labelled abstracts in tests/fixtures/tldr-labels.jsonl and prints one row per
method: the plugin's extractive summarizer, the first sentence (a baseline) and, when the
`sumy` package is installed, its LexRank and TextRank summarizers (given the same sentences).

    python scripts/tldr_accuracy.py
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

from mkdocs_arxiv_digest.records import Paper
from mkdocs_arxiv_digest.summarize.extractive import ExtractiveSummarizer, sentences

LABELS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "tldr-labels.jsonl"

Chooser = Callable[[list[str]], int]
"""Given the sentences of an abstract, the index of the one chosen as TL;DR."""


def load(path: Path = LABELS) -> list[dict]:
    """The labelled abstracts; `contribution` is always a list of acceptable indexes."""
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        wanted = record["contribution"]
        record["contribution"] = wanted if isinstance(wanted, list) else [wanted]
        records.append(record)
    return records


def extractive(found: list[str]) -> int:
    paper = Paper(id="0", version=1, title="", abstract=" ".join(found))
    return found.index(ExtractiveSummarizer().summarize(paper, "en").tldr)


def first(found: list[str]) -> int:
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

    def choose(found: list[str]) -> int:
        document = ObjectDocumentModel([Paragraph([Sentence(s, Words()) for s in found])])
        best = summarizer(document, 1)
        return found.index(str(best[0])) if best else 0

    return choose


def accuracy(choose: Chooser, records: list[dict]) -> tuple[int, int]:
    hits = sum(choose(r["sentences"]) in r["contribution"] for r in records)
    return hits, len(records)


def main() -> int:
    records = load()
    stale = [r["id"] for r in records if sentences(" ".join(r["sentences"])) != r["sentences"]]
    if stale:
        print(f"The splitter no longer yields the labelled sentences of: {', '.join(stale)}", file=sys.stderr)
        return 1
    methods: list[tuple[str, Chooser | None]] = [
        ("extractive (this plugin)", extractive),
        ("first sentence", first),
        ("sumy LexRank", _sumy("LexRank")),
        ("sumy TextRank", _sumy("TextRank")),
    ]
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
