"""Reloads asked of `mkdocs serve` as summaries land in the background: batched,
one after the last, none for a summary a closed server cut short."""

from __future__ import annotations

import time
from concurrent.futures import Future
from pathlib import Path

from mkdocs_arxiv_digest.background import SENTINEL, Background
from mkdocs_arxiv_digest.pipeline import Written


def landed(future: Future[Written], failed: bool = False) -> None:
    future.set_result(Written(None, deferred=failed, failed=failed))


def test_reloads_are_batched_and_one_follows_the_last_summary(tmp_path: Path) -> None:
    background = Background.make(tmp_path)
    assert background is not None and background.sentinel == tmp_path / SENTINEL
    background.interval = 0.5
    futures: list[Future[Written]] = [Future() for _ in range(4)]
    for number, future in enumerate(futures):
        background.started(f"paper-{number}", future)
    assert background.running("paper-0") is futures[0]

    landed(futures[0])  # the first to land reloads at once
    assert background.reloads == 1 and background.sentinel.read_text() == "1\n"
    assert background.rebuild_starts() and not background.rebuild_starts()
    landed(futures[1])
    landed(futures[2])  # within the interval: one reload for both, when it is over
    assert background.reloads == 1
    time.sleep(0.8)
    assert background.reloads == 2 and background.running("paper-1") is None
    landed(futures[3])  # the last: at once, whatever the interval
    assert background.reloads == 3
    background.close()


def test_a_failed_summary_is_asked_again_when_the_writer_saves_not_when_the_plugin_reloads(tmp_path: Path) -> None:
    background = Background.make(tmp_path)
    assert background is not None
    future: Future[Written] = Future()
    background.started("paper", future)
    landed(future, failed=True)
    assert not background.retry("paper", ours=True), "a server that keeps failing is not asked in a loop"
    assert background.retry("paper", ours=False)
    assert background.retry("paper", ours=True)


def test_no_reload_for_summaries_cut_short_by_closing(tmp_path: Path) -> None:
    background = Background.make(tmp_path)
    assert background is not None
    futures: list[Future[Written]] = [Future(), Future()]
    for number, future in enumerate(futures):
        background.started(f"paper-{number}", future)
    futures[0].cancel()
    background.close()
    landed(futures[1], failed=True)
    assert background.reloads == 0


def test_without_a_writable_cache_folder_builds_wait_as_before(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    assert Background.make(tmp_path / "file" / "cache") is None
