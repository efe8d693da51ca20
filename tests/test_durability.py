"""Nothing fetched or summarized is lost: builds killed mid-way, builds side by
side on one cache, corrupt or unusable caches, failed `mkdocs serve` rebuilds,
and a soak of rebuilds against a misbehaving arXiv."""

from __future__ import annotations

import contextlib
import logging
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from mkdocs.config.defaults import MkDocsConfig

from conftest import Site, ids_requested
from fake_arxiv import FakeArxiv
from fake_openai import FakeOpenAI
from mkdocs_arxiv_digest.cache import Cache

# Papers the fake arXiv knows (recorded responses).
PAPERS = [
    "0804.0970", "0807.2873", "1005.5383", "1009.3186", "1106.3680", "1201.4869",
    "1202.4527", "1205.1866", "1303.6954", "1306.4664", "1309.0683", "1312.6177",
]  # fmt: skip
CACHE = ".cache/plugin/arxiv-digest"


def base(arxiv_id: str) -> str:
    """`1605.08386v1` -> `1605.08386`."""
    return re.sub(r"v\d+$", "", arxiv_id)


def rendered(content: str) -> set[str]:
    """The papers a page shows, by the arXiv abstract links in its digest."""
    return {base(i) for i in re.findall(r'href="https://arxiv\.org/abs/([^"#?]+)"', content)}


