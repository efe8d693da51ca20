"""Nothing lost, nothing stale, as users run it: a disk that fills up, a cache
another user owns or a read-only mount holds, arXiv adding a DOI, a snapshot
updated, the plugin upgraded, and front matter written every way YAML and
MkDocs allow.

The disks are real where the machine allows: a size-limited tmpfs and a
read-only bind mount (as root), and a build run without the right to write
another user's files (`setpriv` dropping root's file capabilities).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import diskcache
import pytest

import mkdocs_arxiv_digest
from conftest import Site, ids_requested
from fake_arxiv import FakeArxiv
from test_durability import CACHE, PAPERS, rendered


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


@contextlib.contextmanager
def mounted(*arguments: str, target: Path) -> Iterator[None]:
    done = run("mount", *arguments, str(target))
    if done.returncode != 0:
        pytest.skip(f"this machine cannot mount here ({done.stderr.strip()}); run the tests as root")
    try:
        yield
    finally:
        run("umount", "-l", str(target))


def requested(arxiv_api: FakeArxiv) -> set[str]:
    return {i for ids in ids_requested(arxiv_api) for i in ids}


def fill(disk: Path) -> Path:
    """Fill the file system `disk` is on to the last byte."""
    filler = disk / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (65536, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(descriptor, b"\0" * size)
    finally:
        os.close(descriptor)
    return filler


def test_a_full_disk_keeps_the_cache_and_loses_nothing(site: Site, arxiv_api: FakeArxiv) -> None:
    disk = site.root / "disk"
    disk.mkdir()
    with mounted("-t", "tmpfs", "-o", "size=4m", "tmpfs", target=disk):
        site.configure(cache_dir="disk/cache")
        site.page("index.md", PAPERS[:3])
        assert site.build(strict=True).error is None
        filler = fill(disk)

        site.page("index.md", PAPERS[:6])
        arxiv_api.reset()
        result = site.build()
        assert result.error is None, "no traceback, no failed build"
        assert rendered(site.content()) == set(PAPERS[:6])
        assert requested(arxiv_api) == set(PAPERS[3:6]), "the cached papers were read"
        full = [w for w in result.warnings if "cannot be written" in w]
        assert len(full) == 1 and "disk" in full[0].lower(), result.warnings
        assert not list(disk.glob("cache.broken-*")), "a full disk is not damage: the cache stays"

        filler.unlink()
        arxiv_api.reset()
        result = site.build(strict=True)
        assert result.error is None, result.warnings
        assert requested(arxiv_api) == set(PAPERS[3:6]), "only what could not be kept is asked again"
        arxiv_api.reset()
        assert site.build(strict=True).error is None
        assert ids_requested(arxiv_api) == [], "and now it is kept"


def snapshot_of_cache(cache: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(cache)): (p.stat().st_size, p.stat().st_mtime_ns) for p in cache.rglob("*")}


def test_a_read_only_mount_is_read_and_left_alone(site: Site, arxiv_api: FakeArxiv) -> None:
    site.page("index.md", PAPERS[:3])
    assert site.build(strict=True).error is None
    cache = site.root / CACHE
    before = snapshot_of_cache(cache)
    with mounted("--bind", "-o", "ro", str(cache), target=cache):
        if run("touch", str(cache / "probe")).returncode == 0:
            pytest.skip("the bind mount is not read-only here")
        site.page("index.md", PAPERS[:5])
        arxiv_api.reset()
        result = site.build()
        assert result.error is None
        assert rendered(site.content()) == set(PAPERS[:5])
        assert requested(arxiv_api) == set(PAPERS[3:5]), "every cached paper was used"
        assert [w for w in result.warnings if "cannot be written" in w], result.warnings
    assert snapshot_of_cache(cache) == before


def test_a_cache_owned_by_another_user_is_read_and_nothing_is_left_behind(
    site: Site, arxiv_api: FakeArxiv, tmp_path: Path
) -> None:
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to build as a user who cannot write the cache")
    site.page("index.md", PAPERS[:3])
    assert site.build(strict=True).error is None
    cache = site.root / CACHE
    for path in [cache, *cache.rglob("*")]:
        os.chown(path, 4242, 4242)  # another user's, readable by all
        path.chmod(0o755 if path.is_dir() else 0o644)
    before = snapshot_of_cache(cache)
    site.page("index.md", PAPERS[:5])
    config = site.write_config()
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    arxiv_api.reset()
    # Root without the capabilities that let it write other users' files.
    caps = "-dac_override,-dac_read_search,-fowner,-chown"
    done = subprocess.run(
        ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}", sys.executable, "-m", "mkdocs", "build"],
        cwd=config.parent,
        env={**os.environ, "TMPDIR": str(temporary)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert "cannot be written" in done.stderr, done.stderr[-3000:]
    assert requested(arxiv_api) == set(PAPERS[3:5]), "every cached paper was used"
    assert rendered(site.content()) == set(PAPERS[:5])
    assert snapshot_of_cache(cache) == before, "the other user's cache is untouched"
    assert not list(temporary.iterdir()), "no folder is left behind"


@pytest.mark.parametrize(
    "error",
    ["database or disk is full", "disk I/O error", "database is locked"],
)
def test_a_passing_sqlite_error_keeps_the_cache_in_place(
    site: Site, arxiv_api: FakeArxiv, monkeypatch: pytest.MonkeyPatch, error: str
) -> None:
    site.page("index.md", PAPERS[:3])
    assert site.build(strict=True).error is None

    def fail(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError(error)

    with monkeypatch.context() as patch:
        patch.setattr(diskcache.Cache, "set", fail)
        site.page("index.md", PAPERS[:5])
        arxiv_api.reset()
        result = site.build()
    assert result.error is None
    assert [w for w in result.warnings if "cannot be written" in w and error in w], result.warnings
    assert rendered(site.content()) == set(PAPERS[:5])
    assert not list((site.root / CACHE).parent.glob("*.broken-*")), "the cache was not set aside"

    arxiv_api.reset()
    assert site.build(strict=True).error is None
    assert requested(arxiv_api) == set(PAPERS[3:5]), "the papers cached before were kept"


# Nothing stale


def test_a_doi_added_to_the_same_version_shows_once_it_is_refreshed(site: Site, arxiv_api: FakeArxiv) -> None:
    arxiv_api.add_paper("2501.00007", title="A paper about to be published")
    site.page("index.md", ["2501.00007"])
    site.configure(bibtex=True, refresh_days=0)
    assert site.build(strict=True).error is None
    assert "10.1000/journal.7" not in site.html()

    arxiv_api.add_paper(
        "2501.00007", title="A paper about to be published", doi="10.1000/journal.7", journal_ref="J. 7"
    )
    assert site.build(strict=True).error is None
    assert "10.1000/journal.7" in (site.root / "site" / "index.bib").read_text()
    assert "10.1000/journal.7" in site.html(), "the page's BibTeX block"


def test_an_updated_snapshot_wins_over_the_cache_offline(site: Site) -> None:
    record = {
        "id": "2501.00008",
        "title": "A paper",
        "abstract": "It says something.",
        "authors_parsed": [["Doe", "Jane", ""]],
        "categories": "cs.DL",
        "versions": [{"version": "v1", "created": "Thu, 2 Jan 2025 00:00:00 GMT"}],
    }
    snapshot = site.root / "snap.jsonl"
    snapshot.write_text(json.dumps(record) + "\n")
    site.page("index.md", ["2501.00008", "2501.00008v1"])
    site.configure(offline=True, snapshot="snap.jsonl")
    assert site.build(strict=True).error is None
    assert "It says something." in site.content()

    record["abstract"] = "It says something better."
    record["doi"] = "10.1000/better"
    snapshot.write_text(json.dumps(record) + "\n")
    assert site.build(strict=True).error is None
    assert "It says something better." in site.content()

    record["versions"].append({"version": "v2", "created": "Fri, 3 Jan 2025 00:00:00 GMT"})
    record["title"] = "A paper, second version"
    snapshot.write_text(json.dumps(record) + "\n")
    assert site.build(strict=True).error is None
    content = site.content()
    assert "A paper, second version" in content, "the bare ID shows the newer version"
    assert "arXiv:2501.00008v1" in content and "arXiv:2501.00008v2" in content, "the versioned ID keeps its own"


def test_an_upgrade_shows_at_once(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    site.page("index.md", PAPERS[:2])
    site.page("other.md", PAPERS[2:3])

    def made() -> dict[str, int]:
        """How many finished digests and parsed front matters the cache holds after a build."""
        assert site.build(strict=True).error is None
        with diskcache.Cache(str(site.root / CACHE)) as store:
            keys = [str(key) for key in store.iterkeys()]
        return {kind: sum(key.startswith(kind) for key in keys) for kind in ("digest:", "spec:")}

    assert made() == {"digest:": 2, "spec:": 2}
    assert made() == {"digest:": 2, "spec:": 2}, "a warm build reuses what it made"
    monkeypatch.setattr(mkdocs_arxiv_digest, "__version__", "99.0.0")
    assert made() == {"digest:": 4, "spec:": 4}, "after an upgrade, nothing made by the old code is reused"


# Front matter, every way it can be written


SPELLINGS = {
    "double-quoted.md": '---\n"arxiv": [0804.0970]\n---\nText.\n',
    "single-quoted.md": "---\n'arxiv': 0807.2873\n---\nText.\n",
    "flow-mapping.md": "---\n{title: Flow, arxiv: [1005.5383]}\n---\nText.\n",
    "multimarkdown.md": "Title: Old style\narxiv: 1009.3186, 1106.3680\n\nText.\n",
    "crlf.md": "---\r\narxiv:\r\n  - 1201.4869\r\n---\r\nText.\r\n",
}
NEAR_MISSES = {
    "capital.md": ("---\narXiv: [1202.4527]\n---\nText.\n", "arXiv"),
    "papers.md": ("---\npapers:\n  - 1205.1866\n---\nText.\n", "papers"),
    "ids.md": ("---\narxiv_ids: [1303.6954]\n---\nText.\n", "arxiv_ids"),
}


def test_every_spelling_of_the_key_is_read_and_near_misses_are_named(site: Site) -> None:
    for name, source in {**SPELLINGS, **{n: s for n, (s, _) in NEAR_MISSES.items()}}.items():
        (site.docs / name).write_bytes(source.encode())
    site.page("unrelated.md", None, "Text.\n", papers=["not an id", "another"])
    result = site.build()
    assert result.error is None
    shown = {name: rendered(site.content(name)) for name in SPELLINGS}
    assert shown == {
        "double-quoted.md": {"0804.0970"},
        "single-quoted.md": {"0807.2873"},
        "flow-mapping.md": {"1005.5383"},
        "multimarkdown.md": {"1009.3186", "1106.3680"},
        "crlf.md": {"1201.4869"},
    }
    for name, (_, key) in NEAR_MISSES.items():
        named = [w for w in result.warnings if f"Page '{name}'" in w]
        assert named and f"'{key}' is not read" in named[0] and "'arxiv'" in named[0], result.warnings
    assert not [w for w in result.warnings if "unrelated.md" in w], "other uses of `papers` are left alone"


def test_the_marker_shown_in_a_code_block_is_left_alone(site: Site) -> None:
    body = (
        "Put the marker where the digest goes:\n\n"
        "```markdown\n<!-- arxiv-digest -->\n```\n\n"
        "~~~~\n```\n<!-- arxiv-digest -->\n```\n~~~~\n\n"
        "## Papers\n\n<!-- arxiv-digest -->\n\n## After\n\nThe end.\n"
    )
    site.page("index.md", PAPERS[:1], body)
    assert site.build(strict=True).error is None
    content = site.content()
    assert content.count("&lt;!-- arxiv-digest --&gt;") == 2, "both examples are shown as written"
    assert content.index('id="papers"') < content.index("arxiv.org/abs/0804.0970") < content.index('id="after"')
