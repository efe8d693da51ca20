"""What was fetched and summarized, kept on disk between builds (diskcache, JSON values)."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import diskcache

from .ids import ArxivId
from .records import SCHEMA, Paper, Summary

UNKNOWN_SECONDS = 24 * 3600
"""How long an ID arXiv has no paper for is remembered as unknown."""


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
        self.problem = ""
        """Set when the directory held a cache that could not be read and was set aside."""
        try:
            self._store = self._open(directory)
        except (sqlite3.DatabaseError, OSError) as error:
            aside = directory.with_name(f"{directory.name}.broken-{int(time.time())}")
            directory.rename(aside)
            self.problem = f"the cache in {directory} could not be read ({error}); it was moved to {aside}"
            self._store = self._open(directory)

    @staticmethod
    def _open(directory: Path) -> diskcache.Cache:
        # Values are stored as JSON text: readable, and never unpickled.
        store = diskcache.Cache(str(directory), timeout=60)
        store.get("probe")  # reading once shows a corrupt database now, not mid-build
        return store

    def close(self) -> None:
        self._store.close()
        self._memory.clear()

    def _read(self, key: str) -> Any:
        """A stored JSON value; `None` when missing or unreadable."""
        text = self._store.get(key)
        if not isinstance(text, str):
            return None
        try:
            return json.loads(text)
        except ValueError:
            return None

    def _write(self, key: str, value: Any, expire: float | None = None) -> None:
        self._store.set(key, json.dumps(value, ensure_ascii=False), expire=expire)

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
        return len(self._store)

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
        versioned = f"{arxiv_id.base}v{latest.get('version')}"
        # The latest version is kept with its pointer, to read both at once.
        paper = Paper.from_dict(latest["paper"]) if isinstance(latest.get("paper"), dict) else None
        if paper is not None and paper.versioned_id == versioned:
            return paper
        return self._paper(versioned)

    def _paper(self, versioned: str) -> Paper | None:
        key = f"paper:{versioned}"
        data = self._memory.get(key)
        if isinstance(data, Paper):
            return data
        data = self._read(key)
        paper = Paper.from_dict(data) if data is not None else None
        if paper is not None:
            self._memory[key] = paper
        return paper

    def store_papers(self, found: dict[ArxivId, Paper]) -> None:
        """Keep papers as they arrive; a bare ID also records its latest version."""
        now = time.time()
        with self._store.transact():
            for arxiv_id, paper in found.items():
                self._write(f"paper:{paper.versioned_id}", paper.to_dict())
                self._memory[f"paper:{paper.versioned_id}"] = paper
                if arxiv_id.version is None:
                    latest = {"version": paper.version, "checked": now, "paper": paper.to_dict()}
                    self._set(f"latest:{paper.id}", latest)
                self._store.delete(f"unknown:{arxiv_id}")

    def is_unknown(self, arxiv_id: ArxivId) -> bool:
        return self._store.get(f"unknown:{arxiv_id}") is not None

    def mark_unknown(self, ids: list[ArxivId]) -> None:
        with self._store.transact():
            for arxiv_id in ids:
                self._write(f"unknown:{arxiv_id}", 1, expire=UNKNOWN_SECONDS)

    # Summaries

    @staticmethod
    def summary_key(paper: Paper, summarizer: str, language: str) -> str:
        return f"summary:{paper.versioned_id}:{summarizer}:{language}:{SCHEMA}"

    def summary(self, key: str) -> Summary | None:
        data = self._memory.get(key)
        if isinstance(data, Summary):
            return data
        data = self._read(key)
        summary = Summary.from_dict(data) if data is not None else None
        if summary is not None:
            self._memory[key] = summary
        return summary

    def store_summary(self, key: str, summary: Summary) -> None:
        self._write(key, summary.to_dict())
        self._memory[key] = summary

    # Finished digests, by a hash of everything they were made of

    def digest(self, key: str) -> dict[str, Any] | None:
        value = self._get(f"digest:{key}")
        return value if isinstance(value, dict) and isinstance(value.get("markdown"), str) else None

    def store_digest(self, key: str, digest: dict[str, Any]) -> None:
        self._set(f"digest:{key}", digest)

    def raw(self, key: str) -> Any:
        """A stored value as it is on disk, for tests and debugging."""
        return self._read(key)
