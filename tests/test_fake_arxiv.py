"""Checks that the fake arXiv API behaves like the real one (see tests/fake_arxiv.py)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import arxiv
import pytest
import requests
from lxml import etree

# tests/ has no __init__.py: pytest puts it on sys.path (as conftest.py relies on too).
from fake_arxiv import FIXTURES_DIR, FakeArxiv, is_valid_arxiv_id

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}
TIMEOUT = 5  # seconds; every HTTP call in these tests must be fast


# --------------------------------------------------------------------------- #
# helpers and fixtures
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def shared_server() -> Iterator[FakeArxiv]:
    with FakeArxiv() as fake:
        yield fake
    assert fake.errors == []


@pytest.fixture
def server(shared_server: FakeArxiv) -> Iterator[FakeArxiv]:
    """The module's server with an empty request log and fault queue."""
    shared_server.reset()
    shared_server.latency = 0.0
    yield shared_server
    assert shared_server.pending_faults == [], "a test left unconsumed faults"


def make_client(server: FakeArxiv, **kwargs: int | float) -> arxiv.Client:
    client = arxiv.Client(**{"delay_seconds": 0, "num_retries": 0, **kwargs})
    client.query_url_format = server.url + "?{}"
    return client


@pytest.fixture
def client(server: FakeArxiv) -> Iterator[arxiv.Client]:
    c = make_client(server)
    yield c
    c._session.close()  # the package never closes its Session (ResourceWarning)


def query(server: FakeArxiv, ids: list[str], **params: str | int) -> requests.Response:
    """GET exactly what arxiv.Client sends for an id_list search."""
    args: dict[str, str | int] = {
        "search_query": "",
        "id_list": ",".join(ids),
        "sortBy": "relevance",
        "sortOrder": "descending",
        "start": 0,
        "max_results": 100,
    }
    args.update(params)
    return requests.get(server.url, params=args, timeout=TIMEOUT)


def feed(response: requests.Response) -> etree._Element:
    return etree.fromstring(response.content)


def entry_ids(response: requests.Response) -> list[str]:
    """Versioned short ids of the entries, in response order."""
    return [e.split("/abs/")[1] for e in feed(response).xpath("atom:entry/atom:id/text()", namespaces=NS)]


def total_results(response: requests.Response) -> int:
    return int(feed(response).findtext("opensearch:totalResults", namespaces=NS))


def fixture_entry(name: str) -> etree._Element:
    return etree.parse(str(FIXTURES_DIR / name)).getroot().find("atom:entry", NS)


# --------------------------------------------------------------------------- #
# index and answers
# --------------------------------------------------------------------------- #


def test_index_holds_every_recorded_entry_once() -> None:
    fake = FakeArxiv()  # indexing needs no socket
    ids = fake.known_ids
    # 100 (q_testing) + 10 (legacy del_maestro) + 7 single-id files + 1 legacy id
    # file - 1707.08567v1, recorded twice (alone and in the mixed list).
    assert len(ids) == len(set(ids)) == 116
    assert {
        "1707.08567v1",
        "astro-ph/0601001v1",
        "cs/0503050v1",
        "quant-ph/0201082v1",
        "1111.2011v2",
        "cond-mat/0412498v1",
        "2104.12255v1",
    } <= set(ids)
    assert all(is_valid_arxiv_id(i) and "v" in i for i in ids)
    assert not any("abc" in i or "errors" in i for i in ids)
    # Synthetic papers never shadow recorded ones.
    assert fake.add_synthetic(["1111.2011", "1707.08567v1"]) == ["1111.2011v2", "1707.08567v1"]
    assert fake.known_ids == ids


def test_mixed_id_list_returns_known_entries_and_drops_unknown(server: FakeArxiv) -> None:
    response = query(server, ["1707.08567", "0808.05394", "1605.08386", "0000.0000"])
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    assert sorted(entry_ids(response)) == ["1605.08386v1", "1707.08567v1"]
    assert total_results(response) == 2
    # The served entries are the recorded ones, unchanged.
    served = {e.findtext("atom:id", namespaces=NS): e for e in feed(response).iterfind("atom:entry", NS)}
    recorded = fixture_entry("id_1707.08567_s0_m100.xml")
    assert etree.tostring(served["http://arxiv.org/abs/1707.08567v1"], method="c14n") == etree.tostring(
        recorded, method="c14n"
    )


