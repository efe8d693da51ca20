"""`timeout` bounds a whole answer, retries included: an answer that trickles in
a few bytes at a time (every read succeeds) cannot hold a build longer than the
documented sum, for arXiv and for the model."""

from __future__ import annotations

import socket
import time

import pytest

from conftest import Build, Site
from fake_arxiv import FakeArxiv
from fake_feed import FakeFeed, FeedItem
from fake_openai import FakeOpenAI, default_content
from fake_server import Framing, Trickle
from mkdocs_arxiv_digest.deadline import Deadline

IDS = ["1605.08386", "1707.08567"]
TRICKLE = (8, 0.5)
"""8 bytes every 0.5 s, as in the report: a few KB take minutes, yet no read waits long."""
BUILD_AFTER = 3.0
"""Seconds allowed for the rest of a build after its last request (the page
rendered, the site written): 1.75 s once, and 2.3 s once, with the README's
four test processes on two cores. A deadline that did not hold lets the
trickle run, 30 s."""

pytestmark = pytest.mark.xdist_group("timing")
"""Timed against real clocks: run by one xdist worker, one test at a time (the README's `--dist loadgroup`)."""


def test_a_trickling_arxiv_answer_is_cut_at_the_deadline(site: Site, arxiv_api: FakeArxiv) -> None:
    body = len(arxiv_api.entry_xml(IDS[0]) or "") + len(arxiv_api.entry_xml(IDS[1]) or "")
    trickle_takes = body / TRICKLE[0] * TRICKLE[1]
    assert trickle_takes > 30
    arxiv_api.fail(trickle=TRICKLE, times=2)
    site.page("index.md", arxiv=IDS)
    site.configure(timeout=1, retries=1, delay_seconds=0, summarizer="none")
    result = site.build()
    took = time.monotonic() - arxiv_api.requests[0].received_at  # the build's start is no request's
    # Documented: timeout × (retries + 1) + at most 1.2 × max(delay_seconds, 0.5) × (2^retries − 1) of backoff.
    bound = 1 * 2 + 1.2 * 0.5 * 1
    assert took < bound + BUILD_AFTER, f"the requests took {took:.1f} s"
    assert len(arxiv_api.requests) == 2
    for arxiv_id in IDS:
        warned = [w for w in result.warnings if arxiv_id in w]
        assert warned and "no answer within 1 s after 2 tries" in warned[0], result.warnings


def test_a_trickling_model_answer_is_cut_at_the_deadline(site: Site, model: FakeOpenAI) -> None:
    pytest.importorskip("openai")  # imported now: the second it takes is not the model's
    model.fail(trickle=TRICKLE, times=4)  # two papers, two tries each
    site.page("index.md", arxiv=IDS)
    site.configure(summarizer="openai", llm=llm(model, timeout=1, retries=1))
    result = site.build()
    took = time.monotonic() - model.requests[0].received_at  # the build's start is no request's
    # Documented: timeout × (retries + 1) + the waits between tries (0.5 s, then doubling, at most 8 s each);
    # the first paper asks alone until the server has answered it (it may refuse the response format).
    bound = 1 * 2 + 0.5
    assert took < 2 * bound + BUILD_AFTER, f"the requests took {took:.1f} s"
    assert model.calls == 4
    answer = min(len(default_content(request.json).encode()) for request in model.requests)
    trickle_takes = answer / TRICKLE[0] * TRICKLE[1]
    assert trickle_takes > 30
    warned = [w for w in result.warnings if "Summaries from" in w]
    assert len(warned) == 1 and f"failed for {len(IDS)} paper(s): Request timed out" in warned[0], result.warnings
    assert all(arxiv_id in warned[0] for arxiv_id in IDS)


FRAMINGS: list[Framing] = ["keep-alive", "close", "http/1.0", "chunked"]
"""How servers and proxies end an answer. With `Connection: close` or HTTP/1.0,
`http.client` hands the socket to the response once the headers are read."""


ENDED_WITHIN = 2 + BUILD_AFTER
"""The deadline, 2 s, and the rest of the build: far under the whole
trickle's 30 s, which is what an answer let through for a read at a time
would take."""


