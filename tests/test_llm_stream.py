"""Answers read as they stream in: reading stops when the JSON object is
complete or the answer runs away, and a runaway is not asked for again the
same way. Against the fake server on 127.0.0.1, which streams as llama.cpp's
server does."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import pytest
from test_llm import PAPERS, entry, use_model

from conftest import Site
from fake_openai import FakeOpenAI, default_content
from mkdocs_arxiv_digest.summarize.watch import AnswerWatch


def test_a_looping_answer_is_stopped_early_and_asked_again_with_a_fresh_chance(site: Site, model: FakeOpenAI) -> None:
    site.page("index.md", PAPERS[:2])
    use_model(site, model, concurrency=1, stream=True)
    model.ok()  # the first paper's answer is complete: its length is what a retry is given
    # The second loops inside its TL;DR until max_tokens: 1,536 tokens, 15 s at this pace.
    model.fail(loop="the the model ", pace=0.01)
    started = time.monotonic()
    result = site.build(strict=True)
    took = time.monotonic() - started
    assert result.error is None, result.warnings

    first, looped, retry = model.requests
    assert looped.json["max_tokens"] == 1536 and looped.hung_up
    assert looped.events < 150, "stopped a few tokens into the loop, not at max_tokens"
    assert took < 5
    # Not the same request again: another seed, warmer, and the room a complete answer took, not twice it.
    assert "seed" not in first.json and "seed" not in looped.json
    assert retry.json["seed"] != looped.json.get("seed")
    assert retry.json["temperature"] > looped.json["temperature"]
    tokens = math.ceil(len(default_content(first.json)) / 4)
    assert retry.json["max_tokens"] == max(256, math.ceil(1.5 * tokens)) < 1536
    assert all(f"TLDR of {paper}" in entry(site.content(), paper) for paper in PAPERS[:2])


def test_the_longest_complete_answer_is_remembered_for_the_next_build(site: Site, model: FakeOpenAI) -> None:
    site.page("index.md", PAPERS[:1])
    use_model(site, model, concurrency=1, stream=False)  # answers read whole are watched too
    assert site.build(strict=True).error is None
    tokens = math.ceil(len(default_content(model.requests[0].json)) / 4)

    site.page("index.md", PAPERS[:2])
    model.fail(loop="over and over ")
    assert site.build(strict=True).error is None
    assert [r.json["max_tokens"] for r in model.requests[1:]] == [1536, max(256, math.ceil(1.5 * tokens))]


def test_a_loop_with_nothing_known_is_asked_again_with_the_same_room(site: Site, model: FakeOpenAI) -> None:
    site.page("index.md", PAPERS[:1])
    use_model(site, model, concurrency=1)
    model.fail(loop="again and ", times=3)
    result = site.build()
    assert [r.json["max_tokens"] for r in model.requests] == [1536, 1536, 1536]
    assert [r.json.get("seed") for r in model.requests] == [None, 1, 2]
    warned = [w for w in result.warnings if "Summaries from" in w]
    assert len(warned) == 1 and "the answer ran away after " in warned[0], warned


def test_a_complete_json_object_ends_reading_even_if_the_server_goes_on(site: Site, model: FakeOpenAI) -> None:
    # A model without a grammar that goes on after its object: 30 s of remarks at this pace.
    def chatty(request: dict[str, Any]) -> str:
        return default_content(request) + "\n\nI hope this summary helps. Let me know if" + " more." * 1000

    model.responder = chatty
    site.page("index.md", PAPERS[:2])
    use_model(site, model, concurrency=1, stream=True)
    model.fail(pace=0.005, times=2)
    started = time.monotonic()
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    assert time.monotonic() - started < 5
    assert model.calls == 2, "each answer used as it was"
    for request in model.requests:
        answer = len(default_content(request.json)) // 4 + 1
        assert request.hung_up and request.events < answer + 10
    assert all(f"TLDR of {paper}" in entry(site.content(), paper) for paper in PAPERS[:2])


def test_a_stream_that_trickles_ends_at_the_deadline(site: Site, model: FakeOpenAI) -> None:
    pytest.importorskip("openai")  # imported now: the second it takes is not the model's
    # The headers at once, then a token every 0.5 s: every read succeeds, the answer takes a minute.
    model.fail(pace=0.5, times=8)
    site.page("index.md", PAPERS[:2])
    use_model(site, model, timeout=1, retries=1, stream=True)
    started = time.monotonic()
    result = site.build()
    took = time.monotonic() - started
    # Each try ends within `timeout`, and is tried again once (`retries`), 0.5 s later, as the SDK does.
    assert took < 4 * 1 + 2 * 0.5 + 1.5, f"the build took {took:.1f} s"
    assert len(model.requests) == 4 and all(r.events <= 3 for r in model.requests)
    warned = [w for w in result.warnings if "Summaries from" in w]
    assert len(warned) == 1 and "failed for 2 paper(s): Request timed out" in warned[0], result.warnings


def test_a_refused_format_costs_one_request_with_the_default_retries(site: Site, model: FakeOpenAI) -> None:
    """llama-cpp-python refuses `json_schema` with a 500, which the SDK would try four times."""
    model.json_schema, model.refusal = False, 500
    site.page("index.md", PAPERS[:1])
    use_model(site, model, retries=3)
    assert site.build(strict=True).error is None
    assert [(r.response_format["type"], r.status) for r in model.requests] == [
        ("json_schema", 500),
        ("json_object", 200),
    ]


def test_a_probe_that_fails_otherwise_still_gets_its_retries(site: Site, model: FakeOpenAI) -> None:
    site.page("index.md", PAPERS[:1])
    use_model(site, model, retries=2)
    model.fail(status=503, times=2)
    assert site.build(strict=True).error is None
    assert [r.status for r in model.requests] == [503, 503, 200]


@pytest.mark.parametrize(
    ("answer", "complete"),
    [
        ('{"tldr": "Braces } and { and quotes \\" in a string", "k": [1, {"a": "]"}]} and then prose', True),
        ('Here it is:\n```json\n{"tldr": "x \\\\"}\n```', True),
        ('{"tldr": "We propose $\\alpha$-nets.", "takeaways": ["a", "b"', False),
    ],
)
def test_the_watch_sees_where_the_object_ends(answer: str, complete: bool) -> None:
    watch = AnswerWatch()
    stopped = any(watch.feed(answer[i : i + 3]) for i in range(0, len(answer), 3))
    assert stopped is complete and watch.complete is complete and not watch.runaway
    if complete:
        assert json.loads(watch.text[watch.text.index("{") : (watch.end or 0) + 1])


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ('{"tldr": "' + "and so on, " * 30, "it repeated"),
        ('{"tldr": "x", "abstract": "' + "\n" * 300, "it repeated"),
        ('{"tldr": "' + " ".join(str(n) for n in range(1500)), "'tldr' ran past 4,000 characters"),
        ('{"keywords": [' + ", ".join(f'"k{n}"' for n in range(25)), "'keywords' ran past 20 items"),
    ],
)
def test_the_watch_stops_a_runaway(answer: str, why: str) -> None:
    watch = AnswerWatch()
    assert any(watch.feed(answer[i : i + 4]) for i in range(0, len(answer), 4))
    assert why in watch.runaway and len(watch.text) < len(answer)


def test_a_real_answer_is_no_runaway() -> None:
    """A Chinese summary of a long abstract, with TeX and lists, as a model writes it."""
    abstract = "".join(f"第{n}句：我们提出一种新的方法。" for n in range(150))
    answer = json.dumps(
        {
            "id": "2403.10045v2",
            "title": "迈向鲁棒蒸馏",
            "tldr": "提出 $\\alpha$-蒸馏。",
            "tldr_en": "Proposes alpha-distillation.",
            "abstract": abstract,
            "takeaways": ["第一点。", "第二点。", "第三点。"],
            "structured": {"background": "", "prior_work": "", "method": "方法。", "results": "", "conclusion": ""},
            "keywords": ["蒸馏", "鲁棒性", "知识"],
        },
        ensure_ascii=False,
        indent=2,
    )
    watch = AnswerWatch(len(abstract))
    assert any(watch.feed(answer[i : i + 2]) for i in range(0, len(answer), 2))
    assert watch.complete and not watch.runaway
