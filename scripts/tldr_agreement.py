"""Merge two readers' TL;DR labels of the held-out abstracts into the agreed set.

Each reader marked, for every abstract in tests/fixtures/tldr-heldout/abstracts.jsonl, the
sentences acceptable as its TL;DR (labels-a.jsonl, labels-b.jsonl), from GUIDE.md alone. An
abstract is kept when the readers share at least one acceptable sentence, and its acceptable
sentences are the ones both marked; the others are dropped. Writes labels.jsonl and prints how
often the readers agreed, per abstract and per sentence (Cohen's kappa).

    python scripts/tldr_agreement.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HELD_OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "tldr-heldout"


def read(path: Path) -> dict[str, dict]:
    return {record["id"]: record for record in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def kappa(pairs: list[tuple[bool, bool]]) -> float:
    """Cohen's kappa of two readers' yes/no marks on the same items."""
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    yes_a = sum(a for a, _ in pairs) / n
    yes_b = sum(b for _, b in pairs) / n
    expected = yes_a * yes_b + (1 - yes_a) * (1 - yes_b)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def main() -> int:
    abstracts = read(HELD_OUT / "abstracts.jsonl")
    a, b = read(HELD_OUT / "labels-a.jsonl"), read(HELD_OUT / "labels-b.jsonl")
    missing = [key for key in abstracts if key not in a or key not in b]
    if missing:
        print(f"Not labelled by both readers: {', '.join(missing)}", file=sys.stderr)
        return 1
    kept, marks = [], []
    for key, abstract in abstracts.items():
        count = len(abstract["sentences"])
        first, second = set(a[key]["acceptable"]), set(b[key]["acceptable"])
        if not first or not second or max(first | second) >= count:
            print(f"{key}: a label is empty or out of range", file=sys.stderr)
            return 1
        marks += [(i in first, i in second) for i in range(count)]
        if first & second:
            kept.append({"id": key, "acceptable": sorted(first & second), "a": sorted(first), "b": sorted(second)})
    lines = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in kept)
    (HELD_OUT / "labels.jsonl").write_text(lines, encoding="utf-8")
    total = len(abstracts)
    print(f"{total} abstracts, {len(kept)} kept ({len(kept) / total:.0%}): the readers share an acceptable sentence")
    exact = sum(set(a[k]["acceptable"]) == set(b[k]["acceptable"]) for k in abstracts)
    print(f"identical marks on {exact} ({exact / total:.0%}); per sentence, Cohen's kappa {kappa(marks):.2f}")
    by_group: dict[str, list[int]] = {}
    kept_ids = {record["id"] for record in kept}
    for key, abstract in abstracts.items():
        by_group.setdefault(abstract["group"], []).append(key in kept_ids)
    for group, flags in sorted(by_group.items()):
        print(f"  {group}: {sum(flags)}/{len(flags)} kept")
    return 0


if __name__ == "__main__":
    sys.exit(main())
