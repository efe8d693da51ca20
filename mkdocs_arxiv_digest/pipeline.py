"""Get every paper a site needs, from the cache, a snapshot or arXiv, and its
summaries, while the build goes on; hand each page its papers when it asks."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from .cache import Cache
from .ids import ArxivId
from .records import ANNOUNCEMENT, Paper, Summary, cut_warning
from .snapshot import Snapshot
from .summarize import Summarizer, SummaryError

if TYPE_CHECKING:
    from .background import Background
    from .fetch import ArxivApi

Log = Callable[[str], None]

SUMMARY_THREADS = "arxiv-digest-summary"
"""The name of the threads background summarizers work in."""


class Lookup(NamedTuple):
    """A paper, or why there is none; `note` tells of a paper shown from an old cache entry."""

    paper: Paper | None
    reason: str = ""
    note: str = ""
    unknown: bool = False
    """arXiv has no paper with this ID (rather than: it could not be had)."""
    reported: bool = False
    """The pipeline warns of the `reason` or `note` itself, once per cause for
    the build (see `Pipeline.finish`): the pages showing the paper do not."""


class Cached(NamedTuple):
    """A paper the cache held when the build started, by its versioned ID and
    fingerprint: read again only when a page's digest must be made again, so
    a build does not hold every paper of the site."""

    arxiv_id: ArxivId
    fingerprint: str


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
class Stats:
    wanted: int = 0
    """The papers the pages list, each once."""
    cached: int = 0
    from_snapshot: int = 0
    snapshot_scans: int = 0
    fetched: int = 0
    requests: int = 0
    """Requests to arXiv's API."""
    unknown: int = 0
    failed: int = 0
    announced: int = 0
    """Papers shown from the text of their announcement: the API did not give them."""
    seconds: float = 0.0
    """Time spent fetching from arXiv's API."""
    summaries_cached: int = 0
    summaries_made: int = 0
    summaries_failed: int = 0
    summaries_deferred: int = 0
    summaries_over_budget: int = 0
    summaries_pending: int = 0
    problems: list[str] = field(default_factory=list)

    def planned(self, pages: int) -> str:
        """The log line when the build starts."""
        line = f"{self.wanted} paper(s) on {pages} page(s): {self.cached} in the cache"
        return line + (f", {self.unknown} known to be missing" if self.unknown else "")

    def report(self) -> str:
        """The log line when the build ends."""
        parts = [f"{self.cached} from the cache"]
        if self.from_snapshot:
            parts.append(f"{self.from_snapshot} from the snapshot")
        if self.requests:
            parts.append(f"{self.fetched} fetched in {self.requests} request(s) ({self.seconds:.1f} s)")
        if self.unknown:
            parts.append(f"{self.unknown} unknown to arXiv")
        if self.failed:
            parts.append(f"{self.failed} not fetched")
        if self.announced:
            parts.append(
                f"{self.announced} shown from their announcement (no comment, DOI or dates until arXiv's API answers)"
            )
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
        api: Callable[[], ArxivApi] | None,
        snapshot: Snapshot | None,
        summarizer: Summarizer | None,
        batch_size: int = 100,
        refresh_seconds: float | None = 7 * 86400,
        log: Log = print,
        executor: Executor | None = None,
        fallback: Summarizer | None = None,
        max_summaries: int | None = None,
        budget_seconds: float | None = None,
        background: Background | None = None,
    ) -> None:
        self.cache = cache
        self._make_api = api
        self.api: ArxivApi | None = None
        """The arXiv client, made (and the network libraries imported) only when a paper must be fetched."""
        self.snapshot = snapshot
        self.summarizer = summarizer
        self.batch_size = batch_size
        self.refresh_seconds = refresh_seconds
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
        self._from_new_snapshot: set[ArxivId] = set()
        self._counted: set[tuple[str, str]] = set()
        """Summaries counted already: found cached by `start`, or made by this build."""
        self._stale: set[ArxivId] = set()
        """Bare IDs cached but due for a check with arXiv."""
        self._unfetched: dict[tuple[bool, str, str], list[tuple[str, str]]] = {}
        """Papers arXiv did not give, by what is said of them: (shown from an
        older cache entry, why, what next), and their IDs with the details of
        why (the error of their batch)."""
        self._stop = threading.Event()

    def plan(self, needs: dict[ArxivId, set[str]]) -> None:
        """Resolve what the cache has now for each ID (and the languages its
        pages want); `start` does the rest."""
        self._languages = needs
        self._take_new_snapshot(list(needs))
        keys = [f"latest:{i.base}" if i.version is None else f"paper:{i.base}v{i.version}" for i in needs]
        with self.cache.reading_ahead(keys):
            self._plan(needs)
        self.stats.wanted = len(self._lookups)

    def _plan(self, needs: dict[ArxivId, set[str]]) -> None:
        for arxiv_id in needs:
            known = self.cache.known(arxiv_id, self.refresh_seconds)
            if known is None and self._make_api is not None and self.cache.known(arxiv_id, None) is not None:
                self._stale.add(arxiv_id)
            if known is not None:
                self._lookups[arxiv_id] = Cached(*known)
                self.stats.cached += arxiv_id not in self._from_new_snapshot
            elif self.cache.is_unknown(arxiv_id):
                self._lookups[arxiv_id] = Lookup(
                    None, "arXiv has no paper with this ID (checked within the last day)", unknown=True
                )
                self.stats.unknown += 1
            else:
                self._lookups[arxiv_id] = Future()
                self._todo.append(arxiv_id)

    def _take_new_snapshot(self, ids: list[ArxivId]) -> None:
        """When the snapshot file is new or has changed since it was last read,
        read it once for every paper wanted: it fills the cache with the papers
        it has, a newer version or new metadata for the same one winning over
        what is cached (offline too), and the IDs it lacks are remembered. An
        unchanged file costs a `stat`."""
        if self.snapshot is None or not ids:
            return
        try:
            stamp = self.snapshot.stamp()
        except OSError:
            return  # reported when the file is read
        key = f"snapshot-read:{self.snapshot.path.resolve()}"
        if self.cache.get_json(key) == stamp:
            return
        try:
            found = self.snapshot.lookup(ids)
        except (OSError, ValueError):
            return  # reported when the file is read
        finally:
            self._snapshot_read()
        newer: dict[ArxivId, Paper] = {}
        for arxiv_id, paper in found.items():
            old = self.cache.paper(arxiv_id, max_age=None)
            if old is None or paper.version > old.version or (paper.version == old.version and paper != old):
                newer[arxiv_id] = paper
        if newer:
            self.cache.store_papers(newer)
            self.stats.from_snapshot += len(newer)
            self._from_new_snapshot.update(newer)
        lacked = sorted({i.base for i in ids} - {i.base for i in found})
        self.cache.set_json(f"snapshot-missing:{self.snapshot.path.resolve()}", {"stamp": stamp, "ids": lacked})
        self.cache.set_json(key, stamp)

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
                    ready.append((arxiv_id, self._load(arxiv_id, known)))
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
                target=self._work, args=(self._todo,), name="arxiv-digest-fetch", daemon=True
            )
            self._thread.start()

    def paper(self, arxiv_id: ArxivId) -> Lookup:
        """The paper for `arxiv_id`, waiting for its batch if it is being fetched."""
        known = self._lookups.get(arxiv_id)
        if known is None:
            return Lookup(None, "it was not collected before the build started")
        if isinstance(known, Cached):
            return self._load(arxiv_id, known)
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

    def _load(self, arxiv_id: ArxivId, known: Cached) -> Lookup:
        paper = self.cache.paper(known.arxiv_id, None)
        if paper is not None:
            return Lookup(paper)
        self.cache.forget(arxiv_id)
        return Lookup(
            None, "the cache held it when the build started, but it could not be read again; it is fetched next build"
        )

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
        with self._lock:
            unfetched = dict(self._unfetched)
            self._unfetched.clear()
        first: dict[str, str] = {}
        for (from_cache, reason, later), papers in unfetched.items():
            if from_cache:
                said = f"{len(papers)} paper(s) shown as the cache holds them, perhaps not in arXiv's newest version"
            else:
                said = f"{len(papers)} paper(s) not shown (their pages say they are unavailable)"
            # The first batch's error: the batches after it may say only that arXiv was given up.
            detail = first.setdefault(reason, papers[0][1])
            why = f"{reason} ({detail})" if detail else reason
            self.stats.problems.append(f"{said}: {why}; {later}. Papers: {_listed(name for name, _ in papers)}.")
        return self.stats

    def _failure_warning(self, cause: str, papers: list[tuple[str, str]]) -> str:
        """One warning for the papers that failed for one cause."""
        assert self.summarizer is not None
        shown = _listed(paper for _, paper in papers)
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

    # The fetch worker

    def _resolve(self, arxiv_id: ArxivId, lookup: Lookup) -> None:
        pending = self._lookups[arxiv_id]
        assert isinstance(pending, Future)
        pending.set_result(lookup)
        self._paper_ready(arxiv_id, lookup)

    def _work(self, todo: list[ArxivId]) -> None:
        started = time.monotonic()
        try:
            # A paper due for a check is asked of arXiv: the snapshot would only
            # give back what it gave when the paper was first met.
            todo = [*self._from_snapshot([i for i in todo if i not in self._stale]), *self._stale.intersection(todo)]
            if todo and self._make_api is not None:
                self.api = self._make_api()
                self._from_api(todo)
        except Exception as error:  # never leave a page waiting on a dead worker
            self.stats.problems.append(f"fetching stopped: {error!r}")
        finally:
            for arxiv_id in todo:
                self._resolve_missing(arxiv_id)
            self.stats.seconds = time.monotonic() - started
            self.cache.release_thread()

    def _from_snapshot(self, todo: list[ArxivId]) -> list[ArxivId]:
        if self.snapshot is None:
            return todo
        key = f"snapshot-missing:{self.snapshot.path.resolve()}"
        try:
            stamp = self.snapshot.stamp()
            remembered = self.cache.get_json(key)
            missing = (
                set(remembered["ids"]) if isinstance(remembered, dict) and remembered.get("stamp") == stamp else set()
            )
            found = self.snapshot.lookup(todo, missing)
        except (OSError, ValueError) as error:
            self.stats.problems.append(f"the snapshot {self.snapshot.path} could not be read: {error}")
            return todo
        finally:
            self._snapshot_read()
        lacked = {i.base for i in todo} - {i.base for i in found}
        if lacked - missing:
            # Not scanned for again while the file stays the same.
            self.cache.set_json(key, {"stamp": stamp, "ids": sorted(missing | lacked)})
        if found:
            self.cache.store_papers(found)
            for arxiv_id, paper in found.items():
                self._resolve(arxiv_id, Lookup(paper))
            self.stats.from_snapshot = len(found)
        return [arxiv_id for arxiv_id in todo if arxiv_id not in found]

    def _snapshot_read(self) -> None:
        assert self.snapshot is not None
        self.stats.snapshot_scans = self.snapshot.scans
        if self.snapshot.cut:
            self.stats.problems.append(f"the snapshot {self.snapshot.path}: {cut_warning(self.snapshot.cut)}")
            self.snapshot.cut = []

    def _from_api(self, todo: list[ArxivId]) -> None:
        assert self.api is not None
        batches = -(-len(todo) // self.batch_size)
        self.log(
            f"Fetching {len(todo)} paper(s) from arXiv in {batches} request(s)"
            + (f", {self.api.delay_seconds:g} s apart" if batches > 1 else "")
        )
        done = 0
        for number, batch in enumerate(self.api.fetch(todo, self.batch_size), start=1):
            self.stats.requests += batch.requests
            self.cache.store_papers(batch.found)
            self.cache.mark_unknown(batch.unknown)
            for arxiv_id, paper in batch.found.items():
                self._resolve(arxiv_id, Lookup(paper))
            for arxiv_id in batch.unknown:
                self._resolve(arxiv_id, Lookup(None, "arXiv has no paper with this ID", unknown=True))
            self.stats.fetched += len(batch.found)
            self.stats.unknown += len(batch.unknown)
            if batch.cut:
                self.stats.problems.append(f"the arXiv API at {self.api.url}: {cut_warning(batch.cut)}")
            self.stats.failed += len(batch.refused)
            for arxiv_id, reason in batch.refused.items():
                self._resolve_missing(arxiv_id, reason)
            if batch.error:
                failed = [
                    i for i in batch.requested if not (i in batch.found or i in batch.unknown or i in batch.refused)
                ]
                self.stats.failed += len(failed)
                for arxiv_id in failed:
                    self._resolve_missing(arxiv_id, "arXiv could not be reached", batch.error)
            done += len(batch.requested)
            if batches > 1:
                self.log(f"Fetched batch {number}/{batches} ({done}/{len(todo)} papers)")
            if self._stop.is_set():
                break

    def _resolve_missing(self, arxiv_id: ArxivId, reason: str = "", detail: str = "") -> None:
        """Resolve a paper arXiv did not give: from an older cache entry if
        there is one, else as missing; `detail` (the batch's error) is said
        after `reason`, which the build's one warning per cause groups by."""
        pending = self._lookups[arxiv_id]
        if not isinstance(pending, Future) or pending.done():
            return
        later, later_all = "; it will be fetched on the next build", "they are fetched on the next build"
        if not reason:
            if self._make_api is None:
                where = "the cache or the snapshot" if self.snapshot else "the cache"
                reason, later = f"not in {where}, and `offline` is on", " (turn `offline` off to fetch it)"
                later_all = "turn `offline` off to fetch them"
            else:
                reason = "the build stopped before it was fetched"
        stale = self.cache.paper(arxiv_id, max_age=None)
        if stale is not None and stale.origin == ANNOUNCEMENT:
            # What the `daily` command kept of the announcement: the page it froze builds from it.
            self.stats.announced += 1
            self._resolve(arxiv_id, Lookup(stale))
            return
        # Said once per cause for the build, in `finish`, not on every page of every paper.
        with self._lock:
            if stale is not None:
                group = (True, reason, "they are checked again on the next build")
                self._unfetched.setdefault(group, []).append((stale.versioned_id, detail))
            else:
                self._unfetched.setdefault((False, reason, later_all), []).append((str(arxiv_id), detail))
        reason = f"{reason} ({detail})" if detail else reason
        if stale is not None:
            note = f"{reason}; showing v{stale.version} from the cache"
            self._resolve(arxiv_id, Lookup(stale, note=note, reported=True))
        else:
            self._resolve(arxiv_id, Lookup(None, reason + later, reported=True))


def _listed(names: Iterable[str]) -> str:
    """Papers named in a warning: the first 8, and how many more."""
    names = sorted(set(names))
    return ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
