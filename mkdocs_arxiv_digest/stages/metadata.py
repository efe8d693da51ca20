"""A paper's metadata, the stage every other stage reads: from the cache while
fresh, else from the snapshot, else from arXiv's API in batches; IDs arXiv
does not know are remembered for a day.

Its cache keys are spelled here and nowhere else: `paper:{versioned ID}`,
`latest:{bare ID}` (the version a bare ID was last seen at, when it was
checked and its fingerprint), `unknown:{ID}`, and the snapshot's
`snapshot-read:` and `snapshot-missing:` records."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from ..cache import UNKNOWN_SECONDS, Cache, spread
from ..ids import ArxivId
from ..records import ANNOUNCEMENT, Paper, cut_warning
from . import Stage, Unit, Words, listed

if TYPE_CHECKING:
    from ..fetch import ArxivApi
    from ..snapshot import Snapshot

Log = Callable[[str], None]


class Lookup(NamedTuple):
    """A paper, or why there is none; `note` tells of a paper shown from an old cache entry."""

    paper: Paper | None
    reason: str = ""
    note: str = ""
    unknown: bool = False
    """arXiv has no paper with this ID (rather than: it could not be had)."""
    reported: bool = False
    """The pipeline warns of the `reason` or `note` itself, once per cause for
    the build (see `MetadataStage.problems`): the pages showing the paper do not."""


class Cached(NamedTuple):
    """A paper the cache held when the build started, by its versioned ID and
    fingerprint: read again only when a page's digest must be made again, so
    a build does not hold every paper of the site."""

    arxiv_id: ArxivId
    fingerprint: str


@dataclass
class PaperCounts:
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
    problems: list[str] = field(default_factory=list)

    def planned(self, pages: int) -> str:
        """The log line when the build starts."""
        line = f"{self.wanted} paper(s) on {pages} page(s): {self.cached} in the cache"
        return line + (f", {self.unknown} known to be missing" if self.unknown else "")

    def paper_parts(self) -> list[str]:
        """The papers' part of the log line when the build ends."""
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
        return parts


