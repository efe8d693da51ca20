"""A wall-clock deadline for one HTTP exchange, from connecting to the last byte.

HTTP libraries bound each read, not the whole answer: a server that sends a
few bytes now and then holds a request forever. A `Deadline` shuts the
exchange's socket down when its time is up, which wakes whatever read or
write is waiting on it; the library then fails, and the caller reports it as
a timeout."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from typing import Any


class Deadline:
    """Started on creation; `watch` names the socket, `cancel` ends it, `expire` fires it now."""

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._find: Callable[[], Any] = lambda: None
        self._done = threading.Event()
        self._wake = threading.Event()
        threading.Thread(target=self._run, args=(seconds,), name="arxiv-digest-deadline", daemon=True).start()

    def watch(self, find: Callable[[], Any]) -> None:
        """Use `find()` to get the exchange's socket (it may return None before it is connected)."""
        self._find = find

    def cancel(self) -> None:
        self._done.set()
        self._wake.set()

    def expire(self) -> None:
        """End the exchange now, as if its time were up: its socket is shut in
        this thread, before anyone closes it (closing does not wake a read)."""
        if not self._done.is_set():
            self.fired = True
            sock = self._find()
            if sock is not None:
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
        self._wake.set()

    def _run(self, seconds: float) -> None:
        self._wake.wait(seconds)
        if self._done.is_set():
            return
        self.fired = True
        # A socket still connecting is shut as soon as it exists (connecting
        # itself is bounded by the same number of seconds).
        for _ in range(int(seconds / 0.05) + 2):
            sock = self._find()
            if sock is not None:
                # The plain socket's shutdown, also under TLS: it only wakes the waiting thread.
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                return
            if self._done.wait(0.05):
                return
