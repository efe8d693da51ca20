"""scripts/tldr_accuracy.py matches each TL;DR to the reference sentences it is measured against."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "tldr_accuracy.py"


@pytest.fixture(scope="module")
def script() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("tldr_accuracy", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


REFERENCE = [
    "Graphs are studied widely.",
    "We prove that every planar graph\nhas a nice colouring (e.g. with four colours).",
    "Examples follow.",
]


def test_a_tldr_matches_the_sentence_that_contains_it_or_that_it_contains(script: ModuleType) -> None:
    # Whitespace is collapsed: the reference broke a line where the abstract had a space.
    assert (
        script.match("We prove that every planar graph has a nice colouring (e.g. with four colours).", REFERENCE) == 1
    )
    # The summarizer's splitter cut the sentence: the part still matches it.
    assert script.match("We prove that every planar graph has a nice colouring (e.g.", REFERENCE) == 1
    # It joined two reference sentences: the longer one is what the TL;DR mostly is.
    assert (
        script.match(
            "Graphs are studied widely. We prove that every planar graph has a nice colouring "
            "(e.g. with four colours).",
            REFERENCE,
        )
        == 1
    )
    assert script.match("Graphs are studied often.", REFERENCE) is None
    assert script.match("", REFERENCE) is None
    assert script.acceptable("Examples follow.", REFERENCE, [1]) is False
    assert script.acceptable("A rewritten sentence.", REFERENCE, [0, 1, 2]) is False


def test_wilson_interval(script: ModuleType) -> None:
    low, high = script.wilson(44, 60)
    assert (round(low, 2), round(high, 2)) == (0.61, 0.83)
    assert script.wilson(0, 0) == (0.0, 1.0)


def test_a_labelled_set_is_measured_per_group_beside_the_first_sentence(
    script: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    abstracts = [
        {
            "id": "m1",
            "group": "math",
            "categories": ["math.CO"],
            "year": 2004,
            "source": "made up",
            "title": "",
            "sentences": REFERENCE,
        },
        {
            "id": "p1",
            "group": "physics",
            "categories": ["cond-mat"],
            "year": 1999,
            "source": "made up",
            "title": "",
            "sentences": ["We  compute the conductivity of thin superconducting wires.", "It is low."],
        },
        {
            "id": "x1",
            "group": "physics",
            "categories": ["hep-th"],
            "year": 1999,
            "source": "made up",
            "title": "",
            "sentences": ["Strings vibrate.", "We derive the spectrum of a closed string in a new background."],
        },
    ]
    labels = [{"id": "m1", "acceptable": [1]}, {"id": "p1", "acceptable": [0]}, {"id": "x1", "acceptable": [0]}]
    (tmp_path / "abstracts.jsonl").write_text("\n".join(json.dumps(a) for a in abstracts) + "\n", "utf-8")
    (tmp_path / "labels.jsonl").write_text("\n".join(json.dumps(a) for a in labels) + "\n", "utf-8")
    script.labelled_set("Held-out set", tmp_path)
    out = capsys.readouterr().out
    assert "3 labelled abstracts. TL;DR acceptable: 2/3 (67%)" in out
    assert "first sentence: 2/3 (67%)" in out
    assert "| math | 1 | 1/1 (100%) | 0/1 (0%) |" in out
    assert "| physics | 2 | 1/2 (50%) | 2/2 (100%) |" in out
    assert "| 1990s | 2 |" in out


def test_without_a_labelled_sets_files_the_script_says_so(
    script: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script.labelled_set("Second development set", tmp_path)
    assert "Not measured" in capsys.readouterr().out


def test_the_script_measures_the_second_development_set_and_the_held_out_set_apart(
    script: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dev2, heldout = tmp_path / "dev2", tmp_path / "heldout"
    dev2.mkdir()
    heldout.mkdir()
    abstract = {"id": "m1", "group": "math", "year": 2004, "title": "", "sentences": REFERENCE}
    (dev2 / "abstracts.jsonl").write_text(json.dumps(abstract) + "\n", "utf-8")
    (dev2 / "labels.jsonl").write_text(json.dumps({"id": "m1", "acceptable": [1]}) + "\n", "utf-8")
    assert script.main(["--dev2", str(dev2), "--heldout", str(heldout), "--csabstruct", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    second = out.index("## Second development set")
    assert "1 labelled abstracts. TL;DR acceptable: 1/1 (100%)" in out[second:]
    assert "Not measured" in out[out.index("## Held-out set") :]


UNSEEN = {
    "held-out": (Path(__file__).resolve().parent / "fixtures" / "tldr-heldout", 0.85),
    "second development": (Path(__file__).resolve().parent / "fixtures" / "tldr-dev2", 0.8),
}
"""Labelled sets the cues were not written against: measured 251/293 (86%) with
the learned weights and 245 (84%) without; 122/145 (84%) before the weights were
fitted on the second set. See docs/summaries.md."""


@pytest.mark.parametrize("name", list(UNSEEN))
def test_on_abstracts_it_was_not_tuned_on_the_tldr_beats_the_first_sentence_in_every_field(
    script: ModuleType, name: str
) -> None:
    folder, floor = UNSEEN[name]
    abstracts = {record["id"]: record for record in script._jsonl(folder / "abstracts.jsonl")}
    ours: dict[str, list[bool]] = {}
    first: dict[str, list[bool]] = {}
    for label in script._jsonl(folder / "labels.jsonl"):
        record = abstracts[label["id"]]
        chosen = script.tldr(record["sentences"], record.get("title", ""))
        ours.setdefault(record["group"], []).append(script.acceptable(chosen, record["sentences"], label["acceptable"]))
        first.setdefault(record["group"], []).append(0 in label["acceptable"])
    hits = [hit for group in ours.values() for hit in group]
    assert sum(hits) / len(hits) >= floor
    for group in ours:
        assert sum(ours[group]) >= sum(first[group]), group
