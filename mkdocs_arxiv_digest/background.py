"""Summaries that outlive a build, under `mkdocs serve`: pages show the
extractive summary at once, marked as pending, while the model writes in the
background; when summaries land, a rebuild is asked for through the
live-reload server, which then finds them in the cache.

The live-reload server rebuilds when a file it watches changes, so the plugin
watches a file of its own in the cache folder (`SENTINEL`) and writes to it:
at most once every `RELOAD_SECONDS` while summaries are being written, and
once when the last has landed. A rebuild that starts while summaries are
still being written takes them over (see `running`) instead of sending the
papers again.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

SENTINEL = "serve-reload"
"""The file in `cache_dir` that `mkdocs serve` watches for the plugin."""

RELOAD_SECONDS = 3.0
"""The shortest time between two reloads asked for while summaries are being written."""


Timer = Callable[[float, Callable[[], None]], Any]
"""Makes a started timer that calls a function after some seconds unless its
`cancel()` is called first (`start_timer`, a daemon `threading.Timer`)."""


def start_timer(seconds: float, function: Callable[[], None]) -> threading.Timer:
    timer = threading.Timer(seconds, function)
    timer.daemon = True
    timer.start()
    return timer


class Background:
    def __init__(
        self,
        sentinel: Path,
        interval: float = RELOAD_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        timer: Timer = start_timer,
    ):
        """`clock` and `timer` measure and wait out the interval between
        reloads; tests pass their own, which take no time."""
        self.sentinel = sentinel
        self.interval = interval
        self.lock = threading.RLock()
        """Shared by every build's pipeline, which calls in here holding it
        (and may wait for the summarizers' threads while it does)."""
        self._state = threading.Lock()
        """Guards what follows. Summaries call back under it as they end, and
        the summarizers' threads end them (dropping the queued ones) holding
        a lock of their own: it is never held while waiting for anything."""
        self.failures: dict[tuple[str, str], list[tuple[str, str]]] = {}
        """Failed units by stage and cause, kept until a build reports them."""
        self.reloads = 0
        """How many rebuilds were asked for."""
        self._clock = clock
        self._start_timer = timer
        self._running: dict[str, Future[Any]] = {}
        self._failed: set[str] = set()
        self._ours = False
        self._landed = 0
        """Summaries that landed since the last reload asked for."""
        self._last = -interval
        self._timer: Any = None
        self._closed = False

    @classmethod
    def make(
        cls, cache_dir: Path, clock: Callable[[], float] = time.monotonic, timer: Timer = start_timer
    ) -> Background | None:
        """A `Background` whose sentinel file exists, or `None` when it cannot be
        written (a read-only cache folder): then builds wait for their summaries."""
        sentinel = cache_dir / SENTINEL
        try:
            sentinel.parent.mkdir(parents=True, exist_ok=True)
            if not sentinel.exists():
                sentinel.write_text("0\n", encoding="utf-8")
        except OSError:
            return None
        return cls(sentinel, clock=clock, timer=timer)

    def rebuild_starts(self) -> bool:
        """Called as each build starts: whether the plugin asked for it (the
        writer may have saved a file at the same moment; that is fine)."""
        with self._state:
            ours, self._ours = self._ours, False
            return ours

    def running(self, key: str) -> Future[Any] | None:
        """The summary under way for `key` (a summary's cache key), if any."""
        with self._state:
            return self._running.get(key)

    def retry(self, key: str, ours: bool) -> bool:
        """Whether to ask again for a summary that failed earlier while serving:
        at a rebuild the writer caused, not at one the plugin asked for (or a
        server that keeps failing would be asked forever)."""
        with self._state:
            if key not in self._failed:
                return True
            if not ours:
                self._failed.discard(key)
            return not ours

    def started(self, key: str, future: Future[Any]) -> None:
        with self._state:
            self._running[key] = future
        future.add_done_callback(lambda done: self._done(key, done))

    def close(self) -> None:
        with self._state:
            self._closed = True
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    def _done(self, key: str, future: Future[Any]) -> None:
        with self._state:
            if self._running.get(key) is future:
                del self._running[key]
            if self._closed or future.cancelled():
                return
            if future.exception() is not None or getattr(future.result(), "failed", False):
                self._failed.add(key)
            self._landed += 1
            if not self._running or self._clock() - self._last >= self.interval:
                self._reload()
            elif self._timer is None:
                wait = self.interval - (self._clock() - self._last)
                self._timer = self._start_timer(wait, self._timed)

    def _timed(self) -> None:
        with self._state:
            self._timer = None
            if not self._closed and self._landed:
                self._reload()

    def _reload(self) -> None:
        """Ask for a rebuild (under `_state`)."""
        self._landed = 0
        self._last = self._clock()
        self._ours = True
        self.reloads += 1
        with contextlib.suppress(OSError):  # then the writer's next save shows them
            self.sentinel.write_text(f"{self.reloads}\n", encoding="utf-8")
