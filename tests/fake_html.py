"""A fake host of arXiv's HTML pages (`html_url`): `/html/<id>v<n>` answers
the page a test gave for that version (by default none: a 404), and faults can
be scripted (a status with `Retry-After`, a slow answer). Every request is
logged with the moment it arrived and its User-Agent, so a test can check
the pacing."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from fake_server import LocalServer

FIXTURES = Path(__file__).parent / "fixtures" / "fulltext" / "html"
RECORDS = Path(__file__).parent.parent / "snapshot" / "fulltext-fixtures.jsonl"
"""The fixture papers' metadata, which the example site's snapshot holds too."""


@dataclass(frozen=True)
class Fault:
    status: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    """Seconds to wait before answering."""


@dataclass(frozen=True)
class HtmlRequest:
    path: str
    status: int
    received_at: float
    """`time.monotonic()` when the request was read."""
    user_agent: str


class _Handler(BaseHTTPRequestHandler):
    server: Any
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.fake._serve(self)


class FakeHtml(LocalServer[Fault, HtmlRequest]):
    name = "fake-html"
    handler = _Handler
    fault_kind = Fault

    def __init__(self) -> None:
        super().__init__()
        self.pages: dict[str, bytes] = {}
        self.files: dict[str, tuple[bytes, str]] = {}
        """Other files (figures' images), by path under `/html/`: bytes and `Content-Type`."""
        self.redirects: dict[str, str] = {}
        """Paths under `/html/` answered with a 302 to the address given."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/html/"

    def serve(self, version: str, fixture: str | None = None, page: bytes | None = None) -> None:
        """Answer `/html/{version}` with a fixture's page (`2612.00001v1`) or `page`."""
        if page is None:
            page = (FIXTURES / str(fixture) / "index.html").read_bytes()
        with self._lock:
            self.pages[version] = page

    def serve_file(self, path: str, body: bytes, content_type: str = "image/png") -> None:
        """Answer `/html/{path}` (`0804.0970v1/pipeline.png`) with `body`."""
        with self._lock:
            self.files[path] = (body, content_type)

    def fail(
        self, status: int | None = None, times: int = 1, retry_after: str | None = None, delay: float = 0.0
    ) -> None:
        self._script(Fault(status, retry_after, delay), times)

    def _serve(self, handler: _Handler) -> None:
        received_at = time.monotonic()
        path = handler.path.split("?", 1)[0]
        with self._lock:
            fault = self._next_fault()
            name = path.removeprefix("/html/")
            page = self.pages.get(name.rstrip("/")) if path.startswith("/html/") else None
            content_type = "text/html; charset=utf-8"
            if page is None and path.startswith("/html/") and name in self.files:
                page, content_type = self.files[name]
            status, body = (200, page) if page is not None else (404, b"<html><body>No HTML</body></html>")
            moved = self.redirects.get(name) if path.startswith("/html/") else None
            if moved is not None:
                status, body = 302, b""
            if fault is not None and fault.status and fault.status != 200:
                status, body = fault.status, b"busy"
            self._requests.append(HtmlRequest(path, status, received_at, handler.headers.get("User-Agent", "")))
        if fault is not None and fault.delay and self._stopping.wait(fault.delay):
            return
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        if fault is not None and fault.retry_after is not None:
            handler.send_header("Retry-After", fault.retry_after)
        if moved is not None:
            handler.send_header("Location", moved)
        handler.end_headers()
        handler.wfile.write(body)


def fixture_records() -> list[dict[str, Any]]:
    """The fixture papers' records in arXiv's metadata dump's shape, taken from
    their HTML (scripts/make_fulltext_example.py): a site built offline from
    a snapshot of them shows them under their own IDs, with the names their
    HTML gives its authors."""
    lines = RECORDS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
