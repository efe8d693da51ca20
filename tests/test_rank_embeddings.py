"""`rank: library` through a model's embeddings (`rank_model`), against the fake
OpenAI-compatible server's `/v1/embeddings` on 127.0.0.1: the order the vectors
say, one request per paper not embedded yet, offline from the cache, and the
ranking by words with one warning when the server fails."""

from __future__ import annotations

import base64
import json
import logging
import re
import socket
import sys
import time
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

import diskcache
import pytest
from test_rank_pages import READING, STATISTICAL

from conftest import Site
from fake_arxiv import FakeArxiv
from fake_openai import FakeOpenAI

QUERY = {"query": "all:testing", "rank": "library", "max": 5}
CANDIDATES = 88
"""The results of the recorded search for "testing" (none of them in `READING`)."""


def titles_of(arxiv_api: FakeArxiv, ids: list[str]) -> list[str]:
    found = []
    for arxiv_id in ids:
        entry = arxiv_api.entry_xml(arxiv_id)
        assert entry is not None, arxiv_id
        title = re.search(r"<title>(.*?)</title>", entry, re.S)
        assert title is not None
        found.append(" ".join(title.group(1).split()))
    return found


def metamorphic_embedder(library_titles: list[str]) -> Callable[[str], list[float]]:
    """Vectors that put the papers on metamorphic testing beside the reading
    list (statistical testing), and every other paper away from both: an order
    the words of the papers would not give."""

    def embed(text: str) -> list[float]:
        title = " ".join(text.split("\n\n", 1)[0].split())
        near = title in library_titles or "metamorphic" in title.casefold()
        return [1.0, 0.05, 0.0] if near else [0.0, 0.2, 1.0]

    return embed


def shown(site: Site, page: str) -> list[dict[str, object]]:
    papers: list[dict[str, object]] = json.loads(
        (site.root / "site" / page.replace(".md", ".json")).read_text(encoding="utf-8")
    )["papers"]
    return papers


def ranked_site_model(model: FakeOpenAI) -> dict[str, str]:
    return {"base_url": model.url, "model": "fake-embed", "api_key_env": "ARXIV_DIGEST_TEST_KEY"}


@pytest.fixture
def ranked_site(site: Site, arxiv_api: FakeArxiv, model: FakeOpenAI) -> Site:
    model.embedder = metamorphic_embedder(titles_of(arxiv_api, READING))
    site.page("reading.md", READING)
    site.page("news.md", QUERY)
    site.configure(json=True, rank_model=ranked_site_model(model))
    return site


def test_a_page_is_ranked_by_the_models_embeddings_and_each_paper_is_embedded_once(
    ranked_site: Site, arxiv_api: FakeArxiv, model: FakeOpenAI
) -> None:
    site = ranked_site
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    papers = shown(site, "news.md")
    # The five shown are the papers on metamorphic testing, which the words rank far below statistical ones.
    assert len(papers) == 5
    assert all("metamorphic" in str(paper["title"]).casefold() for paper in papers), [p["title"] for p in papers]
    assert not {str(paper["id"]).split("v")[0] for paper in papers} & STATISTICAL
    likes = [paper["like"] for paper in papers]
    assert all(isinstance(like, dict) and like["id"] in READING and like["score"] > 0.5 for like in likes), likes
    html = site.content("news.md")
    assert len(re.findall(r"<strong>Like</strong>: <a href=\"\.\./reading/#arxiv-[0-9-]+\">", html)) == 5
    # Every candidate and every listed paper embedded once, in batches of `batch_size` (64)
    # (the search finds one more when the test adding a paper to the shared fake arXiv ran first).
    assert sorted(model.embedded) == sorted(set(model.embedded))
    assert len(model.embedded) - (CANDIDATES + 4) in (0, 1)
    assert model.embedding_calls == 2
    assert model.calls == 0  # no chat completion: the summaries are the extractive ones

    # The next build reads every embedding from the cache: no request, the same page.
    assert site.build(strict=True).error is None
    assert model.embedding_calls == 2
    assert site.content("news.md") == html

    # Offline, from the cache, the page is the same.
    site.configure(**site.options, offline=True)
    assert site.build(strict=True).error is None
    assert model.embedding_calls == 2
    assert site.content("news.md") == html


def test_a_new_paper_of_the_day_costs_one_embedding(ranked_site: Site, arxiv_api: FakeArxiv, model: FakeOpenAI) -> None:
    site = ranked_site
    site.configure(**site.options, listing_refresh_hours=0)
    assert site.build(strict=True).error is None
    before = model.embedding_calls
    arxiv_api.add_paper(
        "2612.00001",
        title="Metamorphic testing of weather forecasts",
        summary="Metamorphic relations check a forecasting model without an oracle, by testing how outputs change.",
    )
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    assert model.embedding_calls == before + 1
    assert model.embedded[-1].startswith("Metamorphic testing of weather forecasts\n\n")
    assert "2612.00001" in {str(paper["id"]).split("v")[0] for paper in shown(site, "news.md")}


