"""Run a build's stages (see `stages`): every paper a site needs from the
metadata stage, while the build goes on, and each later stage's records as
the papers arrive (a pool stage) or when a page asks (an on-demand stage);
hand each page its records when it asks.

What is the same for every stage is done here: what the cache has, budgets,
thread pools, the background under `mkdocs serve`, progress lines, and one
warning per cause of failure."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import CancelledError, Executor, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from .cache import Cache
from .ids import ArxivId
from .records import Paper
from .stages import Outcome, Stage, StageCounts, StageFailed, Unit, failure, ordered, planned, progress
from .stages.metadata import Cached, Lookup, MetadataStage, PaperCounts

if TYPE_CHECKING:
    from .background import Background

Log = Callable[[str], None]

_LATER = object()
"""A needed record still being made, when it is not waited for."""

THREADS = "arxiv-digest-"
"""The start of the names of the threads the stages work in."""
SUMMARY_THREADS = THREADS + "summary"
"""The name of the threads background summarizers work in."""


@dataclass
class Stats(PaperCounts):
    stages: dict[str, StageCounts] = field(default_factory=dict)
    """What each stage after the metadata did, by its name."""

    def stage(self, name: str) -> StageCounts:
        """What the stage `name` did (all zero when it did not run)."""
        return self.stages.get(name) or StageCounts()

    def report(self) -> str:
        """The log line when the build ends."""
        parts = self.paper_parts() + [part for counts in self.stages.values() for part in counts.parts()]
        return f"{self.wanted} paper(s): " + ", ".join(parts)


class Records(NamedTuple):
    """A paper (or why there is none) and the shown stages' outcomes for it, by stage name."""

    lookup: Lookup
    outputs: dict[str, Outcome]


