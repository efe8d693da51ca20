"""Train a small linear scorer for the offline TL;DR and measure it against the rules.

The extractive summarizer picks the sentence of an abstract with the highest score: the rule
score (`tldr_score`) plus a dot product of a few features the rules do not use (position,
length, opening words, the title's words, the neighbours' rule scores; `FEATURES` in
mkdocs_arxiv_digest/summarize/extractive.py). The weights are fitted with a listwise loss:
over the sentences of an abstract, a softmax of the scores, the loss minus the log of the
probability it gives the acceptable sentences, plus strength times the squared weights. With
no weights the scorer is the rules.

Data: the development set (tests/fixtures/tldr-labels.jsonl, titles from snapshot/) and the
second development set (tests/fixtures/tldr-dev2/). Never the held-out set.

    python scripts/train_tldr_scorer.py            # cross-validate, print the figures
    python scripts/train_tldr_scorer.py --write    # also fit on both sets, write the weights

numpy is needed here only; the summarizer reads the weights as JSON and scores in plain Python.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path

import numpy as np

from mkdocs_arxiv_digest.summarize import extractive as ex

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_dev() -> list[dict]:
    titles = {r["id"]: r["title"] for r in _jsonl(ROOT / "snapshot" / "arxiv-metadata.jsonl")}
    out = []
    for r in _jsonl(FIXTURES / "tldr-labels.jsonl"):
        wanted = r["contribution"] if isinstance(r["contribution"], list) else [r["contribution"]]
        out.append(
            {
                "id": r["id"],
                "set": "dev",
                "group": "dev",
                "title": titles.get(r["id"], ""),
                "sentences": r["sentences"],
                "ok": wanted,
            }
        )
    return out


def load_dev2() -> list[dict]:
    folder = FIXTURES / "tldr-dev2"
    labels = {r["id"]: r["acceptable"] for r in _jsonl(folder / "labels.jsonl")}
    return [
        {
            "id": r["id"],
            "set": "dev2",
            "group": r["group"],
            "title": r["title"],
            "sentences": r["sentences"],
            "ok": labels[r["id"]],
        }
        for r in _jsonl(folder / "abstracts.jsonl")
        if r["id"] in labels
    ]


def matrix(record: dict) -> tuple[np.ndarray, np.ndarray]:
    """The features of each sentence, and its rule score."""
    found, count = record["sentences"], len(record["sentences"])
    rules = np.array([ex.tldr_score(sentence, i, count) for i, sentence in enumerate(found)])
    return np.array(ex.features(found, record["title"]), dtype=float), rules


def candidates(found: list[str]) -> list[int]:
    return [i for i, s in enumerate(found) if not ex._BOILERPLATE.search(s)] or list(range(len(found)))


Example = tuple[np.ndarray, np.ndarray, list[int], list[int]]
"""An abstract: its features, its sentences' rule scores, the acceptable and the candidate indexes."""


def fit(data: list[Example], strength: float) -> np.ndarray:
    """Minimise the listwise loss, a mean over abstracts, plus strength * |w|^2."""
    from scipy.optimize import minimize

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros_like(w)
        for x, rules, ok, cand in data:
            xs = x[cand]
            s = rules[cand] + xs @ w
            s = s - s.max()
            p = np.exp(s)
            p /= p.sum()
            mask = np.isin(cand, ok)
            if not mask.any():
                continue
            good = p[mask].sum()
            total -= np.log(good)
            q = np.where(mask, p, 0.0) / good
            grad += xs.T @ (p - q)
        n = len(data)
        return total / n + strength * w @ w, grad / n + 2 * strength * w

    result = minimize(loss, np.zeros(data[0][0].shape[1]), jac=True, method="L-BFGS-B")
    return result.x


def pick(example: Example, w: np.ndarray) -> int:
    x, rules, _, cand = example
    s = rules[cand] + x[cand] @ w
    return cand[int(np.argmax(s))]


def rules_pick(found: list[str]) -> int:
    count = len(found)
    return max(candidates(found), key=lambda i: ex.tldr_score(found[i], i, count))