def closed_port() -> int:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        return int(free.getsockname()[1])


def test_a_server_that_cannot_be_reached_leaves_the_ranking_to_the_words_with_one_warning(
    site: Site, arxiv_api: FakeArxiv
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    site.page("reading.md", READING)
    site.page("news.md", QUERY)
    site.page("more.md", {**QUERY, "max": 10})
    site.configure(json=True, rank_model={"base_url": url, "api_key_env": "", "retries": 0, "timeout": 5})
    result = site.build()
    assert result.error is None
    assert len(result.warnings) == 1, result.warnings
    (warning,) = result.warnings
    assert url in warning and "could not connect" in warning and "ranked by words" in warning
    # Both pages are built, ranked by their words.
    ids = {str(paper["id"]).split("v")[0] for paper in shown(site, "news.md")}
    assert len(ids & STATISTICAL) >= 4, ids
    assert len(shown(site, "more.md")) == 10
    assert site.build(strict=True).error is not None


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ({"status": 500}, "HTTP 500: fake error 500"),
        ({"status": 400}, "HTTP 400: fake error 400"),
        ({"body": b'{"object": "list", "data": [], "model": "m"}'}, "holds 0 embeddings for 64 texts"),
        (
            dict(
                body=json.dumps(
                    {"object": "list", "model": "m", "data": [{"object": "embedding", "index": 0, "embedding": "x"}]}
                ).encode()
            ),
            "holds 1 embeddings for 64 texts",
        ),
        ({"body": b"<html>Bad gateway</html>"}, "could not be read"),
    ],
)
def test_a_failed_or_malformed_answer_is_one_warning_and_the_words_rank(
    ranked_site: Site, model: FakeOpenAI, fault: dict[str, Any], said: str
) -> None:
    site = ranked_site
    site.configure(**{**site.options, "rank_model": {**site.options["rank_model"], "retries": 0}})
    model.fail(**fault)
    result = site.build()
    assert result.error is None
    assert len(result.warnings) == 1, result.warnings
    assert said in result.warnings[0] and model.url in result.warnings[0], result.warnings
    papers = shown(site, "news.md")
    assert len(papers) == 5 and len({str(paper["id"]).split("v")[0] for paper in papers} & STATISTICAL) >= 4
    # Nothing of the failed batch was cached: the next build embeds and ranks by the model.
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    assert all("metamorphic" in str(paper["title"]).casefold() for paper in shown(site, "news.md"))


@pytest.mark.xdist_group("timing")  # its bound on time needs the machine to itself
def test_a_server_trickling_its_answer_is_cut_at_the_timeout(ranked_site: Site, model: FakeOpenAI) -> None:
    """`timeout` bounds a request with its whole answer, as for summaries: a
    server sending a few bytes a second does not hold the build (the SDK's own
    timeout bounds only each read, and a read comes every half second)."""
    site = ranked_site
    site.configure(**{**site.options, "rank_model": {**site.options["rank_model"], "retries": 0, "timeout": 2}})
    model.fail(trickle=(8, 0.5))
    started = time.monotonic()
    result = site.build()
    took = time.monotonic() - started
    assert result.error is None
    assert len(result.warnings) == 1 and "no answer within 2 s" in result.warnings[0], result.warnings
    assert took < 15, f"the build waited {took:.1f} s on a trickling answer"


