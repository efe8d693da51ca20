"""Summarizer backends behind one small interface, `Summarizer`. Backends
know nothing of MkDocs.

The backends are kept in a registry, `BACKENDS`, by the name the
`summarizer` option gives them; the option's choices are its names. A
`Backend` there says how to make the summarizer from the build's
`LlmSettings`, handed whole (`None` for a backend that writes nothing), and
whether the extractive backend stands in for a paper it fails on. A new
backend is one module and one `register(Backend(...))`; nothing else asks
which backend it has.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from ..records import Paper, Summary


class SummaryError(Exception):
    """A backend could not summarize a paper; the message says why."""


@dataclass(frozen=True)
class LlmSettings:
    """The `llm` options of one build, read once from `mkdocs.yml` (see
    `settings.Settings.load`) and handed whole to the backend that uses them.
    Equal settings make the same backend: a change makes a new one."""

    base_url: str
    model: str
    api_key_env: str
    """The name of the environment variable that holds the key; empty for a server that needs none."""
    concurrency: int
    timeout: float
    retries: int
    temperature: float
    max_tokens: int
    response_format: str
    max_summaries: int | None
    budget_seconds: float | None
    api_key: str | None = field(default=None, repr=False)
    """The value of `api_key_env` as the environment held it when the settings were read
    (`None`: not set), checked by the backend that needs it."""


@dataclass(frozen=True)
class PaperText:
    """What a backend may read of a paper's full text besides its metadata."""

    version: int
    """The version of the paper it is of."""
    excerpt: str
    """The introduction, method, results (with their tables' captions) and
    conclusion, each under a `## ` heading and cut to fit, so that with the
    abstract they fit the site's `fulltext_tokens`; see `fulltext.excerpt`."""
    parts: Mapping[str, str] = field(default_factory=dict)
    """The whole text of the sections of each part (`introduction`,
    `method`, `results`, `conclusion`); a part the paper lacks is empty."""
    cut: Callable[[int], str] | None = None
    """The excerpt made again within that many (estimated) tokens, for a
    model whose context turns out to be too short for `excerpt`."""


class Summarizer:
    """What every backend is to the pipeline."""

    key: str = ""
    """Names the backend and every setting that changes what it writes: part of the cache key."""
    background: bool = False
    """True for slow backends: they work in a thread pool while the build goes
    on, on each paper as soon as it arrives."""
    concurrency: int = 1
    """How many papers it may work on at once."""
    model: str = ""
    """What writes the summaries, for the build log."""
    origin: str = ""
    """What writes the summaries and where, for warnings: the model and the server's URL."""
    fulltext_key: str = ""
    """Names how the backend reads a paper's full text (`PaperText`), and every
    setting that changes what it writes from it: part of the cache key of
    summaries from the full text. Empty for a backend that reads only the
    abstract; it is then never handed a full text."""
    memory_key: str = ""
    """The cache key under which the backend keeps what it learned about its
    server from one build to the next (see `memory`); empty when it keeps nothing."""

    def recall(self, memory: Any) -> None:
        """Take back what `memory` returned in an earlier build (or `None`)."""

    def memory(self) -> Any:
        """What the backend learned about its server, as JSON, to be kept; `None` for nothing."""
        return None

    def summarize(self, paper: Paper, language: str, text: PaperText | None = None) -> Summary:
        """The paper's summary in `language`, from its full text when `text`
        is given (only to a backend with a `fulltext_key`); raises
        `SummaryError` saying why not."""
        raise NotImplementedError

    def slot(self) -> AbstractContextManager[Any]:
        """Held while the pipeline sends one paper: a backend that finds out how
        much its server takes at once makes the others wait here (see `Ramp`)."""
        return contextlib.nullcontext()

    def warm_up(self) -> None:
        """Start slow preparations (imports, connections) before the first paper arrives."""

    def close(self) -> None:
        """Let go of connections and threads."""


@dataclass(frozen=True)
class Backend:
    """A summarizer backend, as the `summarizer` option names it."""

    name: str
    make: Callable[[LlmSettings], Summarizer | None]
    """Makes the summarizer from the build's settings; raises `ValueError` or
    `ImportError` naming the option or extra to fix."""
    fallback: bool = False
    """Whether the extractive backend stands in for a paper this one fails on."""


BACKENDS: dict[str, Backend] = {}
"""The backends by name, in the order the options reference lists them."""


def register(backend: Backend) -> Backend:
    """Make `backend` a choice of the `summarizer` option (replacing one of the same name)."""
    BACKENDS[backend.name] = backend
    return backend


def _extractive(llm: LlmSettings) -> Summarizer:
    from .extractive import ExtractiveSummarizer

    return ExtractiveSummarizer()


def _openai(llm: LlmSettings) -> Summarizer:
    from .llm import LlmSummarizer

    return LlmSummarizer(llm)


register(Backend("extractive", _extractive))
register(Backend("openai", _openai, fallback=True))
register(Backend("none", lambda llm: None))


@dataclass
class Summarizers:
    """The configured backend, the extractive one that stands in when it
    fails, and the threads a background backend works in."""

    main: Summarizer | None
    fallback: Summarizer | None = None
    executor: ThreadPoolExecutor | None = None

    @classmethod
    def make(cls, name: str, llm: LlmSettings) -> Summarizers:
        """Raises `ValueError` or `ImportError` naming the option or extra to fix."""
        backend = BACKENDS.get(name)
        if backend is None:
            raise ValueError(f"unknown summarizer {name!r}")
        main = backend.make(llm)
        fallback = BACKENDS["extractive"].make(llm) if backend.fallback else None
        executor = None
        if main is not None and main.background:
            # The prefix is pipeline.SUMMARY_THREADS: the pipeline knows its threads by it.
            executor = ThreadPoolExecutor(main.concurrency, thread_name_prefix="arxiv-digest-summary")
        return cls(main, fallback, executor)

    @property
    def key(self) -> str:
        return self.main.key if self.main else "none"

    def close(self) -> None:
        # The backend first: it ends the requests under way, so the threads end promptly.
        if self.main is not None:
            self.main.close()
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
