"""Snapshot files: paper metadata in arXiv's bulk format (JSON lines), read
a block at a time so that a dump of millions of papers never sits in memory.
IDs a snapshot lacks are remembered with the file's size and modification
time, so an unchanged file is never scanned again for them."""

from __future__ import annotations

import json
import re
from collections.abc import Container, Iterable, Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from .ids import ArxivId, parse_id
from .records import Paper, Texts, clean, license_from

_SNAPSHOT_ID = re.compile(rb'"id"\s*:\s*"([^"]+)"')


class Snapshot:
    """A JSON-lines file in the arXiv bulk-metadata format."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.scans = 0
        """How often the file was read through (the build log and the benchmark show it)."""
        self.cut: list[str] = []
        """The papers read whose text was cut (see `Texts`), to be reported (and cleared) by the caller."""

    def stamp(self) -> list[int]:
        """What changes when the file does: its size and modification time."""
        info = self.path.stat()
        return [info.st_size, info.st_mtime_ns]

    def lookup(self, ids: Iterable[ArxivId], known_missing: Iterable[str] = ()) -> dict[ArxivId, Paper]:
        """The papers the file has for `ids`; `known_missing` are bare IDs it
        is known to lack (see `stamp`), which are not looked for."""
        skip = set(known_missing)
        wanted: dict[bytes, list[ArxivId]] = {}
        for arxiv_id in ids:
            if arxiv_id.base not in skip:
                wanted.setdefault(arxiv_id.base.encode(), []).append(arxiv_id)
                if "/" in arxiv_id.base:  # as a JSON writer may escape it
                    wanted[arxiv_id.base.replace("/", "\\/").encode()] = wanted[arxiv_id.base.encode()]
        found: dict[ArxivId, Paper] = {}
        if not wanted:
            return found
        self.scans += 1
        for line in _wanted_lines(self.path, wanted):
            record = json.loads(line)
            asked = wanted.get(str(record.get("id", "")).encode())
            if not asked:
                continue
            paper = paper_from_snapshot(record, self.cut)
            for arxiv_id in asked:
                if arxiv_id.version in (None, paper.version):
                    found[arxiv_id] = paper
        return found


_BLOCK = 1 << 20
_DUMP_START = (b'{"id":"', b'{"id": "')
"""How every line of arXiv's bulk dump (and of `json.dumps`) begins."""
_QUOTE = ord('"')


def _wanted_lines(path: Path, wanted: Container[bytes]) -> Iterator[bytes]:
    """The lines of the file whose `id` may be wanted. The file is read in
    blocks, and a line's ID is read where arXiv's dump puts it, first, without
    decoding or copying the line (CHANGELOG.md has what this bought);
    a line written any other way is searched whole."""
    tail = b""
    with path.open("rb") as file:
        while block := file.read(_BLOCK):
            first = block.find(b"\n")
            if first < 0:
                tail += block
                continue
            straddling = tail + block[:first]
            if _maybe_wanted(straddling, wanted):
                yield straddling
            last = block.rfind(b"\n")
            start, tail = first + 1, block[last + 1 :]
            find, starts = block.find, block.startswith
            while start < last:
                end = find(b"\n", start)
                if starts(_DUMP_START, start):
                    opening = start + 6 if block[start + 6] == _QUOTE else start + 7
                    if block[opening + 1 : find(b'"', opening + 1, end)] in wanted:
                        yield block[start:end]
                elif _maybe_wanted(block[start:end], wanted):
                    yield block[start:end]
                start = end + 1
    if tail and _maybe_wanted(tail, wanted):
        yield tail


def _maybe_wanted(line: bytes, wanted: Container[bytes]) -> bool:
    match = _SNAPSHOT_ID.search(line)
    return match is not None and match.group(1) in wanted


def paper_from_snapshot(record: dict[str, Any], cut: list[str] | None = None) -> Paper:
    """Our record of one line of the bulk-metadata format (its latest
    version); its text fields cut to `MAX_TEXT` characters, noted in `cut`
    (see `Texts`)."""
    versions = record.get("versions") or [{"version": "v1", "created": ""}]
    latest = versions[-1]
    text = Texts()
    if record.get("authors_parsed"):
        authors = tuple(
            text(" ".join(part for part in (first, last, *rest) if part), "author name")
            for last, first, *rest in record["authors_parsed"]
        )
    else:
        authors = tuple(text(name, "author name") for name in str(record.get("authors", "")).split(","))
    categories = tuple(text(str(record.get("categories", "")), "categories").split())
    paper = Paper(
        id=parse_id(str(record["id"])).base,
        version=int(str(latest.get("version", "v1")).lstrip("v") or 1),
        title=text(record.get("title"), "title"),
        abstract=text(record.get("abstract"), "abstract"),
        authors=tuple(a for a in authors if a),
        comment=text(record.get("comments"), "comment"),
        primary_category=categories[0] if categories else "",
        categories=categories,
        published=_date(versions[0].get("created", "")),
        updated=_date(latest.get("created", "")) or clean(str(record.get("update_date") or "")[:10]),
        doi=text(record.get("doi"), "DOI"),
        journal_ref=text(record.get("journal-ref"), "journal reference"),
        license=license_from(record.get("license")),
    )
    if cut is not None:
        text.note(paper.versioned_id, cut)
    return paper


def _date(created: str) -> str:
    try:
        return parsedate_to_datetime(created).date().isoformat()
    except (TypeError, ValueError):
        return ""
