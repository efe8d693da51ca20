"""Sites summarized by a model behind a fake OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import html
import json
import re
import socket
import sys
import time
from pathlib import Path

import pytest

from conftest import KEY, Site
from fake_arxiv import FakeArxiv
from fake_openai import FakeOpenAI, default_content
from mkdocs_arxiv_digest.summarize.llm import _wait_before_retry
from mkdocs_arxiv_digest.summarize.ramp import Ramp

PAPERS = [
    "0804.0970", "0807.2873", "1005.5383", "1009.3186", "1106.3680", "1201.4869", "1202.4527", "1205.1866",
    "1303.6954", "1306.4664", "1309.0683", "1312.6177", "1408.2674", "1412.6529", "1509.08401", "1601.06222",
]  # fmt: skip


TIMED = pytest.mark.xdist_group("timing")
"""Timed against real clocks: run by one xdist worker, one test at a time (the README's `--dist loadgroup`)."""


def use_model(site: Site, server: FakeOpenAI, **llm: object) -> None:
    options = dict(site.options)
    options["summarizer"] = "openai"
    options["llm"] = {
        "base_url": server.url,
        "model": "fake-model",
        "api_key_env": "ARXIV_DIGEST_TEST_KEY",
        "timeout": 5,
        "retries": 2,
        **llm,
    }
    site.options = options


def entry(content: str, arxiv_id: str) -> str:
    """The HTML of one paper's entry in the Details section."""
    anchor = "arxiv-" + re.sub(r"[^0-9A-Za-z-]", "-", arxiv_id)
    start = content.index(f'id="{anchor}"')
    following = content.find('id="arxiv-', start + 10)
    return content[start : following if following > 0 else len(content)]


@TIMED
def test_papers_are_summarized_concurrently_each_on_its_own_paper(site: Site, model: FakeOpenAI) -> None:
    # A second's answer: two at once must write 1.4 times as fast as one for the ramp to
    # go on, and at half a second a loaded machine's delays once kept it at two.
    model.latency = 1.0
    site.page("index.md", PAPERS)
    use_model(site, model, concurrency=8)
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    assert model.calls == 16
    assert model.max_in_flight == 8
    content = site.content()
    for arxiv_id in PAPERS:
        assert f"TLDR of {arxiv_id}" in entry(content, arxiv_id)
    # Each TL;DR in the table sits in its paper's row.
    rows = re.findall(r'<tr>\s*<td><a href="#arxiv-([0-9-]+)"[^>]*>.*?</tr>', content, re.S)
    assert len(rows) == 16
    for row in re.findall(r"<tr>.*?</tr>", content, re.S)[1:]:
        anchor = re.search(r'href="#arxiv-([0-9]{4})-([0-9]{4,5})"', row)
        assert anchor and f"TLDR of {anchor.group(1)}.{anchor.group(2)}" in row
    assert "written by a language model (fake-model)" in content
    log = "\n".join(result.messages(20))
    assert "Writing up to 16 summaries with fake-model, up to 8 at a time" in log
    assert "Summaries: 16 written, 0 failed, 16 of 16 done" in log

    again = site.build(strict=True)
    assert again.error is None
    assert model.calls == 16, "a warm rebuild makes no model call"
    assert "summaries: 16 cached, 0 new" in "\n".join(again.messages(20))


def test_summaries_start_before_the_last_batch_is_fetched(site: Site, model: FakeOpenAI, arxiv_api: FakeArxiv) -> None:
    site.page("index.md", PAPERS[:4])
    # The pause before the second batch leaves the summaries' threads time to start on
    # a machine loaded with other tests (0.6 s was missed once with four at once).
    site.configure(batch_size=2, delay_seconds=1.5)
    use_model(site, model, concurrency=4)
    assert site.build(strict=True).error is None
    last_batch = arxiv_api.requests[-1].received_at
    first_summary = min(request.received_at for request in model.requests)
    assert first_summary < last_batch


def test_chinese_pages_show_translations_in_the_seed_layout(site: Site, model: FakeOpenAI) -> None:
    site.page("index.md", PAPERS[:2])
    site.configure(language="zh")
    use_model(site, model)
    assert site.build(strict=True).error is None
    content = site.content()
    assert ">摘要</h2>" in content and ">详细</h2>" in content
    one = html.unescape(entry(content, PAPERS[0]))
    assert "[zh] " in one.split("</h3>")[0]  # the translated title heads the entry
    assert f"[zh] abstract of {PAPERS[0]}" in one and "原文摘要" in one
    assert "本页的摘要由语言模型（fake-model）生成" in content


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 429, "retry_after": 1},
        {"status": 500},
        {"status": 503, "times": 2},
        {"content": "```json\n" + '{"tldr": "Fenced answer.", "takeaways": ["x"]}' + "\n```"},
        {"content": 'Sure! Here it is: {"tldr": "In prose."} Hope this helps.'},
        {"cut": True},
        {"body": b"<html>bad gateway</html>"},
        {"content": "I cannot help with that."},
    ],
)
def test_faults_end_with_a_summary_and_no_warning(site: Site, model: FakeOpenAI, fault: dict[str, object]) -> None:
    site.page("index.md", PAPERS[:1])
    use_model(site, model, concurrency=1)
    model.fail(**fault)  # type: ignore[arg-type]
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    one = entry(site.content(), PAPERS[0])
    assert "Fenced answer." in one or "In prose." in one or f"TLDR of {PAPERS[0]}" in one


