"""A stage added through the interface alone (`stages.register`), with no
change to the pipeline or the plugin: the build plans it, caches what it
makes, keeps to its budget, and reports it, failures once per cause."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import pytest

from conftest import Site
from mkdocs_arxiv_digest.cache import Cache
from mkdocs_arxiv_digest.ids import ArxivId
from mkdocs_arxiv_digest.records import Paper
from mkdocs_arxiv_digest.snapshot import Snapshot
from mkdocs_arxiv_digest.stages import Budget, Stage, StageCounts, StageFailed, Unit, Words, register, unregister
from mkdocs_arxiv_digest.stages.metadata import MetadataStage, PaperCounts, Papers
from mkdocs_arxiv_digest.stages.summaries import summary_key

PAPERS = ["0804.0970", "0807.2873", "1005.5383"]


class WordCount(Stage[int]):
    """How many words a paper's abstract has; fails for the papers in `broken`."""

    name = "words"
    mode = "pool"
    words = Words("word counts", "Word counts", "Counting", "counted")
    version = "split-1"
    maker = "str.split"
    who = "the word counter"

    def __init__(self, budget: Budget, made: list[str], broken: set[str]) -> None:
        self.budget, self.made, self.broken = budget, made, broken

    def load(self, data: Any) -> int | None:
        return data if type(data) is int else None

    def dump(self, record: int) -> Any:
        return record

    def make(self, unit: Unit, paper: Paper, inputs: Mapping[str, Any]) -> int:
        if unit.paper.base in self.broken:
            raise StageFailed(f"the abstract has no words ({len(paper.abstract)} characters)")
        self.made.append(unit.paper.base)
        return len(paper.abstract.split()) + (1000 if self.version == "split-2" else 0)


class Counter:
    """The registered stage's settings for one test, and what it made."""

    def __init__(self) -> None:
        self.budget = Budget()
        self.broken: set[str] = set()
        self.made: list[str] = []


@pytest.fixture
def counter() -> Iterator[Counter]:
    counter = Counter()
    register("words")(lambda services: WordCount(counter.budget, counter.made, counter.broken))
    try:
        yield counter
    finally:
        unregister("words")


def build(site: Site) -> tuple[list[str], StageCounts]:
    """Build once; the log's lines and what the stage did."""
    config = site.load()
    result = site.build(config=config)
    assert result.error is None, result.error
    report = config.plugins["arxiv-digest"].report
    return [line.removeprefix("arxiv-digest: ") for line in result.messages(logging.INFO)], report.stages["words"]


def test_a_registered_stage_is_planned_cached_budgeted_and_reported(site: Site, counter: Counter) -> None:
    counter.budget = Budget(most=1, options=("words.most", ""))
    site.page("index.md", PAPERS[:2])

    log, words = build(site)
    assert "Counting up to 1 word counts with str.split, up to 1 at a time, at most 1 this build" in log
    assert (words.made, words.deferred, words.cached) == (1, 1, 0) and len(counter.made) == 1
    closing = next(line for line in log if line.startswith("2 paper(s): "))
    assert closing.endswith(
        ", summaries: 0 cached, 2 new, word counts: 0 cached, 1 new, 1 left for a later build by 'words.most' (not shown)"
    ), closing

    log, words = build(site)
    assert (words.made, words.deferred, words.cached) == (1, 0, 1), "the one left over is made now"
    assert sorted(counter.made) == PAPERS[:2]

    log, words = build(site)
    assert (words.made, words.deferred, words.cached) == (0, 0, 2), "both come from the cache"
    assert len(counter.made) == 2
    assert not any(line.startswith("Counting up to") for line in log), "nothing planned: nothing to make"


def test_a_registered_stage_that_fails_is_warned_of_once_per_cause(site: Site, counter: Counter) -> None:
    counter.broken = set(PAPERS[1:])
    site.page("index.md", PAPERS[:2])
    site.page("other.md", PAPERS)
    config = site.load()
    result = site.build(config=config)
    warned = [w for w in result.warnings if "Word counts" in w]
    assert len(warned) == 1, result.warnings
    assert re.fullmatch(
        r"arxiv-digest: Word counts from the word counter failed for 2 paper\(s\): the abstract has no words "
        r"\(the abstract has no words \(\d+ characters\)\)\. "
        rf"Papers: {PAPERS[1]}v1, {PAPERS[2]}v1\. "
        r"They show nothing instead and are asked for again on the next build\.",
        warned[0],
    ), warned[0]
    words = config.plugins["arxiv-digest"].report.stages["words"]
    assert (words.made, words.failed) == (1, 2)
    assert "arxiv-digest: Word counts: 1 counted, 2 failed, 3 of 3 done" in result.messages(logging.INFO)


