"""Each paper's summary in each language its pages want, by the configured
summarizer backend (see `summarize`); the extractive one stands in when a
model fails or has not answered yet.

A paper whose pages want its full text is summarized from it (an excerpt of
`fulltext_tokens`, see `fulltext.excerpt`) once the full-text stage has it.
Until then, and for a paper with no HTML, it is summarized from the abstract,
under the key every summary had before; that summary is kept and shown
(`lasts` says it does for now: the page is made again each build) until the
one from the full text is written, once, under a key of its own. Nothing is
asked of a model while the full text is still on its way.

Its cache keys are spelled here and nowhere else:
`summary:{versioned ID}:{backend's key}:{language}:{SCHEMA}` from the abstract,
`summary:{versioned ID}:{backend's key}+{its full-text key}-{tokens}:{language}:{SCHEMA}`
from the full text."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from ..ids import ArxivId
from ..records import SCHEMA, Paper, Summary
from ..summarize import PaperText, Summarizer, SummaryError
from . import Budget, Stage, StageFailed, Unit, Words, register

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from ..cache import Cache
    from ..fulltext import FullText
    from ..services import Services


def summary_key(paper: ArxivId | str, backend: str, language: str) -> str:
    """The key of a paper's summary, by its versioned ID."""
    return f"summary:{paper}:{backend}:{language}:{SCHEMA}"


class SummaryStage(Stage[Summary]):
    name = "summaries"
    needs = ("fulltext",)
    per_language = True
    words = Words("summaries", "Summaries", "Writing", "written", "the extractive summary")

    def __init__(
        self,
        backend: Summarizer,
        fallback: Summarizer | None,
        budget: Budget,
        pool: Executor | None = None,
        fulltext: frozenset[str] = frozenset(),
        tokens: int = 6_000,
    ) -> None:
        """`fulltext`: the bare IDs of the papers whose pages want their full
        text; `tokens`: how much of it a model reads (`fulltext_tokens`)."""
        self.backend, self.fallback, self.budget = backend, fallback, budget
        self.mode = "pool" if backend.background else "on demand"
        self.background = backend.background
        self.pool = pool
        self.concurrency = backend.concurrency
        self.fulltext = fulltext if backend.fulltext_key else frozenset()
        self.tokens = tokens
        self.from_text = f"{backend.key}+{backend.fulltext_key}-{tokens}"
        """The backend's part of the key of a summary from the full text."""
        # The pages' digests are keyed by it: a change of `fulltext_tokens` makes them again.
        self.version = self.from_text if backend.fulltext_key else backend.key
        self.maker = backend.model or "the model"
        self.who = backend.origin or backend.model or "the summarizer"
        self._recalled: Any = None
        self._cache: Cache | None = None

    def key(self, unit: Unit) -> str:
        """The key of the summary from the abstract."""
        return summary_key(unit.paper, self.backend.key, unit.language)

    def key_for(self, unit: Unit, inputs: Mapping[str, Any]) -> str:
        if self._text(unit, inputs) is None:
            return self.key(unit)
        return summary_key(unit.paper, self.from_text, unit.language)

    def _text(self, unit: Unit, inputs: Mapping[str, Any]) -> FullText | None:
        """The paper's full text, when it is to be summarized from it."""
        record = inputs.get("fulltext")
        if unit.paper.base not in self.fulltext or record is None:
            return None
        from ..fulltext.excerpt import sections_by_part  # imported already: the record is its

        # A paper whose sections are all related work or appendices is summarized from its abstract.
        return record if any(s.text for found in sections_by_part(record).values() for s in found) else None

    def lasts(self, unit: Unit, record: Summary) -> bool:
        """A summary from the abstract does for now for a paper whose pages want its full text."""
        return bool(record.fulltext_version) or unit.paper.base not in self.fulltext

    def load(self, data: Any) -> Summary | None:
        return Summary.from_dict(data)

    def dump(self, record: Summary) -> Any:
        return record.to_dict()

    def make(self, unit: Unit, paper: Paper, inputs: Mapping[str, Any]) -> Summary:
        record = self._text(unit, inputs)
        try:
            if record is None:
                return self.backend.summarize(paper, unit.language)
            summary = self.backend.summarize(paper, unit.language, self._reading(paper, record))
        except SummaryError as error:
            raise StageFailed(str(error)) from None
        return dataclasses.replace(summary, fulltext_version=paper.version)

    def _reading(self, paper: Paper, record: FullText) -> PaperText:
        """What the backend reads of the full text: an excerpt within
        `tokens` with the abstract it is given anyway, and the whole text of
        each part of the paper."""
        from ..fulltext import estimate_tokens, excerpt
        from ..fulltext.excerpt import sections_by_part

        room = max(self.tokens - estimate_tokens(paper.abstract), 0)
        parts = {part: " ".join(s.text for s in found) for part, found in sections_by_part(record).items()}
        body = dataclasses.replace(record, abstract="")
        return PaperText(paper.version, excerpt(body, room), parts, cut=lambda tokens: excerpt(body, tokens))

    def stand_in(self, unit: Unit, paper: Paper) -> Summary | None:
        if unit.paper.base in self.fulltext and self._cache is not None:
            # While the summary from the full text is written: the one from the abstract.
            kept = self._cache.record(self.key(unit), self.load)
            if kept is not None:
                return kept
        if self.fallback is None:
            return None
        with contextlib.suppress(SummaryError):
            return self.fallback.summarize(paper, unit.language)
        return None

    def slot(self) -> AbstractContextManager[Any]:
        return self.backend.slot()

    def start(self, cache: Cache) -> None:
        self._cache = cache
        if self.backend.memory_key:
            self._recalled = cache.get_json(self.backend.memory_key)
            self.backend.recall(self._recalled)

    def warm_up(self) -> None:
        self.backend.warm_up()

    def finish(self, cache: Cache) -> None:
        if self.backend.memory_key:
            learned = self.backend.memory()
            if learned is not None and learned != self._recalled:
                cache.set_json(self.backend.memory_key, learned)
                self._recalled = learned


@register("summaries")
def _summaries(services: Services) -> SummaryStage | None:
    summarizers, llm = services.summarizers, services.settings.llm
    if summarizers.main is None:
        return None
    budget = Budget(llm.max_summaries, llm.budget_seconds, ("llm.max_summaries", "llm.budget_seconds"))
    return SummaryStage(
        summarizers.main,
        summarizers.fallback,
        budget,
        summarizers.executor,
        services.wanted.get("fulltext", frozenset()),
        services.settings.fulltext.tokens,
    )