def body_trickle(framing: Framing) -> Trickle:
    """The headers at once, then the body 8 bytes every 0.5 s."""
    return Trickle(*TRICKLE, framing=framing, headers_at_once=True)


def answered_within(site: Site, server: FakeArxiv | FakeFeed | FakeOpenAI) -> tuple[float, Build]:
    """How long after `server` got its one request the build ended, and the build."""
    result = site.build()
    ended = time.monotonic()
    (request,) = server.requests if not isinstance(server, FakeOpenAI) else [r for r in server.requests if r.json]
    return ended - request.received_at, result


@pytest.mark.parametrize("framing", FRAMINGS)
def test_an_arxiv_answer_trickling_after_its_headers_ends_at_the_deadline_however_it_is_framed(
    site: Site, arxiv_api: FakeArxiv, framing: Framing
) -> None:
    arxiv_api.fail(trickle=body_trickle(framing))
    site.page("index.md", arxiv=IDS[:1])
    site.configure(timeout=2, retries=0, delay_seconds=0, summarizer="none")
    took, result = answered_within(site, arxiv_api)
    assert took < ENDED_WITHIN, f"the request ended {took:.1f} s after it was sent"
    warned = [w for w in result.warnings if IDS[0] in w]
    assert warned and "no answer within 2 s after 1 try" in warned[0], result.warnings


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_listing_feed_trickling_after_its_headers_ends_at_the_deadline_however_it_is_framed(
    site: Site, arxiv_api: FakeArxiv, feed: FakeFeed, framing: Framing
) -> None:
    feed.announce(feed.today, [FeedItem(f"2401.{n:05d}v1") for n in range(1, 40)])
    feed.fail(trickle=body_trickle(framing))
    site.page("index.md", {"listing": "cs.CV"})
    site.configure(listing_url=feed.url, timeout=2, retries=0, delay_seconds=0, summarizer="none")
    took, result = answered_within(site, feed)
    assert took < ENDED_WITHIN, f"the request ended {took:.1f} s after it was sent"
    assert result.warnings == [
        "arxiv-digest: Page 'index.md': arxiv: listing cs.CV could not be read: no answer within 2 s after 1 try "
        f"({feed.url}cs.CV)"
    ]
    assert arxiv_api.requests == []


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_model_answer_trickling_after_its_headers_ends_at_the_deadline_however_it_is_framed(
    site: Site, model: FakeOpenAI, framing: Framing
) -> None:
    pytest.importorskip("openai")  # imported now: the second it takes is not the model's
    model.fail(trickle=body_trickle(framing))
    site.page("index.md", arxiv=IDS[:1])
    site.configure(summarizer="openai", llm=llm(model, timeout=2, retries=0))
    took, result = answered_within(site, model)
    assert took < ENDED_WITHIN, f"the request ended {took:.1f} s after it was sent"
    warned = [w for w in result.warnings if "Summaries from" in w]
    assert len(warned) == 1 and "failed for 1 paper(s): Request timed out" in warned[0], result.warnings


def llm(server: FakeOpenAI, **options: object) -> dict[str, object]:
    return {
        "base_url": server.url,
        "model": "fake-model",
        "api_key_env": "ARXIV_DIGEST_TEST_KEY",
        **options,
    }


def test_a_deadline_wakes_a_read_that_waits_and_a_cancelled_one_does_not() -> None:
    for cancel in (False, True):
        ours, theirs = socket.socketpair()
        with ours, theirs:
            deadline = Deadline(0.2)
            deadline.watch(lambda sock=ours: sock)
            if cancel:
                deadline.cancel()
                ours.settimeout(0.5)
            started = time.monotonic()
            try:
                got: bytes | None = ours.recv(10)
            except TimeoutError:
                got = None
            took = time.monotonic() - started
            assert deadline.fired is not cancel
            if cancel:
                assert got is None and took >= 0.45, "a cancelled deadline leaves the socket alone"
            else:
                assert got == b"" and 0.15 < took < 0.5, "the shut socket reads as closed at the deadline"