def test_unknown_only_gives_empty_feed_like_the_recording(server: FakeArxiv) -> None:
    response = query(server, ["0808.05394"])
    recorded = etree.parse(str(FIXTURES_DIR / "id_0808.05394_s0_m100.xml")).getroot()
    assert response.status_code == 200
    assert entry_ids(response) == []
    for tag in ("totalResults", "itemsPerPage", "startIndex"):
        assert feed(response).findtext(f"opensearch:{tag}", namespaces=NS) == recorded.findtext(
            f"opensearch:{tag}", namespaces=NS
        )


def test_arxiv_client_matches_results_by_id(server: FakeArxiv, client: arxiv.Client) -> None:
    wanted = ["1707.08567", "0808.05394", "astro-ph/0601001", "cs/0503050v1", "quant-ph/0201082v1"]
    results = {r.get_short_id(): r for r in client.results(arxiv.Search(id_list=wanted))}
    assert set(results) == {"1707.08567v1", "astro-ph/0601001v1", "cs/0503050v1", "quant-ph/0201082v1"}
    old = results["astro-ph/0601001v1"]
    assert old.authors[0].name == "Andrew Gould"
    # arxiv 2.1 does not read affiliations; the feed carries them as arXiv's does.
    assert "<arxiv:affiliation" in (server.entry_xml("astro-ph/0601001") or "")
    assert old.journal_ref == "ActaAstron.56:1-50,2006"
    assert results["1707.08567v1"].pdf_url == "https://arxiv.org/pdf/1707.08567v1"
    # Exactly the request the package builds, recorded with its parsed id list.
    (request,) = server.requests
    assert request.id_list == wanted
    assert request.params["sortBy"] == "relevance" and request.status == 200


def test_bare_id_returns_highest_version_and_versions_are_exact(server: FakeArxiv) -> None:
    assert entry_ids(query(server, ["1111.2011"])) == ["1111.2011v2"]  # legacy recording
    assert entry_ids(query(server, ["1111.2011v2"])) == ["1111.2011v2"]
    assert entry_ids(query(server, ["1111.2011v1"])) == []  # version never recorded
    assert entry_ids(query(server, ["2409.05654"])) == ["2409.05654v9"]


def test_duplicates_are_answered_once(server: FakeArxiv) -> None:
    response = query(server, ["1707.08567", "1707.08567v1", "1707.08567"])
    assert entry_ids(response) == ["1707.08567v1"]
    assert total_results(response) == 1


@pytest.mark.parametrize("bad", ["abc", "1707.856", "astro-ph/06010", "arXiv:1707.08567"])
def test_malformed_id_fails_whole_request_with_error_feed(server: FakeArxiv, bad: str) -> None:
    response = query(server, ["1707.08567", bad, "xyz"])
    assert response.status_code == 400
    root = feed(response)
    (entry,) = root.iterfind("atom:entry", NS)
    assert entry.findtext("atom:title", namespaces=NS) == "Error"
    assert entry.findtext("atom:id", namespaces=NS) == f"https://arxiv.org/api/errors#incorrect_id_format_for_{bad}"
    assert entry.findtext("atom:summary", namespaces=NS) == f"incorrect id format for {bad}"
    assert server.requests[-1].status == 400


def test_abc_error_matches_recording(server: FakeArxiv, client: arxiv.Client) -> None:
    response = query(server, ["abc"])
    recorded = etree.parse(str(FIXTURES_DIR / "id_abc_s0_m100.xml")).getroot()
    served = feed(response)
    for el in (*served.iter("{*}updated"), *recorded.iter("{*}updated")):
        el.text = "T"  # timestamps are "now"
    assert etree.tostring(served, method="c14n") == etree.tostring(recorded, method="c14n")
    with pytest.raises(arxiv.HTTPError) as err:
        list(client.results(arxiv.Search(id_list=["abc"])))
    assert err.value.status == 400


def test_results_are_not_in_request_order(server: FakeArxiv) -> None:
    ids = ["1605.08386v1", "1707.08567v1", "2104.12255v1", "astro-ph/0601001v1", "cs/0503050v1"]
    for order in (ids, ids[::-1], ids[1:] + ids[:1]):
        got = entry_ids(query(server, order))
        assert sorted(got) == sorted(order)
        assert got != order
    two = entry_ids(query(server, ids[:2]))
    assert two == entry_ids(query(server, ids[:2])) != ids[:2]  # deterministic


