"""A cold build summarized by a real model server, against the fake server's floor.

    scripts/real_server_tests.sh --collect-only -q   # once: makes the server's venv
    ARXIV_DIGEST_LLAMA_PYTHON=~/.cache/arxiv-digest-real-server-portable/bin/python \\
        python benchmarks/real_server.py [--papers 8]

llama-cpp-python's server runs SmolLM2-135M-Instruct on 127.0.0.1 (see
tests/llama_server.py); the site is built offline from the example snapshot,
with the plugin's default `llm` settings (only `base_url`, `model`,
`api_key_env` and a `budget_seconds` set). Printed: papers per minute,
accepted answers, tokens per answer, HTTP requests (retries included) and the
most sent at once. Then the same site is built against the fake server
answering one request at a time, each answer taking the real server's mean
time: its floor is papers × that time, and what the plugin adds to it shows.
A Markdown table goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from llama_server import MODEL, llama_server  # noqa: E402

from fake_openai import FakeOpenAI  # noqa: E402

SNAPSHOT = HERE.parent / "snapshot" / "arxiv-metadata.jsonl"
BUDGET = 600


class Recorder:
    """Every HTTP request the SDK sends (retries too) and every answer it returns."""

    def __init__(self) -> None:
        import openai
        import openai.resources.chat.completions as chat

        base = next(kind for kind in openai.DefaultHttpxClient.__mro__ if kind.__name__ == "Client")
        http = sys.modules[base.__module__.split(".")[0]]
        self.requests: list[tuple[float, int | None, bool]] = []
        """Each HTTP request's seconds, status, and whether no other was under way meanwhile."""
        self.answers: list[dict[str, Any]] = []
        self.in_flight = self.most_at_once = 0
        lock = threading.Lock()
        send, create = http.HTTPTransport.handle_request, chat.Completions.create
        recorder = self

        active: dict[int, bool] = {}

        def handle_request(transport: Any, request: Any) -> Any:
            key = id(request)
            with lock:
                recorder.in_flight += 1
                recorder.most_at_once = max(recorder.most_at_once, recorder.in_flight)
                for other in active:
                    active[other] = False
                active[key] = not active
            started, status = time.monotonic(), None
            try:
                response = send(transport, request)
                status = response.status_code
                return response
            finally:
                with lock:
                    recorder.in_flight -= 1
                    alone = active.pop(key)
                    recorder.requests.append((time.monotonic() - started, status, alone))

        def recorded(completions: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.monotonic()
            response = create(completions, *args, **kwargs)
            usage = getattr(response, "usage", None)
            recorder.answers.append(
                {
                    "seconds": time.monotonic() - started,
                    "tokens": getattr(usage, "completion_tokens", None),
                    "finish": response.choices[0].finish_reason if response.choices else None,
                }
            )
            return response

        http.HTTPTransport.handle_request = handle_request
        chat.Completions.create = recorded


def site(root: Path, papers: list[str], base_url: str) -> Path:
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "index.md").write_text(f"---\n{yaml.safe_dump({'arxiv': papers})}---\nPapers.\n")
    llm = {"base_url": base_url, "model": MODEL, "api_key_env": "", "budget_seconds": BUDGET}
    options = {"offline": True, "snapshot": str(SNAPSHOT), "summarizer": "openai", "llm": llm}
    config = {"site_name": "Bench", "plugins": [{"arxiv-digest": options}]}
    path = root / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def timed_build(path: Path) -> tuple[float, Any]:
    config = load_config(str(path))
    config.plugins.on_startup(command="build", dirty=False)
    started = time.monotonic()
    try:
        build(config)
    finally:
        config.plugins.on_shutdown()
    return time.monotonic() - started, config.plugins["arxiv-digest"].last_stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=8)
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    lines = [line for line in SNAPSHOT.read_text(encoding="utf-8").splitlines() if line.strip()]
    papers = [json.loads(line)["id"] for line in lines[: options.papers]]
    recorder = Recorder()

    with tempfile.TemporaryDirectory(prefix="arxiv-digest-bench-") as folder:
        root = Path(folder)
        with llama_server(root / "llama.log") as url:
            seconds, stats = timed_build(site(root / "real", papers, url))
        answers = recorder.answers
        tokens = [a["tokens"] for a in answers if a["tokens"]]
        # The server's own time for an answer: those it gave with no other request under way.
        solo = [seconds for seconds, status, alone in recorder.requests if alone and status == 200]
        mean = statistics.mean(solo) if solo else 0.0
        real = {
            "build": seconds,
            "accepted": stats.summaries_made,
            "failed": stats.summaries_failed,
            "over_budget": stats.summaries_over_budget,
            "answers": len(answers),
            "requests": len(recorder.requests),
            "refused": sum(1 for _, status, _ in recorder.requests if status is not None and status >= 400),
            "timed_out": sum(1 for _, status, _ in recorder.requests if status is None),
            "most_at_once": recorder.most_at_once,
            "tokens": statistics.mean(tokens) if tokens else 0.0,
            "cut_off": sum(1 for a in answers if a["finish"] == "length"),
        }

        # The fake, one request at a time, each answer as long as the real ones on average.
        recorder.requests.clear()
        recorder.most_at_once = 0
        with FakeOpenAI(serial=True, latency=mean, model=MODEL) as fake:
            fake_seconds, fake_stats = timed_build(site(root / "fake", papers, fake.url))
        fake_requests, fake_most = len(recorder.requests), recorder.most_at_once
        floor = len(papers) * mean

    n = len(papers)
    print("| Case | Papers | Time | Papers per minute | Answers | Against |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(
        f"| llama-cpp-python, SmolLM2-135M-Instruct, default settings | {n} | {real['build']:.1f} s "
        f"| {real['accepted'] / real['build'] * 60:.1f} accepted | {real['accepted']} accepted, {real['failed']} failed, "
        f"{real['over_budget']} over budget; {real['answers']} answers, {real['requests']} HTTP requests "
        f"({real['refused']} refused, {real['timed_out']} cut off by the deadline), at most {real['most_at_once']} at once; {real['tokens']:.0f} tokens per answer, "
        f"{real['cut_off']} cut off at max_tokens; {mean:.1f} s per answer alone ({len(solo)} of them) | floor {n} × {mean:.1f} s = {floor:.1f} s: "
        f"{real['build'] / floor:.2f} × |"
    )
    print(
        f"| fake server, one at a time, {mean:.1f} s per answer | {n} | {fake_seconds:.1f} s "
        f"| {fake_stats.summaries_made / fake_seconds * 60:.1f} accepted | {fake_stats.summaries_made} accepted, "
        f"{fake_stats.summaries_failed} failed; {fake_requests} HTTP requests, at most {fake_most} at once | floor {floor:.1f} s: {fake_seconds / floor:.2f} × |"
    )


if __name__ == "__main__":
    main()
