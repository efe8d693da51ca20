"""A summarizer backend registered by name is a choice of the `summarizer`
option, is made from the `llm` settings whole, and has the extractive backend
stand in for the papers it fails on when it says so."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_llm import entry

from conftest import Site
from mkdocs_arxiv_digest.records import Paper, Summary
from mkdocs_arxiv_digest.summarize import BACKENDS, Backend, LlmSettings, Summarizer, SummaryError, register

PAPERS = ["0804.0970", "0807.2873"]


class Haiku(Summarizer):
    key = "haiku-1"
    model = "haiku"
    origin = "haiku at home"

    def summarize(self, paper: Paper, language: str) -> Summary:
        if str(paper.arxiv_id).startswith(PAPERS[1]):
            raise SummaryError("no syllables left")
        return Summary(tldr="Haiku.", tldr_en="Haiku.", backend="haiku")


@pytest.fixture
def haiku() -> Iterator[list[LlmSettings]]:
    """Registers `haiku` for one test; the settings it was made from, in order."""
    received: list[LlmSettings] = []

    def make(llm: LlmSettings) -> Summarizer:
        received.append(llm)
        return Haiku()

    register(Backend("haiku", make, fallback=True))
    try:
        yield received
    finally:
        del BACKENDS["haiku"]


def test_a_registered_backend_is_chosen_gets_the_settings_whole_and_falls_back(
    site: Site, haiku: list[LlmSettings]
) -> None:
    site.page("index.md", PAPERS)
    site.configure(
        summarizer="haiku", llm={"model": "tanka", "temperature": 0.5, "api_key_env": "", "max_summaries": 4}
    )
    result = site.build()
    assert result.error is None
    assert len(haiku) == 1 and isinstance(haiku[0], LlmSettings)
    assert (haiku[0].model, haiku[0].temperature, haiku[0].max_summaries) == ("tanka", 0.5, 4)
    content = site.content()
    assert "<strong>TL;DR</strong>: Haiku." in entry(content, PAPERS[0])
    failed = entry(content, PAPERS[1])
    assert "Haiku" not in failed and failed.count("<strong>TL;DR</strong>") == 1  # the extractive one
    assert any("haiku at home" in w and "no syllables left" in w and PAPERS[1] in w for w in result.warnings)


def test_a_backend_not_registered_is_refused_naming_the_choices(site: Site) -> None:
    site.page("index.md", PAPERS[:1])
    site.configure(summarizer="haiku")
    result = site.build_or_refuse()
    assert result.error is not None
    assert "Expected one of: ('extractive', 'openai', 'none') but received: 'haiku'" in "\n".join(result.messages(40))
