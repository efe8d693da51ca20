"""`mkdocs serve`, run for real: pages show at once while a model writes the
summaries in the background, and reload with them when they land."""

from __future__ import annotations

import html
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_llm import PAPERS, entry, use_model

from conftest import KEY, Site
from fake_arxiv import FakeArxiv
from fake_html import FakeHtml
from fake_openai import FakeOpenAI

PENDING = "summary is being written"

pytestmark = pytest.mark.xdist_group("timing")
"""Timed against real clocks: run by one xdist worker, one test at a time (the README's `--dist loadgroup`)."""


def get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return html.unescape(answer.read().decode("utf-8"))
    except (urllib.error.URLError, OSError):
        return None


def wait_for(what: Callable[[], str | None], seconds: float, why: str, serve: subprocess.Popen[bytes]) -> str:
    """The first truthy `what()`, polled; fails after `seconds` or when serve has stopped."""
    deadline = time.monotonic() + seconds
    while True:
        found = what()
        if found:
            return found
        if serve.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{why} within {seconds} s")
        time.sleep(0.2)


@pytest.fixture
def slow_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    """A server of its own: answers left hanging here do not reach other tests."""
    monkeypatch.setenv("ARXIV_DIGEST_TEST_KEY", KEY)
    with FakeOpenAI(latency=4.0) as server:
        yield server


def test_serve_shows_pages_at_once_and_reloads_them_with_the_summaries(
    site: Site, slow_model: FakeOpenAI, tmp_path: Path
) -> None:
    papers = PAPERS[:4]
    site.page("index.md", papers)
    use_model(site, slow_model, timeout=10)
    serve, url, log = start_serve(site, tmp_path)
    try:
        # At once: the extractive summary, marked, while the model is still on the first paper.
        first = wait_for(lambda: get(url), 60, "no page served", serve)
        assert slow_model.calls <= 1 and "TLDR of" not in first
        for arxiv_id in papers:
            shown = entry(first, arxiv_id)
            assert PENDING in shown and "TL;DR" in shown, shown

        # Then, with no change by the writer, the page reloads with the model's summaries.
        def summarized() -> str | None:
            page = get(url)
            return page if page and PENDING not in page and all(f"TLDR of {i}" in page for i in papers) else None

        wait_for(summarized, 60, "the summaries did not reach the page", serve)
        assert slow_model.calls == len(papers), "a rebuild while summaries were under way sent none again"
        assert "written by a language model (fake-model)" in (get(url) or "")
        served = log.read_text(errors="replace")
        assert "still being written in the background" in served

        # A page the writer adds shows at once too; stopping serve then ends the
        # request under way at once instead of waiting out its deadline.
        slow_model.latency = 60
        site.page("more.md", ["1605.08386"])
        page = wait_for(lambda: get(url + "more/"), 30, "the new page was not served", serve)
        assert PENDING in page
        wait_for(lambda: "x" if slow_model.calls == len(papers) + 1 else None, 10, "no request for it", serve)
        assert stop(serve, log) < STOP_SECONDS
    finally:
        end(serve)


STOP_SECONDS = 15
"""How long `mkdocs serve` may take to exit after Ctrl-C, whatever it is doing.
Each test's request under way would hold serve 30 s or more (its timeout, a
hang of 60 s, a `Retry-After` of 30 s). An idle serve exits in 0.5-1.4 s; on
a seventh of a core (six busy processes beside it) it took up to 7.9 s, most
of it the interpreter's own exit after the plugin had closed everything."""


