"""Get every paper a site needs, from the cache, a snapshot or arXiv, while the
build goes on; hand each page its papers and summaries when it asks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from .cache import Cache
from .fetch import ArxivApi, Snapshot
from .ids import ArxivId
from .records import Paper, Summary
from .summarize import Summarizer, SummaryError

Log = Callable[[str], None]


@dataclass(frozen=True)
class Lookup:
    """A paper, or why there is none; `note` tells of a paper shown from an old cache entry."""

    paper: Paper | None
    reason: str = ""
    note: str = ""


@dataclass
class Stats:
    wanted: int = 0
    cached: int = 0
    from_snapshot: int = 0
    fetched: int = 0
    requests: int = 0
    unknown: int = 0
    failed: int = 0
    seconds: float = 0.0
    summaries_cached: int = 0
    summaries_made: int = 0
    problems: list[str] = field(default_factory=list)


class Pipeline:
    """One build's worth of work. `start` returns at once; the network work
    happens in one worker thread, and `paper` waits only for its own batch."""

    def __init__(
        self,
        cache: Cache,
        api: ArxivApi | None,
        snapshot: Snapshot | None,
        summarizer: Summarizer | None,
        batch_size: int = 100,
        refresh_seconds: float | None = 7 * 86400,
        log: Log = print,
    ) -> None:
        self.cache = cache
        self.api = api
        self.snapshot = snapshot
        self.summarizer = summarizer
        self.batch_size = batch_size
        self.refresh_seconds = refresh_seconds
        self.log = log
        self.stats = Stats()
        self._lookups: dict[ArxivId, Future[Lookup]] = {}
        self._thread: threading.Thread | None = None
        self._todo: list[ArxivId] = []
        self._stop = threading.Event()

    def plan(self, ids: list[ArxivId]) -> None:
        """Resolve what the cache has now; `start` fetches the rest."""
        todo = self._todo = []
        for arxiv_id in dict.fromkeys(ids):
            future: Future[Lookup] = Future()
            self._lookups[arxiv_id] = future
            paper = self.cache.paper(arxiv_id, self.refresh_seconds)
            if paper is not None:
                future.set_result(Lookup(paper))
                self.stats.cached += 1
            elif self.cache.is_unknown(arxiv_id):
                future.set_result(Lookup(None, "arXiv has no paper with this ID (checked within the last day)"))
                self.stats.unknown += 1
            else:
                todo.append(arxiv_id)
        self.stats.wanted = len(self._lookups)

    def start(self) -> None:
        """Fetch what the cache lacks in a worker thread, so the build goes on meanwhile."""
        if self._todo:
            self._thread = threading.Thread(
                target=self._work, args=(self._todo,), name="arxiv-digest-fetch", daemon=True
            )
            self._thread.start()

    def paper(self, arxiv_id: ArxivId) -> Lookup:
        """The paper for `arxiv_id`, waiting for its batch if it is being fetched."""
        future = self._lookups.get(arxiv_id)
        if future is None:
            return Lookup(None, "it was not collected before the build started")
        try:
            return future.result()
        except Exception as error:  # the worker failed in a way it did not foresee
            return Lookup(None, f"fetching failed: {error}")

    def summary(self, paper: Paper, language: str) -> Summary | None:
        """The summary of `paper` in `language`, from the cache or made now and cached."""
        if self.summarizer is None:
            return None
        key = Cache.summary_key(paper, self.summarizer.key, language)
        cached = self.cache.summary(key)
        if cached is not None:
            self.stats.summaries_cached += 1
            return cached
        try:
            made = self.summarizer.summarize(paper, language)
        except SummaryError as error:
            self.stats.problems.append(f"{paper.versioned_id}: could not be summarized ({error})")
            return None
        self.cache.store_summary(key, made)
        self.stats.summaries_made += 1
        return made

    def finish(self) -> Stats:
        """Wait for the worker: everything fetched is stored before the build ends."""
        if self._thread is not None:
            self._thread.join()
        return self.stats

    def stop(self) -> None:
        """Ask the worker to stop after the batch it is on (a failed build)."""
        self._stop.set()

    # The worker thread

    def _work(self, todo: list[ArxivId]) -> None:
        started = time.monotonic()
        try:
            todo = self._from_snapshot(todo)
            if todo and self.api is not None:
                self._from_api(todo)
        except Exception as error:  # never leave a page waiting on a dead worker
            self.stats.problems.append(f"fetching stopped: {error!r}")
        finally:
            for arxiv_id in todo:
                self._resolve_missing(arxiv_id)
            self.stats.seconds = time.monotonic() - started

    def _from_snapshot(self, todo: list[ArxivId]) -> list[ArxivId]:
        if self.snapshot is None:
            return todo
        try:
            found = self.snapshot.lookup(todo)
        except (OSError, ValueError) as error:
            self.stats.problems.append(f"the snapshot {self.snapshot.path} could not be read: {error}")
            return todo
        if found:
            self.cache.store_papers(found)
            for arxiv_id, paper in found.items():
                self._lookups[arxiv_id].set_result(Lookup(paper))
            self.stats.from_snapshot = len(found)
        return [arxiv_id for arxiv_id in todo if arxiv_id not in found]

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
                self._lookups[arxiv_id].set_result(Lookup(paper))
            for arxiv_id in batch.unknown:
                self._lookups[arxiv_id].set_result(Lookup(None, "arXiv has no paper with this ID"))
            self.stats.fetched += len(batch.found)
            self.stats.unknown += len(batch.unknown)
            if batch.error:
                failed = [i for i in batch.requested if i not in batch.found and i not in batch.unknown]
                self.stats.failed += len(failed)
                for arxiv_id in failed:
                    self._resolve_missing(arxiv_id, f"arXiv could not be reached ({batch.error})")
            done += len(batch.requested)
            if batches > 1:
                self.log(f"Fetched batch {number}/{batches} ({done}/{len(todo)} papers)")
            if self._stop.is_set():
                break

    def _resolve_missing(self, arxiv_id: ArxivId, reason: str = "") -> None:
        future = self._lookups[arxiv_id]
        if future.done():
            return
        later = "; it will be fetched on the next build"
        if not reason:
            if self.api is None:
                where = "the cache or the snapshot" if self.snapshot else "the cache"
                reason, later = f"not in {where}, and `offline` is on", " (turn `offline` off to fetch it)"
            else:
                reason = "the build stopped before it was fetched"
        stale = self.cache.paper(arxiv_id, max_age=None)
        if stale is not None:
            future.set_result(Lookup(stale, note=f"{reason}; showing v{stale.version} from the cache"))
        else:
            future.set_result(Lookup(None, reason + later))