def start_build(config: Path, log: Path) -> subprocess.Popen[bytes]:
    """`mkdocs build -f config` in a process of its own, its output in `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "build", "-f", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=config.parent,
        )


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[bytes], log: Path, seconds: float = 30) -> None:
    """Poll `condition` until it holds; fail if the build ends first or it takes too long."""
    deadline = time.monotonic() + seconds
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"the build ended before it could be killed:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.01)


def kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()  # SIGKILL: no cleanup code of the build runs
    process.wait(timeout=10)


def papers_in_cache(directory: Path) -> set[str]:
    cache = Cache(directory)
    try:
        return {str(key).removeprefix("paper:") for key in cache._store.iterkeys() if str(key).startswith("paper:")}
    finally:
        cache.close()


@contextlib.contextmanager
def serving(site: Site) -> Iterator[MkDocsConfig]:
    """`mkdocs serve`: one plugin instance for every rebuild, shut down at the end."""
    config = site.load()
    config.plugins.on_startup(command="serve", dirty=False)
    try:
        yield config
    finally:
        config.plugins.on_shutdown()


# Killed builds


def test_a_build_killed_while_fetching_keeps_every_batch_it_received(tmp_path: Path) -> None:
    with FakeArxiv(latency=0.4) as arxiv:
        site = Site(tmp_path, arxiv.url)
        site.page("index.md", PAPERS)
        site.configure(batch_size=2)  # 6 requests, one after the other
        log = tmp_path / "build.log"
        process = start_build(site.write_config(), log)
        try:
            # Request k+1 arrives only once batch k is stored: with 3 received, 2 are in the cache.
            wait_for(lambda: len(arxiv.requests) >= 3, process, log)
        finally:
            kill(process)
        assert process.returncode == -9
        first = ids_requested(arxiv)
        stored = {i for batch in first[:-1] for i in batch}  # answered and stored before the kill
        maybe = set(first[-1])  # received; its answer was still being delayed at the kill
        assert len(first) < 6 and len(stored) >= 4
        assert not (site.root / "site" / "index.html").exists(), "the build was not killed mid-way"

        arxiv.reset()
        arxiv.latency = 0
        result = site.build(strict=True)

        assert result.error is None, result.warnings
        again = {i for batch in ids_requested(arxiv) for i in batch}
        assert not again & stored, f"asked again for papers fetched before the kill: {again & stored}"
        assert again >= set(PAPERS) - stored - maybe, "a paper was never fetched"
        assert rendered(site.content()) == set(PAPERS)
        assert not arxiv.errors


def test_a_build_killed_while_summarizing_keeps_every_summary_it_received(tmp_path: Path) -> None:
    with FakeArxiv() as arxiv, FakeOpenAI(latency=0.5) as model:
        site = Site(tmp_path, arxiv.url)
        site.page("index.md", PAPERS[:6])
        site.configure(
            summarizer="openai",
            llm={"base_url": model.url, "model": "fake-model", "api_key_env": "", "concurrency": 1, "timeout": 5},
        )
        log = tmp_path / "build.log"
        process = start_build(site.write_config(), log)
        try:
            # One at a time: paper k+1 is sent once the summary of paper k is stored.
            wait_for(lambda: model.calls >= 3, process, log)
        finally:
            kill(process)
        assert process.returncode == -9
        sent = [base(request.paper_id or "") for request in model.requests]
        done, maybe = set(sent[:-1]), {sent[-1]}
        assert len(sent) < 6 and len(done) >= 2

        arxiv.reset()
        model.reset()
        result = site.build(strict=True)

        assert result.error is None, result.warnings
        assert arxiv.requests == [], "the papers were stored before any summary was asked for"
        again = {base(request.paper_id or "") for request in model.requests}
        assert not again & done, f"summarized again: {again & done}"
        assert again >= set(PAPERS[:6]) - done - maybe
        content = site.content()
        assert all(f"TLDR of {arxiv_id}" in content for arxiv_id in PAPERS[:6])
        assert not model.errors


# Builds side by side


def test_two_builds_at_once_share_one_cache(tmp_path: Path) -> None:
    with FakeArxiv(latency=0.05) as arxiv, FakeOpenAI(latency=0.05) as model:
        site = Site(tmp_path, arxiv.url)
        site.page("index.md", PAPERS[:6])
        site.page("more.md", PAPERS[4:])
        site.configure(
            batch_size=2,
            summarizer="openai",
            llm={"base_url": model.url, "model": "fake-model", "api_key_env": "", "concurrency": 4, "timeout": 5},
        )
        # Two configurations of one project (same cache folder), each with its own site folder.
        data = yaml.safe_load(site.write_config().read_text())
        configs = []
        for name in ("a", "b"):
            path = tmp_path / f"{name}.yml"
            path.write_text(yaml.safe_dump({**data, "site_dir": f"site-{name}"}, allow_unicode=True))
            configs.append(path)
        processes = [start_build(config, tmp_path / f"{config.stem}.log") for config in configs]
        try:
            codes = [process.wait(timeout=60) for process in processes]
        finally:
            for process in processes:
                kill(process)
        logs = [(tmp_path / f"{config.stem}.log").read_text() for config in configs]
        assert codes == [0, 0], logs
        for log in logs:
            assert "locked" not in log and "Traceback" not in log and "WARNING" not in log, log
        for name in ("a", "b"):
            assert rendered((tmp_path / f"site-{name}" / "more" / "index.html").read_text()) == set(PAPERS[4:])

        arxiv.reset()
        model.reset()
        warm = site.build(strict=True)
        assert warm.error is None, warm.warnings
        assert arxiv.requests == [] and model.requests == [], "the shared cache holds everything both builds got"
        assert rendered(site.content()) == set(PAPERS[:6])


# Broken caches


def test_a_corrupt_cache_is_moved_aside_and_the_build_goes_on(site: Site, arxiv_api: FakeArxiv) -> None:
    site.page("index.md", PAPERS[:3])
    assert site.build().error is None
    database = site.root / CACHE / "cache.db"
    database.write_bytes(b"this is not a SQLite database \x00\xff" * 512)
    arxiv_api.reset()

    result = site.build()

    assert result.error is None
    aside = list((site.root / CACHE).parent.glob("arxiv-digest.broken-*"))
    assert len(aside) == 1 and (aside[0] / "cache.db").read_bytes().startswith(b"this is not")
    warned = [w for w in result.warnings if str(aside[0]) in w]
    assert warned and "is damaged" in warned[0], result.warnings
    assert rendered(site.content()) == set(PAPERS[:3])
    assert ids_requested(arxiv_api) == [PAPERS[:3]]
    assert site.build(strict=True).error is None, "the new cache works: no warning the next time"


def test_a_cache_with_corrupt_pages_is_moved_aside_and_the_build_goes_on(site: Site, arxiv_api: FakeArxiv) -> None:
    site.page("index.md", PAPERS[:6])
    assert site.build().error is None
    database = site.root / CACHE / "cache.db"
    with contextlib.closing(sqlite3.connect(database)) as connection:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        pages = [row[0] for row in connection.execute("SELECT pageno FROM dbstat WHERE name = 'Cache'")]
    assert pages
    with database.open("r+b") as file:  # the table's pages, not the header or the index
        for page in pages:
            file.seek((page - 1) * page_size)
            file.write(b"\xa5" * page_size)
    arxiv_api.reset()

    try:
        result = site.build()
    except sqlite3.DatabaseError as error:
        raise AssertionError(f"the build crashed: {error!r}") from None
    assert result.error is None
    assert any("is damaged" in w for w in result.warnings), result.warnings
    assert rendered(site.content()) == set(PAPERS[:6])


def test_a_cache_dir_that_cannot_be_a_folder_warns_and_the_build_goes_on(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    temporary = site.root / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))  # where a stand-in cache would go
    blocker = site.root / "not-a-folder"
    blocker.write_text("a file where the cache folder should be\n")
    site.page("index.md", PAPERS[:2])
    site.configure(cache_dir="not-a-folder")

    result = site.build()

    assert result.error is None
    warned = [w for w in result.warnings if "'cache_dir'" in w and str(blocker.resolve()) in w]
    assert warned and "cannot be written" in warned[0], result.warnings
    assert rendered(site.content()) == set(PAPERS[:2])
    assert blocker.read_text() == "a file where the cache folder should be\n"
    assert not any(temporary.iterdir()), "no folder is left behind"
    assert site.build(strict=True).error is not None, "--strict fails on it"


def test_a_cache_past_diskcache_s_size_limit_forgets_nothing(tmp_path: Path) -> None:
    """diskcache keeps a folder under a size (1 GiB unless its settings say
    otherwise) by dropping the rows stored longest ago. Figures' images take a
    daily site there within weeks, and what went was its oldest papers and
    their paid summaries, and images its pages still show. A folder whose
    settings say one byte stands for one that reached the limit."""
    import diskcache

    folder = tmp_path / "cache"
    with diskcache.Cache(str(folder), size_limit=1):
        pass
    cache = Cache(folder)
    for number in range(30):
        cache.set_json(f"paper:{number}", {"number": number})
    image = b"\x89PNG\r\n\x1a\n" + bytes(100_000)
    cache.set_bytes("figure-image:2501.00001v1-1", image)
    cache.close()

    reopened = Cache(folder)
    try:
        kept = [reopened.get_json(f"paper:{number}") for number in range(30)]
        assert kept == [{"number": number} for number in range(30)], "no paper is dropped to make room"
        assert reopened.get_bytes("figure-image:2501.00001v1-1") == image
    finally:
        reopened.close()


# mkdocs serve


def test_serve_survives_a_failed_rebuild_and_keeps_its_cache(site: Site, arxiv_api: FakeArxiv) -> None:
    site.page("index.md", PAPERS[:3])
    with serving(site) as config:
        assert site.build(config=config, startup=None).error is None
        assert len(arxiv_api.requests) == 1

        site.configure(snapshot="missing.jsonl")  # a typo while editing mkdocs.yml
        broken = site.build_or_refuse(startup=None)
        assert broken.error is not None
        assert any("'snapshot'" in m and "missing.jsonl" in m for m in broken.messages(logging.ERROR))

        site.configure()  # fixed
        site.page("index.md", [*PAPERS[:3], PAPERS[3]])
        fixed = site.build(config=site.load(), startup=None)
        assert fixed.error is None, fixed.warnings
        assert ids_requested(arxiv_api)[1:] == [[PAPERS[3]]], "cached papers are not asked for again"
        assert rendered(site.content()) == set(PAPERS[:4])


def test_serve_survives_arxiv_failing_and_fetches_what_is_missing_next_time(site: Site, arxiv_api: FakeArxiv) -> None:
    site.page("index.md", PAPERS[:3])
    with serving(site) as config:
        assert site.build(config=config, startup=None).error is None

        site.page("index.md", PAPERS[:5])
        arxiv_api.fail(503, times=10)
        down = site.build(config=site.load(), startup=None)
        assert down.error is None
        said = [w for w in down.warnings if "not shown" in w]
        assert len(said) == 1 and all(i in said[0] for i in PAPERS[3:5]), down.warnings
        assert rendered(site.content()) == set(PAPERS[:3]), "the cached papers are still shown"

        arxiv_api.reset()
        up = site.build(config=site.load(), startup=None)
        assert up.error is None, up.warnings
        assert ids_requested(arxiv_api) == [PAPERS[3:5]]
        assert rendered(site.content()) == set(PAPERS[:5])


HOOK = """
from pathlib import Path


