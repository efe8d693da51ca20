"""How many of the offline ranking's top papers are relevant, on the labelled set.

For each library of tests/fixtures/ranking/ (see its README): the precision of the top 5
and the top 10 of the lexical ranking (mkdocs_arxiv_digest/rank.py), of the `keywords`
filter (the day's papers holding one of the library's keywords, in the day's order) and
the expected precision of a random pick; then the mean over the dev libraries and over
the held-out ones. The ranker's rules are tuned on `dev` only: while tuning, print the dev
libraries alone, so that no held-out figure guides a choice.

    python scripts/rank_precision.py               # every library
    python scripts/rank_precision.py --split dev   # the dev libraries only
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import ranking_set  # noqa: E402

from mkdocs_arxiv_digest import rank  # noqa: E402


def document(text: ranking_set.Text) -> rank.Document:
    when = date(text.year, 7, 1) if text.year else None
    return rank.Document(text.ref, text.title, text.abstract, when)


def lexical_order(lib: ranking_set.Library) -> list[str]:
    ranked = rank.rank([document(c) for c in lib.candidates], [document(p) for p in lib.papers])
    return [r.key for r in ranked]


def figures(lib: ranking_set.Library) -> dict[str, float]:
    lexical, keywords = lexical_order(lib), ranking_set.keyword_order(lib)
    found = {}
    for k in (5, 10):
        found[f"lexical@{k}"] = ranking_set.precision(lexical, lib.relevant, k)
        found[f"keywords@{k}"] = ranking_set.precision(keywords, lib.relevant, k)
        found[f"random@{k}"] = ranking_set.random_precision(lib)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "heldout"), help="measure only this split's libraries")
    split = parser.parse_args().split
    libraries = [lib for lib in ranking_set.load() if split is None or lib.split == split]
    columns = ["lexical@5", "keywords@5", "random@5", "lexical@10", "keywords@10", "random@10"]
    print(f"{'library':<12} {'split':<8} {'cands':>5} {'rel':>4} " + " ".join(f"{c:>11}" for c in columns))
    by_split: dict[str, list[dict[str, float]]] = {}
    for lib in libraries:
        found = figures(lib)
        by_split.setdefault(lib.split, []).append(found)
        print(
            f"{lib.name:<12} {lib.split:<8} {len(lib.candidates):>5} {len(lib.relevant):>4} "
            + " ".join(f"{found[c]:>11.2f}" for c in columns)
        )
    for split, rows in by_split.items():
        means = {c: sum(r[c] for r in rows) / len(rows) for c in columns}
        print(f"{'mean':<12} {split:<8} {'':>5} {'':>4} " + " ".join(f"{means[c]:>11.2f}" for c in columns))


if __name__ == "__main__":
    main()
