"""A cold build summarized by a real model server, against the floor of its own answer times.

    scripts/real_server_tests.sh --collect-only -q   # once: makes the server's venv
    ARXIV_DIGEST_LLAMA_PYTHON=~/.cache/arxiv-digest-real-server-portable/bin/python \\
        python benchmarks/real_server.py [--papers 3]

llama-cpp-python's server runs SmolLM2-135M-Instruct on 127.0.0.1 (see
tests/llama_server.py); the site is built offline from the example snapshot,
with the plugin's default `llm` settings (only `base_url`, `model`,
`api_key_env` and a `budget_seconds` set). Printed: the build's time, the
answers accepted, every HTTP request with its outcome (complete, cut off at
`max_tokens` and whether it ended in a loop, refused), and the floor: the
papers times the server's median time for a complete answer, read from its
own log, with the build's ratio to it. Then the same site is built against
the fake server answering one request at a time, each answer taking that
median: what the plugin adds to the floor. A Markdown table goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
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
    """Every HTTP request the SDK sends (retries too), from sending it to
    closing its answer, and what became of its answer: complete or cut off
    at `max_tokens` (and then whether it ended in a loop)."""

    def __init__(self) -> None:
        import openai
        import openai.resources.chat.completions as chat

        import mkdocs_arxiv_digest.summarize.llm as llm

        base = next(kind for kind in openai.DefaultHttpxClient.__mro__ if kind.__name__ == "Client")
        http = sys.modules[base.__module__.split(".")[0]]
        self.requests: list[dict[str, Any]] = []
        """Each request's seconds, status, whether no other was under way
        meanwhile, its answer's outcome and tokens."""
        self.in_flight = self.most_at_once = 0
        self._lock = lock = threading.Lock()
        self._active: list[dict[str, Any]] = []
        here = threading.local()
        send, create = http.HTTPTransport.handle_request, chat.Completions.create
        recorder = self

        class Timed(http.SyncByteStream):  # type: ignore[misc,name-defined]
            def __init__(self, stream: Any, record: dict[str, Any], started: float) -> None:
                self._stream, self._record, self._started, self._done = stream, record, started, False

            def __iter__(self) -> Any:
                yield from self._stream

            def close(self) -> None:
                self._stream.close()
                if not self._done:
                    self._done = True
                    recorder._end(self._record, self._started)

        def handle_request(transport: Any, request: Any) -> Any:
            record: dict[str, Any] = {"status": None, "alone": True, "outcome": None, "tokens": None}
            here.record = record
            with lock:
                recorder.in_flight += 1
                recorder.most_at_once = max(recorder.most_at_once, recorder.in_flight)
                for other in recorder._active:
                    other["alone"] = False
                record["alone"] = not recorder._active
                recorder._active.append(record)
            started = time.monotonic()
            try:
                response = send(transport, request)
            except BaseException:
                recorder._end(record, started)
                raise
            record["status"] = response.status_code
            response.stream = Timed(response.stream, record, started)
            return response

        def recorded(completions: Any, *args: Any, **kwargs: Any) -> Any:
            response = create(completions, *args, **kwargs)
            choices = getattr(response, "choices", None)
            record = getattr(here, "record", None)
            if choices and record is not None:
                finish = choices[0].finish_reason
                record["outcome"] = {"stop": "complete", "length": "cut"}.get(finish, finish)
                usage = getattr(response, "usage", None)
                record["tokens"] = getattr(usage, "completion_tokens", None)
                loops = getattr(llm, "ends_in_a_loop", None)  # not in the code before it
                if finish == "length" and loops is not None:  # a loop, or an answer merely long?
                    record["loop"] = loops(choices[0].message.content or "")
                record["request"] = {k: kwargs[k] for k in ("max_tokens", "temperature", "seed") if k in kwargs}
            return response

        http.HTTPTransport.handle_request = handle_request
        chat.Completions.create = recorded

    def _end(self, record: dict[str, Any], started: float) -> None:
        record["seconds"] = time.monotonic() - started
        with self._lock:
            self.in_flight -= 1
            if record in self._active:
                self._active.remove(record)
            self.requests.append(record)