def test_an_answer_about_another_paper_is_asked_again(site: Site, model: FakeOpenAI) -> None:
    site.page("index.md", PAPERS[:1])
    use_model(site, model, concurrency=1)
    model.fail(content=json.dumps({"id": PAPERS[5], "tldr": "Mixed up."}))
    assert site.build(strict=True).error is None
    one = entry(site.content(), PAPERS[0])
    assert "Mixed up." not in one and f"TLDR of {PAPERS[0]}" in one
    assert model.calls == 2


def test_a_cut_off_answer_is_asked_again_with_more_room(site: Site, model: FakeOpenAI) -> None:
    site.page("index.md", PAPERS[:1])
    use_model(site, model, max_tokens=1000)
    model.fail(cut=True)
    assert site.build(strict=True).error is None
    assert [r.json["max_tokens"] for r in model.requests] == [1000, 2000]


def test_an_answer_cut_off_in_a_loop_is_asked_again_in_the_same_room_with_a_fresh_chance(
    site: Site, model: FakeOpenAI
) -> None:
    """A small model looping inside a JSON string (SmolLM2-135M on
    llama-cpp-python) loops twice as long in twice the room; another seed
    and a warmer temperature may not loop at all."""
    site.page("index.md", PAPERS[:1])
    use_model(site, model, max_tokens=1000, temperature=0.2)
    loop = '{"id": "' + PAPERS[0] + '", "tldr": "We propose a method. ' + "The method is a method. " * 60
    model.fail(content=loop, finish_reason="length")
    assert site.build(strict=True).error is None
    assert f"TLDR of {PAPERS[0]}" in site.content()
    sent = [(r.json["max_tokens"], r.json["temperature"], r.json.get("seed")) for r in model.requests]
    assert sent == [(1000, 0.2, None), (1000, 0.5, 1)]


def test_unusable_answers_are_asked_again_with_fresh_seeds(site: Site, model: FakeOpenAI) -> None:
    site.page("index.md", PAPERS[:1])
    use_model(site, model, temperature=0.2)
    model.fail(content="not JSON, sorry", times=2)
    assert site.build(strict=True).error is None
    sent = [(r.json["max_tokens"], r.json["temperature"], r.json.get("seed")) for r in model.requests]
    assert sent == [(1536, 0.2, None), (1536, 0.5, 1), (1536, 0.8, 2)]


def test_cut_off_answers_never_get_more_than_the_cap(site: Site, model: FakeOpenAI) -> None:
    site.page("index.md", PAPERS[:1])
    use_model(site, model, max_tokens=3000)
    model.fail(cut=True, times=3)
    result = site.build()
    assert [r.json["max_tokens"] for r in model.requests] == [3000, 4096, 4096]
    assert any("cut off at 4096 tokens" in w for w in result.warnings)