class Pipeline:
    """One build's worth of work. `plan` resolves what the cache has, `start`
    fetches the rest in one worker thread; each pool stage works on each paper
    as soon as it arrives. `paper` and `outcome` wait only for their own work."""

    def __init__(
        self, cache: Cache, stages: Sequence[Stage[Any]], *, background: Background | None = None, log: Log = print
    ) -> None:
        """`stages`: the metadata stage, then the others; `background`: under
        `mkdocs serve`, where a background stage's work outlives the build."""
        metadata, *others = stages
        assert isinstance(metadata, MetadataStage), "the metadata stage comes first"
        self.cache = cache
        self.metadata = metadata
        self.stages = ordered(others)
        self._named = {stage.name: stage for stage in self.stages}
        self.log = log
        self.background = background if any(_outlives(stage) for stage in self.stages) else None
        self._ours = self.background.rebuild_starts() if self.background is not None else False
        self._failures: dict[tuple[str, str], list[tuple[str, str]]] = (
            self.background.failures if self.background else {}
        )
        """Failed units by stage and cause: (the problem in full, the paper and language)."""
        self.stats = Stats(stages={stage.name: StageCounts(stage=stage) for stage in self.stages})
        # Cached when the cache has it, a Lookup when known at once otherwise,
        # a Future while it is being fetched.
        self._lookups: dict[ArxivId, Cached | Lookup | Future[Lookup]] = {}
        self._languages: dict[ArxivId, set[str]] = {}
        self._all_languages = 0
        self._work: dict[tuple[str, Unit], Future[Outcome]] = {}
        self._pools: dict[str, Executor] = {}
        self._own: list[ThreadPoolExecutor] = []
        """Threads made for this build only, for a pool stage without its own."""
        for stage in self.stages:
            if stage.mode == "pool":
                if stage.pool is None:
                    self._own.append(ThreadPoolExecutor(stage.concurrency, thread_name_prefix=THREADS + stage.name))
                self._pools[stage.name] = stage.pool or self._own[-1]
        self._sent = dict.fromkeys(self._pools, 0)
        self._expected: dict[str, int] = {}
        self._ends: dict[str, float] = {}
        # Shared with the builds before and after under `mkdocs serve`, as the failures are.
        self._lock = self.background.lock if self.background is not None else threading.RLock()
        self._thread: threading.Thread | None = None
        self._todo: list[ArxivId] = []
        self._counted: set[tuple[str, Unit]] = set()
        """Units counted already: found cached by `start`, or made by this build."""
        self._stop = threading.Event()

    def plan(self, needs: dict[ArxivId, set[str]]) -> None:
        """Resolve what the cache has now for each ID (and the languages its
        pages want); `start` does the rest."""
        self._languages = needs
        self._all_languages = len(set().union(*needs.values()))
        for arxiv_id, known in self.metadata.plan(list(needs), self.stats).items():
            if known is None:
                self._lookups[arxiv_id] = Future()
                self._todo.append(arxiv_id)
            else:
                self._lookups[arxiv_id] = known
        self.stats.wanted = len(self._lookups)

    def start(self) -> None:
        """Start the pool stages on the cached papers and fetch the rest, both in the background."""
        for stage in self.stages:
            stage.start(self.cache)
            if stage.mode == "pool":
                self._start_pool(stage)
        if self._todo:
            self._thread = threading.Thread(
                target=self.metadata.run,
                args=(self._todo, self._resolve, self._stop),
                name=THREADS + "fetch",
                daemon=True,
            )
            self._thread.start()

    def _start_pool(self, stage: Stage[Any]) -> None:
        if stage.budget.seconds is not None:
            self._ends[stage.name] = time.monotonic() + stage.budget.seconds
        if self._todo:
            stage.warm_up()
        missing = 0
        ready: list[tuple[ArxivId, Lookup]] = []
        papers = []
        for arxiv_id, known in list(self._lookups.items()):
            versioned = _versioned(known)
            if versioned is not None:
                units = [(unit, self._inputs_now(stage, unit)) for unit in self._units(stage, arxiv_id, versioned)]
                papers.append((arxiv_id, known, units))
        # Every paper's record is looked for: read in a few statements, not one each.
        keys = (self._key(stage, unit, inputs) for *_, units in papers for unit, inputs in units)
        with self.cache.reading_ahead(key for key in keys if key is not None):
            absents = [
                [unit for unit, inputs in units if not self._stored(stage, unit, inputs)] for *_, units in papers
            ]
        for (arxiv_id, known, units), absent in zip(papers, absents, strict=True):
            missing += len(absent)
            if isinstance(known, Lookup):
                ready.append((arxiv_id, known))
            elif absent and isinstance(known, Cached):
                ready.append((arxiv_id, self.metadata.reread(arxiv_id, known)))
            else:  # all made: read again only if the page's digest is made again
                self._count_cached(stage, [unit for unit, _ in units])
        expected = missing + sum(len(self._units(stage, i, i)) for i in self._todo)
        if stage.budget.most is not None:
            expected = min(expected, stage.budget.most)
        self._expected[stage.name] = expected
        if expected:
            self.log(planned(stage, expected))
        for arxiv_id, lookup in ready:
            self._queue(stage, arxiv_id, lookup)

    def _units(self, stage: Stage[Any], arxiv_id: ArxivId, versioned: ArxivId) -> list[Unit]:
        if stage.only is not None and versioned.base not in stage.only:
            return []
        if not stage.per_language:
            return [Unit(versioned)]
        return [Unit(versioned, language) for language in sorted(self._languages.get(arxiv_id, ()))]

    def _cached(self, stage: Stage[Any], unit: Unit, inputs: dict[str, Any] | None) -> Any:
        """The unit's record from the cache, made from `inputs`; `None` when
        there is none, when its inputs are not known yet (`None`), or when the
        stage cannot read it (that is its failure: the record is made again)."""
        if inputs is None:
            return None
        try:
            return self.cache.record(stage.key_for(unit, inputs), stage.load)
        except Exception as error:  # a stage's bug must not take the build down
            self._failed(stage, unit, f"reading its cached record failed: {type(error).__name__}: {error}")
            return None

    def _key(self, stage: Stage[Any], unit: Unit, inputs: dict[str, Any] | None) -> str | None:
        """The unit's key, when its inputs are known; `None` otherwise, or
        when the stage fails to say (it is said when the record is looked for)."""
        try:
            return stage.key_for(unit, inputs) if inputs is not None else None
        except Exception:
            return None

    def _stored(self, stage: Stage[Any], unit: Unit, inputs: dict[str, Any] | None) -> bool:
        """Whether the cache holds the unit's record, made from `inputs`, as
        `_cached` would find it, without building it (`Stage.fresh`)."""
        if inputs is None:
            return False
        try:
            data = self.cache.get_json(stage.key_for(unit, inputs))
            return data is not None and stage.fresh(data)
        except Exception as error:  # a stage's bug must not take the build down
            self._failed(stage, unit, f"reading its cached record failed: {type(error).__name__}: {error}")
            return False

    def _stand_in(self, stage: Stage[Any], unit: Unit, paper: Paper) -> Any:
        """What a page shows for the unit meanwhile; nothing when the stage fails to say."""
        try:
            return stage.stand_in(unit, paper)
        except Exception as error:  # a stage's bug must not take the build down
            self._failed(stage, unit, f"its stand-in failed: {type(error).__name__}: {error}")
            return None

    def _count_cached(self, stage: Stage[Any], units: Iterable[Unit]) -> None:
        """Count cached records, each unit once: a paper shown on several
        pages, or listed bare on one and pinned on another."""
        new = {(stage.name, unit) for unit in units} - self._counted
        self.stats.stages[stage.name].cached += len(new)
        self._counted.update(new)

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

    def versions(self) -> str:
        """What the shown stages make their records with, for the key of a
        page's finished digest: their versions (`none` without any)."""
        return ";".join(stage.version for stage in self.stages if stage.shown) or "none"

    def marks(self, ids: Iterable[ArxivId]) -> list[Cached | Lookup]:
        """What a page's digest is keyed by, for each ID: a paper the cache held
        as its `Cached` mark, unread, else its `Lookup` (waited for)."""
        return [self.resolved(arxiv_id) for arxiv_id in ids]

    def records(
        self, ids: Iterable[ArxivId], language: str, outputs: bool = True, skip: Iterable[str] = ()
    ) -> list[Records]:
        """Each paper with, when `outputs`, every shown stage's outcome for it
        in `language` (each waited for, or made now), but those of `skip`
        (stages the page does not show)."""
        made = []
        shown = [s.name for s in self.stages if s.shown and s.name not in set(skip)]
        for arxiv_id in ids:
            lookup, found = self.paper(arxiv_id), {}
            if outputs and lookup.paper is not None:
                found = {name: self.outcome(name, lookup.paper, language) for name in shown}
            made.append(Records(lookup, found))
        return made

    def outcome(self, name: str, paper: Paper, language: str) -> Outcome:
        """The record of stage `name` for `paper` in `language`: from the
        cache, from the background work, or made now (and cached)."""
        stage = self._named.get(name)
        if stage is None or (stage.only is not None and paper.arxiv_id.base not in stage.only):
            return Outcome(None)
        unit = Unit(paper.arxiv_id, language if stage.per_language else "")
        return self._outcome(stage, unit, paper, wait=False)

    def _inputs_now(self, stage: Stage[Any], unit: Unit) -> dict[str, Any] | None:
        """The records `unit` needs, when every one is known now; `None` when
        one is still being made and would be waited for."""
        inputs = {name: self._input(name, unit, None, wait=False) for name in stage.needs}
        return None if any(found is _LATER for found in inputs.values()) else inputs

    def _outcome(self, stage: Stage[Any], unit: Unit, paper: Paper, wait: bool) -> Outcome:
        with self._lock:
            future = self._work.get((stage.name, unit))
        if future is not None:
            if future.cancelled():
                return Outcome(self._stand_in(stage, unit, paper), deferred=True)
            if not wait and self.background is not None and _outlives(stage) and not future.done():
                return Outcome(self._stand_in(stage, unit, paper), deferred=True, pending=True)
            return future.result()
        inputs = {name: self._input(name, unit, paper) for name in stage.needs}
        cached = self._cached(stage, unit, inputs)
        if cached is not None:
            self._count_cached(stage, [unit])
            return _kept(stage, unit, cached)
        return self._make(stage, unit, paper, inputs)

    def finish(self) -> Stats:
        """Wait for all background work: everything fetched or made is stored."""
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            work = list(self._work.items())
        for (name, _), future in work:
            if self.background is not None and _outlives(self._named[name]):
                self.stats.stages[name].pending += not future.done()
            elif not future.cancelled():
                future.exception()
        for pool in self._own:
            pool.shutdown(wait=True)
        self.cache.flush()
        for stage in self.stages:
            stage.finish(self.cache)
        with self._lock:  # emptied, not replaced: under `mkdocs serve` the dict is shared
            failures = dict(self._failures)
            self._failures.clear()
        for (name, cause), papers in failures.items():
            if name in self._named:
                self.stats.problems.append(failure(self._named[name], cause, papers))
        self.stats.problems += self.metadata.problems()
        return self.stats

    def stop(self) -> None:
        """Stop after the batch and the units under way (a failed build)."""
        self._stop.set()
        with self._lock:
            for future in self._work.values():
                future.cancel()
        for pool in self._own:
            pool.shutdown(wait=False, cancel_futures=True)

    # Pool stages

    def _resolve(self, arxiv_id: ArxivId, lookup: Lookup) -> None:
        """A paper arrived from the metadata stage's worker."""
        pending = self._lookups[arxiv_id]
        assert isinstance(pending, Future)
        # Its units are queued before a page waiting for the paper is woken:
        # else the page would find none under way and make them a second time.
        self._paper_ready(arxiv_id, lookup)
        pending.set_result(lookup)

    def _paper_ready(self, arxiv_id: ArxivId, lookup: Lookup) -> None:
        for stage in self.stages:
            if stage.name in self._pools:
                try:
                    self._queue(stage, arxiv_id, lookup)
                except Exception as error:  # on the metadata worker: the other papers must still arrive
                    if lookup.paper is not None:
                        self._failed(stage, Unit(lookup.paper.arxiv_id), f"{type(error).__name__}: {error}")

    def _queue(self, stage: Stage[Any], arxiv_id: ArxivId, lookup: Lookup) -> None:
        """Send a paper that just arrived to a pool stage, unit by unit."""
        paper = lookup.paper
        if paper is None or self._stop.is_set():
            return
        background = self.background if _outlives(stage) else None
        counts, most = self.stats.stages[stage.name], stage.budget.most
        for unit in self._units(stage, arxiv_id, paper.arxiv_id):
            # What it needs, when known now; else the unit goes to the pool, which
            # waits for it and then asks the cache.
            inputs = self._inputs_now(stage, unit)
            key = stage.key_for(unit, inputs) if inputs is not None else None
            # Under way since an earlier build: taken over, not sent again. Looked
            # for before the cache, where a record is stored before it is done.
            running = background.running(key) if background is not None and key is not None else None
            with self._lock:
                if (stage.name, unit) in self._work:
                    continue
                cached = self._cached(stage, unit, inputs)
                future: Future[Outcome]
                if running is not None:
                    future = running
                elif cached is not None:
                    future = _done(_kept(stage, unit, cached))
                    counts.cached += 1
                elif background is not None and key is not None and not background.retry(key, self._ours):
                    # failed a moment ago: asked again when the writer saves a file
                    future = _done(Outcome(self._stand_in(stage, unit, paper), deferred=True))
                elif most is not None and self._sent[stage.name] >= most:
                    future = _done(Outcome(self._stand_in(stage, unit, paper), deferred=True))
                    counts.deferred += 1
                else:
                    try:
                        future = self._pools[stage.name].submit(self._make, stage, unit, paper)
                    except RuntimeError:  # its threads are shut down: `mkdocs serve` is stopping
                        future = _done(Outcome(self._stand_in(stage, unit, paper), deferred=True))
                    else:
                        self._sent[stage.name] += 1
                        if background is not None and key is not None:
                            background.started(key, future)
                self._work[(stage.name, unit)] = future

    # Making one unit

    def _make(self, stage: Stage[Any], unit: Unit, paper: Paper, inputs: dict[str, Any] | None = None) -> Outcome:
        try:
            return self._made_or_failed(stage, unit, paper, inputs)
        finally:
            if threading.current_thread().name.startswith(THREADS):
                self.cache.release_thread()  # the pool's threads outlive the build

    def _made_or_failed(self, stage: Stage[Any], unit: Unit, paper: Paper, inputs: dict[str, Any] | None) -> Outcome:
        counts = self.stats.stages[stage.name]
        # What it needs first: a slot (a model's room) is not held while waiting for it.
        if inputs is None:
            inputs = {name: self._input(name, unit, paper) for name in stage.needs}
            # Made from what it needs, the record may be in the cache already
            # (then it was not one of the units the stage's budget sends).
            cached = self._cached(stage, unit, inputs) if stage.needs else None
            if cached is not None:
                with self._lock:
                    self._sent[stage.name] -= stage.name in self._sent
                self._count_cached(stage, [unit])
                return _kept(stage, unit, cached)
        with stage.slot():  # the budget is checked once the unit may go
            if time.monotonic() >= self._ends.get(stage.name, float("inf")) or self._stop.is_set():
                with self._lock:
                    counts.over_budget += not self._stop.is_set()
                return Outcome(self._stand_in(stage, unit, paper), deferred=True)
            try:
                made = stage.make(unit, paper, inputs)
                data = stage.dump(made)
                json.dumps(data)  # what is not data fails here, not in the cache's batch with others
            except StageFailed as error:
                problem = str(error)
            except Exception as error:  # a stage's bug must not take the build down
                problem = f"{type(error).__name__}: {error}"
            else:
                # A pool stage's records are written at once; the render
                # thread's cheap ones in batches (see `cache.BATCH`).
                self.cache.set_json(stage.key_for(unit, inputs), data, batch=stage.mode != "pool")
                with self._lock:
                    counts.made += 1
                    self._counted.add((stage.name, unit))  # a second page showing it is not a cache hit
                    done = counts.made + counts.failed
                self._progress(stage, done)
                return _kept(stage, unit, made)
        self._failed(stage, unit, problem)
        return Outcome(self._stand_in(stage, unit, paper), deferred=True, failed=True)

    def _failed(self, stage: Stage[Any], unit: Unit, problem: str) -> None:
        """Count a unit's failure and keep it for the warning of its cause."""
        problem = " ".join(problem.split())[:300]
        # Grouped by cause, the details (a character position, a count) aside.
        cause = re.sub(r"\s*\([^()]*\)", "", problem).strip() or problem
        name = str(unit.paper) + (f" ({unit.language})" if self._all_languages > 1 and stage.per_language else "")
        counts = self.stats.stages[stage.name]
        with self._lock:
            counts.failed += 1
            self._failures.setdefault((stage.name, cause), []).append((problem, name))
            done = counts.made + counts.failed
        self._progress(stage, done)

    def _input(self, name: str, unit: Unit, paper: Paper | None, wait: bool = True) -> Any:
        """The record of a stage that `unit`'s stage needs; `None` without one.
        Waited for while its stage works on it in this build, until the end
        of that stage's budget; never for a background stage's work under
        `mkdocs serve` (the page is not kept waiting). Without `wait` (or a
        `paper`), `_LATER` for a record that would be waited for or made."""
        stage = self._named.get(name)
        if stage is None or (stage.only is not None and unit.paper.base not in stage.only):
            return None
        needed = Unit(unit.paper, unit.language if stage.per_language else "")
        with self._lock:
            future = self._work.get((name, needed))
        if future is None and (not wait or paper is None):
            cached = self._cached(stage, needed, {})
            if cached is None:
                return _LATER
            outcome = _kept(stage, needed, cached)
        elif future is None:
            assert paper is not None
            outcome = self._outcome(stage, needed, paper, wait=True)
        elif not future.done() and self.background is not None and _outlives(stage):
            return None
        elif not future.done() and (not wait or paper is None):
            return _LATER
        else:
            end = self._ends.get(name)
            try:
                outcome = future.result(None if end is None else max(0.0, end - time.monotonic()))
            except (FutureTimeout, CancelledError):
                return None
        return None if outcome.deferred else outcome.record

    def _progress(self, stage: Stage[Any], done: int) -> None:
        total = max(self._expected.get(stage.name, 0), done)
        if stage.mode == "pool" and total > 1 and (done == total or done % max(1, total // 10) == 0):
            with self._lock:
                line = progress(stage, self.stats.stages[stage.name], done, total)
            self.log(line)


def _outlives(stage: Stage[Any]) -> bool:
    """Whether the stage's work may outlive the build under `mkdocs serve`:
    it says so, and works in threads of its own, kept across rebuilds."""
    return stage.background and stage.mode == "pool" and stage.pool is not None


def _versioned(known: Cached | Lookup | Future[Lookup]) -> ArxivId | None:
    if isinstance(known, Cached):
        return known.arxiv_id
    return known.paper.arxiv_id if isinstance(known, Lookup) and known.paper is not None else None


def _kept(stage: Stage[Any], unit: Unit, record: Any) -> Outcome:
    """A record's outcome: one that does not last is shown as a stand-in is
    (the page's digest is not kept), though it is not asked again this build."""
    return Outcome(record, deferred=not stage.lasts(unit, record))


def _done(outcome: Outcome) -> Future[Outcome]:
    future: Future[Outcome] = Future()
    future.set_result(outcome)
    return future