def folds(count: int, k: int, seed: int) -> list[set[int]]:
    """k folds of the abstracts, shuffled with the seed."""
    order = list(range(count))
    random.Random(seed).shuffle(order)
    return [set(order[j::k]) for j in range(k)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--strength", type=float, nargs="*", default=[1.0, 0.3, 0.1, 0.03, 0.01], help="to cross-validate"
    )
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--nested", action="store_true", help="also choose the strength inside each fold")
    parser.add_argument("--drop", nargs="*", default=[], help="features left out (an experiment)")
    parser.add_argument("--write", action="store_true", help="fit on both sets and write the weights")
    parser.add_argument("--fit-strength", type=float, default=0.1, help="for --write")
    args = parser.parse_args()

    records = load_dev() + load_dev2()
    names = ex.FEATURES
    data: list[Example] = []
    for record in records:
        x, rules = matrix(record)
        for name in args.drop:
            x[:, names.index(name)] = 0.0
        data.append((x, rules, record["ok"], candidates(record["sentences"])))
    rules_hit = [rules_pick(r["sentences"]) in r["ok"] for r in records]
    # With no weights the scorer chooses what the rules choose.
    assert all(pick(e, np.zeros(len(names))) == rules_pick(r["sentences"]) for e, r in zip(data, records, strict=True))
    sets = {name: [i for i, r in enumerate(records) if r["set"] == name] for name in ("dev", "dev2")}

    def report(title: str, hits: dict[int, float], runs: int = 1) -> None:
        """Rules and learned, per set and per field group of the second set, on the abstracts in hits."""
        by: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
        for i, hit in hits.items():
            record = records[i]
            for key in (record["set"], f"dev2:{record['group']}" if record["set"] == "dev2" else ""):
                if key:
                    by[key][0] += rules_hit[i]
                    by[key][1] += hit / runs
                    by[key][2] += 1
        cells = ", ".join(f"{k} {a:.0f} -> {b:.1f}/{n}" for k, (a, b, n) in sorted(by.items()))
        gained = sum(hit / runs for i, hit in hits.items() if not rules_hit[i])
        lost = sum(1 - hit / runs for i, hit in hits.items() if rules_hit[i])
        print(f"  {title} (rules -> learned): {cells}; rules' misses got {gained:.1f}, rules' hits lost {lost:.1f}")

    for strength in args.strength:
        print(f"strength {strength}")
        for train, test in (("dev", "dev2"), ("dev2", "dev")):
            w = fit([data[i] for i in sets[train]], strength)
            report(f"train {train}, test {test}", {i: float(pick(data[i], w) in records[i]["ok"]) for i in sets[test]})
        hits: dict[int, float] = defaultdict(float)
        for repeat in range(args.repeats):
            for test in folds(len(records), args.folds, repeat):
                w = fit([e for i, e in enumerate(data) if i not in test], strength)
                for i in test:
                    hits[i] += pick(data[i], w) in records[i]["ok"]
        report(f"{args.folds}-fold over both, {args.repeats} repeats", hits, args.repeats)

    if args.nested:
        # The strength chosen inside each training fold by a 5-fold cross-validation there.
        hits = defaultdict(float)
        chosen: list[float] = []
        for repeat in range(args.repeats):
            for test in folds(len(records), args.folds, 100 + repeat):
                train = [i for i in range(len(records)) if i not in test]
                inner = dict.fromkeys(args.strength, 0)
                for held in folds(len(train), 5, repeat):
                    held_ids = {train[j] for j in held}
                    for strength in args.strength:
                        w = fit([data[i] for i in train if i not in held_ids], strength)
                        inner[strength] += sum(pick(data[i], w) in records[i]["ok"] for i in held_ids)
                best = max(args.strength, key=lambda s: (inner[s], s))
                chosen.append(best)
                w = fit([data[i] for i in train], best)
                for i in test:
                    hits[i] += pick(data[i], w) in records[i]["ok"]
        report(f"nested {args.folds}-fold, {args.repeats} repeats", hits, args.repeats)
        print(f"  strengths chosen: {dict(sorted((s, chosen.count(s)) for s in set(chosen)))}")

    if args.write:
        w = fit(data, args.fit_strength)
        weights = [round(float(value), 4) for value in w]
        right = sum(pick(e, np.array(weights)) in e[2] for e in data)
        print(f"fitted on both sets, strength {args.fit_strength}: {right}/{len(data)} on its own training data")
        document = {
            "about": "Weights of the offline TL;DR's learned scorer, one per name in "
            "mkdocs_arxiv_digest.summarize.extractive.FEATURES, added to the rule score; "
            "written by scripts/train_tldr_scorer.py --write.",
            "trained_on": {
                "tests/fixtures/tldr-labels.jsonl": len(sets["dev"]),
                "tests/fixtures/tldr-dev2/": len(sets["dev2"]),
            },
            "strength": args.fit_strength,
            "features": list(names),
            "weights": weights,
        }
        ex.WEIGHTS.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        for name, value in zip(names, weights, strict=True):
            print(f"{name:>12} {value:+.4f}")


if __name__ == "__main__":
    main()