def on_page_markdown(markdown, page, config, files):
    if (Path(config.config_file_path).parent / "FAIL").exists():
        raise RuntimeError("a hook failed")
    return markdown
"""


def test_serve_survives_a_rebuild_that_fails_while_fetching(site: Site) -> None:
    with FakeArxiv(latency=0.3) as arxiv:
        site.api_url = arxiv.url
        (site.root / "hooks.py").write_text(HOOK)
        (site.root / "FAIL").touch()
        site.extra = {"hooks": ["hooks.py"]}
        site.page("index.md", PAPERS[:2])
        site.page("other.md", PAPERS[2:8])
        site.configure(batch_size=2)
        with serving(site) as config:
            started = time.monotonic()
            with pytest.raises(RuntimeError, match="a hook failed"):
                site.build(config=config, startup=None)
            assert time.monotonic() - started < 10, "a failed build does not wait for every batch"
            first = ids_requested(arxiv)
            assert 0 < len(first) < 4, "the failure stopped the fetching"

            (site.root / "FAIL").unlink()
            arxiv.reset()
            arxiv.latency = 0
            fixed = site.build(config=site.load(), startup=None)
            assert fixed.error is None, fixed.warnings
            again = {i for batch in ids_requested(arxiv) for i in batch}
            assert not again & {i for batch in first for i in batch}
            assert rendered(site.content("other.md")) == set(PAPERS[2:8])


# Soak


def _fault(rng: random.Random, arxiv: FakeArxiv) -> str:
    kind = rng.choice(["503", "429", "hang", "empty", "incomplete", "cut", "malformed", "close"])
    if kind == "503":
        arxiv.fail(503)
    elif kind == "429":
        arxiv.fail(429, retry_after=rng.choice([0, 1]))
    elif kind == "hang":
        arxiv.fail(hang=1.3)  # past `timeout: 1`
    elif kind == "empty":
        arxiv.fail(empty=True)
    elif kind in ("incomplete", "cut"):
        arxiv.fail(truncate=kind)
    elif kind == "malformed":
        arxiv.fail(body=b"<?xml version='1.0'?><feed><entry><id>oops</feed")
    else:
        arxiv.fail(close=True)
    return kind


def test_soak_rebuilds_against_a_faulty_arxiv_never_lose_a_paper(tmp_path: Path) -> None:
    rng = random.Random(20241122)
    ids = [f"2311.{80001 + n}" for n in range(45)]
    with FakeArxiv() as arxiv:
        arxiv.add_synthetic(ids)
        site = Site(tmp_path, arxiv.url)
        site.configure(retries=1, timeout=1, batch_size=4)
        cache = tmp_path / CACHE
        pages: dict[str, list[str]] = {"index.md": [], "a.md": [], "b/c.md": []}
        counts: list[int] = []
        faults: list[str] = []
        started = time.monotonic()
        with serving(site):
            for build in range(15):
                for number, arxiv_id in enumerate(ids[build * 3 : build * 3 + 3]):
                    pages[list(pages)[(build + number) % 3]].append(arxiv_id)
                for name, listed in pages.items():
                    site.page(name, listed or None)
                faults += [_fault(rng, arxiv) for _ in range(rng.randint(0, 2))]
                shutil.rmtree(tmp_path / "site", ignore_errors=True)

                result = site.build(config=site.load(), startup=None)

                assert result.error is None, (build, result.warnings)
                assert (tmp_path / "site" / "index.html").is_file(), build
                counts.append(len(papers_in_cache(cache)))
                assert counts[-1] >= max(counts), f"build {build}: papers lost from the cache: {counts}"
                arxiv.reset()  # faults not consumed this build are dropped
        assert time.monotonic() - started < 60
        assert not arxiv.errors
        assert len(set(faults)) >= 5, f"the soak saw too few kinds of fault: {faults}"

        # Once arXiv behaves, one more build gets whatever the faults held back.
        final = site.build()
        assert final.error is None
        cached = papers_in_cache(cache)
        shown = set().union(*(rendered(site.content(name)) for name in pages))
        unknown = {i for i in ids if any(i in w and "has no paper" in w for w in final.warnings)}
        assert shown == set(ids) - unknown, final.warnings
        assert {base(i) for i in cached} == shown
