"""Reloads asked of `mkdocs serve` as summaries land in the background: batched,
one after the last, none for a summary a closed server cut short; and
stopping while papers arrive."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from conftest import Clock
from mkdocs_arxiv_digest.background import RELOAD_SECONDS, SENTINEL, Background
from mkdocs_arxiv_digest.cache import Cache
from mkdocs_arxiv_digest.ids import parse_id
from mkdocs_arxiv_digest.pipeline import SUMMARY_THREADS, Pipeline
from mkdocs_arxiv_digest.records import Paper, Summary
from mkdocs_arxiv_digest.stages import Budget, Outcome
from mkdocs_arxiv_digest.stages.metadata import Lookup, MetadataStage
from mkdocs_arxiv_digest.stages.summaries import SummaryStage
from mkdocs_arxiv_digest.summarize import Summarizer, Summarizers, SummaryError


def landed(future: Future[Outcome], failed: bool = False) -> None:
    future.set_result(Outcome(None, deferred=failed, failed=failed))


class Timers:
    """Timers that go off when the test says, for `Background(timer=...)`."""

    def __init__(self) -> None:
        self.started: list[tuple[float, Callable[[], None]]] = []
        self.cancelled = 0

    def __call__(self, seconds: float, function: Callable[[], None]) -> Timers:
        self.started.append((seconds, function))
        return self

    def cancel(self) -> None:
        self.cancelled += 1

    def go_off(self) -> None:
        self.started.pop(0)[1]()


def test_reloads_are_batched_and_one_follows_the_last_summary(tmp_path: Path) -> None:
    clock, timers = Clock(), Timers()
    background = Background.make(tmp_path, clock=clock, timer=timers)
    assert background is not None and background.sentinel == tmp_path / SENTINEL
    futures: list[Future[Outcome]] = [Future() for _ in range(4)]
    for number, future in enumerate(futures):
        background.started(f"paper-{number}", future)
    assert background.running("paper-0") is futures[0]

    landed(futures[0])  # the first to land reloads at once
    assert background.reloads == 1 and background.sentinel.read_text() == "1\n"
    assert background.rebuild_starts() and not background.rebuild_starts()
    clock.advance(1.0)
    landed(futures[1])
    landed(futures[2])  # within the interval: one reload for both, when it is over
    assert background.reloads == 1
    assert [seconds for seconds, _ in timers.started] == [RELOAD_SECONDS - 1.0]
    clock.advance(RELOAD_SECONDS - 1.0)
    timers.go_off()
    assert background.reloads == 2 and background.sentinel.read_text() == "2\n"
    assert background.running("paper-1") is None
    landed(futures[3])  # the last: at once, whatever the interval
    assert background.reloads == 3 and not timers.started
    background.close()
    assert timers.cancelled == 0, "no timer was waiting"


def test_closing_cancels_the_reload_waiting_for_its_interval(tmp_path: Path) -> None:
    clock, timers = Clock(), Timers()
    background = Background.make(tmp_path, clock=clock, timer=timers)
    assert background is not None
    futures: list[Future[Outcome]] = [Future() for _ in range(3)]
    for number, future in enumerate(futures):
        background.started(f"paper-{number}", future)
    landed(futures[0])
    landed(futures[1])
    assert background.reloads == 1 and len(timers.started) == 1
    background.close()
    assert timers.cancelled == 1
    timers.go_off()  # a timer that went off as it was cancelled
    assert background.reloads == 1


def test_a_failed_summary_is_asked_again_when_the_writer_saves_not_when_the_plugin_reloads(tmp_path: Path) -> None:
    background = Background.make(tmp_path)
    assert background is not None
    future: Future[Outcome] = Future()
    background.started("paper", future)
    landed(future, failed=True)
    assert not background.retry("paper", ours=True), "a server that keeps failing is not asked in a loop"
    assert background.retry("paper", ours=False)
    assert background.retry("paper", ours=True)


def test_no_reload_for_summaries_cut_short_by_closing(tmp_path: Path) -> None:
    background = Background.make(tmp_path)
    assert background is not None
    futures: list[Future[Outcome]] = [Future(), Future()]
    for number, future in enumerate(futures):
        background.started(f"paper-{number}", future)
    futures[0].cancel()
    background.close()
    landed(futures[1], failed=True)
    assert background.reloads == 0


def test_without_a_writable_cache_folder_builds_wait_as_before(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    assert Background.make(tmp_path / "file" / "cache") is None


def test_stopping_while_a_paper_arrives_ends_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`mkdocs serve` stopping closes the background, then the summarizers,
    whose threads drop the summaries still queued; the fetch thread may be
    handing a paper over at that moment, inside the pipeline's lock. Neither
    may wait for the other: serve would never exit."""
    cache = Cache(tmp_path / "cache")
    background = Background.make(tmp_path / "cache")
    assert background is not None
    sending, stopped = threading.Event(), threading.Event()

    class Model(Summarizer):
        key, background, concurrency = "model", True, 1

        def summarize(self, paper: Paper, language: str) -> Summary:
            sending.set()
            stopped.wait(10)
            raise SummaryError("stopped: the summarizer was closed")

        def close(self) -> None:
            stopped.set()

    executor = ThreadPoolExecutor(1, thread_name_prefix=SUMMARY_THREADS)
    summarizers = Summarizers(Model(), None, executor)
    assert summarizers.main is not None
    stages = [MetadataStage(cache, None, None), SummaryStage(summarizers.main, None, Budget(), executor)]
    pipeline = Pipeline(cache, stages, background=background)
    ids = [parse_id(f"2401.0000{number}") for number in range(1, 5)]
    papers = {i: Paper(id=i.base, version=1, title=f"Paper {i}", abstract="A.", authors=("A",)) for i in ids}
    pipeline.plan({i: {"en"} for i in ids})
    for arxiv_id in ids[:3]:  # one under way, two queued
        pipeline._paper_ready(arxiv_id, Lookup(papers[arxiv_id]))
    assert sending.wait(5)

    # Serve stops: the background is closed, then the summarizers. Between the
    # two the last paper arrives; its cache lookup, inside the pipeline's lock,
    # takes a moment, in which the summarizers' threads are shut down.
    background.close()
    looked_up, cached = threading.Event(), cache.record

    def slow(key: str, load: Callable[[Any], Any]) -> Any:
        if ids[3].base in key:
            looked_up.set()
            # Held until the summarizers' threads are being shut down: once the
            # pool refuses new work, its shutdown has begun (and, were the two to
            # wait for each other, it would be stuck there, and so would this).
            assert stopped.wait(5)
            until = time.monotonic() + 5
            while time.monotonic() < until:
                try:
                    executor.submit(lambda: None)
                except RuntimeError:
                    break
                time.sleep(0.001)
        return cached(key, load)

    monkeypatch.setattr(cache, "record", slow)

    def arrive() -> None:  # as the fetch thread does, which closes its own connection to the cache
        try:
            pipeline._paper_ready(ids[3], Lookup(papers[ids[3]]))
        finally:
            cache.release_thread()

    arriving = threading.Thread(target=arrive, daemon=True)
    arriving.start()
    assert looked_up.wait(5)
    stopping = threading.Thread(target=summarizers.close, daemon=True)
    stopping.start()
    stopping.join(5)
    arriving.join(5)
    assert not stopping.is_alive() and not arriving.is_alive(), "stopping and the arriving paper wait for each other"
    cache.close()