def test_date_sorts_are_honoured(server: FakeArxiv) -> None:
    ids = ["1605.08386", "1707.08567", "2104.12255", "astro-ph/0601001"]
    got = entry_ids(query(server, ids, sortBy="submittedDate", sortOrder="ascending"))
    assert got == ["astro-ph/0601001v1", "1605.08386v1", "1707.08567v1", "2104.12255v1"]


def test_start_and_max_results_page_through(server: FakeArxiv) -> None:
    ids = ["1605.08386", "1707.08567", "2104.12255", "astro-ph/0601001", "cs/0503050"]
    pages = [query(server, ids, start=s, max_results=2) for s in (0, 2, 4)]
    assert [len(entry_ids(p)) for p in pages] == [2, 2, 1]
    assert {i for p in pages for i in entry_ids(p)} == {f"{i}v1" for i in ids}
    assert {total_results(p) for p in pages} == {5}
    assert feed(pages[1]).findtext("opensearch:startIndex", namespaces=NS) == "2"
    assert feed(pages[1]).findtext("opensearch:itemsPerPage", namespaces=NS) == "2"
    # The package's paging loop gets everything across three requests.
    paged = make_client(server, page_size=2)
    try:
        got = [r.get_short_id() for r in paged.results(arxiv.Search(id_list=ids))]
    finally:
        paged._session.close()
    assert sorted(got) == sorted(f"{i}v1" for i in ids)
    assert [r.params["start"] for r in server.requests[-3:]] == ["0", "2", "4"]


def test_simple_search_subset(server: FakeArxiv) -> None:
    search: dict[str, str | int] = {"search_query": "au:del_maestro", "max_results": 50}
    response = requests.get(server.url, params=search, timeout=TIMEOUT)
    assert response.status_code == 200
    assert "1111.2011v2" in entry_ids(response) and total_results(response) >= 10
    unsupported = requests.get(server.url, params={"search_query": "(ti:a OR ti:b)"}, timeout=TIMEOUT)
    assert unsupported.status_code == 400


def test_unknown_path_is_404(server: FakeArxiv) -> None:
    response = requests.get(server.url.replace("/api/query", "/api/other"), timeout=TIMEOUT)
    assert response.status_code == 404


# --------------------------------------------------------------------------- #
# request log, latency, faults
# --------------------------------------------------------------------------- #


def test_request_log_is_complete_under_concurrency(server: FakeArxiv) -> None:
    def worker(n: int) -> None:
        query(server, ["1707.08567", f"2501.{n:05d}"])

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log = server.requests
    assert len(log) == 16 and all(r.status == 200 for r in log)
    assert sorted(r.id_list[1] for r in log) == [f"2501.{n:05d}" for n in range(16)]
    assert all(a.received_at <= b.received_at for a, b in itertools.pairwise(log))
    server.reset()
    assert server.requests == []


def test_faults_are_consumed_in_order(server: FakeArxiv) -> None:
    server.fail(status=503, times=2)
    server.fail(status=429, retry_after=1)
    server.fail(empty=True)
    server.fail(body=b"<not xml")
    responses = [query(server, ["1707.08567"]) for _ in range(6)]
    assert [r.status_code for r in responses] == [503, 503, 429, 200, 200, 200]
    assert responses[2].headers["Retry-After"] == "1"
    assert total_results(responses[3]) == 0 and entry_ids(responses[3]) == []
    assert responses[4].content == b"<not xml"
    assert entry_ids(responses[5]) == ["1707.08567v1"]  # queue exhausted: normal again
    assert [r.status for r in server.requests] == [503, 503, 429, 200, 200, 200]
    assert [r.fault is None for r in server.requests] == [False] * 5 + [True]


def test_arxiv_client_retries_through_503s(server: FakeArxiv) -> None:
    server.fail(status=503, times=2)
    retrying = make_client(server, num_retries=2)
    try:
        got = [r.get_short_id() for r in retrying.results(arxiv.Search(id_list=["1707.08567"]))]
    finally:
        retrying._session.close()
    assert got == ["1707.08567v1"]
    assert [r.status for r in server.requests] == [503, 503, 200]


