"""On the labelled set (tests/fixtures/ranking/), the offline ranking's top papers are the
relevant ones more often than the keyword filter's and a random pick's.

The figures per library are printed by scripts/rank_precision.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import ranking_set

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import rank_precision


@pytest.fixture(scope="module")
def measured() -> list[tuple[ranking_set.Library, dict[str, float]]]:
    return [(lib, rank_precision.figures(lib)) for lib in ranking_set.load()]


def test_top_five_of_the_dev_libraries_are_mostly_relevant_and_beat_the_keyword_filter(
    measured: list[tuple[ranking_set.Library, dict[str, float]]],
) -> None:
    dev = [found for lib, found in measured if lib.split == "dev"]
    lexical = sum(found["lexical@5"] for found in dev) / len(dev)
    keywords = sum(found["keywords@5"] for found in dev) / len(dev)
    assert lexical >= 0.8
    assert lexical > keywords


def test_every_library_top_papers_are_no_worse_than_keywords_at_five_and_well_above_chance(
    measured: list[tuple[ranking_set.Library, dict[str, float]]],
) -> None:
    """The held-out library too, which no rule of the ranker was tuned on."""
    for lib, found in measured:
        assert found["lexical@5"] >= found["keywords@5"], lib.name
        assert found["lexical@5"] >= 3 * found["random@5"], lib.name
        assert found["lexical@10"] >= 2 * found["random@10"], lib.name
