"""What the fake servers share: an HTTP server on 127.0.0.1 in a thread of its
own, which can be stopped at any moment (hangs and open connections cut, every
thread joined) and which keeps its handlers' unexpected errors for the tests
to look at instead of printing them."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, Literal, NamedTuple, TypeVar

_F = TypeVar("_F", bound="Fault")
_R = TypeVar("_R")

_DISCONNECTS = (ConnectionError, TimeoutError, BrokenPipeError)

_S = TypeVar("_S", bound="LocalServer")


Framing = Literal["keep-alive", "close", "http/1.0", "chunked"]


class Trickle(NamedTuple):
    """An answer sent `size` bytes every `delay` seconds (a fault of any fake:
    `fail(trickle=...)` takes this or a plain `(size, delay)`), framed as
    servers and proxies do:

    * ``keep-alive``: HTTP/1.1 with a ``Content-Length``, as the fakes answer;
    * ``close``: the same with ``Connection: close``;
    * ``http/1.0``: an HTTP/1.0 status line and no length, the body ending
      when the connection closes;
    * ``chunked``: HTTP/1.1, ``Transfer-Encoding: chunked``.

    With ``Connection: close`` or HTTP/1.0, `http.client` hands the socket
    over to the response once the headers are read (``conn.sock`` is None).
    ``headers_at_once``: the status line and headers go in one write and only
    the body trickles (else they trickle too)."""

    size: int
    delay: float
    framing: Framing = "keep-alive"
    headers_at_once: bool = False


@dataclasses.dataclass(frozen=True)
class Fault:
    """A scripted misbehaviour of one request, as every fake plays it (see
    `LocalServer.fail`); a fake with answers of its own to spoil adds fields in
    a subclass. A `Fault()` with no field set answers normally.

    * ``status=503``: answer with that status (the fake's own error body,
      unless ``body``); ``retry_after`` adds a ``Retry-After`` header,
      ``headers`` more headers.
    * ``body=b"..."``: that body instead of the answer (status 200 unless ``status``).
    * ``hang=5``: wait first (cut short by `LocalServer.stop`); then answer,
      or with ``close=True`` drop the connection without sending a byte.
    * ``trickle=(8, 0.5)`` or a `Trickle`: send the whole answer 8 bytes at a
      time, 0.5 s apart: every read succeeds, the whole takes long (until the
      client hangs up or the server stops).
    """

    status: int | None = None
    retry_after: float | str | None = None
    headers: tuple[tuple[str, str], ...] | Mapping[str, str] = ()
    hang: float = 0.0
    body: bytes | None = None
    close: bool = False
    trickle: tuple[int, float] | Trickle | None = None

    def __post_init__(self) -> None:
        if isinstance(self.headers, Mapping):
            object.__setattr__(self, "headers", tuple(self.headers.items()))
        if self.hang < 0:
            raise ValueError("hang must be >= 0")
        if self.trickle is not None and (self.trickle[0] < 1 or self.trickle[1] < 0):
            raise ValueError("trickle is (bytes >= 1, seconds >= 0)")
        if self.close and self.alters_the_answer:
            raise ValueError("close=True sends no answer; it only combines with hang")

    @property
    def alters_the_answer(self) -> bool:
        """Whether any field but ``hang`` and ``close`` is set."""
        return any(
            getattr(self, f.name) != f.default for f in dataclasses.fields(self) if f.name not in ("hang", "close")
        )

    @property
    def answer_headers(self) -> list[tuple[str, str]]:
        """The headers this fault adds to an answer."""
        added = list(self.headers)  # a Mapping was made a tuple of pairs
        if self.retry_after is not None:
            added.append(("Retry-After", str(self.retry_after)))
        return added


class _HTTPServer(ThreadingHTTPServer):
    """A threading server that knows its connections and threads, to stop cleanly."""

    daemon_threads = True
    # socketserver's default backlog of 5 makes bursts of concurrent clients
    # overflow it and wait ~1 s for a SYN retransmit.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], fake: LocalServer) -> None:
        self.fake = fake
        self._conn_lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._workers: set[threading.Thread] = set()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        worker = threading.Thread(
            target=self._work,
            args=(request, client_address),
            name=f"{self.fake.name}-conn-{client_address[1]}",
            daemon=True,
        )
        with self._conn_lock:
            self._connections.add(request)
            self._workers.add(worker)
        worker.start()

    def _work(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._conn_lock:
                self._workers.discard(threading.current_thread())

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Quiet: the default prints a traceback. Real bugs are kept for the tests.
        error = sys.exc_info()[1]
        if error is not None and not isinstance(error, _DISCONNECTS):
            self.fake._record_error(error)

    def abort_connections(self) -> None:
        """Wake every handler blocked on a client socket (keep-alive reads, writes)."""
        with self._conn_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the peer
                connection.shutdown(socket.SHUT_RDWR)

    def join_workers(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with self._conn_lock:
                workers = list(self._workers)
            if not workers or time.monotonic() >= deadline:
                return
            for worker in workers:
                worker.join(max(0.0, deadline - time.monotonic()))


class LocalServer(Generic[_F, _R]):
    """A fake server's life (`start`, `stop`, or use it as a context manager),
    its log of requests and its queue of scripted faults (`fail`, `ok`), and
    how the faults every fake shares are played (`_held`, `_send_answer`).
    Subclasses give the `handler` class, whose requests reach them through
    `self.server.fake`, a `name` for their threads and their `fault_kind`."""

    name = "fake"
    handler: type[BaseHTTPRequestHandler]
    fault_kind: Callable[..., _F]
    """The fake's `Fault` class; with no arguments, a normal answer."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._address = (host, port)
        self._lock = threading.RLock()
        self._errors: list[BaseException] = []
        self._requests: list[_R] = []
        self._faults: collections.deque[_F] = collections.deque()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self: _S) -> _S:
        """Bind and serve in a daemon thread. Returns the server."""
        if self._httpd is not None:
            raise RuntimeError(f"{type(self).__name__} is already running")
        self._stopping = threading.Event()
        self._httpd = _HTTPServer(self._address, self.handler, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=self.name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, cut hangs and open connections, join all threads. Idempotent."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._stopping.set()  # interrupts hangs and latency waits
        httpd.shutdown()  # no new connections
        if thread is not None:
            thread.join(timeout)
        httpd.abort_connections()
        httpd.join_workers(timeout)
        httpd.server_close()
        self._httpd = self._thread = None

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not running; call start() first")
        return int(self._httpd.server_address[1])

    @property
    def errors(self) -> list[BaseException]:
        """Unexpected exceptions raised inside handlers (should stay empty)."""
        with self._lock:
            return list(self._errors)

    def _record_error(self, error: BaseException) -> None:
        with self._lock:
            self._errors.append(error)

    @property
    def requests(self) -> list[_R]:
        """A snapshot of the request log, in order of arrival."""
        with self._lock:
            return list(self._requests)

    @property
    def pending_faults(self) -> list[_F]:
        with self._lock:
            return list(self._faults)

    def fail(self, status: int | None = None, *, times: int = 1, **fault: Any) -> None:
        """Queue ``times`` copies of a fault, the fields of the fake's
        `fault_kind` (see `Fault`); each request takes the next one, in order."""
        self._script(self.fault_kind(status=status, **fault), times)

    def ok(self, times: int = 1) -> None:
        """Queue ``times`` normal answers (to script e.g. "ok, then 503")."""
        self._queue(self.fault_kind(), times)

    def _script(self, fault: _F, times: int) -> None:
        """Queue a fault for the next ``times`` requests."""
        if fault == self.fault_kind():
            raise ValueError("fail() needs at least one fault; use ok() for a normal answer")
        self._queue(fault, times)

    def _queue(self, fault: _F, times: int) -> None:
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._faults.extend([fault] * times)

    def _next_fault(self) -> _F | None:
        """The fault scripted for the request now arriving (call under `_lock`)."""
        return self._faults.popleft() if self._faults else None

    def _held(self, handler: BaseHTTPRequestHandler, fault: Fault | None, latency: float = 0.0) -> bool:
        """Wait `latency`, then the fault's ``hang`` (both cut short by `stop`);
        when stopped, or the fault says ``close``, drop the connection without
        sending a byte. True when it was dropped: nothing more to answer."""
        hang = fault.hang if fault is not None else 0.0
        stopped = (latency > 0 and self._stopping.wait(latency)) or (hang > 0 and self._stopping.wait(hang))
        if stopped or (fault is not None and fault.close):
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            return True
        return False

    def _send_answer(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        fault: Fault | None,
    ) -> None:
        """Send an answer (`headers` without its length), with the headers
        `fault` adds, trickled if it says so."""
        headers = [*headers, ("Content-Length", str(len(body)))]
        if fault is not None:
            headers += fault.answer_headers
        if fault is not None and fault.trickle is not None:
            head = [f"HTTP/1.1 {status} {handler.responses.get(status, ('',))[0]}"]
            head += [f"{name}: {value}" for name, value in headers]
            return self._trickle(handler, head, body, fault.trickle)
        handler.send_response(status)
        for name, value in headers:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    def _trickle(
        self,
        handler: BaseHTTPRequestHandler,
        head: list[str],
        body: bytes,
        trickle: tuple[int, float] | Trickle,
    ) -> None:
        """Send a whole answer, its status line (`head[0]`, HTTP/1.1) and
        headers (a ``Content-Length`` among them) included, as `trickle` says
        (see `Trickle`): every read succeeds, the whole takes long."""
        size, delay, framing, headers_at_once = Trickle(*trickle)
        status, *headers = head
        if framing != "keep-alive":
            headers = [h for h in headers if not h.lower().startswith("content-length:")]
        if framing == "close":
            headers.append("Connection: close")
        elif framing == "http/1.0":
            status = "HTTP/1.0" + status.removeprefix("HTTP/1.1")
        elif framing == "chunked":
            headers.append("Transfer-Encoding: chunked")
            pieces = [body[i : i + 64] for i in range(0, len(body), 64)]
            body = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"
        elif framing != "keep-alive":
            raise ValueError(f"unknown framing {framing!r}")
        raw_head = "\r\n".join([status, *headers, "", ""]).encode("latin-1")
        raw = raw_head + body
        handler.close_connection = True
        start = 0
        if headers_at_once:
            if not self._send(handler, raw_head):
                return
            start = len(raw_head)
        for offset in range(start, len(raw), size):
            if offset > start and self._stopping.wait(delay):
                with contextlib.suppress(OSError):
                    handler.connection.shutdown(socket.SHUT_RDWR)
                return
            if not self._send(handler, raw[offset : offset + size]):
                return

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, data: bytes) -> bool:
        """Write `data` now; False once the client has hung up."""
        try:
            handler.wfile.write(data)
            handler.wfile.flush()
        except OSError:
            return False
        return True