def start_serve(site: Site, tmp_path: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    """`mkdocs serve` for the site, its URL and the file its output goes to."""
    config = site.write_config()
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    log = tmp_path / "serve.log"
    # A test run a script starts in the background (`pytest ... &`) ignores
    # SIGINT, and a process it starts inherits that: serve would never see
    # the Ctrl-C. A handler, unlike an ignored signal, is reset to the
    # default in the new program, so serve gets Python's own Ctrl-C handling.
    ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    if ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with log.open("wb") as output:
            serve = subprocess.Popen(
                [sys.executable, "-m", "mkdocs", "serve", "-f", str(config), "-a", f"127.0.0.1:{port}"],
                stdout=output,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
    finally:
        if ignored:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    return serve, f"http://127.0.0.1:{port}/", log


def stop(serve: subprocess.Popen[bytes], log: Path) -> float:
    """Ctrl-C: the seconds serve took to exit (failing past 30 s), which it did without a traceback."""
    stopping = time.monotonic()
    serve.send_signal(signal.SIGINT)
    try:
        serve.wait(30)
    except subprocess.TimeoutExpired:
        pytest.fail("mkdocs serve did not exit within 30 s of Ctrl-C:\n" + log.read_text(errors="replace")[-2000:])
    took = time.monotonic() - stopping
    assert "Traceback" not in log.read_text(errors="replace"), log.read_text(errors="replace")[-3000:]
    return took


def end(serve: subprocess.Popen[bytes]) -> None:
    if serve.poll() is None:
        serve.kill()
        serve.wait()


@pytest.fixture
def own_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    """A model server of the test's own: answers left hanging here reach no other test."""
    monkeypatch.setenv("ARXIV_DIGEST_TEST_KEY", KEY)
    with FakeOpenAI() as server:
        yield server


def test_serve_stops_at_once_when_idle(site: Site, own_model: FakeOpenAI, tmp_path: Path) -> None:
    site.page("index.md", PAPERS[:1])
    use_model(site, own_model, timeout=30)
    serve, url, log = start_serve(site, tmp_path)
    try:
        wait_for(lambda: "x" if f"TLDR of {PAPERS[0]}" in (get(url) or "") else None, 60, "no summary", serve)
        time.sleep(1)  # the reload asked for has been done
        assert stop(serve, log) < STOP_SECONDS
    finally:
        end(serve)


def test_serve_stops_at_once_while_fetching_from_arxiv(site: Site, arxiv_api: FakeArxiv, tmp_path: Path) -> None:
    arxiv_api.fail(hang=60)
    site.page("index.md", PAPERS[:1])
    site.configure(timeout=30, retries=0, summarizer="none")
    serve, _, log = start_serve(site, tmp_path)
    try:
        wait_for(lambda: "x" if arxiv_api.requests else None, 60, "arXiv was not asked", serve)
        time.sleep(0.5)
        assert stop(serve, log) < STOP_SECONDS
    finally:
        end(serve)


def test_serve_stops_at_once_while_rebuilding_and_fetching(
    site: Site, arxiv_api: FakeArxiv, own_model: FakeOpenAI, tmp_path: Path
) -> None:
    site.page("index.md", PAPERS[:1])
    use_model(site, own_model, timeout=30)
    serve, url, log = start_serve(site, tmp_path)
    try:
        wait_for(lambda: "x" if f"TLDR of {PAPERS[0]}" in (get(url) or "") else None, 60, "no summary", serve)
        arxiv_api.fail(hang=60)
        requests = len(arxiv_api.requests)
        site.page("more.md", PAPERS[1:3])
        wait_for(lambda: "x" if len(arxiv_api.requests) > requests else None, 30, "arXiv was not asked", serve)
        time.sleep(0.5)
        assert "Building documentation" in log.read_text(errors="replace")
        assert stop(serve, log) < STOP_SECONDS
    finally:
        end(serve)


@pytest.mark.parametrize("answer", ["first byte", "trickling", "retry after"])
def test_serve_stops_at_once_while_the_model_answers(
    site: Site, own_model: FakeOpenAI, tmp_path: Path, answer: str
) -> None:
    """Waiting for the first byte, receiving the answer, or waiting to send
    it again after a 503 whose `Retry-After` asks for 30 s."""
    if answer == "first byte":
        own_model.latency = 60
    elif answer == "trickling":
        own_model.fail(trickle=(8, 0.5), times=2)
    else:
        own_model.fail(503, retry_after=30, times=8)
    site.page("index.md", PAPERS[:2])
    use_model(site, own_model, timeout=30, retries=0 if answer != "retry after" else 3)
    serve, url, log = start_serve(site, tmp_path)
    try:
        wait_for(lambda: get(url), 60, "no page served", serve)
        wait_for(lambda: "x" if own_model.calls else None, 30, "the model was not asked", serve)
        time.sleep(1.5)  # under way: waiting, a few bytes in, or waiting to try again
        expected = {"first byte": None, "trickling": 200, "retry after": 503}[answer]
        assert own_model.requests[0].status == expected, "the answer is under way"
        assert stop(serve, log) < STOP_SECONDS
    finally:
        end(serve)


@pytest.mark.parametrize("waiting", ["for the page", "for its turn", "to try again"])
def test_serve_stops_at_once_while_reading_papers_html(site: Site, tmp_path: Path, waiting: str) -> None:
    """A chatpaper page's full text is read in the background: Ctrl-C ends the
    page's request under way, the pause before the next page
    (`html_delay_seconds`), or the wait after a 503 whose `Retry-After` asks for 30 s."""
    with FakeHtml() as host:
        for arxiv_id in PAPERS[:2]:
            host.serve(arxiv_id + "v1", "2612.00001v1")
        if waiting == "for the page":
            host.fail(200, delay=60)
        elif waiting == "to try again":
            host.fail(503, retry_after="30", times=8)
        pause = 60 if waiting == "for its turn" else 0
        site.configure(
            summarizer="none", fulltext="auto", figures=0, html_url=host.url, html_delay_seconds=pause, timeout=30
        )
        site.page("index.md", {"ids": PAPERS[:2], "layout": "chatpaper"})
        serve, url, log = start_serve(site, tmp_path)
        try:
            wait_for(lambda: get(url), 60, "no page served", serve)
            wait_for(lambda: "x" if host.requests else None, 30, "the host was not asked", serve)
            time.sleep(1.5)  # under way: waiting for the answer, for the next turn, or to try again
            assert len(host.requests) == 1, "one page asked for, the next one waiting"
            assert stop(serve, log) < STOP_SECONDS
        finally:
            end(serve)