class Papers:
    """The papers a cache holds, by the keys this stage owns."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    @staticmethod
    def key(arxiv_id: ArxivId | str) -> str:
        return f"paper:{arxiv_id}"

    @staticmethod
    def pointer(arxiv_id: ArxivId) -> str:
        return f"latest:{arxiv_id.base}"

    @staticmethod
    def unknown(arxiv_id: ArxivId) -> str:
        """An ID arXiv said it has no paper for, remembered for a day."""
        return f"unknown:{arxiv_id}"

    @staticmethod
    def first_read(arxiv_id: ArxivId) -> str:
        """What `known` reads first for `arxiv_id` (read ahead for a whole site)."""
        return Papers.pointer(arxiv_id) if arxiv_id.version is None else Papers.key(arxiv_id)

    def paper(self, arxiv_id: ArxivId, max_age: float | None) -> Paper | None:
        """The cached paper for `arxiv_id`. A bare ID's latest version counts
        only if it was checked less than `max_age` seconds ago (`None`: any age)."""
        if arxiv_id.version is not None:
            return self.cache.record(self.key(arxiv_id), Paper.from_dict)
        latest = self._latest(arxiv_id, max_age)
        if latest is None:
            return None
        key = self.key(f"{arxiv_id.base}v{latest.get('version')}")
        # Caches written by 0.2.0 and before keep the latest version with its pointer.
        paper = Paper.from_dict(latest["paper"]) if isinstance(latest.get("paper"), dict) else None
        if paper is not None and self.key(paper.versioned_id) == key:
            return paper
        return self.cache.record(key, Paper.from_dict)

    def known(self, arxiv_id: ArxivId, max_age: float | None) -> tuple[ArxivId, str] | None:
        """The versioned ID and fingerprint of the paper `paper` would give,
        read from a bare ID's small pointer record: a warm build keys each
        page's finished digest by these, and reads no paper."""
        if arxiv_id.version is None:
            latest = self._latest(arxiv_id, max_age)
            if latest is None:
                return None
            version, mark = latest.get("version"), latest.get("print")
            if type(version) is int and isinstance(mark, str):
                return ArxivId(arxiv_id.base, version), mark
            paper = self.paper(arxiv_id, None)
            if paper is None:
                return None
            # A pointer from 0.2.0 or before: rewritten the small way, once.
            small = {"version": paper.version, "checked": latest.get("checked", 0), "print": paper.fingerprint()}
            self.cache.set_json(self.pointer(arxiv_id), small, batch=True)
            return paper.arxiv_id, small["print"]
        paper = self.paper(arxiv_id, max_age)
        if paper is None or (paper.origin == ANNOUNCEMENT and max_age is not None):
            return None  # a record of the announcement's text alone is due for the API's whenever it can be asked
        return paper.arxiv_id, paper.fingerprint()

    def _latest(self, arxiv_id: ArxivId, max_age: float | None) -> dict[str, Any] | None:
        latest = self.cache.get_json(self.pointer(arxiv_id))
        if not isinstance(latest, dict):
            return None
        if max_age is not None:
            seconds = self.cache.age(latest.get("checked"))
            if seconds is None or seconds > max_age * spread(arxiv_id.base):
                return None
        return latest

    def store(self, found: dict[ArxivId, Paper]) -> None:
        """Keep papers as they arrive, in one transaction; a bare ID also records its latest version."""
        now = self.cache.clock()
        values: dict[str, Any] = {
            self.key(paper.versioned_id): self._licensed(paper).to_dict() for paper in found.values()
        }
        # The small pointers after the papers: new rows are stored in the order
        # written, so a batch's pointers share a few pages of the database, and
        # a warm build, which reads every pointer and no paper, reads those.
        for arxiv_id, paper in found.items():
            if arxiv_id.version is None:
                values[self.pointer(arxiv_id)] = {
                    "version": paper.version,
                    "checked": now,
                    "print": paper.fingerprint(),
                }
        self.cache.set_many(values, delete=[self.unknown(arxiv_id) for arxiv_id in found])

    def _licensed(self, paper: Paper) -> Paper:
        """The paper with the licence the record it replaces had (the API names
        none; the announcement feed did), when it has none of its own."""
        if paper.license:
            return paper
        kept = self.cache.record(self.key(paper.versioned_id), Paper.from_dict)
        return dataclasses.replace(paper, license=kept.license) if kept is not None and kept.license else paper

    def forget(self, arxiv_id: ArxivId) -> None:
        """Drop a bare ID's pointer to its latest version (whose paper could
        not be read): the next build asks for it again."""
        self.cache.delete(self.pointer(arxiv_id))

    def is_unknown(self, arxiv_id: ArxivId) -> bool:
        return self.cache.has(self.unknown(arxiv_id))

    def mark_unknown(self, ids: list[ArxivId]) -> None:
        self.cache.set_many({self.unknown(arxiv_id): 1 for arxiv_id in ids}, expire=UNKNOWN_SECONDS)


