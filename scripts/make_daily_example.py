"""Write the example site's daily section with `mkdocs-arxiv-digest daily`.

The pages under ``docs/examples/daily/`` are what the command writes when it
reads, day after day, the announcement feeds in ``snapshot/feeds/``. Those
feeds are in the format of arXiv's feed service (RSS 2.0, written by
``tests/fake_feed.py``), made from papers of the committed snapshot: the
days are an example, not a real announcement. The days of ``RANKED`` are
ranked against the site's reading lists (``--rank library``), and their
pages say how they were made. The site is then built offline from the
snapshot like the other examples.

From the repository root::

    python scripts/make_daily_example.py          # the pages, from the committed feeds
    python scripts/make_daily_example.py --feeds  # write the feeds again first

The command runs against a local server on 127.0.0.1 that serves the feed of
each day in turn; nothing is asked of arXiv.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from fake_feed import FeedItem, feed_document  # noqa: E402
from mkdocs_arxiv_digest.cli import main  # noqa: E402

FEEDS = ROOT / "snapshot" / "feeds"
PAGES = ROOT / "docs" / "examples" / "daily"
LISTING = "cs.SE"
COMMAND = ["--listing", LISTING, "--exclude", "survey"]

DAYS: dict[dt.date, list[tuple[str, str]]] = {
    dt.date(2026, 2, 23): [
        ("2602.19294v1", "new"),
        ("2602.15552v1", "new"),
        ("2301.05651v1", "cross"),
        ("2306.07400v2", "replace"),
    ],
    dt.date(2026, 2, 24): [
        ("2511.02810v1", "new"),
        ("2509.05540v1", "new"),
        ("2503.05378v2", "replace"),  # a survey: left out by --exclude survey
        ("2109.07960v2", "replace-cross"),
    ],
    dt.date(2026, 2, 25): [
        ("2504.04921v1", "new"),
        ("2502.09460v1", "new"),
        ("2306.07400v2", "replace"),  # on Monday's page already: not shown again
        ("2502.07719v2", "replace"),
    ],
    dt.date(2026, 2, 26): [
        ("1906.00673v1", "new"),
        ("1202.4527v1", "new"),
        ("2202.06271v1", "new"),
        ("2005.06826v1", "new"),
        ("2501.09657v1", "new"),
        ("1809.08100v1", "new"),
        ("1908.03707v1", "new"),
        ("2302.13198v1", "new"),
        ("2304.12671v1", "new"),
        ("2501.07954v1", "new"),
        ("1605.01097v1", "new"),
        ("2101.12036v1", "new"),
        ("1808.05353v1", "new"),
        ("1907.06632v1", "cross"),
        ("2108.07910v1", "cross"),
        ("2302.09330v2", "replace"),
        ("2204.08348v3", "replace"),
        ("2102.08864v4", "replace"),
    ],
    dt.date(2026, 2, 28): [],  # a Saturday: no announcement
}
"""The papers of each day, with the way arXiv announced them."""

LIBRARY = ["examples/reading-list.md", "examples/marker.md", "examples/chinese.md", "examples/chatpaper.md"]
"""The reading lists the ranked days rank against: the site's `library` option
(mkdocs.yml), the example pages with real papers."""
RANKED = {dt.date(2026, 2, 26): ["--rank", "library", "--max", "7"]}
"""The days ranked against the site's reading lists, with the options that
rank them. Thursday's feed has six papers on the reading lists' subjects
(flaky tests, mutation testing, testing learned models) among twelve on
other kinds of testing."""

RANKED_TEXT = """
This day was ranked. `python scripts/make_daily_example.py` gave the
day's feed (`snapshot/feeds/{feed}`: {count} papers of the
snapshot, a few on the subjects of this site's reading lists, such as flaky
tests, mutation testing and testing learned models, and many on other kinds
of testing) to

```bash
mkdocs-arxiv-digest daily {options}
```

which ranked them against the site's reading lists: the papers of the other
example pages but the full-text page's test fixtures (the site's
[`library`](../../configuration.md#library) option names the pages). The
command kept the {kept} papers most like them and froze that order in this
page's front matter, with the reading-list paper each is most like and its
score; the build shows them in that order, each with a **Like** line that
links to the liked paper's entry on its page.
"""
"""The text of a ranked day's page, below the command's front matter (the
command keeps a page's text when it writes the page again)."""


def feed_path(day: dt.date) -> Path:
    return FEEDS / f"{LISTING}-{day.isoformat()}.xml"


def write_feeds() -> None:
    records = {}
    with (ROOT / "snapshot" / "arxiv-metadata.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            records[record["id"]] = record
    FEEDS.mkdir(parents=True, exist_ok=True)
    for day, papers in DAYS.items():
        items = []
        for versioned, kind in papers:
            record = records[versioned.rsplit("v", 1)[0]]
            items.append(
                FeedItem(
                    versioned,
                    kind,
                    " ".join(record["title"].split()),
                    " ".join(record["abstract"].split()),
                    tuple(name.strip() for name in record["authors"].split(",")),
                    tuple(record["categories"].split()),
                    record.get("license") or "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
                )
            )
        feed_path(day).write_bytes(feed_document(LISTING, day, items))


class _Feed(BaseHTTPRequestHandler):
    document = b""

    def do_GET(self) -> None:
        body = _Feed.document if self.path == f"/rss/{LISTING}" else b"not found"
        self.send_response(200 if body is _Feed.document else 404)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def write_pages(docs: Path = ROOT / "docs") -> None:
    """Write the daily pages into `docs`/examples/daily/, ranked days ranked
    against the pages of `docs`."""
    pages = docs / PAGES.relative_to(ROOT / "docs")
    if pages.exists():
        shutil.rmtree(pages)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Feed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            config = Path(folder) / "mkdocs.yml"
            local = f"http://127.0.0.1:{server.server_address[1]}"
            options = {
                "listing_url": f"{local}/rss/",
                # The reading lists' papers, for the ranked days, come from the
                # snapshot; one missing from it would be asked of the local
                # server, which has no API: nothing is asked of arXiv.
                "snapshot": str(ROOT / "snapshot" / "arxiv-metadata.jsonl"),
                "api_url": f"{local}/api/query",
                "cache_dir": str(Path(folder) / "cache"),
                "delay_seconds": 0,
                "library": LIBRARY,
            }
            site = {"site_name": "Daily", "docs_dir": str(docs), "plugins": [{"arxiv-digest": options}]}
            config.write_text(yaml.safe_dump(site), encoding="utf-8")
            for day in DAYS:
                _Feed.document = feed_path(day).read_bytes()
                arguments = [*COMMAND, *RANKED.get(day, [])]
                if main(["daily", "-f", str(config), *arguments, "--dir", str(pages)]) != 0:
                    raise SystemExit(f"the command failed for {day}")
                if day in RANKED:
                    text = RANKED_TEXT.format(
                        feed=feed_path(day).name,
                        count=len(DAYS[day]),
                        options=" ".join(arguments),
                        kept=RANKED[day][RANKED[day].index("--max") + 1],
                    )
                    with (pages / f"{day.isoformat()}.md").open("a", encoding="utf-8") as page:
                        page.write(text)
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", action="store_true", help="write the feeds in snapshot/feeds/ again first")
    if parser.parse_args().feeds or not FEEDS.exists():
        write_feeds()
    write_pages()
