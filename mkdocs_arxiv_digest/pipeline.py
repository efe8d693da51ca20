"""Get every paper a site needs, from the cache, a snapshot or arXiv, and its
summaries, while the build goes on; hand each page its papers when it asks."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from .cache import Cache
from .ids import ArxivId
from .records import Paper, Summary
from .stages.metadata import Cached, Lookup, MetadataStage, PaperCounts, listed
from .summarize import Summarizer, SummaryError

if TYPE_CHECKING:
    from .background import Background

Log = Callable[[str], None]

SUMMARY_THREADS = "arxiv-digest-summary"
"""The name of the threads background summarizers work in."""


class Written(NamedTuple):
    """A summary, and why it is not the configured backend's when it is not."""

    summary: Summary | None
    deferred: bool = False
    """Not written this build: left for a later build by `max_summaries` or
    `budget_seconds`, or failed (the pipeline then warns once per cause, at the
    end, with the papers: see `Pipeline.finish`). The fallback's summary is
    shown, and the next build asks again."""
    pending: bool = False
    """Still being written in the background (under `mkdocs serve`): the page
    shows the fallback's summary, marked, and reloads when it lands."""
    failed: bool = False
    """The backend was asked and failed."""


@dataclass
class Stats(PaperCounts):
    summaries_cached: int = 0
    summaries_made: int = 0
    summaries_failed: int = 0
    summaries_deferred: int = 0
    summaries_over_budget: int = 0
    summaries_pending: int = 0

    def report(self) -> str:
        """The log line when the build ends."""
        parts = self.paper_parts()
        if self.summaries_made or self.summaries_cached or self.summaries_failed:
            parts.append(
                f"summaries: {self.summaries_cached} cached, {self.summaries_made} new"
                + (f", {self.summaries_failed} failed" if self.summaries_failed else "")
            )
        if self.summaries_deferred:
            parts.append(
                f"{self.summaries_deferred} left for a later build by 'llm.max_summaries' "
                "(shown with the extractive summary)"
            )
        if self.summaries_over_budget:
            parts.append(
                f"{self.summaries_over_budget} left for a later build by 'llm.budget_seconds' "
                "(shown with the extractive summary)"
            )
        if self.summaries_pending:
            parts.append(
                f"{self.summaries_pending} summaries still being written in the background "
                "(shown with the extractive summary until they land; the pages then reload)"
            )
        return f"{self.wanted} paper(s): " + ", ".join(parts)