def server_times(log: str) -> list[tuple[int, float]]:
    """Each completion llama-cpp-python's log reports, in order: its tokens
    generated ("runs") and the seconds the server spent on it, from its
    prompt to its last token (a request waiting in its queue is not counted)."""
    found = re.findall(r"eval time =\s*[\d.]+ ms /\s*(\d+) runs.*?\n.*?total time =\s*([\d.]+) ms", log)
    return [(int(runs), float(ms) / 1000) for runs, ms in found]


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
    return time.monotonic() - started, config.plugins["arxiv-digest"].report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=3)
    parser.add_argument("--no-fake", action="store_true", help="skip the fake server's row")
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    lines = [line for line in SNAPSHOT.read_text(encoding="utf-8").splitlines() if line.strip()]
    papers = [json.loads(line)["id"] for line in lines[: options.papers]]
    recorder = Recorder()

    with tempfile.TemporaryDirectory(prefix="arxiv-digest-bench-") as folder:
        root = Path(folder)
        with llama_server(root / "llama.log") as url:
            seconds, stats = timed_build(site(root / "real", papers, url))
        requests = list(recorder.requests)
        outcomes = [r["outcome"] for r in requests]
        # The server's own time for each complete answer, from its log: the completion
        # whose tokens match (the log counts one fewer when the first came with the prompt).
        logged = server_times((root / "llama.log").read_text(errors="replace"))
        own = []
        for r in requests:
            if r["outcome"] == "complete" and r["tokens"]:
                match = next((i for i, (runs, _) in enumerate(logged) if abs(runs - r["tokens"]) <= 1), None)
                if match is not None:
                    r["server_seconds"] = logged.pop(match)[1]
                    own.append(r["server_seconds"])
        # Without the log, those given with no other request under way, timed here.
        solo = sorted(own or (r["seconds"] for r in requests if r["alone"] and r["outcome"] == "complete"))
        median = statistics.median(solo) if solo else 0.0
        floor = len(papers) * median
        tokens = [r["tokens"] for r in requests if r["outcome"] == "complete" and r["tokens"]]
        thrown = sum(r["seconds"] for r in requests if r["outcome"] != "complete")
        real = {
            "build": round(seconds, 1),
            "accepted": stats.stage("summaries").made,
            "failed": stats.stage("summaries").failed,
            "over_budget": stats.stage("summaries").over_budget,
            "requests": len(requests),
            "refused": sum(1 for r in requests if r["status"] is not None and r["status"] >= 400),
            "complete": outcomes.count("complete"),
            "cut_off": outcomes.count("cut"),
            "runaway": outcomes.count("runaway"),
            "timed_out_or_broken": sum(1 for r in requests if r["status"] == 200 and r["outcome"] is None),
            "most_at_once": recorder.most_at_once,
            "complete_answer_seconds": [round(t, 1) for t in solo],
            "median_complete_seconds": round(median, 1),
            "tokens_per_complete_answer": round(statistics.mean(tokens)) if tokens else None,
            "seconds_on_answers_not_used": round(thrown, 1),
            "floor": round(floor, 1),
            "ratio": round(seconds / floor, 2) if floor else None,
        }
        print("real server:", json.dumps(real))
        print(
            "requests:",
            json.dumps([{k: (round(v, 1) if isinstance(v, float) else v) for k, v in r.items()} for r in requests]),
        )

        fake_row = ""
        if not options.no_fake and median:
            # The fake, one request at a time, each answer taking the real server's median.
            recorder.requests.clear()
            recorder.most_at_once = 0
            with FakeOpenAI(serial=True, latency=median, model=MODEL) as fake:
                fake_seconds, fake_stats = timed_build(site(root / "fake", papers, fake.url))
            fake_row = (
                f"| fake server, one at a time, {median:.1f} s per answer | {len(papers)} | {fake_seconds:.1f} s "
                f"| {fake_stats.stage('summaries').made} accepted, {fake_stats.stage('summaries').failed} failed; "
                f"{len(recorder.requests)} HTTP requests, at most {recorder.most_at_once} at once "
                f"| {floor:.1f} s | {fake_seconds / floor:.2f} × |"
            )

    n = len(papers)
    print("| Case | Papers | Build | Answers | Floor | Build / floor |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(
        f"| llama-cpp-python, SmolLM2-135M-Instruct, default settings | {n} | {seconds:.1f} s "
        f"| {real['accepted']} accepted, {real['failed']} failed, {real['over_budget']} over budget; "
        f"{real['requests']} HTTP requests ({real['refused']} refused, {real['complete']} complete, "
        f"{real['cut_off']} cut at max_tokens, {real['runaway']} stopped as runaways, "
        f"{real['timed_out_or_broken']} cut by the deadline); {real['seconds_on_answers_not_used']} s on answers not used "
        f"| {n} × {median:.1f} s (median complete answer, {len(solo)} {'in the server log' if own else 'alone'}) "
        f"= {floor:.1f} s "
        f"| {seconds / floor if floor else float('nan'):.2f} × |"
    )
    if fake_row:
        print(fake_row)


if __name__ == "__main__":
    main()
