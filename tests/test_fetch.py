"""The arXiv client against the fake API: batching, matching, retries, faults."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest

import mkdocs_arxiv_digest.fetch
from conftest import ORDINARY_RECORD, Clock
from fake_arxiv import FakeArxiv
from mkdocs_arxiv_digest.cache import Cache
from mkdocs_arxiv_digest.fetch import ArxivApi, Batch
from mkdocs_arxiv_digest.ids import ArxivId, parse_id
from mkdocs_arxiv_digest.stages.metadata import Papers

IDS = [parse_id(i) for i in ("1605.08386", "astro-ph/0601001", "2104.12255v1", "quant-ph/0201082", "1707.08567")]


class Waits(list[float]):
    """The waits the client asked for between tries, taken without sleeping."""


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def api(arxiv_api: FakeArxiv, waits: Waits) -> Iterator[ArxivApi]:
    client = ArxivApi(arxiv_api.url, delay_seconds=0, timeout=1.0, retries=2, sleep=waits.append)
    yield client
    client.close()


def fetch_one(api: ArxivApi, ids: list[ArxivId] = IDS) -> Batch:
    (batch,) = api.fetch(ids, batch_size=100)
    return batch


def test_results_are_matched_by_id_not_position(api: ArxivApi, arxiv_api: FakeArxiv) -> None:
    batch = fetch_one(api)
    assert [str(r) for r in arxiv_api.requests[0].id_list] == [str(i) for i in IDS]
    for arxiv_id, paper in batch.found.items():
        assert paper.id == arxiv_id.base
    assert batch.found[IDS[1]].title.startswith("Frequency of Hot Jupiters")
    assert batch.found[IDS[2]].title == "0"
    assert batch.found[IDS[3]].version == 1
    assert len(arxiv_api.requests) == 1 and batch.requests == 1


@pytest.mark.parametrize("status", [503, 500, 429])
def test_server_errors_are_retried(api: ArxivApi, arxiv_api: FakeArxiv, waits: Waits, status: int) -> None:
    arxiv_api.fail(status, times=2)
    batch = fetch_one(api)
    assert len(batch.found) == 5 and batch.error == ""
    assert len(arxiv_api.requests) == 3
    assert len(waits) == 2 and 0 < waits[0] < waits[1], "exponential backoff between the tries"


def test_retry_after_is_honoured(api: ArxivApi, arxiv_api: FakeArxiv, waits: Waits) -> None:
    arxiv_api.fail(429, retry_after=7)
    batch = fetch_one(api)
    assert len(batch.found) == 5
    assert len(arxiv_api.requests) == 2
    assert waits == [7.0], "the wait the server asked for"


def test_a_long_retry_after_is_capped(api: ArxivApi, arxiv_api: FakeArxiv, waits: Waits) -> None:
    arxiv_api.fail(429, retry_after=3600)
    assert len(fetch_one(api).found) == 5
    assert waits == [60.0]


def test_giving_up_reports_why(api: ArxivApi, arxiv_api: FakeArxiv) -> None:
    arxiv_api.fail(503, times=3)
    batch = fetch_one(api)
    assert batch.found == {} and batch.unknown == []
    assert batch.error == "HTTP 503 after 3 tries"


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ({"hang": 3.0}, "no answer within 1 s"),
        ({"close": True}, "could not connect"),
        ({"truncate": True}, "ChunkedEncodingError"),
        ({"truncate": "cut"}, "not a complete Atom feed"),
        ({"body": b"<html>maintenance</html>"}, "not a complete Atom feed"),
    ],
)
def test_broken_answers_are_retried(api: ArxivApi, arxiv_api: FakeArxiv, fault: dict[str, object], said: str) -> None:
    arxiv_api.fail(times=1, **fault)  # type: ignore[arg-type]
    batch = fetch_one(api)
    assert len(batch.found) == 5
    arxiv_api.fail(times=3, **fault)  # type: ignore[arg-type]
    batch = fetch_one(api)
    assert said in batch.error and batch.found == {}


def test_an_empty_page_is_asked_again_once(api: ArxivApi, arxiv_api: FakeArxiv) -> None:
    arxiv_api.fail(empty=True)
    assert len(fetch_one(api).found) == 5
    arxiv_api.reset()
    arxiv_api.fail(empty=True, times=2)
    batch = fetch_one(api)
    assert batch.found == {} and len(batch.unknown) == 5
    assert len(arxiv_api.requests) == 2


def test_unreachable_api_fails_in_bounded_time() -> None:
    client = ArxivApi("http://127.0.0.1:9/api/query", delay_seconds=0, timeout=1, retries=1)
    started = time.monotonic()
    batch = fetch_one(client)
    client.close()
    assert "could not connect" in batch.error
    assert time.monotonic() - started < 5


def test_a_site_survives_arxiv_being_down_and_fetches_later(site, arxiv_api: FakeArxiv) -> None:  # type: ignore[no-untyped-def]
    site.page("index.md", ["1605.08386", "1707.08567"])
    site.configure(retries=1)
    arxiv_api.fail(503, times=2)
    down = site.build()
    assert down.error is None
    assert down.warnings == [
        "arxiv-digest: 2 paper(s) not shown (their pages say they are unavailable): arXiv could not be reached "
        "(HTTP 503 after 2 tries); they are fetched on the next build. Papers: 1605.08386, 1707.08567."
    ]
    assert site.build(strict=True).error is None
    assert "Proceedings of Workshop AEW10" in site.content()
    assert len(arxiv_api.requests) == 3


def test_a_stale_paper_is_shown_when_the_refresh_fails(site, arxiv_api: FakeArxiv) -> None:  # type: ignore[no-untyped-def]
    site.page("index.md", ["1605.08386"])
    site.configure(refresh_days=1, retries=0)
    site.clock = Clock()
    assert site.build().error is None
    site.clock.advance(2 * 86400)
    arxiv_api.fail(503)
    result = site.build()
    assert [w for w in result.warnings if "1605.08386" in w] == [
        "arxiv-digest: 1 paper(s) shown as the cache holds them, perhaps not in arXiv's newest version: "
        "arXiv could not be reached (HTTP 503 after 1 try); they are checked again on the next build. Papers: 1605.08386v1."
    ]
    assert "1605.08386v1" in site.content()


def test_a_build_without_the_api_says_so_once_per_cause_however_many_pages(site, arxiv_api: FakeArxiv) -> None:  # type: ignore[no-untyped-def]
    site.page("index.md", ["1605.08386"])
    site.configure(refresh_days=1, retries=0, batch_size=2)
    site.clock = Clock()
    assert site.build().error is None  # 1605.08386 is cached, and due for a check two days later
    site.clock.advance(2 * 86400)
    for name in ("index.md", "b.md", "c/d.md", "e.md"):
        site.page(name, ["1605.08386", "1707.08567", "astro-ph/0601001"])
    arxiv_api.fail(503, times=100)

    result = site.build()

    assert result.error is None
    assert result.warnings == [
        "arxiv-digest: 2 paper(s) not shown (their pages say they are unavailable): arXiv could not be reached "
        "(HTTP 503 after 1 try); they are fetched on the next build. Papers: 1707.08567, astro-ph/0601001.",
        "arxiv-digest: 1 paper(s) shown as the cache holds them, perhaps not in arXiv's newest version: "
        "arXiv could not be reached (HTTP 503 after 1 try); they are checked again on the next build. "
        "Papers: 1605.08386v1.",
    ]
    assert "Heat-bath" in site.content("e.md")
    assert site.build(strict=True).error is not None  # one warning is enough for --strict


# Bounded inputs


def test_overlong_text_from_the_api_is_cut_with_a_warning_and_the_page_builds(site, arxiv_api: FakeArxiv) -> None:  # type: ignore[no-untyped-def]
    arxiv_api.add_paper(
        "2501.19901",
        title="A title that goes on " + "and on " * 4000,
        summary="An abstract that goes on. " + "On. " * 250_000,
        authors=["Jane Doe", "J" * 30_000],
    )
    site.page("index.md", ["2501.19901", "1605.08386"])

    result = site.build()

    assert result.error is None
    # The lengths as the arxiv package hands the text over: its older versions strip the trailing space.
    (warning,) = result.warnings
    assert re.fullmatch(
        re.escape(f"arxiv-digest: the arXiv API at {arxiv_api.url}: text longer than 20,000 characters was cut to ")
        + r"its first 20,000, in 2501\.19901v1 \(title of 28,02[01] characters, abstract of 1,000,02[56] characters, "
        r"author name of 30,000 characters\)",
        warning,
    ), warning
    content = site.content()
    assert "Heat-bath random walks" in content, "the other paper is untouched"
    assert "and on and on a…" in content and "On. On. On…" in content and "JJJJ…" in content
    assert "On. " * 5001 not in content
    cached = Cache(site.root / ".cache" / "plugin" / "arxiv-digest")
    paper = Papers(cached).paper(parse_id("2501.19901v1"), None)
    cached.close()
    assert paper is not None and len(paper.abstract) <= 20_001 and len(paper.title) <= 20_001
    assert site.build(strict=True).error is None, "read from the cache: nothing new to warn about"


def test_an_api_answer_too_large_to_read_costs_only_its_own_paper(
    api: ArxivApi, arxiv_api: FakeArxiv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mkdocs_arxiv_digest.fetch, "MAX_ANSWER_BYTES", 200_000)
    arxiv_api.add_paper("2501.19902", title="A record larger than any", summary="Long. " * 50_000)

    batch = fetch_one(api, [*IDS[:2], parse_id("2501.19902"), *IDS[2:]])

    assert sorted(map(str, batch.found)) == sorted(map(str, IDS)), "every other paper, read in halves"
    assert list(batch.refused) == [parse_id("2501.19902")] and not batch.unknown and not batch.error
    assert "larger than 0.2 MB" in batch.refused[parse_id("2501.19902")]
    assert all(len(request.id_list) > 0 for request in arxiv_api.requests)
    assert len(arxiv_api.requests) <= 7, "not retried as it was: halved"


def test_overlong_text_in_a_snapshot_is_cut_with_a_warning_naming_it(site) -> None:  # type: ignore[no-untyped-def]
    record = {**ORDINARY_RECORD, "abstract": "We show it. " + "Again. " * 10_000, "comments": "c" * 25_000}
    (site.root / "snap.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    site.page("index.md", [record["id"]])
    site.configure(snapshot="snap.jsonl", offline=True)

    result = site.build()

    assert result.error is None
    assert result.warnings == [
        f"arxiv-digest: the snapshot {site.root / 'snap.jsonl'}: text longer than 20,000 characters was cut to its "
        "first 20,000, in 2501.00002v1 (abstract of 70,012 characters, comment of 25,000 characters)"
    ]
    assert "An ordinary paper" in site.content() and "Again. Aga…" in site.content() and "ccc…" in site.content()