class Pipeline:
    """One build's worth of work. `plan` resolves what the cache has, `start`
    fetches the rest in one worker thread; with a background summarizer each
    paper is summarized, `concurrency` at a time, as soon as it arrives.
    `paper` and `summary` wait only for their own work."""

    def __init__(
        self,
        cache: Cache,
        metadata: MetadataStage,
        summarizer: Summarizer | None,
        log: Log = print,
        executor: Executor | None = None,
        fallback: Summarizer | None = None,
        max_summaries: int | None = None,
        budget_seconds: float | None = None,
        background: Background | None = None,
    ) -> None:
        self.cache = cache
        self.metadata = metadata
        self.summarizer = summarizer
        self.log = log
        self.executor = executor if summarizer is not None and summarizer.background else None
        self.fallback = fallback
        self.max_summaries = max_summaries
        self.budget_seconds = budget_seconds
        self._budget_ends = float("inf")
        self.background = background if self.executor is not None else None
        """Under `mkdocs serve`: summaries go on after the build, and pages do not wait for them."""
        self._ours = self.background.rebuild_starts() if self.background is not None else False
        self._failures: dict[str, list[tuple[str, str]]] = self.background.failures if self.background else {}
        """Failed summaries by cause: (the problem in full, the paper and language)."""
        self._recalled: object = None
        self.stats = Stats()
        # Cached when the cache has it, a Lookup when known at once otherwise,
        # a Future while it is being fetched.
        self._lookups: dict[ArxivId, Cached | Lookup | Future[Lookup]] = {}
        self._languages: dict[ArxivId, set[str]] = {}
        self._summaries: dict[tuple[str, str], Future[Written]] = {}
        self._sent = 0
        self._expected = 0
        # Shared with the builds before and after under `mkdocs serve`, as the failures are.
        self._lock = self.background.lock if self.background is not None else threading.Lock()
        self._thread: threading.Thread | None = None
        self._todo: list[ArxivId] = []
        self._counted: set[tuple[str, str]] = set()
        """Summaries counted already: found cached by `start`, or made by this build."""
        self._stop = threading.Event()

    def plan(self, needs: dict[ArxivId, set[str]]) -> None:
        """Resolve what the cache has now for each ID (and the languages its
        pages want); `start` does the rest."""
        self._languages = needs
        for arxiv_id, known in self.metadata.plan(list(needs), self.stats).items():
            if known is None:
                self._lookups[arxiv_id] = Future()
                self._todo.append(arxiv_id)
            else:
                self._lookups[arxiv_id] = known
        self.stats.wanted = len(self._lookups)

    def _count_cached(self, summaries: Iterable[tuple[str, str]]) -> None:
        """Count cached summaries, each (versioned ID, language) once: a paper
        shown on several pages, or listed bare on one and pinned on another."""
        new = {summary for summary in summaries if summary not in self._counted}
        self.stats.summaries_cached += len(new)
        self._counted.update(new)

    def start(self) -> None:
        """Summarize the cached papers and fetch the rest, both in the background."""
        if self.summarizer is not None and self.summarizer.memory_key:
            self._recalled = self.cache.get_json(self.summarizer.memory_key)
            self.summarizer.recall(self._recalled)
        if self.budget_seconds is not None and self.executor is not None:
            self._budget_ends = time.monotonic() + self.budget_seconds
        if self.executor is not None:
            assert self.summarizer is not None
            if self._todo:
                self.summarizer.warm_up()
            missing = 0
            ready: list[tuple[ArxivId, Lookup]] = []
            for arxiv_id, known in list(self._lookups.items()):
                versioned = self._versioned(known)
                if versioned is None:
                    continue
                languages = self._languages[arxiv_id]
                absent = [x for x in languages if self.cache.summary(self._summary_key(versioned, x)) is None]
                missing += len(absent)
                if isinstance(known, Lookup):
                    ready.append((arxiv_id, known))
                elif absent and isinstance(known, Cached):
                    ready.append((arxiv_id, self.metadata.reread(arxiv_id, known)))
                else:  # all written: read again only if the page's digest is made again
                    self._count_cached((str(versioned), language) for language in languages)
            self._expected = missing + sum(len(self._languages[i]) for i in self._todo)
            if self.max_summaries is not None:
                self._expected = min(self._expected, self.max_summaries)
            if self._expected:
                name = self.summarizer.model or "the model"
                concurrency = self.summarizer.concurrency
                cap = f", at most {self.max_summaries} this build" if self.max_summaries is not None else ""
                self.log(f"Writing up to {self._expected} summaries with {name}, up to {concurrency} at a time{cap}")
            for arxiv_id, lookup in ready:
                self._paper_ready(arxiv_id, lookup)
        if self._todo:
            self._thread = threading.Thread(
                target=self.metadata.run,
                args=(self._todo, self._resolve, self._stop),
                name="arxiv-digest-fetch",
                daemon=True,
            )
            self._thread.start()

    def paper(self, arxiv_id: ArxivId) -> Lookup:
        """The paper for `arxiv_id`, waiting for its batch if it is being fetched."""
        known = self._lookups.get(arxiv_id)
        if known is None:
            return Lookup(None, "it was not collected before the build started")
        if isinstance(known, Cached):
            return self.metadata.reread(arxiv_id, known)
        if isinstance(known, Lookup):
            return known
        try:
            return known.result()
        except Exception as error:  # the worker failed in a way it did not foresee
            return Lookup(None, f"fetching failed: {error}")

    def resolved(self, arxiv_id: ArxivId) -> Cached | Lookup:
        """As `paper`, but a paper the cache held as its `Cached` mark, unread."""
        known = self._lookups.get(arxiv_id)
        return known if isinstance(known, Cached) else self.paper(arxiv_id)

    @staticmethod
    def _versioned(known: Cached | Lookup | Future[Lookup]) -> ArxivId | None:
        if isinstance(known, Cached):
            return known.arxiv_id
        return known.paper.arxiv_id if isinstance(known, Lookup) and known.paper is not None else None

    def summary(self, paper: Paper, language: str) -> Written:
        """The summary of `paper` in `language`: from the cache, from the
        background work, or made now (and cached)."""
        if self.summarizer is None:
            return Written(None)
        with self._lock:
            future = self._summaries.get((paper.versioned_id, language))
        if future is not None:
            if future.cancelled():
                return Written(self._fallback(paper, language), deferred=True)
            if self.background is not None and not future.done():
                return Written(self._fallback(paper, language), deferred=True, pending=True)
            return future.result()
        cached = self.cache.summary(self._summary_key(paper, language))
        if cached is not None:
            self._count_cached([(paper.versioned_id, language)])
            return Written(cached)
        return self._summarize(paper, language)

    def finish(self) -> Stats:
        """Wait for all background work: everything fetched or written is stored."""
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            futures = list(self._summaries.values())
        if self.background is not None:
            self.stats.summaries_pending = sum(1 for future in futures if not future.done())
        else:
            for future in futures:
                if not future.cancelled():
                    future.exception()
        self.cache.flush()
        if self.summarizer is not None and self.summarizer.memory_key:
            learned = self.summarizer.memory()
            if learned is not None and learned != self._recalled:
                self.cache.set_json(self.summarizer.memory_key, learned)
                self._recalled = learned
        with self._lock:  # emptied, not replaced: under `mkdocs serve` the dict is shared
            failures = dict(self._failures)
            self._failures.clear()
        for cause, papers in failures.items():
            self.stats.problems.append(self._failure_warning(cause, papers))
        self.stats.problems += self.metadata.problems()
        return self.stats

    def _failure_warning(self, cause: str, papers: list[tuple[str, str]]) -> str:
        """One warning for the papers that failed for one cause."""
        assert self.summarizer is not None
        shown = listed(paper for _, paper in papers)
        example = papers[0][0]
        detail = f" ({example})" if example != cause else ""
        origin = self.summarizer.origin or self.summarizer.model or "the summarizer"
        return (
            f"Summaries from {origin} failed for {len(papers)} paper(s): {cause}{detail}. "
            f"Papers: {shown}. They show the extractive summary and are asked for again on the next build."
        )

    def stop(self) -> None:
        """Stop after the batch and the summaries under way (a failed build)."""
        self._stop.set()
        with self._lock:
            for future in self._summaries.values():
                future.cancel()

    # Summaries

    def _summary_key(self, paper: Paper | ArxivId, language: str) -> str:
        assert self.summarizer is not None
        return Cache.summary_key(paper, self.summarizer.key, language)

    def _paper_ready(self, arxiv_id: ArxivId, lookup: Lookup) -> None:
        """Queue the summaries of a paper that just arrived (background summarizers only)."""
        paper = lookup.paper
        if self.executor is None or paper is None or self._stop.is_set():
            return
        for language in sorted(self._languages.get(arxiv_id, ())):
            key = self._summary_key(paper, language)
            # Under way since an earlier build: taken over, not sent again. Looked
            # for before the cache, where a summary is stored before it is done.
            running = self.background.running(key) if self.background is not None else None
            with self._lock:
                if (paper.versioned_id, language) in self._summaries:
                    continue
                cached = self.cache.summary(key)
                future: Future[Written]
                if running is not None:
                    future = running
                elif cached is not None:
                    future = Future()
                    future.set_result(Written(cached))
                    self.stats.summaries_cached += 1
                elif self.background is not None and not self.background.retry(key, self._ours):
                    future = Future()  # failed a moment ago: asked again when the writer saves a file
                    future.set_result(Written(self._fallback(paper, language), deferred=True))
                elif self.max_summaries is not None and self._sent >= self.max_summaries:
                    future = Future()
                    future.set_result(Written(self._fallback(paper, language), deferred=True))
                    self.stats.summaries_deferred += 1
                else:
                    try:
                        future = self.executor.submit(self._summarize, paper, language)
                    except RuntimeError:  # its threads are shut down: `mkdocs serve` is stopping
                        future = Future()
                        future.set_result(Written(self._fallback(paper, language), deferred=True))
                    else:
                        self._sent += 1
                        if self.background is not None:
                            self.background.started(key, future)
                self._summaries[(paper.versioned_id, language)] = future

    def _summarize(self, paper: Paper, language: str) -> Written:
        try:
            return self._write_summary(paper, language)
        finally:
            if threading.current_thread().name.startswith(SUMMARY_THREADS):
                self.cache.release_thread()  # the pool's threads outlive the build

    def _write_summary(self, paper: Paper, language: str) -> Written:
        assert self.summarizer is not None
        with self.summarizer.slot():  # the budget is checked once the paper may go
            if time.monotonic() >= self._budget_ends or self._stop.is_set():
                with self._lock:
                    self.stats.summaries_over_budget += not self._stop.is_set()
                return Written(self._fallback(paper, language), deferred=True)
            try:
                made = self.summarizer.summarize(paper, language)
            except SummaryError as error:
                problem = str(error)
            except Exception as error:  # a backend bug must not take the build down
                problem = f"{type(error).__name__}: {error}"
            else:
                return self._written(paper, language, made)
        return self._failed(paper, language, problem)

    def _written(self, paper: Paper, language: str, made: Summary) -> Written:
        # A background model's answers are written at once; the render
        # thread's cheap ones in batches (see `cache.BATCH`).
        self.cache.store_summary(self._summary_key(paper, language), made, batch=self.executor is None)
        with self._lock:
            self.stats.summaries_made += 1
            self._counted.add((paper.versioned_id, language))  # a second page showing it is not a cache hit
            done = self.stats.summaries_made + self.stats.summaries_failed
        self._progress(done)
        return Written(made)

    def _failed(self, paper: Paper, language: str, problem: str) -> Written:
        problem = " ".join(problem.split())[:300]
        # Grouped by cause, the details (a character position, a count) aside.
        cause = re.sub(r"\s*\([^()]*\)", "", problem).strip() or problem
        name = paper.versioned_id + (f" ({language})" if len(set().union(*self._languages.values())) > 1 else "")
        with self._lock:
            self.stats.summaries_failed += 1
            self._failures.setdefault(cause, []).append((problem, name))
            done = self.stats.summaries_made + self.stats.summaries_failed
        self._progress(done)
        return Written(self._fallback(paper, language), deferred=True, failed=True)

    def _fallback(self, paper: Paper, language: str) -> Summary | None:
        if self.fallback is None:
            return None
        try:
            return self.fallback.summarize(paper, language)
        except SummaryError:
            return None

    def _progress(self, done: int) -> None:
        total = max(self._expected, done)
        if self.executor is not None and total > 1 and (done == total or done % max(1, total // 10) == 0):
            with self._lock:
                made, failed = self.stats.summaries_made, self.stats.summaries_failed
            self.log(f"Summaries: {made} written, {failed} failed, {done} of {total} done")

    # The fetch worker's papers

    def _resolve(self, arxiv_id: ArxivId, lookup: Lookup) -> None:
        pending = self._lookups[arxiv_id]
        assert isinstance(pending, Future)
        pending.set_result(lookup)
        self._paper_ready(arxiv_id, lookup)
