"""What keeps warm builds cheap at scale: nothing network-related imported
when nothing is fetched, a snapshot never scanned twice for the IDs it lacks,
refreshes spread over time, and papers first met in a snapshot refreshed from
arXiv."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ORDINARY_RECORD, Clock, Site, ids_requested
from fake_arxiv import FakeArxiv
from mkdocs_arxiv_digest.cache import Cache
from mkdocs_arxiv_digest.ids import ArxivId
from mkdocs_arxiv_digest.records import Paper
from mkdocs_arxiv_digest.stages.metadata import Papers

RECORD = ORDINARY_RECORD
CACHE = ".cache/plugin/arxiv-digest"

NETWORK_MODULES = ("arxiv", "requests", "urllib3", "openai", "httpx")


def test_a_warm_build_imports_nothing_network_related(site: Site) -> None:
    site.page("index.md", ["1605.08386", "astro-ph/0601001"])
    assert site.build(strict=True).error is None, "the cold build fetches"
    assert site.imported_by_a_build(NETWORK_MODULES) == [], "the warm build has everything in the cache"


def test_an_offline_build_imports_nothing_network_related(site: Site) -> None:
    (site.root / "snap.jsonl").write_text(json.dumps(RECORD) + "\n")
    site.page("index.md", ["2501.00002"])
    site.configure(offline=True, snapshot="snap.jsonl")
    assert site.imported_by_a_build(NETWORK_MODULES) == []


def test_a_snapshot_is_not_scanned_again_for_ids_it_lacks(site: Site) -> None:
    snapshot = site.root / "snap.jsonl"
    snapshot.write_text(json.dumps(RECORD) + "\n")
    site.page("index.md", ["2501.00002", "2501.00003"])  # the second is in no snapshot
    site.configure(offline=True, snapshot="snap.jsonl")

    def scans() -> int:
        config = site.load()
        site.build(config=config)
        stats = config.plugins["arxiv-digest"].report
        assert stats is not None
        return stats.snapshot_scans

    assert scans() == 1
    assert scans() == 0, "the missing ID is remembered for this version of the file"
    assert scans() == 0
    snapshot.write_text(json.dumps(RECORD) + "\n" + json.dumps({**RECORD, "id": "2501.00003"}) + "\n")
    assert scans() == 1, "a changed file is read again"
    assert "2501.00003" in site.content()


def test_a_snapshot_is_read_however_its_lines_are_written(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scan reads an ID where arXiv's dump writes it; lines written by
    other tools (keys reordered, spaced, an escaped slash, CRLF, no final
    newline, lines longer than a block) are found all the same."""
    import mkdocs_arxiv_digest.snapshot

    monkeypatch.setattr(mkdocs_arxiv_digest.snapshot, "_BLOCK", 64)  # every line straddles blocks
    compact = json.dumps({**RECORD, "id": "2501.00011", "title": "Compact line"}, separators=(",", ":"))
    spaced = json.dumps({**RECORD, "id": "2501.00012", "title": "Spaced line"})
    reordered = json.dumps({"title": "Reordered line", **{k: v for k, v in RECORD.items() if k != "title"}})
    reordered = reordered.replace('"2501.00002"', '"2501.00013"')
    padded = "{ " + json.dumps({**RECORD, "id": "2501.00014", "title": "Padded line"})[1:].replace('": ', '" : ')
    escaped = json.dumps({**RECORD, "id": "hep-th/9901001", "title": "Old style line"}).replace("/", "\\/")
    prefix = json.dumps({**RECORD, "id": "2501.000150", "title": "Not this one"})  # not 2501.00015
    last = json.dumps({**RECORD, "id": "2501.00016", "title": "Last line"})
    (site.root / "snap.jsonl").write_bytes(
        "\r\n".join([compact, spaced, reordered, prefix, padded, "", escaped, last]).encode()
    )
    ids = ["2501.00011", "2501.00012", "2501.00013", "2501.00014", "hep-th/9901001", "2501.00016"]
    site.page("index.md", ids)
    site.configure(offline=True, snapshot="snap.jsonl")
    site.build()
    content = site.content()
    for title in ("Compact line", "Spaced line", "Reordered line", "Padded line", "Old style line", "Last line"):
        assert title in content
    assert "Not this one" not in content


def test_refreshes_are_spread_over_time(tmp_path: Path) -> None:
    clock = Clock()
    cache = Cache(tmp_path / "cache", clock)
    ids = [ArxivId(f"2501.{n:05d}") for n in range(1, 401)]
    Papers(cache).store({i: Paper(id=i.base, version=1, title="T", abstract="A.") for i in ids})
    cached = clock.now
    week = 7 * 86400
    day = 86400

    def due(age: float) -> int:
        """How many papers a build `age` seconds after they were cached asks arXiv about."""
        clock.now = cached + age
        return sum(Papers(cache).paper(i, week) is None for i in ids)

    assert due(5 * day) == 0, "none before three quarters of refresh_days"
    assert due(9 * day) == len(ids), "all after one and a quarter"
    assert due(6 * day) < len(ids) * 0.5 < due(8 * day), "in between, spread over the days"
    week_of_builds = [due(d * day) - due((d - 1) * day) for d in range(6, 10)]
    assert max(week_of_builds) < len(ids) * 0.4, f"no day checks most of the site: {week_of_builds}"
    cache.close()