def test_the_default_answer_length_fits_a_summary_not_a_runaway(site: Site, model: FakeOpenAI) -> None:
    site.page("index.md", PAPERS[:1])
    use_model(site, model)
    assert site.build(strict=True).error is None
    assert [r.json["max_tokens"] for r in model.requests] == [1536]


def test_unusable_answers_fall_back_warn_and_are_retried_next_build(site: Site, model: FakeOpenAI) -> None:
    site.page("index.md", PAPERS[:2])
    use_model(site, model, concurrency=1)
    model.fail(content="not JSON, sorry", times=3)
    result = site.build()
    warned = [w for w in result.warnings if "extractive" in w]
    assert len(warned) == 1
    assert f"fake-model at {model.url} failed for 1 paper(s): the answer holds no JSON object" in warned[0]
    failed_id = PAPERS[0] if PAPERS[0] in warned[0] else PAPERS[1]
    assert "Summaries: 1 written, 1 failed, 2 of 2 done" in "\n".join(result.messages(20))
    content = site.content()
    assert f"TLDR of {failed_id}" not in content
    assert entry(content, failed_id).count("<strong>TL;DR</strong>") == 1  # the extractive one
    calls = model.calls
    assert site.build(strict=True).error is None
    assert model.calls == calls + 1, "only the failed paper is sent again"
    assert f"TLDR of {failed_id}" in site.content()


def test_servers_without_json_schema_get_json_mode_or_plain_text(site: Site, model: FakeOpenAI) -> None:
    site.page("index.md", PAPERS[:3])
    use_model(site, model, concurrency=1)
    model.json_schema = False
    model.json_object = False
    assert site.build(strict=True).error is None
    formats = [(r.response_format or {}).get("type") for r in model.requests]
    assert formats[:4] == ["json_schema", "json_object", "json_object", None]
    assert "schema" in model.requests[1].response_format and "schema" not in model.requests[2].response_format
    assert formats[4:] == [None, None], "the step down is remembered"
    assert all(f"TLDR of {i}" in site.content() for i in PAPERS[:3])


def test_front_matter_overrides_win(site: Site, model: FakeOpenAI) -> None:
    site.page("index.md", [{"id": PAPERS[0], "tldr": "Written by a human.", "title": "人工标题"}, PAPERS[1]])
    site.configure(language="zh")
    use_model(site, model)
    assert site.build(strict=True).error is None
    one = entry(site.content(), PAPERS[0])
    assert "Written by a human." in one and "人工标题" in one and "TLDR of" not in one


@pytest.mark.parametrize("concurrency", [1, 8])
def test_max_summaries_caps_spending(site: Site, model: FakeOpenAI, concurrency: int) -> None:
    site.page("index.md", PAPERS[:5])
    use_model(site, model, max_summaries=2, concurrency=concurrency)
    result = site.build(strict=True)
    assert result.error is None
    assert model.calls == 2
    assert "3 left for a later build by 'llm.max_summaries'" in "\n".join(result.messages(20))
    site.build(strict=True)
    assert model.calls == 4


def test_the_key_never_reaches_the_site_the_cache_or_the_log(site: Site, model: FakeOpenAI) -> None:
    site.page("index.md", PAPERS[:2])
    use_model(site, model)
    model.fail(status=401, times=3)
    result = site.build()
    assert model.requests[0].authorization == f"Bearer {KEY}"
    assert site.build().error is None
    log = "\n".join(r.getMessage() + str(r.args) for r in result.logs)
    assert KEY not in log
    for folder in (site.root / "site", site.root / ".cache"):
        for path in folder.rglob("*"):
            if path.is_file():
                assert KEY.encode() not in path.read_bytes(), path


