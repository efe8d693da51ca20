"""How many of the offline ranking's top papers are relevant, on the labelled set.

For each library of tests/fixtures/ranking/ (see its README): the precision of the top 5
and the top 10 of the lexical ranking (mkdocs_arxiv_digest/rank.py), of the `keywords`
filter (the day's papers holding one of the library's keywords, in the day's order) and
the expected precision of a random pick; then the mean over the dev libraries and over
the held-out ones. The ranker's rules are tuned on `dev` only: while tuning, print the dev
libraries alone, so that no held-out figure guides a choice.

    python scripts/rank_precision.py               # every library
    python scripts/rank_precision.py --split dev   # the dev libraries only

With `--server URL --model NAME`, also the precision of the embedding ranking
(`rank_model`): every title and abstract embedded by that OpenAI-compatible
server (mkdocs_arxiv_digest/embeddings.py, batches of `--batch`), kept in the
cache folder `--cache` so a second run asks nothing; `--library` measures only
the libraries named. Off by default: the tests never need a model.

    python scripts/rank_precision.py --server http://127.0.0.1:8080/v1 --model nomic-embed-text
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

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


def embedding_order(lib: ranking_set.Library, embedder: Any, cache: Any) -> list[str]:
    """The candidates ranked by the server's embeddings, as a `rank_model` page ranks them."""
    from mkdocs_arxiv_digest import embeddings

    candidates = [(c.ref, document(c)) for c in lib.candidates]
    library = [(p.ref, document(p)) for p in lib.papers]
    vectors, problem = embedder.vectors([*candidates, *library], cache, ask=True)
    if problem:
        raise SystemExit(f"{lib.name}: the server failed: {problem}")
    ranked = embeddings.rank_vectors(
        [(ref, vectors[ref]) for ref, _ in candidates], [(doc, vectors[ref]) for ref, doc in library]
    )
    return [r.key for r in ranked]


def figures(lib: ranking_set.Library, embedded: list[str] | None = None) -> dict[str, float]:
    lexical, keywords = lexical_order(lib), ranking_set.keyword_order(lib)
    found = {}
    for k in (5, 10):
        if embedded is not None:
            found[f"embedding@{k}"] = ranking_set.precision(embedded, lib.relevant, k)
        found[f"lexical@{k}"] = ranking_set.precision(lexical, lib.relevant, k)
        found[f"keywords@{k}"] = ranking_set.precision(keywords, lib.relevant, k)
        found[f"random@{k}"] = ranking_set.random_precision(lib)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--split", choices=("dev", "heldout"), help="measure only this split's libraries")
    parser.add_argument("--server", help="an OpenAI-compatible API's base URL, to rank by its embeddings too")
    parser.add_argument("--model", default="", help="the embedding model's name on that server")
    parser.add_argument("--batch", type=int, default=16, help="texts per embeddings request")
    parser.add_argument("--cache", default=".cache/rank-precision", help="where the embeddings are kept")
    parser.add_argument("--library", action="append", help="measure only this library (repeatable)")
    args = parser.parse_args()
    libraries = [
        lib
        for lib in ranking_set.load()
        if (args.split is None or lib.split == args.split) and (not args.library or lib.name in args.library)
    ]
    columns = ["lexical@5", "keywords@5", "random@5", "lexical@10", "keywords@10", "random@10"]
    embedder = cache = None
    if args.server:
        from mkdocs_arxiv_digest.cache import Cache
        from mkdocs_arxiv_digest.embeddings import Embedder
        from mkdocs_arxiv_digest.settings import RankModelSettings

        settings = RankModelSettings(args.server, args.model, "", 600.0, 1, args.batch)
        embedder, cache = Embedder(settings), Cache(Path(args.cache))
        columns = ["embedding@5", *columns[:3], "embedding@10", *columns[3:]]
        print(f"embeddings: {args.model} at {args.server}")
    print(f"{'library':<12} {'split':<8} {'cands':>5} {'rel':>4} " + " ".join(f"{c:>11}" for c in columns))
    by_split: dict[str, list[dict[str, float]]] = {}
    for lib in libraries:
        found = figures(lib, embedding_order(lib, embedder, cache) if embedder is not None else None)
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
