"""Snapshot files: paper metadata in arXiv's bulk format (JSON lines), read
one line at a time so that a dump of millions of papers never sits in memory.
IDs a snapshot lacks are remembered with the file's size and modification
time, so an unchanged file is never scanned again for them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from .ids import ArxivId, parse_id
from .records import Paper, clean

_SNAPSHOT_ID = re.compile(r'"id"\s*:\s*"([^"]+)"')


class Snapshot:
    """A JSON-lines file in the arXiv bulk-metadata format."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.scans = 0
        """How often the file was read through (the build log and the benchmark show it)."""

    def stamp(self) -> list[int]:
        """What changes when the file does: its size and modification time."""
        info = self.path.stat()
        return [info.st_size, info.st_mtime_ns]

    def lookup(self, ids: Iterable[ArxivId], known_missing: Iterable[str] = ()) -> dict[ArxivId, Paper]:
        """The papers the file has for `ids`; `known_missing` are bare IDs it
        is known to lack (see `stamp`), which are not looked for."""
        skip = set(known_missing)
        wanted: dict[str, list[ArxivId]] = {}
        for arxiv_id in ids:
            if arxiv_id.base not in skip:
                wanted.setdefault(arxiv_id.base, []).append(arxiv_id)
        found: dict[ArxivId, Paper] = {}
        if not wanted:
            return found
        self.scans += 1
        with self.path.open(encoding="utf-8") as lines:
            for line in lines:
                # Most lines of a dump are not wanted: read the id before parsing the line.
                match = _SNAPSHOT_ID.search(line)
                if match is None or match.group(1) not in wanted:
                    continue
                record = json.loads(line)
                asked = wanted.get(str(record.get("id", "")))
                if not asked:
                    continue
                paper = paper_from_snapshot(record)
                for arxiv_id in asked:
                    if arxiv_id.version in (None, paper.version):
                        found[arxiv_id] = paper
        return found


def paper_from_snapshot(record: dict[str, Any]) -> Paper:
    """Our record of one line of the bulk-metadata format (its latest version)."""
    versions = record.get("versions") or [{"version": "v1", "created": ""}]
    latest = versions[-1]
    if record.get("authors_parsed"):
        authors = tuple(
            clean(" ".join(part for part in (first, last, *rest) if part))
            for last, first, *rest in record["authors_parsed"]
        )
    else:
        authors = tuple(clean(name) for name in str(record.get("authors", "")).split(","))
    categories = tuple(clean(str(record.get("categories", ""))).split())
    return Paper(
        id=parse_id(str(record["id"])).base,
        version=int(str(latest.get("version", "v1")).lstrip("v") or 1),
        title=clean(record.get("title")),
        abstract=clean(record.get("abstract")),
        authors=tuple(a for a in authors if a),
        comment=clean(record.get("comments")),
        primary_category=categories[0] if categories else "",
        categories=categories,
        published=_date(versions[0].get("created", "")),
        updated=_date(latest.get("created", "")) or clean(str(record.get("update_date") or "")),
        doi=clean(record.get("doi")),
        journal_ref=clean(record.get("journal-ref")),
    )


def _date(created: str) -> str:
    try:
        return parsedate_to_datetime(created).date().isoformat()
    except (TypeError, ValueError):
        return ""
