"""How many answers to ask a server for at once: found out, not assumed.

Many local servers answer one request at a time (llama-cpp-python's, Ollama
with one slot): the others wait in the server's queue, each on its own clock,
and time out there. So a `Ramp` starts at one request at a time, tries two,
and goes up to `llm.concurrency` only when two wrote more per second than
one; when a level does not pay (or a request times out while others are
under way), it goes back to the level before and stays there. Two steps,
not doubling all the way: a server that batches loses about two answers'
time to the ramp, once. The level found is
remembered with the server's format (see `LlmSummarizer.memory`).

Throughput is counted in characters of answer per second of wall clock over
a window of as many answers as the level, and at least `WINDOW` (at one at a
time, a single slow answer would make any level after it look like a gain):
lengths and times vary a lot between answers, and a server that answers one
at a time writes about as fast whatever the level, while one that batches
writes faster."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

GAIN = 1.4
"""How much faster a doubled level must write to be kept: a server that
batches gains close to 2, one that answers one at a time gains nothing."""

WINDOW = 2
"""The fewest answers a level's throughput is measured over."""


class Ramp:
    def __init__(
        self, ceiling: int, start: int = 1, settled: bool = False, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clock = clock
        self.ceiling = max(1, ceiling)
        self.limit = max(1, min(start, self.ceiling))
        self.found = settled
        """The server showed what it takes (no gain, or a timeout), as opposed
        to the ramp having reached `ceiling`, which a higher setting may raise."""
        self.settled = settled or self.limit >= self.ceiling
        self._cond = threading.Condition()
        self._in_flight = 0
        self._rate: float | None = None
        """Characters per second at the level before, once measured."""
        self._before = self.limit
        self._window_start = 0.0
        self._window: list[int] = []

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the `limit` places for a request (or a paper's few)."""
        with self._cond:
            self._cond.wait_for(lambda: self._in_flight < self.limit)
            self._in_flight += 1
        try:
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()

    def sending(self) -> None:
        """A request is about to be sent. Until the level's first answer, the
        window starts at the latest one: the time spent before it (loading
        the SDK, formats refused and retried) is no answer's."""
        with self._cond:
            if not self.settled and not self._window:
                self._window_start = self._clock()

    def answered(self, chars: int) -> None:
        """An answer of `chars` characters came back (within its slot)."""
        with self._cond:
            if self.settled:
                return
            self._window.append(chars)
            if len(self._window) < max(self.limit, WINDOW):
                return
            rate = sum(self._window) / max(self._clock() - self._window_start, 1e-3)
            self._window = []
            if self._rate is not None and rate < GAIN * self._rate:
                self._settle(self._before)
            elif self.limit >= self.ceiling:
                self.settled = True
            else:
                self._rate, self._before = rate, self.limit
                self.limit = 2 if self.limit == 1 else self.ceiling
                self._cond.notify_all()

    def patience(self) -> int:
        """How many answers' time a request may take: while the level is being
        tried, as many as are sent at once, since a server that answers one
        at a time keeps the others waiting behind the first; once it is
        settled, one (a server that keeps requests waiting at the level
        found is one that batches them)."""
        with self._cond:
            return 1 if self.settled else self.limit

    def timed_out(self) -> None:
        """A request found no whole answer in time: with others under way, the
        server may have kept it waiting behind them, so fewer go at once."""
        with self._cond:
            if self.limit > 1 and self._in_flight > 1:
                self._settle(self._before if self._before < self.limit else self.limit // 2)

    def _settle(self, level: int) -> None:
        self.limit = max(1, level)
        self.settled = self.found = True
        self._window = []
