"""The API key never reaches the site, the cache or the log: not when a
server echoes it in an error or an answer, nor when the environment gives it
with a trailing newline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import ORDINARY_RECORD, Site
from fake_openai import FakeOpenAI

PLAIN_ID = ORDINARY_RECORD["id"]
KEY = "sk-test-hostile-3f9c2a7e1b5d"


@pytest.fixture
def keyed_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Site, FakeOpenAI]]:
    monkeypatch.setenv("ARXIV_DIGEST_HOSTILE_KEY", KEY)
    with FakeOpenAI() as server:
        site = Site(tmp_path, "http://127.0.0.1:9/never")
        (tmp_path / "snap.jsonl").write_text(json.dumps(ORDINARY_RECORD) + "\n")
        site.page("index.md", [PLAIN_ID])
        site.configure(
            offline=True,
            snapshot="snap.jsonl",
            summarizer="openai",
            llm={"base_url": server.url, "api_key_env": "ARXIV_DIGEST_HOSTILE_KEY", "timeout": 5, "retries": 1},
        )
        yield site, server


def assert_key_nowhere(site: Site, logs: list[Any]) -> None:
    log = "\n".join(record.getMessage() + repr(record.args) for record in logs)
    assert KEY not in log
    for folder in (site.root / "site", site.root / ".cache"):
        for path in folder.rglob("*"):
            if path.is_file():
                assert KEY.encode() not in path.read_bytes(), path


def echo(status: int) -> bytes:
    message = f"Incorrect API key provided: {KEY}. You sent the header Authorization: Bearer {KEY}"
    return json.dumps({"error": {"message": message, "type": "invalid_request_error", "code": str(status)}}).encode()


@pytest.mark.parametrize("status", [401, 400, 500])
def test_a_key_echoed_in_an_error_never_reaches_the_site_the_cache_or_the_log(
    keyed_site: tuple[Site, FakeOpenAI], status: int
) -> None:
    site, server = keyed_site
    server.fail(status=status, body=echo(status), times=10)
    result = site.build()
    assert server.requests[0].authorization == f"Bearer {KEY}", "the key was sent"
    warned = [w for w in result.warnings if "Summaries from" in w]
    assert warned and f"HTTP {status}" in warned[0], result.warnings
    assert_key_nowhere(site, result.logs)


def test_a_key_echoed_in_an_answer_never_reaches_the_site_or_the_cache(keyed_site: tuple[Site, FakeOpenAI]) -> None:
    site, server = keyed_site
    answer = {"id": PLAIN_ID, "title": "An ordinary paper", "tldr": f"Your request carried Bearer {KEY}."}
    server.fail(content=json.dumps(answer))
    result = site.build()
    assert result.error is None
    assert_key_nowhere(site, result.logs)


def test_a_key_with_a_trailing_newline_works_or_is_named(
    keyed_site: tuple[Site, FakeOpenAI], monkeypatch: pytest.MonkeyPatch
) -> None:
    site, server = keyed_site
    monkeypatch.setenv("ARXIV_DIGEST_HOSTILE_KEY", KEY + "\r\n")
    result = site.build()
    said = "\n".join(result.messages())
    assert server.calls == 1 or "api_key_env" in said, said
    assert_key_nowhere(site, result.logs)