def test_a_missing_key_variable_stops_the_build_naming_the_option(
    site: Site, model: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.page("index.md", PAPERS[:1])
    use_model(site, model)
    monkeypatch.delenv("ARXIV_DIGEST_TEST_KEY")
    result = site.build()
    assert result.error is not None
    assert any("'llm.api_key_env'" in m and "ARXIV_DIGEST_TEST_KEY" in m for m in result.messages(40))
    use_model(site, model, api_key_env="")
    assert site.build(strict=True).error is None
    assert model.requests[-1].authorization == "Bearer no-key"


def test_without_the_openai_package_the_error_names_the_extra(
    site: Site, model: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)
    site.page("index.md", PAPERS[:1])
    use_model(site, model, retries=0)
    result = site.build()
    assert result.error is not None
    assert any("mkdocs-arxiv-digest[llm]" in m for m in result.messages(40))


def test_model_note_can_be_turned_off(site: Site, model: FakeOpenAI) -> None:
    site.page("index.md", PAPERS[:1])
    site.configure(model_note=False)
    use_model(site, model)
    assert site.build(strict=True).error is None
    assert "language model" not in html.unescape(site.content())


def test_cached_summaries_record_model_date_and_prompt(site: Site, model: FakeOpenAI) -> None:
    from mkdocs_arxiv_digest.cache import Cache

    site.page("index.md", PAPERS[:1])
    use_model(site, model)
    assert site.build().error is None
    cache = Cache(Path(site.root / ".cache/plugin/arxiv-digest"))
    try:
        stored = [cache.get_json(k) for k in cache._store.iterkeys() if str(k).startswith("summary:")]
    finally:
        cache.close()
    assert len(stored) == 1
    assert stored[0]["backend"] == "fake-model" and stored[0]["prompt_version"] >= 1 and stored[0]["created"]


def test_summaries_are_cached_under_the_model_the_server_and_the_temperature_only(
    site: Site, model: FakeOpenAI
) -> None:
    """The key users' caches hold: were it to change, every paper would be sent to the model again."""
    from mkdocs_arxiv_digest.cache import Cache
    from mkdocs_arxiv_digest.summarize.llm import PROMPT_VERSION

    site.page("index.md", PAPERS[:1])
    use_model(site, model, base_url=model.url + "/", temperature=0.25, concurrency=3, max_tokens=2000)
    assert site.build().error is None
    cache = Cache(Path(site.root / ".cache/plugin/arxiv-digest"))
    try:
        keys = [str(k) for k in cache._store.iterkeys() if str(k).startswith("summary:")]
    finally:
        cache.close()
    server = re.escape(model.url.rstrip("/"))
    assert len(keys) == 1
    assert re.fullmatch(
        rf"summary:{re.escape(PAPERS[0])}v\d+:llm:fake-model@{server}:t0\.25:p{PROMPT_VERSION}:en:\d+", keys[0]
    )


@pytest.mark.parametrize("refusal", [400, 422, 500])
def test_a_refused_format_is_found_out_once_per_server(site: Site, model: FakeOpenAI, refusal: int) -> None:
    """llama-cpp-python's server refuses `json_schema` with a 500 (FastAPI
    servers with a 422) but enforces a schema sent with JSON mode."""
    model.json_schema = False
    model.refusal = refusal
    site.page("index.md", PAPERS[:6])
    use_model(site, model, concurrency=4)
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    refused = [r for r in model.requests if r.response_format["type"] == "json_schema"]
    assert {r.status for r in refused} == {refusal}
    assert len({r.paper_id for r in refused}) == 1, "only the first paper meets the refusal"
    assert len(refused) == 1, "a refusal is one request, whatever its status and `retries: 2`"
    rest = model.requests[len(refused) :]
    assert len(rest) == 6
    for request in rest:  # the schema, which pins the ID to the paper's
        assert request.response_format["type"] == "json_object"
        assert request.response_format["schema"]["properties"]["id"]["enum"] == [f"{request.paper_id}"]
        title = request.response_format["schema"]["properties"]["title"]["enum"]
        assert len(title) == 1 and title[0].split()[0] in json.dumps(request.json["messages"])  # an English page
    assert all(f"TLDR of {i}" in site.content() for i in PAPERS[:6])

    # The next build (a new paper) starts from what worked; `probe` finds out again.
    site.page("index.md", PAPERS[:7])
    assert site.build(strict=True).error is None
    assert model.requests[-1].response_format["type"] == "json_object" and model.calls == len(refused) + 7
    site.page("index.md", PAPERS[:8])
    use_model(site, model, concurrency=4, response_format="probe")
    assert site.build(strict=True).error is None
    assert [r.response_format["type"] for r in model.requests[len(refused) + 7 :]][-2:] == [
        "json_schema",
        "json_object",
    ]


def test_a_short_placeholder_key_is_not_masked_out_of_answers(
    site: Site, model: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ollama`, `EMPTY` or `k` are no secrets: "masking" them mangled field
    names (`takeaways` with key `k`) and dropped takeaways and keywords."""
    monkeypatch.setenv("ARXIV_DIGEST_TEST_KEY", "k")
    site.page("index.md", PAPERS[:1])
    site.configure(layout="chatpaper", tags=["keywords"])
    use_model(site, model)
    assert site.build(strict=True).error is None
    assert model.requests[0].authorization == "Bearer k"
    one = entry(site.content(), PAPERS[0])
    assert "Takeaway 2 of" in one and "***" not in one
    assert f"kw-{PAPERS[0]}" in one


def test_an_unreachable_server_gets_one_warning_naming_it_and_the_papers(site: Site, model: FakeOpenAI) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    site.page("index.md", PAPERS[:5])
    use_model(site, model, base_url=f"http://127.0.0.1:{port}/v1", retries=1)
    started = time.monotonic()
    result = site.build()
    assert time.monotonic() - started < 20, "queued papers do not each wait for a dead server"
    warned = [w for w in result.warnings if "Summaries from" in w]
    assert len(warned) == 1, result.warnings
    assert f"fake-model at http://127.0.0.1:{port}/v1 failed for 5 paper(s): Connection error" in warned[0]
    assert all(i in warned[0] for i in PAPERS[:5])
    assert not any("\n" in w or "Traceback" in w for w in result.warnings)
    log = "\n".join(result.messages(20))
    assert "Summaries: 0 written, 5 failed, 5 of 5 done" in log and "summaries: 0 cached, 0 new, 5 failed" in log


def test_a_server_error_body_is_one_line_in_one_warning(site: Site, model: FakeOpenAI) -> None:
    """A server that answers every request with its traceback (llama-cpp-python's 500s)."""
    site.page("index.md", PAPERS[:3])
    use_model(site, model, retries=0, concurrency=1)
    traceback = {"error": {"message": "Traceback (most recent call last):\n  File x\nValueError: boom", "type": "e"}}
    model.fail(status=500, body=json.dumps(traceback).encode(), times=3)
    result = site.build()
    warned = [w for w in result.warnings if "Summaries from" in w]
    assert len(warned) == 1 and "failed for 3 paper(s): HTTP 500: ValueError: boom." in warned[0]
    assert "\n" not in warned[0] and "Traceback" not in warned[0]


@TIMED
def test_the_budget_leaves_the_rest_for_the_next_build(site: Site, model: FakeOpenAI) -> None:
    site.page("index.md", PAPERS[:6])
    use_model(site, model, concurrency=1, budget_seconds=2)
    assert site.build().error is None  # the SDK's import and the fetch start the clock too
    model.latency = 1.5
    site.page("index.md", PAPERS[:12])
    started = time.monotonic()
    result = site.build(strict=True)
    took = time.monotonic() - started
    assert result.error is None, result.warnings
    sent = model.calls - 6
    assert 1 <= sent <= 2, "papers started within 2 s, each answered in 1.5 s"
    assert f"{6 - sent} left for a later build by 'llm.budget_seconds'" in "\n".join(result.messages(20))
    assert took < 2 + 1.5 + 5
    model.latency = 0
    assert site.build(strict=True).error is None
    assert model.calls == 12


@TIMED
def test_a_server_answering_one_at_a_time_gets_every_paper_with_default_settings(site: Site, model: FakeOpenAI) -> None:
    """llama-cpp-python's server answers one request at a time: with eight
    sent at once, the last ones waited out their deadline in its queue. It
    also refuses `json_schema` with a 500 before the first answer: no
    answer's time, and not counted as one."""
    # A second per answer: at 0.3 s, a loaded machine's own pause between two answers at
    # one at a time (hidden at two at once) once made two at once look like a gain.
    model.serial, model.latency = True, 1.0
    model.json_schema, model.refusal = False, 500
    site.page("index.md", PAPERS)
    use_model(site, model, timeout=3)  # the default concurrency, 8
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    assert all(f"TLDR of {i}" in site.content() for i in PAPERS)
    answered = [r for r in model.requests if r.status == 200]
    assert len(answered) == 16 and model.max_in_flight == 2, "tried two at once, gained nothing, went back to one"
    assert [r.status for r in model.requests].count(500) == 1, "the refusal of `json_schema`, asked once"
    assert "up to 8 at a time" in "\n".join(result.messages(20))

    # What was found is remembered with the format: the next build sends one at a time.
    model.reset()
    model.serial, model.latency = True, 1.0
    model.json_schema, model.refusal = False, 500
    site.page("index.md", [*PAPERS, "1605.08386", "1707.08567", "astro-ph/0601001"])
    assert site.build(strict=True).error is None
    assert model.calls == 3 and model.max_in_flight == 1


def test_one_slow_answer_at_one_at_a_time_does_not_make_two_at_once_look_faster() -> None:
    """A server answering one at a time, whose first answer is slow (a model
    loading): measured on that answer alone, one at a time looked slower than
    it is, two at once looked like a gain, and the ramp went on to eight at
    once, which time out in such a server's queue. Over two answers it stays."""
    now = [0.0]
    ramp = Ramp(8, clock=lambda: now[0])

    def one_at_a_time(*answer_seconds: float) -> None:
        for _ in answer_seconds:
            ramp.sending()
        for seconds in answer_seconds:  # the server works through them in turn
            now[0] += seconds
            ramp.answered(1000)

    one_at_a_time(0.8)  # the slow first answer: on its own, 1250 characters a second
    assert ramp.limit == 1 and not ramp.settled, "one answer is not yet a measure"
    one_at_a_time(0.5)
    assert ramp.limit == 2, "level 1 measured: 2000 characters in 1.3 s; two at once is tried"
    one_at_a_time(0.5, 0.5)  # 2000 characters a second: 1.3 times as fast, not 1.4 (but 1.6 times 1250)
    assert ramp.settled and ramp.found and ramp.limit == 1


@TIMED
def test_a_server_that_answers_many_at_once_gets_up_to_the_concurrency(site: Site, model: FakeOpenAI) -> None:
    model.latency = 1.0  # long beside the machine's own time per answer, which a load stretches
    site.page("index.md", PAPERS)
    use_model(site, model, concurrency=4)
    assert site.build(strict=True).error is None
    assert model.calls == 16 and model.max_in_flight == 4


@TIMED
def test_trying_two_at_once_on_a_one_at_a_time_server_times_nothing_out(site: Site, model: FakeOpenAI) -> None:
    """The second of two requests waits behind the first in the server's queue:
    while two at once is being tried, each request has two answers' time."""
    model.serial, model.latency = True, 1.2
    site.page("index.md", PAPERS[:4])
    use_model(site, model, timeout=2)
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    assert model.calls == 4 and [r.status for r in model.requests] == [200] * 4, "none cut off and sent again"
    assert model.max_in_flight == 2


def test_an_answer_larger_than_64_kb_is_not_read_and_the_paper_gets_the_extractive_summary(
    site: Site, model: FakeOpenAI
) -> None:
    site.page("index.md", PAPERS[:2])
    use_model(site, model, concurrency=1)
    # A server that ignores max_tokens and goes on: 100 KB of answer, valid JSON and all.
    runaway = json.dumps({"id": PAPERS[0], "tldr": "On and on. " * 9000})
    # The first paper's answer, however often it is asked for.
    model.responder = lambda body: runaway if PAPERS[0] in json.dumps(body) else default_content(body)

    result = site.build()

    assert result.error is None
    warned = [w for w in result.warnings if "Summaries from" in w]
    assert len(warned) == 1, result.warnings
    assert (
        f"fake-model at {model.url} failed for 1 paper(s): the server's answer is larger than 64 KB, more than any "
        "summary takes; it was not read further." in warned[0]
    )
    # Not asked again: the same answer would come.
    assert model.calls == 2
    # Asked uncompressed: the bytes counted are the bytes held.
    assert all(request.headers.get("Accept-Encoding") == "identity" for request in model.requests)
    content = site.content()
    failed_id = PAPERS[0] if PAPERS[0] in warned[0] else PAPERS[1]
    assert "On and on." not in content
    assert entry(content, failed_id).count("<strong>TL;DR</strong>") == 1  # the extractive one
    model.responder = None  # the server mends its ways
    assert site.build(strict=True).error is None, "asked again next build, and answered"


def test_closing_the_summarizer_ends_a_wait_between_tries_at_once(model: FakeOpenAI) -> None:
    """`mkdocs serve` stopping closes the summarizer: a paper waiting out a
    server's `Retry-After: 30` before trying again fails within a second,
    instead of holding the stop for the 30 s (the openai SDK's own retries
    slept through it)."""
    import threading

    from mkdocs_arxiv_digest.records import Paper
    from mkdocs_arxiv_digest.summarize import LlmSettings, SummaryError
    from mkdocs_arxiv_digest.summarize.llm import LlmSummarizer

    model.fail(status=503, retry_after=30, times=2)
    settings = LlmSettings(
        base_url=model.url,
        model="fake-model",
        api_key_env="ARXIV_DIGEST_TEST_KEY",
        concurrency=8,
        timeout=5,
        retries=3,
        temperature=0.2,
        max_tokens=1536,
        response_format="json_object",
        max_summaries=None,
        budget_seconds=None,
        api_key=KEY,
    )
    summarizer = LlmSummarizer(settings)
    paper = Paper(id=PAPERS[0], version=1, title="A paper", abstract="It does a thing.")
    failed: list[str] = []

    def summarize() -> None:
        try:
            summarizer.summarize(paper, "en")
        except SummaryError as error:
            failed.append(str(error))

    worker = threading.Thread(target=summarize)
    worker.start()
    deadline = time.monotonic() + 10
    while not model.requests or model.requests[0].status is None:
        assert time.monotonic() < deadline, "the model was not asked"
        time.sleep(0.05)
    time.sleep(0.5)  # the 503 is in: waiting to try again
    closing = time.monotonic()
    summarizer.close()
    worker.join(5)
    took = time.monotonic() - closing
    assert not worker.is_alive() and took < 1, f"closing took {took:.1f} s"
    assert failed == ["stopped: the summarizer was closed"]
    assert model.calls == 1, "not sent again once closed"


def test_without_a_retry_after_the_waits_between_tries_start_at_half_a_second_and_double_up_to_8_s() -> None:
    """The fake model answers errors with `retry-after-ms`, so no other test
    waits these out for real."""
    broken = ConnectionError("the connection was reset")
    for tried, most in enumerate([0.5, 1, 2, 4, 8, 8]):
        waits = [_wait_before_retry(broken, tried) for _ in range(50)]
        assert all(w is not None and 0.75 * most <= w <= most for w in waits), (tried, waits)
    refused = type("Refused", (Exception,), {"status_code": 400})()
    assert _wait_before_retry(refused, 0) is None, "a 400 is not worth sending again"


@TIMED
def test_a_retry_after_is_waited_for_and_one_past_two_minutes_fails_the_request_at_once(
    site: Site, model: FakeOpenAI
) -> None:
    site.page("index.md", PAPERS[:1])
    use_model(site, model, concurrency=1, retries=2)
    model.fail(status=429, retry_after=1.5)
    assert site.build(strict=True).error is None
    assert [r.status for r in model.requests] == [429, 200]
    waited = model.requests[1].received_at - model.requests[0].received_at
    assert 1.4 < waited < 3, f"waited {waited:.1f} s"

    model.reset()
    site.page("index.md", PAPERS[1:2])
    model.fail(status=429, retry_after=600)
    started = time.monotonic()
    result = site.build()
    assert time.monotonic() - started < 10
    assert model.calls == 1
    warned = [w for w in result.warnings if "Summaries from" in w]
    assert len(warned) == 1 and "failed for 1 paper(s): HTTP 429" in warned[0], result.warnings