def test_a_custom_template_shows_a_registered_stage_and_a_new_version_remakes_the_digest(
    site: Site, counter: Counter
) -> None:
    (site.root / "templates").mkdir()
    (site.root / "templates" / "digest.md.j2").write_text(
        "{% for item in items %}{{ item.id }} has {{ item.outputs.words }} words; "
        "{{ item.summary.tldr is defined }}.\n\n{% endfor %}",
        encoding="utf-8",
    )
    site.configure(custom_templates="templates")
    site.page("index.md", PAPERS[:1])
    _, words = build(site)
    first = site.content()
    assert words.made == 1
    count = re.search(rf"{PAPERS[0]} has (\d+) words; True\.", first)
    assert count is not None and int(count.group(1)) > 10, first

    _, words = build(site)
    assert words.made == 0 and site.content() == first, "kept: the digest is read from the cache"

    WordCount.version = "split-2"  # what the stage makes changed: every digest showing it is made again
    try:
        _, words = build(site)
    finally:
        WordCount.version = "split-1"
    assert words.made == 1, "made again under its new version"
    assert f"{PAPERS[0]} has {int(count.group(1)) + 1000} words" in site.content()


class PerTitleWord(Stage[float]):
    """Abstract words per title word: made from the word count, which it needs."""

    name = "ratio"
    needs = ("words",)
    words = Words("ratios", "Ratios", "Working out", "worked out")
    version = "ratio-1"

    def load(self, data: Any) -> float | None:
        return data if isinstance(data, float) else None

    def dump(self, record: float) -> Any:
        return record

    def make(self, unit: Unit, paper: Paper, inputs: Mapping[str, Any]) -> float:
        return round(inputs["words"] / len(paper.title.split()), 2)


def test_a_stage_gets_the_records_of_the_stages_it_needs(site: Site, counter: Counter) -> None:
    register("ratio")(lambda services: PerTitleWord())
    try:
        (site.root / "templates").mkdir()
        (site.root / "templates" / "digest.md.j2").write_text(
            "{% for item in items %}{{ item.id }}: {{ item.outputs.words }} words, "
            "{{ item.outputs.ratio }} per title word.\n\n{% endfor %}",
            encoding="utf-8",
        )
        site.configure(custom_templates="templates")
        site.page("index.md", PAPERS[:1])
        _, words = build(site)
    finally:
        unregister("ratio")
    shown = re.search(rf"{PAPERS[0]}: (\d+) words, ([\d.]+) per title word\.", site.content())
    assert shown is not None, site.content()
    cache = Cache(site.root / ".cache" / "plugin" / "arxiv-digest")
    try:
        title = Papers(cache).paper(ArxivId(PAPERS[0]), None)
    finally:
        cache.close()
    assert title is not None and words.made == 1
    assert float(shown.group(2)) == round(int(shown.group(1)) / len(title.title.split()), 2)


class SlowWordCount(WordCount):
    """A word count that waits for the test, in threads kept across rebuilds."""

    background = True

    def __init__(self, counter: Counter, pool: Executor, gate: threading.Event) -> None:
        super().__init__(counter.budget, counter.made, counter.broken)
        self.pool, self.gate = pool, gate

    def make(self, unit: Unit, paper: Paper, inputs: Mapping[str, Any]) -> int:
        assert self.gate.wait(10)
        return super().make(unit, paper, inputs)


def test_under_serve_a_background_stage_outlives_the_build_and_the_page_reloads(site: Site) -> None:
    gate, counter = threading.Event(), Counter()
    register("slow")(lambda services: SlowWordCount(counter, services.pool("slow", 1), gate))
    (site.root / "templates").mkdir()
    (site.root / "templates" / "digest.md.j2").write_text(
        "{% for item in items %}{{ item.id }}: {{ item.outputs.words }} words, pending {{ item.pending }}.\n\n"
        "{% endfor %}",
        encoding="utf-8",
    )
    site.configure(custom_templates="templates")
    site.page("index.md", PAPERS[:1])
    config = site.load()
    sentinel = site.root / ".cache" / "plugin" / "arxiv-digest" / "serve-reload"
    config.plugins.on_startup(command="serve", dirty=False)
    try:
        first = site.build(config=config, startup=None)
        assert first.error is None
        report = config.plugins["arxiv-digest"].report
        assert report.stages["words"].pending == 1
        assert f"{PAPERS[0]}:  words, pending True." in site.content(), "no record yet, and nothing stands in"
        assert any(
            "1 word counts still being counted in the background (not shown until they land; the pages then reload)"
            in line
            for line in first.messages(logging.INFO)
        )
        gate.set()
        until = time.monotonic() + 10
        while sentinel.read_text() != "1\n" and time.monotonic() < until:  # not "": read mid-write
            time.sleep(0.01)
        assert sentinel.read_text() == "1\n", "a rebuild is asked for when the record lands"

        assert site.build(config=config, startup=None).error is None
        words = config.plugins["arxiv-digest"].report.stages["words"]
        assert (words.cached, words.made, words.pending) == (1, 0, 0)
        assert re.search(rf"{PAPERS[0]}: \d+ words, pending False\.", site.content())
    finally:
        gate.set()
        config.plugins.on_shutdown()
        unregister("slow")