def test_a_paper_first_met_in_a_snapshot_is_refreshed_from_arxiv(site: Site, arxiv_api: FakeArxiv) -> None:
    snapshot = site.root / "snap.jsonl"
    snapshot.write_text(json.dumps({**RECORD, "id": "1605.08386", "title": "Title from the snapshot"}) + "\n")
    site.page("index.md", ["1605.08386"])
    site.configure(snapshot="snap.jsonl", refresh_days=7)
    assert site.build(strict=True).error is None
    assert ids_requested(arxiv_api) == [] and "Title from the snapshot" in site.content()

    site.configure(snapshot="snap.jsonl", refresh_days=0)  # every bare ID is due
    assert site.build(strict=True).error is None
    assert ids_requested(arxiv_api) == [["1605.08386"]], "asked of arXiv, not of the snapshot again"
    assert "Heat-bath random walks" in site.content()


def test_a_cache_written_by_0_2_is_read_without_asking_arxiv_again(site: Site, arxiv_api: FakeArxiv) -> None:
    site.page("index.md", ["1605.08386", "astro-ph/0601001"])
    assert site.build(strict=True).error is None
    cache = Cache(site.root / CACHE)
    store = cache._store
    for key in [k for k in store.iterkeys() if str(k).startswith(("latest:", "digest:"))]:
        if key.startswith("digest:"):
            store.delete(key)
            continue
        latest = json.loads(store.get(key))
        paper = json.loads(store.get(f"paper:{key.removeprefix('latest:')}v{latest['version']}"))
        store.set(key, json.dumps({"version": latest["version"], "checked": latest["checked"], "paper": paper}))
    cache.close()
    arxiv_api.reset()

    assert site.build(strict=True).error is None
    assert ids_requested(arxiv_api) == [], "the papers kept the old way count as cached"
    assert "Heat-bath random walks" in site.content()


def test_a_digest_kept_whole_as_json_by_an_earlier_build_is_still_used(site: Site, arxiv_api: FakeArxiv) -> None:
    """Digests are now kept as a line of JSON and the Markdown as it is; one an
    earlier build kept whole as JSON is read as it is, not made again."""
    site.page("index.md", ["1605.08386", "astro-ph/0601001"])
    assert site.build(strict=True).error is None
    cache = Cache(site.root / CACHE)
    store = cache._store
    digests = [key for key in store.iterkeys() if str(key).startswith("digest:")]
    assert digests
    for key in digests:
        head, _, markdown = store.get(key).partition("\n")
        kept = {**json.loads(head), "markdown": markdown.replace("Heat-bath random walks", "Kept by an earlier build")}
        store.set(key, json.dumps(kept, ensure_ascii=False))
    cache.close()
    arxiv_api.reset()

    assert site.build(strict=True).error is None
    assert ids_requested(arxiv_api) == []
    assert "Kept by an earlier build" in site.content(), "the digest kept the old way was used"


def test_a_digest_row_of_the_wrong_shape_is_made_again(site: Site) -> None:
    site.page("index.md", ["1605.08386"])
    site.configure(tags=["keywords"], bibtex=True)
    assert site.build(strict=True).error is None
    cache = Cache(site.root / CACHE)
    for key in [k for k in cache._store.iterkeys() if str(k).startswith("digest:")]:
        cache._store.set(key, '{"keywords": 5, "bib": ["x"]}\nPlanted by someone else.')
    cache.close()

    assert site.build(strict=True).error is None
    assert "Planted by someone else" not in site.content()
    assert "Heat-bath random walks" in site.content()


def test_a_paper_gone_from_the_cache_is_named_and_fetched_next_build(site: Site, arxiv_api: FakeArxiv) -> None:
    site.page("index.md", ["1605.08386"])
    assert site.build(strict=True).error is None
    cache = Cache(site.root / CACHE)
    assert cache._store.delete("paper:1605.08386v1")  # the pointer to its latest version stays
    cache.close()
    site.page("other.md", ["1605.08386"])  # a page whose digest must be made
    arxiv_api.reset()

    result = site.build()
    assert result.error is None
    assert any("1605.08386" in w and "fetched next build" in w for w in result.warnings), result.warnings
    assert site.build(strict=True).error is None
    assert ids_requested(arxiv_api) == [["1605.08386"]]
    assert "Heat-bath random walks" in site.content("other.md")


def test_summaries_written_in_batches_are_all_kept(site: Site, arxiv_api: FakeArxiv) -> None:
    ids = [f"2502.{n:05d}" for n in range(1, 151)]  # more than two batches
    arxiv_api.add_synthetic(ids)
    site.page("index.md", ids)
    assert site.build(strict=True).error is None
    cache = Cache(site.root / CACHE)
    try:
        kept = [k for k in cache._store.iterkeys() if str(k).startswith("summary:")]
    finally:
        cache.close()
    assert len(kept) == len(ids), "the last, partial batch is written when the build ends"