def test_ok_slots_and_reset_clear_faults(server: FakeArxiv) -> None:
    server.ok()
    server.fail(status=500)
    assert [query(server, ["1707.08567"]).status_code for _ in range(3)] == [200, 500, 200]
    server.fail(status=500, times=3)
    server.reset()
    assert server.pending_faults == [] and server.requests == []
    assert query(server, ["1707.08567"]).status_code == 200
    with pytest.raises(ValueError):
        server.fail()
    with pytest.raises(ValueError):
        server.fail(close=True, status=503)


def test_close_and_truncate_faults_break_the_response(server: FakeArxiv) -> None:
    server.fail(close=True)
    with pytest.raises(requests.ConnectionError):
        query(server, ["1707.08567"])
    server.fail(truncate=True)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        query(server, ["1707.08567"])
    server.fail(truncate="cut")
    cut = query(server, ["1707.08567"])
    assert cut.status_code == 200
    assert int(cut.headers["Content-Length"]) == len(cut.content)
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(cut.content)
    assert [r.status for r in server.requests] == [None, 200, 200]
    assert query(server, ["1707.08567"]).status_code == 200  # server still healthy


def test_hang_delays_then_answers_or_drops(server: FakeArxiv) -> None:
    server.fail(hang=0.3)
    began = time.monotonic()
    assert entry_ids(query(server, ["1707.08567"])) == ["1707.08567v1"]
    assert time.monotonic() - began >= 0.3
    server.fail(hang=0.1, close=True)
    with pytest.raises(requests.ConnectionError):
        query(server, ["1707.08567"])
    server.fail(hang=5.0)
    with pytest.raises(requests.Timeout):
        requests.get(server.url, params={"id_list": "1707.08567"}, timeout=0.2)


def test_latency_applies_to_every_request(server: FakeArxiv) -> None:
    server.latency = 0.15
    began = time.monotonic()
    query(server, ["1707.08567"])
    query(server, ["1605.08386"])
    assert time.monotonic() - began >= 0.3


# --------------------------------------------------------------------------- #
# lifecycle and synthetic papers
# --------------------------------------------------------------------------- #


def test_stop_is_quick_even_with_a_hanging_request() -> None:
    fake = FakeArxiv().start()
    fake.fail(hang=30.0)
    outcome: list[BaseException | int] = []

    def call() -> None:
        try:
            outcome.append(query(fake, ["1707.08567"]).status_code)
        except requests.RequestException as exc:
            outcome.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    while not fake.requests:
        time.sleep(0.01)
    began = time.monotonic()
    fake.stop()
    caller.join(TIMEOUT)
    assert time.monotonic() - began < 1.0
    assert len(outcome) == 1 and isinstance(outcome[0], requests.ConnectionError)
    assert not fake.running and fake.errors == []
    fake.stop()  # idempotent


def test_synthetic_papers_parse_like_real_ones() -> None:
    with FakeArxiv(load_fixtures=False) as fake:
        assert fake.known_ids == []
        added = fake.add_synthetic(["2501.00001", "2501.00002v3", "hep-th/9901001"])
        assert added == ["2501.00001v1", "2501.00002v3", "hep-th/9901001v1"]
        assert fake.add_synthetic(["2501.00001"]) == ["2501.00001v1"]  # idempotent
        with pytest.raises(ValueError):
            fake.add_synthetic(["2501.1"])
        c = make_client(fake)
        try:
            results = {
                r.get_short_id(): r
                for r in c.results(arxiv.Search(id_list=["2501.00001", "2501.00002", "hep-th/9901001", "2501.09999"]))
            }
        finally:
            c._session.close()
    assert set(results) == set(added)
    new = results["2501.00001v1"]
    assert new.title and new.authors and new.categories
    assert new.summary.count(".") >= 3
    assert (new.published.year, new.published.month) == (2025, 1)
    assert new.pdf_url == "https://arxiv.org/pdf/2501.00001v1"
    assert new.primary_category in new.categories
    assert results["2501.00002v3"].updated > results["2501.00002v3"].published
    assert results["hep-th/9901001v1"].primary_category == "hep-th"
    assert results["hep-th/9901001v1"].published.year == 1999


def test_fake_reads_only_repo_fixtures() -> None:
    tests_dir = Path(__file__).resolve().parent
    assert tests_dir / "fixtures" / "arxiv-api" == FIXTURES_DIR