class MetadataStage(Stage[Paper]):
    """Every paper's metadata; runs in a worker thread of its own, reading the
    snapshot first, then arXiv's API in batches."""

    name = "metadata"
    mode = "worker"
    words = Words("papers", "Papers", "Fetching", "fetched")

    def __init__(
        self,
        cache: Cache,
        api: Callable[[], ArxivApi] | None,
        snapshot: Snapshot | None,
        batch_size: int = 100,
        refresh_seconds: float | None = 7 * 86400,
        log: Log = print,
    ) -> None:
        self.cache = cache
        self.papers = Papers(cache)
        self._make_api = api
        self.api: ArxivApi | None = None
        """The arXiv client, made (and the network libraries imported) only when a paper must be fetched."""
        self.snapshot = snapshot
        self._where = str(snapshot.path.resolve()) if snapshot is not None else ""
        """The snapshot's path, as its records in the cache are keyed."""
        self.batch_size = batch_size
        self.refresh_seconds = refresh_seconds
        self.log = log
        self.counts = PaperCounts()
        self._lock = threading.Lock()
        self._from_new_snapshot: set[ArxivId] = set()
        self._stale: set[ArxivId] = set()
        """Bare IDs cached but due for a check with arXiv."""
        self._unfetched: dict[tuple[bool, str, str], list[tuple[str, str]]] = {}
        """Papers arXiv did not give, by what is said of them: (shown from an
        older cache entry, why, what next), and their IDs with the details of
        why (the error of their batch)."""
        self._resolve: Callable[[ArxivId, Lookup], None] = lambda arxiv_id, lookup: None
        self._waiting: set[ArxivId] = set()
        self._stop = threading.Event()

    def key(self, unit: Unit) -> str:
        return Papers.key(unit.paper)

    def load(self, data: Any) -> Paper | None:
        return Paper.from_dict(data)

    def dump(self, record: Paper) -> Any:
        return record.to_dict()

    # Planning

    def plan(self, ids: list[ArxivId], counts: PaperCounts) -> dict[ArxivId, Cached | Lookup | None]:
        """What the cache has now for each ID: the mark of a fresh paper, a
        `Lookup` for an ID known to be unknown, `None` for what must be fetched
        (by `run`). A new or changed snapshot is read first."""
        self.counts = counts
        self._take_new_snapshot(ids)
        planned: dict[ArxivId, Cached | Lookup | None] = {}
        with self.cache.reading_ahead(Papers.first_read(i) for i in ids):
            for arxiv_id in ids:
                known = self.papers.known(arxiv_id, self.refresh_seconds)
                if known is None and self._make_api is not None and self.papers.known(arxiv_id, None) is not None:
                    self._stale.add(arxiv_id)
                if known is not None:
                    planned[arxiv_id] = Cached(*known)
                    counts.cached += arxiv_id not in self._from_new_snapshot
                elif self.papers.is_unknown(arxiv_id):
                    reason = "arXiv has no paper with this ID (checked within the last day)"
                    planned[arxiv_id] = Lookup(None, reason, unknown=True)
                    counts.unknown += 1
                else:
                    planned[arxiv_id] = None
        return planned

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
        key = f"snapshot-read:{self._where}"
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
            old = self.papers.paper(arxiv_id, max_age=None)
            if old is None or paper.version > old.version or (paper.version == old.version and paper != old):
                newer[arxiv_id] = paper
        if newer:
            self.papers.store(newer)
            self.counts.from_snapshot += len(newer)
            self._from_new_snapshot.update(newer)
        lacked = sorted({i.base for i in ids} - {i.base for i in found})
        self.cache.set_json(self._missing_key, {"stamp": stamp, "ids": lacked})
        self.cache.set_json(key, stamp)

    @property
    def _missing_key(self) -> str:
        return f"snapshot-missing:{self._where}"

    def reread(self, arxiv_id: ArxivId, known: Cached) -> Lookup:
        """A paper the cache held when the build started, read now."""
        paper = self.papers.paper(known.arxiv_id, None)
        if paper is not None:
            return Lookup(paper)
        self.papers.forget(arxiv_id)
        return Lookup(
            None, "the cache held it when the build started, but it could not be read again; it is fetched next build"
        )

    # The worker

    def run(self, todo: list[ArxivId], resolve: Callable[[ArxivId, Lookup], None], stop: threading.Event) -> None:
        """Fetch `todo`, handing each paper (or why there is none) to `resolve`
        as it arrives; every ID of `todo` is resolved when this returns."""
        self._resolve, self._stop = resolve, stop
        self._waiting = set(todo)
        started = time.monotonic()
        try:
            # A paper due for a check is asked of arXiv: the snapshot would only
            # give back what it gave when the paper was first met.
            todo = [*self._from_snapshot([i for i in todo if i not in self._stale]), *self._stale.intersection(todo)]
            if todo and self._make_api is not None:
                self.api = self._make_api()
                self._from_api(todo)
        except Exception as error:  # never leave a page waiting on a dead worker
            self.counts.problems.append(f"fetching stopped: {error!r}")
        finally:
            for arxiv_id in todo:
                self._resolve_missing(arxiv_id)
            self.counts.seconds = time.monotonic() - started
            self.cache.release_thread()

    def _resolved(self, arxiv_id: ArxivId, lookup: Lookup) -> None:
        self._waiting.discard(arxiv_id)
        self._resolve(arxiv_id, lookup)

    def _from_snapshot(self, todo: list[ArxivId]) -> list[ArxivId]:
        if self.snapshot is None:
            return todo
        key = self._missing_key
        try:
            stamp = self.snapshot.stamp()
            remembered = self.cache.get_json(key)
            missing = (
                set(remembered["ids"]) if isinstance(remembered, dict) and remembered.get("stamp") == stamp else set()
            )
            found = self.snapshot.lookup(todo, missing)
        except (OSError, ValueError) as error:
            self.counts.problems.append(f"the snapshot {self.snapshot.path} could not be read: {error}")
            return todo
        finally:
            self._snapshot_read()
        lacked = {i.base for i in todo} - {i.base for i in found}
        if lacked - missing:
            # Not scanned for again while the file stays the same.
            self.cache.set_json(key, {"stamp": stamp, "ids": sorted(missing | lacked)})
        if found:
            self.papers.store(found)
            for arxiv_id, paper in found.items():
                self._resolved(arxiv_id, Lookup(paper))
            self.counts.from_snapshot = len(found)
        return [arxiv_id for arxiv_id in todo if arxiv_id not in found]

    def _snapshot_read(self) -> None:
        assert self.snapshot is not None
        self.counts.snapshot_scans = self.snapshot.scans
        if self.snapshot.cut:
            self.counts.problems.append(f"the snapshot {self.snapshot.path}: {cut_warning(self.snapshot.cut)}")
            self.snapshot.cut = []

    def _from_api(self, todo: list[ArxivId]) -> None:
        assert self.api is not None
        counts = self.counts
        batches = -(-len(todo) // self.batch_size)
        self.log(
            f"Fetching {len(todo)} paper(s) from arXiv in {batches} request(s)"
            + (f", {self.api.delay_seconds:g} s apart" if batches > 1 else "")
        )
        done = 0
        for number, batch in enumerate(self.api.fetch(todo, self.batch_size), start=1):
            counts.requests += batch.requests
            self.papers.store(batch.found)
            self.papers.mark_unknown(batch.unknown)
            for arxiv_id, paper in batch.found.items():
                self._resolved(arxiv_id, Lookup(paper))
            for arxiv_id in batch.unknown:
                self._resolved(arxiv_id, Lookup(None, "arXiv has no paper with this ID", unknown=True))
            counts.fetched += len(batch.found)
            counts.unknown += len(batch.unknown)
            if batch.cut:
                counts.problems.append(f"the arXiv API at {self.api.url}: {cut_warning(batch.cut)}")
            counts.failed += len(batch.refused)
            for arxiv_id, reason in batch.refused.items():
                self._resolve_missing(arxiv_id, reason)
            if batch.error:
                failed = [
                    i for i in batch.requested if not (i in batch.found or i in batch.unknown or i in batch.refused)
                ]
                counts.failed += len(failed)
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
        if arxiv_id not in self._waiting:
            return
        later, later_all = "; it will be fetched on the next build", "they are fetched on the next build"
        if not reason:
            if self._make_api is None:
                where = "the cache or the snapshot" if self.snapshot else "the cache"
                reason, later = f"not in {where}, and `offline` is on", " (turn `offline` off to fetch it)"
                later_all = "turn `offline` off to fetch them"
            else:
                reason = "the build stopped before it was fetched"
        stale = self.papers.paper(arxiv_id, max_age=None)
        if stale is not None and stale.origin == ANNOUNCEMENT:
            # What the `daily` command kept of the announcement: the page it froze builds from it.
            self.counts.announced += 1
            self._resolved(arxiv_id, Lookup(stale))
            return
        # Said once per cause for the build, in `problems`, not on every page of every paper.
        with self._lock:
            if stale is not None:
                group = (True, reason, "they are checked again on the next build")
                self._unfetched.setdefault(group, []).append((stale.versioned_id, detail))
            else:
                self._unfetched.setdefault((False, reason, later_all), []).append((str(arxiv_id), detail))
        reason = f"{reason} ({detail})" if detail else reason
        if stale is not None:
            note = f"{reason}; showing v{stale.version} from the cache"
            self._resolved(arxiv_id, Lookup(stale, note=note, reported=True))
        else:
            self._resolved(arxiv_id, Lookup(None, reason + later, reported=True))

    def problems(self) -> list[str]:
        """One warning per cause for the papers arXiv did not give (once the worker is done)."""
        with self._lock:
            unfetched = dict(self._unfetched)
            self._unfetched.clear()
        said: list[str] = []
        first: dict[str, str] = {}
        for (from_cache, reason, later), papers in unfetched.items():
            if from_cache:
                what = f"{len(papers)} paper(s) shown as the cache holds them, perhaps not in arXiv's newest version"
            else:
                what = f"{len(papers)} paper(s) not shown (their pages say they are unavailable)"
            # The first batch's error: the batches after it may say only that arXiv was given up.
            detail = first.setdefault(reason, papers[0][1])
            why = f"{reason} ({detail})" if detail else reason
            said.append(f"{what}: {why}; {later}. Papers: {listed(name for name, _ in papers)}.")
        return said