def test_vectors_of_different_lengths_or_not_finite_are_malformed(ranked_site: Site, model: FakeOpenAI) -> None:
    site = ranked_site
    site.configure(**{**site.options, "rank_model": {**site.options["rank_model"], "retries": 0}})
    item = {"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}
    uneven = [item, *({"object": "embedding", "index": n, "embedding": [0.1]} for n in range(1, 64))]
    model.fail(body=json.dumps({"object": "list", "model": "m", "data": uneven}).encode())
    infinite = [{"object": "embedding", "index": n, "embedding": [1e400, 0.0]} for n in range(64)]
    model.fail(body=json.dumps({"object": "list", "model": "m", "data": infinite}).encode())
    first, second = site.build(), site.build()
    assert [len(first.warnings), len(second.warnings)] == [1, 1]
    assert "different lengths" in first.warnings[0]
    assert "other than finite numbers" in second.warnings[0]


def test_offline_without_the_embeddings_ranks_by_words_and_says_so(ranked_site: Site, model: FakeOpenAI) -> None:
    site = ranked_site
    # The reading list and the search are cached by a build without the model.
    options = {name: value for name, value in site.options.items() if name != "rank_model"}
    site.configure(**options)
    assert site.build(strict=True).error is None
    site.configure(**options, offline=True, rank_model=ranked_site_model(model))
    result = site.build()
    assert result.error is None
    assert model.embedding_calls == 0
    assert len(result.warnings) == 1 and "no embedding" in result.warnings[0] and "offline" in result.warnings[0]
    assert len({str(paper["id"]).split("v")[0] for paper in shown(site, "news.md")} & STATISTICAL) >= 4


def test_a_missing_key_stops_the_build_naming_the_option(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARXIV_DIGEST_NO_SUCH_KEY", raising=False)
    site.page("index.md", ["2403.16981"])
    site.configure(rank_model={"base_url": "http://127.0.0.1:9/v1", "api_key_env": "ARXIV_DIGEST_NO_SUCH_KEY"})
    result = site.build()
    assert result.error is not None
    said = "\n".join(result.messages(logging.ERROR))
    assert "rank_model.api_key_env" in said and "ARXIV_DIGEST_NO_SUCH_KEY" in said, said


EMBEDDING_MODULES = ("openai", "mkdocs_arxiv_digest.embeddings")


def test_warm_builds_import_the_sdk_only_for_papers_not_embedded_yet(ranked_site: Site, model: FakeOpenAI) -> None:
    site = ranked_site
    assert site.build(strict=True).error is None
    # Every embedding is cached: the SDK is not imported.
    assert site.imported_by_a_build(EMBEDDING_MODULES) == ["mkdocs_arxiv_digest.embeddings"]
    # Without `rank_model`, the ranked page is ranked by words, and nothing of the embeddings is imported.
    site.configure(**{name: value for name, value in site.options.items() if name != "rank_model"})
    assert site.imported_by_a_build(EMBEDDING_MODULES) == []


def test_one_vector_per_token_is_averaged_as_llama_cpp_python_answers_for_a_chat_model(
    ranked_site: Site, arxiv_api: FakeArxiv, model: FakeOpenAI
) -> None:
    """llama-cpp-python's server, given a model whose file names no pooling
    (SmolLM2), answers each text with one vector per token."""
    pooled = metamorphic_embedder(titles_of(arxiv_api, READING))
    model.embedder = lambda text: [pooled(text), [2 * value for value in pooled(text)]]  # type: ignore[misc]
    site = ranked_site
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    papers = shown(site, "news.md")
    assert len(papers) == 5 and all("metamorphic" in str(paper["title"]).casefold() for paper in papers)
    uneven = [{"object": "embedding", "index": n, "embedding": [[0.1, 0.2], [0.3]]} for n in range(64)]
    model.fail(body=json.dumps({"object": "list", "model": "m", "data": uneven}).encode())
    site.configure(**{**site.options, "rank_model": {**site.options["rank_model"], "model": "another", "retries": 0}})
    result = site.build()
    assert len(result.warnings) == 1 and "vectors of different lengths" in result.warnings[0], result.warnings


def test_a_model_changed_behind_its_name_embeds_again_once(
    ranked_site: Site, arxiv_api: FakeArxiv, model: FakeOpenAI
) -> None:
    """The server's model is replaced under the same name (a new GGUF file behind
    the same alias): its vectors have another length than the cached ones. What
    was embedded before is embedded again, once, rather than a warning and the
    words' ranking in every build until the cache is cleared."""
    site = ranked_site
    assert site.build(strict=True).error is None
    first = len(model.embedded)
    pooled = model.embedder
    assert pooled is not None
    model.embedder = lambda text: [*pooled(text), 0.0]
    # A paper joins the reading list (one the search does not find: the fake arXiv is shared).
    arxiv_api.add_paper("2612.00002", title="Ocean circulation models", summary="Currents of the ocean, simulated.")
    site.page("reading.md", [*READING, "2612.00002"])
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    papers = shown(site, "news.md")
    assert len(papers) == 5 and all("metamorphic" in str(paper["title"]).casefold() for paper in papers)
    # The new paper, then the others of the day and the reading list again.
    assert model.embedded[first].startswith("Ocean circulation models\n\n")
    assert len(model.embedded) == 2 * first + 1
    # The next build asks nothing.
    calls = model.embedding_calls
    assert site.build(strict=True).error is None
    assert model.embedding_calls == calls


def test_a_cached_vector_of_another_length_is_not_used_offline(ranked_site: Site, model: FakeOpenAI) -> None:
    """A cache holding a vector of another length (written by another model under
    the same name, or by hand) makes no offline build fail: that paper has no
    embedding, which the build says, and the words rank."""
    from mkdocs_arxiv_digest.cache import Cache

    site = ranked_site
    assert site.build(strict=True).error is None
    folder = site.root / ".cache" / "plugin" / "arxiv-digest"
    with diskcache.Cache(str(folder)) as store:
        keys = [key for key in store.iterkeys() if str(key).startswith("embedding:")]
    cache = Cache(folder)
    try:
        cache.set_json(keys[0], {"f32": base64.b64encode(array("f", [0.6, 0.8]).tobytes()).decode("ascii")})
    finally:
        cache.close()
    site.configure(**site.options, offline=True)
    result = site.build()
    assert result.error is None, result.warnings
    assert len(result.warnings) == 1 and "1 papers have no embedding" in result.warnings[0], result.warnings
    assert len(shown(site, "news.md")) == 5
    # Online, that paper is embedded again and the model ranks.
    site.configure(**{name: value for name, value in site.options.items() if name != "offline"})
    calls = model.embedding_calls
    assert site.build(strict=True).error is None
    assert model.embedding_calls == calls + 1
    assert all("metamorphic" in str(paper["title"]).casefold() for paper in shown(site, "news.md"))


@pytest.mark.parametrize("package", ["openai", "numpy"])
def test_without_openai_or_numpy_the_error_names_the_extra(
    ranked_site: Site, model: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, package: str
) -> None:
    """`rank_model` with the SDK installed alone (`pip install openai`), or without
    it: the build stops before anything is ranked, naming what to install,
    rather than failing in the middle with numpy's ImportError."""
    monkeypatch.setitem(sys.modules, package, None)
    result = ranked_site.build()
    assert result.error is not None
    said = "\n".join(result.messages(logging.ERROR))
    assert f"needs the `{package}` package: pip install 'mkdocs-arxiv-digest[llm]'" in said, said
    assert model.embedding_calls == 0


def test_a_library_files_paper_without_an_id_is_embedded_once_under_its_text(
    site: Site, arxiv_api: FakeArxiv, model: FakeOpenAI
) -> None:
    """A journal article of a Zotero export (no arXiv ID) is embedded by its
    title and abstract, kept under a digest of them: the next build, and an
    offline one, ask nothing and show the same page."""
    fixture = Path(__file__).parent / "fixtures" / "library" / "zotero.bib"
    (site.root / "zotero.bib").write_text(fixture.read_text("utf-8"), encoding="utf-8")
    site.page("news.md", QUERY)
    site.configure(json=True, library=["zotero.bib"], rank_model=ranked_site_model(model))
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    # The search's papers, the four of the file with an arXiv ID, and the journal article.
    journal = [text for text in model.embedded if text.startswith("On the Problem of the Most Efficient Tests")]
    assert len(journal) == 1 and len(model.embedded) == len(set(model.embedded)) > CANDIDATES
    html, calls = site.content("news.md"), model.embedding_calls
    assert site.build(strict=True).error is None
    assert model.embedding_calls == calls and site.content("news.md") == html
    site.configure(**site.options, offline=True)
    assert site.build(strict=True).error is None
    assert model.embedding_calls == calls and site.content("news.md") == html


def test_a_page_whose_filters_keep_nothing_embeds_nothing(site: Site, arxiv_api: FakeArxiv, model: FakeOpenAI) -> None:
    """A ranked page whose `keywords` keep none of the day's papers: nothing is
    ranked, so nothing is embedded, and offline nothing is missing (no warning)."""
    site.page("reading.md", READING)
    site.page("news.md", {**QUERY, "keywords": ["no-paper-says-this"]})
    site.configure(json=True)
    assert site.build(strict=True).error is None  # the reading list and the search cached, without the model
    site.configure(json=True, rank_model=ranked_site_model(model))
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    assert model.embedding_calls == 0
    site.configure(**site.options, offline=True)
    result = site.build(strict=True)
    assert result.error is None, result.warnings


def test_under_serve_an_edited_reading_list_ranks_again_embedding_only_its_new_paper(
    ranked_site: Site, model: FakeOpenAI
) -> None:
    site = ranked_site
    config = site.load()
    config.plugins.on_startup(command="serve", dirty=False)
    try:
        assert site.build(config=config, startup=None).error is None
        calls = len(model.embedded)
        # The reading list loses three papers and gains one of the search's (embedded as a candidate).
        site.page("reading.md", [READING[0], "2104.12832"])
        result = site.build(config=config, startup=None)
        assert result.error is None, result.warnings
        assert len(model.embedded) == calls  # every text was embedded by the first build
        likes = {paper["like"]["id"] for paper in shown(site, "news.md")}  # type: ignore[index]
        assert likes <= {READING[0], "2104.12832"} and likes, likes
        assert "2104.12832" not in {str(paper["id"]).split("v")[0] for paper in shown(site, "news.md")}
    finally:
        config.plugins.on_shutdown()
