"""Give the example site its full-text papers: test fixtures, not real papers.

    python scripts/make_fulltext_example.py     # then: python scripts/make_snapshot.py

The example site builds offline, so the full text its chatpaper page shows is
read from the full-text fixtures' folder, laid out like
`https://arxiv.org/html/` (the site's `html_url: tests/fixtures/fulltext/html`,
made by make_fulltext_fixtures.py). This script writes the metadata of every
fixture paper, taken from its HTML, to `snapshot/fulltext-fixtures.jsonl` in
the arXiv bulk-metadata format. `make_snapshot.py` adds those records to
the site's snapshot, and the tests read them to build sites of the fixtures.

The titles say "(test fixture)": the papers, their authors, affiliations and
links are made up, and their IDs (2612.000nn) are not arXiv's papers.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "fulltext" / "html"
RECORDS = ROOT / "snapshot" / "fulltext-fixtures.jsonl"

"""The fixtures the example page lists: three papers, and one whose source is only a PDF."""

LICENSES = {
    "cc-by": "http://creativecommons.org/licenses/by/4.0/",
    "cc-by-sa": "http://creativecommons.org/licenses/by-sa/4.0/",
    "cc-by-nd": "http://creativecommons.org/licenses/by-nd/4.0/",
    "cc-by-nc": "http://creativecommons.org/licenses/by-nc/4.0/",
    "cc-by-nc-sa": "http://creativecommons.org/licenses/by-nc-sa/4.0/",
    "cc-by-nc-nd": "http://creativecommons.org/licenses/by-nc-nd/4.0/",
    "cc0": "http://creativecommons.org/publicdomain/zero/1.0/",
    "arxiv-nonexclusive": "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
}
"""The licence URLs of arXiv's metadata dump, by the parser's codes."""


def _fixture_papers() -> dict[str, tuple[str, str, str, str]]:
    """make_fulltext_fixtures.py's table: ID to (ID, category, licence line, date)."""
    spec = importlib.util.spec_from_file_location("make_fulltext_fixtures", ROOT / "scripts/make_fulltext_fixtures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {row[0]: row for row in [*module.PAPERS.values(), module.FATAL]}


def _weekday(day: str) -> str:
    return dt.datetime.strptime(day, "%d %b %Y").strftime("%a")


def record(folder: Path, papers: dict[str, tuple[str, str, str, str]]) -> dict[str, Any]:
    """The metadata dump's record of one fixture, from its page."""
    sys.path.insert(0, str(ROOT))
    from mkdocs_arxiv_digest.fulltext import parse

    page = folder / "index.html"
    made = parse(page.read_bytes(), page.resolve().as_uri())
    paper, version = folder.name.split("v")
    _, category, _, day = papers[paper]
    title = getattr(made, "title", "") or "A paper whose HTML is not usable"
    abstract = getattr(made, "abstract", "") or (
        "A test fixture whose HTML rendering is not a usable paper: the build shows its abstract only. "
        "It says so in one line, and the build log says why."
    )
    return {
        "id": paper,
        "submitter": "Test Fixture",
        "authors": ", ".join(a.name for a in getattr(made, "authors", ())) or "Test Fixture",
        "title": f"{title} (test fixture)",
        "comments": "A test fixture of mkdocs-arxiv-digest, not a real paper",
        "categories": category,
        "license": LICENSES.get(getattr(made, "license", "")),
        "abstract": abstract,
        "versions": [{"version": f"v{version}", "created": f"{_weekday(day)}, {day} 12:00:00 GMT"}],
        "authors_parsed": [[*a.name.rsplit(" ", 1)[::-1], ""] for a in getattr(made, "authors", ())]
        or [["Fixture", "Test", ""]],
    }


def main() -> int:
    papers = _fixture_papers()
    folders = sorted(path for path in FIXTURES.iterdir() if path.is_dir())
    lines = [json.dumps(record(folder, papers), ensure_ascii=False) + "\n" for folder in folders]
    RECORDS.write_text("".join(lines), encoding="utf-8", newline="\n")
    print(f"wrote {len(lines)} records to {RECORDS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