def test_the_built_in_stages_keep_the_keys_users_caches_hold(tmp_path: Path) -> None:
    """A key spelled differently would make every site fetch and summarize again."""
    bare, pinned = ArxivId("2501.00001"), ArxivId("2501.00001", 2)
    assert (Papers.key(pinned), Papers.pointer(bare), Papers.unknown(bare)) == (
        "paper:2501.00001v2",
        "latest:2501.00001",
        "unknown:2501.00001",
    )
    assert summary_key(pinned, "extractive-3", "zh") == "summary:2501.00001v2:extractive-3:zh:1"
    snapshot = tmp_path / "arxiv.jsonl"
    snapshot.write_text("")
    cache = Cache(tmp_path / "cache")
    try:
        stage = MetadataStage(cache, None, Snapshot(snapshot))
        stage.plan([bare], PaperCounts())
        assert cache.get_json(f"snapshot-read:{snapshot.resolve()}") == Snapshot(snapshot).stamp()
        assert cache.get_json(f"snapshot-missing:{snapshot.resolve()}")["ids"] == ["2501.00001"]
    finally:
        cache.close()


def test_stages_that_need_each_other_stop_the_build_naming_both(site: Site, counter: Counter) -> None:
    class Lines(WordCount):
        name = "lines"
        needs = ("words",)

    WordCount.needs = ("lines",)
    register("lines")(lambda services: Lines(Budget(), [], set()))
    try:
        site.page("index.md", PAPERS[:1])
        result = site.build(config=site.load())
    finally:
        WordCount.needs = ()
        unregister("lines")
    assert result.error is not None
    said = " ".join(result.messages(logging.ERROR))
    assert "'words' needs 'lines'" in said and "'lines' needs 'words'" in said, said


class Faulty(WordCount):
    """A word count with one bug, named by `fault`: its record is not data, its
    stand-in raises, or reading its cached record raises."""

    fault = ""

    def dump(self, record: int) -> Any:
        return {record} if self.fault == "dump" else record

    def load(self, data: Any) -> int | None:
        if self.fault == "load":
            raise ValueError("load boom")
        return super().load(data)

    def stand_in(self, unit: Unit, paper: Paper) -> int | None:
        if self.fault == "stand_in":
            raise RuntimeError("stand-in boom")
        return None


def build_within(site: Site, seconds: float = 90) -> tuple[Any, Any]:
    """Build in a thread: a build that hangs fails the test instead of the suite."""
    config = site.load()
    results: list[Any] = []
    thread = threading.Thread(target=lambda: results.append(site.build(config=config)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the build hangs"
    return results[0], config.plugins["arxiv-digest"].report


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ("dump", "TypeError: Object of type set is not JSON serializable"),
        ("stand_in", "its stand-in failed: RuntimeError: stand-in boom"),
        ("load", "reading its cached record failed: ValueError: load boom"),
    ],
)
def test_a_stage_with_a_bug_is_warned_of_and_the_rest_of_the_build_is_kept(
    site: Site, counter: Counter, monkeypatch: pytest.MonkeyPatch, fault: str, said: str
) -> None:
    register("words")(lambda services: Faulty(counter.budget, counter.made, counter.broken))
    site.page("index.md", PAPERS[:1])
    if fault == "load":  # a record in the cache first, then a version of the stage that cannot read it
        result, report = build_within(site)
        assert report.stages["words"].made == 1
    if fault == "stand_in":
        counter.budget = Budget(most=0, options=("words.most", ""))  # every unit waits: its stand-in is asked for
    monkeypatch.setattr(Faulty, "fault", fault)
    site.page("index.md", PAPERS)  # the papers arrive from the API on the worker, the first from the cache

    result, report = build_within(site)
    assert result.error is None, result.error
    warned = [w for w in result.warnings if said in w]
    assert len(warned) == 1, result.warnings
    assert all(f"{paper}v1" in site.content() for paper in PAPERS), "every paper is shown"
    assert report.stages["summaries"].made + report.stages["summaries"].cached == 3

    monkeypatch.setattr(Faulty, "fault", "")
    result, report = build_within(site)
    assert report.stages["summaries"].made == 0, "the summaries of the faulty build were kept"
