"""Build the example site's metadata snapshot from the recorded arXiv API answers.

The example site (and documentation) under ``docs/`` is built with
``offline: true``, so every paper it lists must come from a snapshot file.
This script reads the Atom feeds recorded from the arXiv query API in
``tests/fixtures/arxiv-api/*.xml`` and writes one JSON object per paper to
``snapshot/arxiv-metadata.jsonl``, in the arXiv bulk-metadata format (the
fields of the Kaggle arXiv dataset).

Regenerate it from the repository root after adding or changing a recorded
feed::

    python scripts/make_snapshot.py

The records of ``snapshot/fulltext-fixtures.jsonl`` (written by
``make_fulltext_example.py``: test fixtures, not arXiv's papers) are added.

Options: ``--fixtures DIR`` reads feeds from another folder, ``--output
FILE`` writes somewhere else, and ``--fulltext-fixtures FILE`` names the
fixtures' records. Only the standard library is needed.

The output is deterministic: papers are sorted by ID, keys keep the dataset's
order, and text is written as UTF-8 without escaping. Titles, abstracts and
comments are copied exactly as the API returned them (line breaks, leading
spaces and LaTeX included), as the dataset does.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FIXTURES = ROOT / "tests" / "fixtures" / "arxiv-api"
DEFAULT_OUTPUT = ROOT / "snapshot" / "arxiv-metadata.jsonl"
DEFAULT_FULLTEXT_FIXTURES = ROOT / "snapshot" / "fulltext-fixtures.jsonl"

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"

# "http://arxiv.org/abs/cond-mat/0412498v1" -> ("cond-mat/0412498", 1)
ABS_ID = re.compile(r"/abs/(?P<id>.+?)v(?P<version>\d+)$")

# Words that belong to the family name when they come before it.
PARTICLES = frozenset(
    ["da", "de", "del", "della", "der", "di", "do", "dos", "du", "la", "le", "ten", "ter", "van", "von", "zu"]
)
SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})


def parse_time(text: str) -> datetime:
    """An Atom timestamp such as ``2017-07-27T08:18:33Z`` as an aware UTC datetime."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value.astimezone(timezone.utc)


def created(moment: datetime) -> str:
    """The dataset's version date: ``Mon, 2 Apr 2007 19:18:42 GMT`` (day not zero-padded)."""
    text = format_datetime(moment, usegmt=True)
    # format_datetime pads the day ("02"); the dataset does not.
    return re.sub(r"^(\w{3}), 0(\d) ", r"\1, \2 ", text)


def parse_author(name: str) -> list[str]:
    """Split a display name into the dataset's ``[last, first, suffix]``.

    A heuristic: a trailing Jr./Sr./II/III/IV is the suffix, the last word is
    the family name together with any particles (de, van, Del...) just before
    it, and the rest is the given name.
    """
    words = name.split()
    if not words:
        return ["", "", ""]
    suffix = ""
    if len(words) > 1 and words[-1].lower().rstrip(",") in SUFFIXES:
        suffix = words.pop().rstrip(",")
        if words and words[-1].endswith(","):
            words[-1] = words[-1].rstrip(",")
    start = len(words) - 1
    while start > 1 and words[start - 1].lower() in PARTICLES:
        start -= 1
    return [" ".join(words[start:]), " ".join(words[:start]), suffix]


def text_of(entry: ET.Element, tag: str) -> str | None:
    node = entry.find(tag)
    return None if node is None or node.text is None else node.text


def read_entry(entry: ET.Element) -> tuple[str, int, dict[str, Any]] | None:
    """One ``<entry>`` as (ID without version, version, record), or None for an error entry."""
    entry_id = text_of(entry, f"{ATOM}id") or ""
    if "api/errors" in entry_id:
        return None
    match = ABS_ID.search(entry_id.strip())
    if match is None:
        raise ValueError(f"unexpected entry id {entry_id!r}")
    paper_id, version = match["id"], int(match["version"])

    published = parse_time(text_of(entry, f"{ATOM}published") or "")
    updated = parse_time(text_of(entry, f"{ATOM}updated") or "")

    names = [(author.findtext(f"{ATOM}name") or "").strip() for author in entry.findall(f"{ATOM}author")]

    categories: list[str] = []
    primary = entry.find(f"{ARXIV}primary_category")
    if primary is not None and primary.get("term"):
        categories.append(primary.get("term", ""))
    for category in entry.findall(f"{ATOM}category"):
        term = category.get("term")
        if term and term not in categories:
            categories.append(term)

    # The API answers with one version only: the one asked for, or the latest.
    # Its <published> is v1's date and its <updated> is the returned version's
    # date. What lies between v1 and vN (v2 ... vN-1, with their dates) is
    # unknown here, so only v1 and vN are listed.
    versions = [{"version": "v1", "created": created(published)}]
    if version > 1:
        versions.append({"version": f"v{version}", "created": created(updated)})

    record: dict[str, Any] = {
        "id": paper_id,
        "submitter": None,
        "authors": ", ".join(names),
        "title": text_of(entry, f"{ATOM}title") or "",
        "comments": text_of(entry, f"{ARXIV}comment"),
        "journal-ref": text_of(entry, f"{ARXIV}journal_ref"),
        "doi": text_of(entry, f"{ARXIV}doi"),
        "report-no": None,
        "categories": " ".join(categories),
        "license": None,
        "abstract": text_of(entry, f"{ATOM}summary") or "",
        "versions": versions,
        "update_date": updated.strftime("%Y-%m-%d"),
        "authors_parsed": [parse_author(name) for name in names],
    }
    return paper_id, version, record


def collect(fixtures: Path) -> dict[str, tuple[int, dict[str, Any]]]:
    """Every paper in the feeds, keeping the highest version of each ID."""
    papers: dict[str, tuple[int, dict[str, Any]]] = {}
    for path in sorted(fixtures.glob("*.xml")):
        root = ET.parse(path).getroot()
        for entry in root.findall(f"{ATOM}entry"):
            found = read_entry(entry)
            if found is None:
                continue
            paper_id, version, record = found
            if paper_id not in papers or version > papers[paper_id][0]:
                papers[paper_id] = (version, record)
    return papers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--fulltext-fixtures", type=Path, default=DEFAULT_FULLTEXT_FIXTURES)
    args = parser.parse_args(argv)

    papers = collect(args.fixtures)
    # The full-text fixtures' metadata (make_fulltext_example.py): test fixtures, not arXiv's papers.
    if args.fulltext_fixtures.is_file():
        for line in args.fulltext_fixtures.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            papers.setdefault(record["id"], (0, record))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", encoding="utf-8", newline="\n") as out:
        for paper_id in sorted(papers):
            out.write(json.dumps(papers[paper_id][1], ensure_ascii=False) + "\n")
    print(f"wrote {len(papers)} papers to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
