"""The one browser harness: Debian's Chromium, found or the test skipped (in
CI, failed); a built site served from a folder on 127.0.0.1; and two ways to
drive the browser: Playwright for pages a test clicks through, a DOM dump for
pages whose scripts must simply be given time to run."""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Headless Chromium on this machine: no sandbox as root, and no calls home."""


def need(what: str) -> None:
    """Skip for want of `what`, saying how to get it; in CI, fail."""
    message = f"{what}; install it to run the browser tests (CI installs it: see .ci/run)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def chromium() -> Path:
    if not CHROMIUM.is_file():
        need(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    return CHROMIUM


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """`folder` served on 127.0.0.1; yields its base URL, ending in `/`."""
    with ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder))) as server:
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/"
        finally:
            server.shutdown()
            thread.join(10)


@contextlib.contextmanager
def playwright_chromium() -> Iterator[Any]:
    """Chromium driven by Playwright."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need("Playwright is not installed (pip install -e '.[test]')")
    path = chromium()
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(path), args=FLAGS)
        try:
            yield instance
        finally:
            instance.close()


def dump_dom(url: str, profile: Path) -> str:
    """The page's DOM once it has loaded and its scripts, timers and late
    events (`ontoggle`, `onerror`) have had three seconds to run."""
    command = [
        str(chromium()),
        "--headless",
        *FLAGS,
        "--disable-extensions",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",  # nowhere but this machine
        f"--user-data-dir={profile}",
        "--virtual-time-budget=3000",
        "--dump-dom",
        url,
    ]
    done = subprocess.run(command, capture_output=True, timeout=120, stdin=subprocess.DEVNULL, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done.stdout.decode()
