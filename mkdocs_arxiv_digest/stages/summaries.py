"""Each paper's summary in each language its pages want, by the configured
summarizer backend (see `summarize`); the extractive one stands in when a
model fails or has not answered yet.

Its cache key is spelled here and nowhere else:
`summary:{versioned ID}:{backend's key}:{language}:{SCHEMA}`."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from ..ids import ArxivId
from ..records import SCHEMA, Paper, Summary
from ..summarize import Summarizer, SummaryError
from . import Budget, Stage, StageFailed, Unit, Words, register

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from ..cache import Cache
    from ..services import Services


def summary_key(paper: ArxivId | str, backend: str, language: str) -> str:
    """The key of a paper's summary, by its versioned ID."""
    return f"summary:{paper}:{backend}:{language}:{SCHEMA}"


class SummaryStage(Stage[Summary]):
    name = "summaries"
    per_language = True
    words = Words("summaries", "Summaries", "Writing", "written", "the extractive summary")

    def __init__(
        self, backend: Summarizer, fallback: Summarizer | None, budget: Budget, pool: Executor | None = None
    ) -> None:
        self.backend, self.fallback, self.budget = backend, fallback, budget
        self.mode = "pool" if backend.background else "on demand"
        self.background = backend.background
        self.pool = pool
        self.concurrency = backend.concurrency
        self.version = backend.key
        self.maker = backend.model or "the model"
        self.who = backend.origin or backend.model or "the summarizer"
        self._recalled: Any = None

    def key(self, unit: Unit) -> str:
        return summary_key(unit.paper, self.version, unit.language)

    def load(self, data: Any) -> Summary | None:
        return Summary.from_dict(data)

    def dump(self, record: Summary) -> Any:
        return record.to_dict()

    def make(self, unit: Unit, paper: Paper, inputs: Mapping[str, Any]) -> Summary:
        try:
            return self.backend.summarize(paper, unit.language)
        except SummaryError as error:
            raise StageFailed(str(error)) from None

    def stand_in(self, unit: Unit, paper: Paper) -> Summary | None:
        if self.fallback is None:
            return None
        with contextlib.suppress(SummaryError):
            return self.fallback.summarize(paper, unit.language)
        return None

    def slot(self) -> AbstractContextManager[Any]:
        return self.backend.slot()

    def start(self, cache: Cache) -> None:
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
    return SummaryStage(summarizers.main, summarizers.fallback, budget, summarizers.executor)
