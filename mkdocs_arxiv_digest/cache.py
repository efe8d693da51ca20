"""What was fetched and summarized, kept on disk between builds (diskcache, JSON values)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import diskcache

from .ids import ArxivId
from .records import SCHEMA, Paper, Summary

_T = TypeVar("_T")
_R = TypeVar("_R", Paper, Summary)

UNKNOWN_SECONDS = 24 * 3600
"""How long an ID arXiv has no paper for is remembered as unknown."""


class DamagedEntry(Exception):
    """A row of the cache that is not data this plugin wrote."""


class DataOnlyDisk(diskcache.Disk):  # type: ignore[misc]
    """diskcache's storage, refusing what is not data: it never unpickles a key
    or a value (a pickle runs code when read), and never reads a file outside
    the cache folder. This plugin writes only strings, which diskcache keeps
    as text, so a pickled row was planted by someone else."""

    def get(self, key: Any, raw: bool) -> Any:
        if not raw:
            raise DamagedEntry("its key is a pickle")
        return super().get(key, raw)

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        if mode == diskcache.core.MODE_PICKLE:
            raise DamagedEntry("its value is a pickle")
        if filename is not None and (os.path.isabs(filename) or ".." in Path(filename).parts):
            raise DamagedEntry(f"it points outside the cache folder ({filename!r})")
        return super().fetch(mode, filename, value, read)


class Cache:
    """Papers by versioned ID, the latest version seen of each bare ID with
    when it was checked, IDs known to be unknown, and summaries.

    diskcache is thread- and process-safe (SQLite), so a worker thread may
    write while pages render, and `mkdocs serve` and a build may share it.
    What was read or written is also kept in memory, so the rebuilds of
    `mkdocs serve` (which keep this object) do not read the disk again.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._memory: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.problems: list[str] = []
        """A cache found broken and set aside, to be reported (and cleared) by the caller."""
        self.notes: list[str] = []
        """What the caller may mention in the log (and clear)."""
        self._drop_compiled_templates()
        try:
            self._store = self._open(directory)
        except (sqlite3.DatabaseError, OSError) as error:
            self._set_aside(error)
            self._store = self._open(directory)

    def _set_aside(self, error: Exception) -> None:
        aside = self.directory.with_name(f"{self.directory.name}.broken-{time.time_ns()}")
        self.directory.rename(aside)
        self.problems.append(
            f"the cache in {self.directory} could not be read ({error}); it was moved to {aside} and a new one started"
        )

    def _recover(self, error: sqlite3.DatabaseError, broken: diskcache.Cache) -> None:
        """Replace a cache found corrupt mid-build with a new one holding all
        this process has read or written, so nothing known is lost."""
        with self._lock:
            if self._store is not broken:
                return  # another thread has done it
            broken.close()
            self._set_aside(error)
            self._store = self._open(self.directory)
            for key, value in list(self._memory.items()):
                self._write(key, value.to_dict() if isinstance(value, (Paper, Summary)) else value)

    def _guarded(self, operation: Callable[[diskcache.Cache], _T]) -> _T:
        store = self._store
        try:
            return operation(store)
        except sqlite3.DatabaseError as error:
            self._recover(error, store)
            return operation(self._store)

    def _drop_compiled_templates(self) -> None:
        """Versions before 0.2 kept compiled templates (marshalled code) in the
        cache folder; they are code, so they are removed unread."""
        folder = self.directory / "templates"
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
            self.notes.append(f"removed compiled templates from {folder} unread: the cache now holds only data")

    @staticmethod
    def _open(directory: Path) -> diskcache.Cache:
        # Values are stored as JSON text: readable, and never unpickled.
        store = diskcache.Cache(str(directory), timeout=60, disk=DataOnlyDisk)
        store.get("probe")  # reading once shows a corrupt database now, not mid-build
        return store

    def close(self) -> None:
        self._store.close()
        self._memory.clear()

    def _fetch(self, key: str) -> Any:
        """The stored value of `key` as diskcache gives it; `None` for a damaged
        entry, which is reported and removed."""
        try:
            return self._guarded(lambda store: store.get(key))
        except DamagedEntry as damage:
            self.problems.append(
                f"the cache entry {key!r} in {self.directory} is not data ({damage}); it was ignored and removed. "
                "This plugin never writes such entries: check who can write to 'cache_dir'."
            )
            with contextlib.suppress(sqlite3.Error, OSError):
                self._guarded(lambda store: store.delete(key))
            return None

    def _read(self, key: str) -> Any:
        """A stored JSON value; `None` when missing or unreadable."""
        text = self._fetch(key)
        if not isinstance(text, str):
            return None
        try:
            return json.loads(text)
        except ValueError:
            return None

    def _write(self, key: str, value: Any, expire: float | None = None) -> None:
        text = json.dumps(value, ensure_ascii=False)
        self._guarded(lambda store: store.set(key, text, expire=expire))

    def _get(self, key: str) -> Any:
        if key in self._memory:
            return self._memory[key]
        value = self._read(key)
        if value is not None:
            self._memory[key] = value
        return value

    def _set(self, key: str, value: Any) -> None:
        self._write(key, value)
        self._memory[key] = value

    def __len__(self) -> int:
        return self._guarded(len)

    # Papers

    def paper(self, arxiv_id: ArxivId, max_age: float | None) -> Paper | None:
        """The cached paper for `arxiv_id`. A bare ID's latest version counts
        only if it was checked less than `max_age` seconds ago (`None`: any age)."""
        if arxiv_id.version is not None:
            return self._paper(f"{arxiv_id.base}v{arxiv_id.version}")
        latest = self._get(f"latest:{arxiv_id.base}")
        if not isinstance(latest, dict):
            return None
        if max_age is not None and time.time() - float(latest.get("checked", 0)) > max_age:
            return None
        key = f"paper:{arxiv_id.base}v{latest.get('version')}"
        known = self._memory.get(key)
        if isinstance(known, Paper):
            return known
        # The latest version is kept with its pointer, to read both at once.
        paper = Paper.from_dict(latest["paper"]) if isinstance(latest.get("paper"), dict) else None
        if paper is not None and f"paper:{paper.versioned_id}" == key:
            self._memory[key] = paper
            return paper
        return self._record(key, Paper)

    def _paper(self, versioned: str) -> Paper | None:
        return self._record(f"paper:{versioned}", Paper)

    def _record(self, key: str, kind: type[_R]) -> _R | None:
        """A stored Paper or Summary, from memory or rebuilt from its JSON."""
        known = self._memory.get(key)
        if isinstance(known, kind):
            return known
        data = self._read(key)
        record = kind.from_dict(data) if data is not None else None
        if record is not None:
            self._memory[key] = record
        return record

    def store_papers(self, found: dict[ArxivId, Paper]) -> None:
        """Keep papers as they arrive, in one transaction; a bare ID also records its latest version."""
        now = time.time()
        values: dict[str, Any] = {}
        for arxiv_id, paper in found.items():
            values[f"paper:{paper.versioned_id}"] = paper
            if arxiv_id.version is None:
                values[f"latest:{paper.id}"] = {"version": paper.version, "checked": now, "paper": paper.to_dict()}
        texts = {
            key: json.dumps(value.to_dict() if isinstance(value, Paper) else value, ensure_ascii=False)
            for key, value in values.items()
        }
        stale = [f"unknown:{arxiv_id}" for arxiv_id in found]

        def write(store: diskcache.Cache) -> None:
            with store.transact():
                for key, text in texts.items():
                    store.set(key, text)
                for key in stale:
                    store.delete(key)

        self._guarded(write)
        self._memory.update(values)

    def is_unknown(self, arxiv_id: ArxivId) -> bool:
        return self._fetch(f"unknown:{arxiv_id}") is not None

    def mark_unknown(self, ids: list[ArxivId]) -> None:
        def write(store: diskcache.Cache) -> None:
            with store.transact():
                for arxiv_id in ids:
                    store.set(f"unknown:{arxiv_id}", "1", expire=UNKNOWN_SECONDS)

        self._guarded(write)

    # Summaries

    @staticmethod
    def summary_key(paper: Paper, summarizer: str, language: str) -> str:
        return f"summary:{paper.versioned_id}:{summarizer}:{language}:{SCHEMA}"

    def summary(self, key: str) -> Summary | None:
        return self._record(key, Summary)

    def store_summary(self, key: str, summary: Summary) -> None:
        self._write(key, summary.to_dict())
        self._memory[key] = summary

    # Finished digests, by a hash of everything they were made of

    def digest(self, key: str) -> dict[str, Any] | None:
        value = self._get(f"digest:{key}")
        return value if isinstance(value, dict) and isinstance(value.get("markdown"), str) else None

    def store_digest(self, key: str, digest: dict[str, Any]) -> None:
        self._set(f"digest:{key}", digest)

    # Other JSON values (parsed front matter)

    def get_json(self, key: str) -> Any:
        return self._get(key)

    def set_json(self, key: str, value: Any) -> None:
        self._set(key, value)

    def raw(self, key: str) -> Any:
        """A stored value as it is on disk, for tests and debugging."""
        return self._read(key)
