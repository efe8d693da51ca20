"""Checks that the fake OpenAI API (tests/fake_openai.py) works with the real ``openai`` SDK."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import openai
import pytest

# tests/ has no __init__.py: pytest puts it on sys.path.
from fake_openai import FakeOpenAI, default_summary

TIMEOUT = 5  # seconds; every call in these tests must be fast
SCHEMA = {"type": "json_schema", "json_schema": {"name": "summary", "schema": {"type": "object"}}}


def messages(pid: str, title: str, lang: str = "en") -> list[dict[str, str]]:
    prompt = f"Summarise this paper.\narXiv ID: {pid}\nTitle: {title}\nAuthors: A. B\nLanguage: {lang}\nAbstract: ..."
    return [{"role": "system", "content": "Answer with JSON."}, {"role": "user", "content": prompt}]


def ask(client: openai.OpenAI, pid: str = "2401.00001", title: str = "A Paper", lang: str = "en", **kwargs: Any) -> Any:
    return client.chat.completions.create(model="gpt-test", messages=messages(pid, title, lang), **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def shared_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake
    assert fake.errors == []


@pytest.fixture
def server(shared_server: FakeOpenAI) -> Iterator[FakeOpenAI]:
    shared_server.reset()
    yield shared_server
    shared_server.reset()


@pytest.fixture
def client(server: FakeOpenAI) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.url, api_key="test-key", max_retries=0, timeout=TIMEOUT) as c:
        yield c


def test_default_answer_names_the_paper(server: FakeOpenAI, client: openai.OpenAI) -> None:
    reply = ask(client, "2401.00001v2", "Sparse Transformers", "zh", response_format=SCHEMA)
    assert reply.object == "chat.completion"
    assert reply.model == "gpt-test"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None and reply.usage.total_tokens > 0
    summary = json.loads(reply.choices[0].message.content or "")
    assert summary["title"] == "[zh] Sparse Transformers"
    assert summary["tldr"] == "TLDR of 2401.00001v2: Sparse Transformers"
    assert summary["tldr_en"] == "TLDR of 2401.00001v2"
    assert summary["abstract"] == "[zh] abstract of 2401.00001v2"
    assert len(summary["takeaways"]) == 3 and all("2401.00001v2" in t for t in summary["takeaways"])
    assert set(summary["structured"]) == {"background", "prior_work", "method", "results", "conclusion"}
    assert all("2401.00001v2" in v for v in summary["structured"].values())
    assert summary["keywords"]
    (record,) = server.requests
    assert (record.method, record.path, record.status) == ("POST", "/v1/chat/completions", 200)
    assert record.response_format == SCHEMA
    assert record.authorization == "Bearer test-key"
    assert record.paper_id == "2401.00001v2"
    assert server.calls == 1


def test_models_lists_one_model(server: FakeOpenAI, client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list().data] == ["fake-model"]
    assert server.calls == 0 and server.requests[0].path == "/v1/models"


@pytest.mark.xdist_group("timing")  # its bound on time needs the machine to itself
def test_concurrent_requests_overlap(server: FakeOpenAI, client: openai.OpenAI) -> None:
    server.latency = 0.3
    ids = [f"2402.0000{i}" for i in range(4)]
    start = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda pid: ask(client, pid, f"Title {pid}"), ids))
    assert time.monotonic() - start < 1.0  # 4 x 0.3 s one after the other would take 1.2 s
    assert server.max_in_flight > 1
    for pid, reply in zip(ids, replies, strict=True):
        assert json.loads(reply.choices[0].message.content)["tldr"] == f"TLDR of {pid}: Title {pid}"


def test_unsupported_response_formats_are_bad_requests(server: FakeOpenAI, client: openai.OpenAI) -> None:
    server.json_schema = False
    with pytest.raises(openai.BadRequestError) as err:
        ask(client, response_format=SCHEMA)
    assert err.value.status_code == 400
    assert isinstance(err.value.body, dict) and err.value.body["param"] == "response_format"
    assert ask(client, response_format={"type": "json_object"}).choices[0].message.content
    server.json_object = False
    with pytest.raises(openai.BadRequestError):
        ask(client, response_format={"type": "json_object"})
    assert ask(client).choices[0].message.content  # no response_format at all is fine
    assert [r.status for r in server.requests] == [400, 200, 400, 200]
    assert [r.response_format for r in server.requests] == [
        SCHEMA,
        {"type": "json_object"},
        {"type": "json_object"},
        None,
    ]


def test_retry_after_is_honoured(server: FakeOpenAI) -> None:
    server.fail(status=429, retry_after=1)
    with openai.OpenAI(base_url=server.url, api_key="test-key", max_retries=1, timeout=TIMEOUT) as client:
        reply = ask(client)
    assert json.loads(reply.choices[0].message.content)["tldr_en"] == "TLDR of 2401.00001"
    first, second = server.requests
    assert (first.status, second.status) == (429, 200)
    assert [r.headers.get("x-stainless-retry-count") for r in (first, second)] == ["0", "1"]
    # The SDK's own first backoff is at most 0.5 s: waiting ~1 s means it obeyed Retry-After.
    assert 0.95 <= second.received_at - first.received_at < 2.0


def test_faults_are_consumed_in_order(server: FakeOpenAI, client: openai.OpenAI) -> None:
    fenced = "```json\n" + json.dumps({"tldr": "fenced"}) + "\n```"
    server.fail(status=500, times=2)
    server.fail(content="not json at all")
    server.fail(content=fenced)
    server.fail(cut=True)
    server.fail(body=b"garbage")
    server.fail(close=True)
    server.ok()
    assert len(server.pending_faults) == 8

    for _ in range(2):
        with pytest.raises(openai.InternalServerError):
            ask(client)
    assert ask(client).choices[0].message.content == "not json at all"
    assert ask(client).choices[0].message.content == fenced
    cut = ask(client, "2403.00003", "Cut Short").choices[0]
    full = json.dumps(default_summary({"messages": messages("2403.00003", "Cut Short")}), ensure_ascii=False)
    assert cut.finish_reason == "length" and cut.message.content == full[: len(full) // 2]
    with pytest.raises(json.JSONDecodeError):  # the SDK does not wrap a garbled JSON body
        ask(client)
    with pytest.raises(openai.APIConnectionError):
        ask(client)
    assert json.loads(ask(client).choices[0].message.content)["tldr_en"] == "TLDR of 2401.00001"
    assert [r.status for r in server.requests] == [500, 500, 200, 200, 200, 200, None, 200]
    assert server.pending_faults == [] and server.calls == 8
    assert ask(client).choices[0].finish_reason == "stop"  # queue empty: normal again


def test_responder_can_be_replaced(server: FakeOpenAI, client: openai.OpenAI) -> None:
    server.responder = lambda body: "custom " + body["model"]
    assert ask(client).choices[0].message.content == "custom gpt-test"
    server.responder = lambda body: {"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": []}
    assert ask(client).choices == []
    server.reset()
    assert server.responder is None and server.requests == []


def test_require_key(server: FakeOpenAI, client: openai.OpenAI) -> None:
    server.require_key = "secret"
    with pytest.raises(openai.AuthenticationError) as err:
        ask(client)
    assert isinstance(err.value.body, dict) and err.value.body["code"] == "invalid_api_key"
    with openai.OpenAI(base_url=server.url, api_key="secret", max_retries=0, timeout=TIMEOUT) as good:
        assert ask(good).choices[0].message.content
    assert [(r.authorization, r.status) for r in server.requests] == [("Bearer test-key", 401), ("Bearer secret", 200)]


def test_stop_cuts_a_hang_short() -> None:
    outcome: list[BaseException] = []
    with (
        FakeOpenAI() as fake,
        openai.OpenAI(base_url=fake.url, api_key="k", max_retries=0, timeout=TIMEOUT) as client,
    ):
        fake.fail(hang=5)

        def call() -> None:
            try:
                ask(client)
            except openai.APIConnectionError as exc:
                outcome.append(exc)

        thread = threading.Thread(target=call)
        thread.start()
        deadline = time.monotonic() + TIMEOUT
        while fake.calls == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        start = time.monotonic()
        fake.stop()
        assert time.monotonic() - start < 1.0
        thread.join(TIMEOUT)
    assert len(outcome) == 1 and fake.requests[0].status is None
