"""Benchmarks of mkdocs-arxiv-digest against the naive ways and the floors.

    python benchmarks/run.py                     # the full run (the sites alone: 1 h 42 min on 2 cores)
    python benchmarks/run.py --quick             # smaller sizes, for a quick look
    python benchmarks/run.py --sizes 100x1500    # only these site sizes (pages x papers)
    python benchmarks/run.py --only sites,serve  # only these sections
    python benchmarks/run.py --only fulltext     # the full-text parser alone (no servers, ~1 min)
    python benchmarks/run.py --only rank         # the offline ranker alone (no servers)
    python benchmarks/run.py --instructions 40x1000  # and count that site's instructions (Valgrind)

Everything runs on this machine: a fake arXiv API and a fake OpenAI-compatible
server on 127.0.0.1 (from tests/), with the latency and delays set below.
Nothing touches the internet. Figures are printed as a Markdown table.

Site builds are whole `python -m mkdocs build` processes, as users run them:
imports included, a fresh plugin each time, peak memory (`ru_maxrss`) of the
build process alone. Each warm build is paired with a build of its static
twin (the plugin's own Markdown output pasted into the pages, the `.bib`
files as static files, the plugin removed; the built sites are compared),
the pairs alternating which goes first, and the median and spread of the
pairs' ratios are reported, with the interval that holds the median of all
such pairs at 95% confidence: this machine's speed drifts, and single pairs
range over ±20%.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import logging
import math
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.managers import BaseManager
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))  # this checkout's package, here and in every build process

ATOM = "{http://www.w3.org/2005/Atom}"

from fake_arxiv import FakeArxiv  # noqa: E402
from fake_openai import FakeOpenAI  # noqa: E402


class ArxivControl:
    """The fake arXiv API, run in a server process of its own so that it takes
    no CPU time from the build being measured."""

    def __init__(self) -> None:
        self.server = FakeArxiv(load_fixtures=False).start()

    def url(self) -> str:
        return self.server.url

    def add_synthetic(self, ids: list[str]) -> None:
        self.server.add_synthetic(ids)

    def add_realistic(self, ids: list[str]) -> None:
        """Synthetic papers whose abstracts are real ones (see `realistic_abstract`)."""
        for arxiv_id in ids:
            self.server.add_paper(arxiv_id, summary=realistic_abstract(arxiv_id))

    def reset(self) -> None:
        self.server.reset()

    def request_times(self) -> list[float]:
        return [request.received_at for request in self.server.requests]

    def stop(self) -> None:
        self.server.stop()


class ModelControl:
    """The fake OpenAI-compatible server, in the same server process."""

    def __init__(self) -> None:
        self.server = FakeOpenAI().start()

    def url(self) -> str:
        return self.server.url

    def reset(self, latency: float) -> None:
        self.server.reset()
        self.server.latency = latency

    def request_times(self) -> list[float]:
        return [request.received_at for request in self.server.requests]

    def stop(self) -> None:
        self.server.stop()


class Servers(BaseManager):
    pass


Servers.register("Arxiv", ArxivControl)
Servers.register("Model", ModelControl)


@functools.cache
def real_abstracts() -> list[list[str]]:
    """The abstracts of the API answers recorded in tests/fixtures, as lists of sentences."""
    import xml.etree.ElementTree as ET

    found: dict[str, list[str]] = {}
    for path in sorted((REPO / "tests" / "fixtures" / "arxiv-api").glob("*.xml")):
        for entry in ET.parse(path).getroot().iter(f"{ATOM}entry"):
            text = " ".join((entry.findtext(f"{ATOM}summary") or "").split())
            if len(text) > 300:  # error feeds and stubs are not abstracts
                found[text] = [s for s in text.replace(". ", ".\n").split("\n") if s]
    return list(found.values())


def realistic_abstract(arxiv_id: str) -> str:
    """A real abstract, different for each ID: one of the recorded abstracts
    (so the lengths are real ones), its sentences rotated, one of them swapped
    for a sentence of another abstract."""
    rng = random.Random(arxiv_id)
    pool = real_abstracts()
    sentences = list(rng.choice(pool))
    turn = rng.randrange(len(sentences))
    sentences = sentences[turn:] + sentences[:turn]
    sentences[rng.randrange(len(sentences))] = rng.choice(rng.choice(pool))
    return " ".join(sentences)


def synthetic_ids(count: int, start: int = 1) -> list[str]:
    """Well-formed new-style IDs, spread over months so they look like real ones."""
    return [f"{2401 + (n // 90000) % 12:04d}.{n % 90000 + 10000:05d}" for n in range(start, start + count)]


@dataclass
class SiteSpec:
    pages: int
    ids: list[str]
    per_page: int

    def page_ids(self, page: int) -> list[str]:
        """Every ID appears on at least one page; pages overlap a little, as reading lists do."""
        first = page * len(self.ids) // self.pages
        chosen = self.ids[first : first + self.per_page]
        return chosen if len(chosen) == self.per_page else (chosen + self.ids[: self.per_page - len(chosen)])


def write_site(root: Path, spec: SiteSpec, options: dict[str, Any], static: dict[str, str] | None = None) -> Path:
    """A site of `spec.pages` pages; with `static`, the pages hold that Markdown and no plugin runs."""
    docs = root / "docs"
    if docs.exists():
        shutil.rmtree(docs)
    docs.mkdir(parents=True)
    for page in range(spec.pages):
        name = f"page-{page:04d}.md"
        if static is not None:
            text = static[name]
        else:
            ids = json.dumps(spec.page_ids(page))
            text = f"---\ntitle: Reading list {page}\narxiv: {ids}\n---\n\nNotes for week {page}.\n"
        (docs / name).write_text(text, encoding="utf-8")
    (docs / "index.md").write_text("# Home\n\nThe reading lists.\n", encoding="utf-8")
    plugins: list[Any] = [] if static is not None else [{"arxiv-digest": options}]
    # attr_list on both sides: the twin gives the papers' headings their ids with it.
    config = {
        "site_name": "Bench",
        "theme": {"name": "mkdocs"},
        "plugins": plugins,
        "markdown_extensions": ["attr_list"],
    }
    path = root / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    logger = logging.getLogger("mkdocs")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


class Session:
    """Builds in one process, as `mkdocs serve` does: startup once, many builds."""

    def __init__(self, config_file: Path, command: str = "build") -> None:
        from mkdocs.config import load_config

        self.config_file = config_file
        self.load = lambda: load_config(str(config_file))
        self.first = self.load()
        self.first.plugins.on_startup(command=command, dirty=False)
        self.plugin_seconds = 0.0
        self._timed: list[tuple[Any, str, Any]] = []
        plugin = self.first.plugins.get("arxiv-digest")
        if plugin is not None:
            self._time_events(plugin)

    def _time_events(self, plugin: Any) -> None:
        """Count the time spent in the plugin's own event handlers."""
        for name in ("on_config", "on_files", "on_page_markdown", "on_post_build"):
            original = getattr(plugin, name)

            @functools.wraps(original)
            def timed(*args: Any, __original: Callable[..., Any] = original, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return __original(*args, **kwargs)
                finally:
                    self.plugin_seconds += time.perf_counter() - started

            setattr(plugin, name, timed)
            self._timed.append((plugin, name, original))

    def build(self, fresh_config: bool = True) -> float:
        from mkdocs.commands.build import build

        config = self.load() if fresh_config else self.first
        started = time.perf_counter()
        with quiet():
            build(config)
        return time.perf_counter() - started

    def close(self) -> None:
        self.first.plugins.on_shutdown()
        for plugin, name, _original in self._timed:
            with contextlib.suppress(AttributeError):
                delattr(plugin, name)


def build_once(config_file: Path) -> float:
    session = Session(config_file)
    try:
        return session.build(fresh_config=False)
    finally:
        session.close()


def base_options(arxiv: Any, delay: float, **more: Any) -> dict[str, Any]:
    return {"api_url": arxiv.url(), "delay_seconds": delay, "timeout": 30, "retries": 2, **more}


# The sections ------------------------------------------------------------------


def cold_fetch(arxiv: Any, work: Path, n: int, pages: int, delay: float) -> list[list[str]]:
    import arxiv as arxiv_package

    ids = synthetic_ids(n, start=100000)
    arxiv.add_synthetic(ids)
    spec = SiteSpec(pages, ids, per_page=math.ceil(n / pages) + 5)
    rows = []

    arxiv.reset()
    session = Session(write_site(work / "cold", spec, base_options(arxiv, delay)))
    try:
        build_time = session.build(fresh_config=False)
        stats = session.first.plugins["arxiv-digest"].report
    finally:
        session.close()
    plugin_time, plugin_requests = stats.seconds, len(arxiv.request_times())
    floor = math.ceil(n / 100)

    def naive(groups: list[list[str]]) -> tuple[float, int]:
        client = arxiv_package.Client(delay_seconds=delay, num_retries=0)
        client.query_url_format = arxiv.url() + "?{}"
        arxiv.reset()
        started = time.perf_counter()
        for group in groups:
            list(client.results(arxiv_package.Search(id_list=group, max_results=len(group))))
        client._session.close()
        return time.perf_counter() - started, len(arxiv.request_times())

    per_page_time, per_page_requests = naive([spec.page_ids(p) for p in range(pages)])
    per_id_time, per_id_requests = naive([[i] for i in ids])

    def at_arxiv_pace(requests: int) -> str:
        return f"{(requests - 1) * 3 / 60:.1f} min"

    rows.append(["Cold fetch", f"plugin, {pages} pages × {n} IDs", f"{plugin_requests} requests",
                 f"{plugin_time:.2f} s fetching (whole build {build_time:.2f} s)",
                 f"floor ⌈{n}/100⌉ = {floor} requests; at arXiv's 3 s: {at_arxiv_pace(plugin_requests)}"])  # fmt: skip
    rows.append(["Cold fetch", "naive: one request per page", f"{per_page_requests} requests",
                 f"{per_page_time:.2f} s", f"at arXiv's 3 s: {at_arxiv_pace(per_page_requests)}"])  # fmt: skip
    rows.append(["Cold fetch", "naive: one request per ID", f"{per_id_requests} requests",
                 f"{per_id_time:.2f} s", f"at arXiv's 3 s: {at_arxiv_pace(per_id_requests)}"])  # fmt: skip
    return rows


def cold_with_model(
    arxiv: Any, model: Any, work: Path, label: str, n: int, batch: int, delay: float, latency: float, concurrency: int
) -> list[list[str]]:
    """The plugin's pipeline (summaries start as each batch arrives) against the
    naive order, measured as a fetch-only build followed by a summarize-only build."""
    ids = synthetic_ids(n, start=300000 + 10000 * len(label))
    arxiv.add_synthetic(ids)
    spec = SiteSpec(10, ids, per_page=math.ceil(n / 10))
    llm = {"base_url": model.url(), "model": "fake", "api_key_env": "", "concurrency": concurrency, "timeout": 30}
    options = base_options(arxiv, delay, batch_size=batch, summarizer="openai", llm=llm)

    def fresh(name: str, **changes: Any) -> Path:
        shutil.rmtree(work / name, ignore_errors=True)
        return write_site(work / name, spec, {**options, **changes})

    model.reset(latency)
    arxiv.reset()
    config_file = fresh(f"model-{label}")
    cold = build_once(config_file)
    requests, calls = len(arxiv.request_times()), len(model.request_times())
    warm = build_once(config_file)
    # The naive order on a fresh cache: all metadata first, then all summaries.
    naive_file = fresh(f"naive-{label}", summarizer="none")
    fetch_only = build_once(naive_file)
    write_site(work / f"naive-{label}", spec, options)
    summarize_only = build_once(naive_file)
    naive = (fetch_only - warm) + (summarize_only - warm)

    fetch_floor = (math.ceil(n / batch) - 1) * delay
    model_floor = n * latency / concurrency
    floor = max(fetch_floor, model_floor)
    return [
        [f"Cold build with a model ({label})", f"{n} papers, batch {batch}, delay {delay:g} s, "
         f"{latency:g} s/answer, concurrency {concurrency}", f"{requests} requests, {calls} model calls",
         f"cold {cold:.2f} s, warm {warm:.2f} s; naive order {naive:.2f} s",
         f"cold − warm = {cold - warm:.2f} s = {(cold - warm) / floor:.2f} × max(fetch floor {fetch_floor:.1f} s, "
         f"model floor {model_floor:.1f} s) (target ≤ 1.15); naive order = {naive / floor:.2f} ×"],
    ]  # fmt: skip


def model_concurrency(arxiv: Any, model: Any, work: Path, n: int, latency: float, concurrency: int) -> list[list[str]]:
    """Summaries alone (metadata cached): n answers of `latency` s at `concurrency`."""
    ids = synthetic_ids(n, start=400000)
    arxiv.add_synthetic(ids)
    spec = SiteSpec(2, ids, per_page=math.ceil(n / 2))
    llm = {"base_url": model.url(), "model": "fake", "api_key_env": "", "concurrency": concurrency, "timeout": 30}
    root = work / "concurrency"
    build_once(write_site(root, spec, base_options(arxiv, 0.0, summarizer="none")))  # metadata only
    config_file = write_site(root, spec, base_options(arxiv, 0.0, summarizer="openai", llm=llm))
    build_once(
        write_site(
            work / "concurrency-import",
            SiteSpec(1, ids[:1], 1),
            base_options(arxiv, 0.0, summarizer="openai", llm=llm, cache_dir=str(work / "concurrency-import-cache")),
        )
    )  # import the SDK
    model.reset(latency)
    session = Session(config_file)
    try:
        cold = session.build(fresh_config=False)
    finally:
        session.close()
    warm = build_once(config_file)
    calls = len(model.request_times())
    return [
        ["Model concurrency", f"{n} papers, {latency:g} s/answer, concurrency {concurrency}, metadata cached",
         f"{calls} model calls", f"{cold - warm:.2f} s of summarizing",
         f"floor {n} × {latency:g} / {concurrency} = {n * latency / concurrency:.2f} s; one at a time: "
         f"{n * latency:.1f} s"],
    ]  # fmt: skip


@dataclass(frozen=True)
class Run:
    """One `mkdocs build` process."""

    wall: float
    cpu: float
    rss_mib: float
    """Peak resident memory of the build process alone."""


def child_env() -> dict[str, str]:
    """The environment of a build process: it imports this checkout's package,
    compiled to bytecode once as an installed package is (pip compiles it), not
    on every build as PYTHONDONTWRITEBYTECODE would have it."""
    paths = [str(REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen([sys.executable, "-m", "mkdocs", "build", "-q", "-f", sys.argv[1]], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - started
child.returncode = os.waitstatus_to_exitcode(status)
print(json.dumps([child.returncode, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024]))
"""
"""Starts a build and reports on it from a small process of its own: a process
keeps the peak memory of the one it was forked from (Linux carries `maxrss`
across `exec`), so a build started by this large benchmark would report the
benchmark's memory as its own."""


INSIDE = """
import json, sys, time
import mkdocs.commands.build, mkdocs.config
started = time.perf_counter()
import mkdocs_arxiv_digest.plugin
imported = time.perf_counter() - started
config = mkdocs.config.load_config(sys.argv[1])
plugin = config.plugins["arxiv-digest"]
spent = [0.0]
def timed(handler):
    def run(*args, **kwargs):
        begun = time.perf_counter()
        try:
            return handler(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - begun
    return run
for handlers in config.plugins.events.values():  # the plugin's handlers, as MkDocs registered them
    handlers[:] = [timed(h) if getattr(h, "__self__", None) is plugin else h for h in handlers]
config.plugins.on_startup(command="build", dirty=False)
begun = time.perf_counter()
mkdocs.commands.build.build(config)
built = time.perf_counter() - begun
config.plugins.on_shutdown()
print(json.dumps([imported, spent[0], built]))
"""
"""A warm build that times, inside its own process, what the plugin adds:
importing it and its event handlers (`on_config` runs inside `build`)."""


def plugin_inside(config_file: Path, runs: int) -> tuple[float, float, float]:
    """The medians of `runs` builds: import seconds, handler seconds, build seconds."""
    measured = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", INSIDE, str(config_file)],
            env=child_env(), capture_output=True, text=True, cwd=config_file.parent, check=True,
        )  # fmt: skip
        measured.append(json.loads(done.stdout.strip().splitlines()[-1]))
    imported, handlers, built = (median([m[i] for m in measured]) for i in range(3))
    return imported, handlers, built


def instructions(config_files: list[Path]) -> list[int] | None:
    """The user-space instructions of one build of each site, counted by
    Valgrind's cachegrind (`None` without Valgrind). Unlike time, the count does
    not move with the machine's speed, so the builds run side by side; string
    hashing is seeded the same in each so that both do the same work."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    env = {**child_env(), "PYTHONHASHSEED": "0"}
    running = [
        subprocess.Popen(
            [
                valgrind,
                "--tool=cachegrind",
                "--cache-sim=no",
                f"--cachegrind-out-file={config_file.parent / 'cachegrind.out'}",
                sys.executable,
                "-m",
                "mkdocs",
                "build",
                "-q",
                "-f",
                str(config_file),
            ],
            env=env,
            cwd=config_file.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for config_file in config_files
    ]
    counts = []
    for config_file, build in zip(config_files, running, strict=True):
        _, errors = build.communicate()
        found = re.search(r"I\s+refs:\s+([\d,]+)", errors)
        if build.returncode or not found:
            raise RuntimeError(f"{config_file} failed under Valgrind: {errors[-3000:]}")
        counts.append(int(found.group(1).replace(",", "")))
    return counts


def build_process(config_file: Path) -> Run:
    """`python -m mkdocs build` in a process of its own, timed from start to exit."""
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, str(config_file)],
        env=child_env(), capture_output=True, text=True, cwd=config_file.parent, check=False,
    )  # fmt: skip
    code, wall, cpu, rss = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else (-1, 0, 0, 0)
    if code:
        raise RuntimeError(f"{config_file} failed: {done.stderr[-3000:]}")
    return Run(wall, cpu, rss)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def median_interval(values: list[float], level: float = 0.95) -> tuple[float, float]:
    """Where the median of all such pairs lies, with `level` confidence, from
    order statistics (no assumption on the spread's shape): the k-th smallest
    and k-th largest value, k the largest rank the binomial law allows."""
    ordered, n = sorted(values), len(values)
    below, k = 0.0, 0
    while k < n // 2 and below + math.comb(n, k) / 2**n <= (1 - level) / 2:
        below += math.comb(n, k) / 2**n
        k += 1
    return (ordered[k - 1], ordered[n - k]) if k else (ordered[0], ordered[-1])


SIZES = {"100x1500": (100, 1500), "40x1000": (40, 1000), "580x10000": (580, 10000),
         "1000x10000": (1000, 10000), "2900x50000": (2900, 50000)}  # fmt: skip
"""The sites of issue 15's table: pages x distinct papers."""


def capture(config_file: Path) -> dict[str, str]:
    """The plugin's Markdown output for each page, from one in-process warm build."""
    session = Session(config_file)
    outputs: dict[str, str] = {}
    plugin = session.first.plugins["arxiv-digest"]
    render = plugin.on_page_markdown

    def keep(markdown: str, *, page: Any, **kwargs: Any) -> str:
        out = render(markdown, page=page, **kwargs)
        outputs[page.file.src_uri] = out
        return out

    plugin.on_page_markdown = keep  # a freshly loaded config registers it
    try:
        session.build()
    finally:
        session.close()
    return outputs


def write_twin(root: Path, spec: SiteSpec, outputs: dict[str, str], built: Path) -> Path:
    """The static twin: each page is its front matter's title and the plugin's
    output as it is (`attr_list`, on in both sites, gives the papers' headings
    their ids); the `.bib` files are copied in as they were built."""
    static = {}
    for name, text in outputs.items():
        if name.startswith("page-"):
            static[name] = f"---\ntitle: Reading list {int(name[5:9])}\n---\n\n{text}"
    config_file = write_site(root, spec, {}, static=static)
    for bib in built.glob("page-*.bib"):
        shutil.copyfile(bib, root / "docs" / bib.name)
    return config_file


_BUILD_DATE = re.compile(rb"Build Date UTC : [^\n]*")


def differing(one: Path, other: Path) -> list[str]:
    """Files that differ between two built sites, but for the time of the build
    (in the home page's comment and the sitemap's gzip header)."""

    def content(path: Path) -> bytes | None:
        return _BUILD_DATE.sub(b"", path.read_bytes()) if path.is_file() else None

    names = {p.relative_to(one) for p in one.rglob("*") if p.is_file()}
    names |= {p.relative_to(other) for p in other.rglob("*") if p.is_file()}
    return sorted(
        str(name) for name in names if name.name != "sitemap.xml.gz" and content(one / name) != content(other / name)
    )


def html_folder(folder: Path, ids: list[str]) -> Path:
    """A folder laid out like arxiv.org/html with a page for each paper's first
    two versions: links to the full-text fixtures' papers, taken in turn."""
    pages = sorted(path for path in FULLTEXT.iterdir() if (path / "index.html").is_file())
    usable = [path for path in pages if path.name not in ("2612.00004v1", "2612.00005v1")]
    folder.mkdir(parents=True, exist_ok=True)
    for n, arxiv_id in enumerate(ids):
        for version in ("v1", "v2"):
            (folder / f"{arxiv_id}{version}").symlink_to(usable[n % len(usable)], target_is_directory=True)
    return folder


def site_vs_twin(
    arxiv: Any, work: Path, label: str, pairs: int, count: bool = False, fulltext: bool = False
) -> list[list[str]]:
    """A cold and a warm build of a site, whole processes, the warm one in
    alternating pairs with its static twin. With `fulltext`, every page shows
    its papers' full text (`fulltext: true`), read from a local `html_url`
    folder by the cold build."""
    pages, papers = SIZES[label]
    ids = synthetic_ids(papers, start=900000 if fulltext else 800000)
    arxiv.add_realistic(ids)
    spec = SiteSpec(pages, ids, per_page=math.ceil(papers / pages))
    root = work / f"site-{label}{'-fulltext' if fulltext else ''}"
    more: dict[str, Any] = {}
    if fulltext:
        more = {"fulltext": True, "html_url": str(html_folder(root / "html", ids))}
    options = base_options(arxiv, 0.0, cache_dir=str(root / "cache"), **more)
    config_file = write_site(root / "plugin", spec, options)
    arxiv.reset()
    cold = build_process(config_file)
    requests = len(arxiv.request_times())
    twin_file = write_twin(root / "twin", spec, capture(config_file), root / "plugin" / "site")
    # One untimed build of each: the file system's caches are warm for both,
    # and the two sites are compared.
    build_process(config_file)
    build_process(twin_file)
    differ = differing(root / "plugin" / "site", root / "twin" / "site")
    runs: list[tuple[Run, Run]] = []
    for n in range(pairs):
        if n % 2 == 0:
            plugin = build_process(config_file)
            twin = build_process(twin_file)
        else:
            twin = build_process(twin_file)
            plugin = build_process(config_file)
        runs.append((plugin, twin))
    requests_warm = len(arxiv.request_times()) - requests
    imported, handlers, built = plugin_inside(config_file, runs=3 if pages <= 1000 else 1)
    counted = instructions([config_file, twin_file]) if count else None
    wall = [p.wall / t.wall for p, t in runs]
    low, high = median_interval(wall)
    cpu = [p.cpu / t.cpu for p, t in runs]
    memory = [p.rss_mib / t.rss_mib for p, t in runs]
    plugin_rss, twin_rss = median([p.rss_mib for p, _ in runs]), median([t.rss_mib for _, t in runs])
    same = "identical" if not differ else f"{len(differ)} files differ (e.g. {differ[0]})"
    shutil.rmtree(root / "plugin" / "site", ignore_errors=True)
    shutil.rmtree(root / "twin" / "site", ignore_errors=True)
    counts = []
    if count:
        counts = [
            ["Warm build vs static twin, instructions", f"{pages} pages, {papers} papers, one build of each under "
             "Valgrind (cachegrind)", "0 requests",
             f"plugin {counted[0] / 1e9:.2f} G, twin {counted[1] / 1e9:.2f} G instructions" if counted else
             "Valgrind is not installed", f"{counted[0] / counted[1]:.3f}× the twin's instructions" if counted else ""],
        ]  # fmt: skip
    with_text = ", full text from a local folder" if fulltext else ""
    return [
        [f"Cold build{with_text}", f"{pages} pages, {papers} papers, nothing cached (`mkdocs build` process)",
         f"{requests} requests", f"{cold.wall:.1f} s, peak {cold.rss_mib:.0f} MiB",
         "fake arXiv without delay, extractive summaries"],
        [f"Warm build{' with full text' if fulltext else ''} vs static twin",
         f"{pages} pages, {papers} papers, all cached; {pairs} pairs",
         f"{requests_warm} requests; sites {same}",
         f"plugin {median([p.wall for p, _ in runs]):.2f} s, {plugin_rss:.0f} MiB; "
         f"twin {median([t.wall for _, t in runs]):.2f} s, {twin_rss:.0f} MiB",
         f"wall {median(wall):.3f}× (95% interval of the median {low:.3f}–{high:.3f}; "
         f"pairs {min(wall):.2f}–{max(wall):.2f}; target ≤ 1.05), "
         f"CPU {median(cpu):.3f}×, memory {median(memory):.2f}× (target ≤ 1.3)"],
        [f"Warm build{' with full text' if fulltext else ''}, the plugin's part",
         f"{pages} pages, {papers} papers, timed inside the build process",
         "0 requests", f"import {imported * 1000:.0f} ms, event handlers {handlers * 1000:.0f} ms; "
         f"build {built:.2f} s", f"{(imported + handlers) / (built + imported):.1%} of the warm build"],
        *counts,
    ]  # fmt: skip


def serve_memory(arxiv: Any, work: Path, label: str, rebuilds: int) -> list[list[str]]:
    """`mkdocs serve`'s rebuilds in a process of their own (one plugin
    instance kept, as serve does), one page edited before each: time and
    resident memory after each rebuild."""
    pages, papers = SIZES[label]
    ids = synthetic_ids(papers, start=800000)
    arxiv.add_realistic(ids)
    spec = SiteSpec(pages, ids, per_page=math.ceil(papers / pages))
    root = work / f"serve-{label}"
    config_file = write_site(root, spec, base_options(arxiv, 0.0, cache_dir=str(root / "cache")))
    build_process(config_file)  # fill the cache
    arxiv.reset()
    out = subprocess.run(
        [sys.executable, __file__, "--serve-child", str(config_file), "--rebuilds", str(rebuilds)],
        check=True, capture_output=True, text=True, env=child_env(),
    )  # fmt: skip
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    rss = figures["rss_mib"]
    return [
        ["Serve memory", f"{pages} pages, {papers} papers, one page edited, {rebuilds} rebuilds in one process",
         f"{len(arxiv.request_times())} requests",
         f"rebuild median {median(figures['times']):.2f} s, plugin {median(figures['plugin']) * 1000:.0f} ms",
         f"resident memory after rebuild 1: {rss[0]:.0f} MiB, 10: {rss[min(9, len(rss) - 1)]:.0f} MiB, "
         f"{len(rss)}: {rss[-1]:.0f} MiB (max {max(rss):.0f} MiB)"],
    ]  # fmt: skip


def serve_child(config_file: Path, rebuilds: int) -> None:
    import gc

    session = Session(config_file, command="serve")
    times, plugin, rss = [], [], []
    edited = config_file.parent / "docs" / "page-0000.md"
    try:
        for n in range(rebuilds):
            edited.write_text(edited.read_text() + f"\nEdit {n}.\n")
            session.plugin_seconds = 0.0
            times.append(session.build())
            plugin.append(session.plugin_seconds)
            gc.collect()
            with open("/proc/self/statm") as statm:
                rss.append(int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20)
    finally:
        session.close()
    print(json.dumps({"times": times, "plugin": plugin, "rss_mib": rss}))


def refresh_week(arxiv: Any, work: Path, papers: int, days: int) -> list[list[str]]:
    """A site's papers checked again as days pass (one build a day, the cache's
    clock moved on), through the plugin's pipeline: how many requests each day costs."""
    from mkdocs_arxiv_digest.cache import Cache
    from mkdocs_arxiv_digest.fetch import ArxivApi
    from mkdocs_arxiv_digest.ids import ArxivId
    from mkdocs_arxiv_digest.pipeline import Pipeline
    from mkdocs_arxiv_digest.stages.metadata import MetadataStage

    ids = synthetic_ids(papers, start=800000)
    arxiv.add_realistic(ids)
    needs = {ArxivId(i): {"en"} for i in ids}
    offset = [0.0]
    cache = Cache(work / "refresh-cache", clock=lambda: time.time() + offset[0])
    api = ArxivApi(arxiv.url(), 0.0, 30, 2)
    per_day = []
    try:
        for day in range(days + 1):
            offset[0] = day * 86400.0
            arxiv.reset()
            metadata = MetadataStage(cache, lambda: api, None, refresh_seconds=7 * 86400, log=lambda _: None)
            pipeline = Pipeline(cache, [metadata], log=lambda _: None)
            pipeline.plan(needs)
            pipeline.start()
            per_day.append(pipeline.finish().requests)
    finally:
        api.close()
        cache.close()
    later = per_day[1:]
    busy = [f"day {day}: {count}" for day, count in enumerate(per_day) if day and count]
    return [
        ["Refresh week", f"{papers} papers, refresh_days 7, one build a day for {days} days",
         f"day 0 (cold): {per_day[0]} requests; then {sum(later)} in {days} days",
         f"most in one build: {max(later)} requests = {max(0, max(later) - 1) * 3 / 60:.1f} min at arXiv's 3 s",
         "; ".join(busy) + f" (all at once would be {per_day[0]} requests in one build)"],
    ]  # fmt: skip


def snapshot_id(n: int) -> str:
    """The ID of a snapshot's nth line: 25,000 a month from January 2015 on."""
    month = n // 25000
    return f"{15 + month // 12:02d}{month % 12 + 1:02d}.{n % 25000 + 1:05d}"


def snapshot_lookup(work: Path, lines: int, wanted: int) -> list[list[str]]:
    """A cold lookup of a site's IDs in a large JSON-lines snapshot (one ID
    missing from it), then the next build."""
    from mkdocs_arxiv_digest.cache import Cache
    from mkdocs_arxiv_digest.ids import ArxivId
    from mkdocs_arxiv_digest.pipeline import Pipeline
    from mkdocs_arxiv_digest.snapshot import Snapshot
    from mkdocs_arxiv_digest.stages.metadata import MetadataStage

    path = work / "snapshot.jsonl"
    template = json.loads((REPO / "snapshot" / "arxiv-metadata.jsonl").read_text().splitlines()[0])
    abstracts = [" ".join(sentences) for sentences in real_abstracts()]
    with path.open("w", encoding="utf-8") as out:
        for n in range(lines):
            record = {**template, "id": snapshot_id(n),
                      "abstract": abstracts[n % len(abstracts)]}  # fmt: skip
            out.write(json.dumps(record) + "\n")
    size = path.stat().st_size
    every = lines // wanted
    ids = [snapshot_id(n) for n in range(0, lines, every)][:wanted]
    needs = {ArxivId(i): {"en"} for i in [*ids, "2612.99999"]}  # the last is not in the snapshot
    cache = Cache(work / "snapshot-cache")
    timings = []
    try:
        for _ in range(2):
            started = time.perf_counter()
            pipeline = Pipeline(cache, [MetadataStage(cache, None, Snapshot(path))], log=lambda _: None)
            pipeline.plan(needs)
            pipeline.start()
            stats = pipeline.finish()
            timings.append((time.perf_counter() - started, stats.snapshot_scans, stats.from_snapshot))
    finally:
        cache.close()
        path.unlink()
    (first, scans, found), (second, rescans, _) = timings
    return [
        ["Snapshot lookup", f"{wanted} IDs + 1 it lacks, in a {lines:,}-line snapshot ({size / 2**30:.1f} GiB)",
         f"{found} found, {scans} scan(s)", f"cold {first:.1f} s; next build {second * 1000:.0f} ms, {rescans} scans",
         "the full arXiv dump has 2.7M lines"],
    ]  # fmt: skip


FULLTEXT = REPO / "tests" / "fixtures" / "fulltext" / "html"


def large_fulltext_page(megabytes: float) -> bytes:
    """A page of the LaTeXML fixture 2612.00001v1's sections, math and figures
    repeated (ids made unique) to about `megabytes` MB: a long paper's shape."""
    page = (FULLTEXT / "2612.00001v1" / "index.html").read_text(encoding="utf-8")
    start, end = page.index('<section id="S1"'), page.index("</article>")
    body = page[start:end]
    copies = []
    size, n = 0, 0
    while size < megabytes * 1e6 - len(page):
        copy = body.replace('id="S', f'id="R{n}S')
        copies.append(copy)
        size += len(copy)
        n += 1
    return (page[:start] + "".join(copies) + page[end:]).encode()


def fulltext_parse(runs: int) -> list[list[str]]:
    """Parse time per MB of HTML: the LaTeXML fixtures as they are (small
    pages, where the fixed cost shows) and long pages made of one of them.
    Each parse is paired with libxml2 building the same page's tree alone
    (lxml, the parser's floor), the two alternating. Both are given as CPU
    time of this process (what the parser costs, whatever else the machine
    runs) and wall time (what a build waits)."""
    from lxml import etree

    from mkdocs_arxiv_digest.fulltext import FullText, parse

    def timed(work: Callable[[], Any]) -> tuple[float, float, Any]:
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        return (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000, result

    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    def measure(html: bytes, url: str, repeat: int) -> tuple[float, float, float, Any]:
        cpu, wall, floor, record = [], [], [], None
        for _ in range(repeat):
            ours = timed(lambda: parse(html, url))
            cpu.append(ours[0])
            wall.append(ours[1])
            record = ours[2]
            floor.append(timed(lambda: etree.fromstring(html, etree.HTMLParser(encoding="utf-8")))[0])
        return median(cpu), median(wall), median(floor), record

    pages = [(path.name, (path / "index.html").read_bytes()) for path in sorted(FULLTEXT.iterdir())]
    total = sum(len(html) for _, html in pages) / 1e6
    measured = [measure(html, f"https://arxiv.org/html/{name}", runs * 10) for name, html in pages]
    cpu, wall, floor = (sum(m[i] for m in measured) for i in range(3))
    rows = [
        ["Full-text parse", f"the {len(pages)} LaTeXML fixtures, one after another ({total * 1e3:.0f} KB)",
         f"median of {runs * 10} runs each", f"CPU {cpu:.1f} ms (libxml2's tree alone {floor:.1f} ms), wall {wall:.1f} ms",
         f"CPU {cpu / total:.0f} ms per MB, wall {wall / total:.0f} (target < 100)"],
    ]  # fmt: skip
    for megabytes in (5, 30):
        html = large_fulltext_page(megabytes)
        size = len(html) / 1e6
        cpu, wall, floor, record = measure(html, "https://arxiv.org/html/2612.00001v1", runs)
        assert isinstance(record, FullText)
        kept = len(json.dumps(record.to_dict())) / 1e3
        rows.append(
            ["Full-text parse", f"a {size:.1f} MB page (fixture 2612.00001v1's body repeated)",
             f"median of {runs}; record {kept:.0f} KB as JSON",
             f"CPU {cpu:.0f} ms (libxml2's tree alone {floor:.0f} ms), wall {wall:.0f} ms",
             f"CPU {cpu / size:.0f} ms per MB, wall {wall / size:.0f} (target < 100)"],
        )  # fmt: skip
    return rows


def rank_texts() -> tuple[list[tuple[str, str]], list[list[str]]]:
    """The committed arXiv papers with titles (the snapshot, the two TL;DR sets), as
    (title, abstract), and CSAbstruct's abstracts as lists of sentences."""
    papers: dict[str, tuple[str, str]] = {}
    with open(REPO / "snapshot" / "arxiv-metadata.jsonl", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            papers[record["id"]] = (" ".join(record["title"].split()), " ".join(record["abstract"].split()))
    for folder in ("tldr-dev2", "tldr-heldout"):
        with open(REPO / "tests" / "fixtures" / folder / "abstracts.jsonl", encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                papers[record["id"]] = (record["title"], " ".join(record["sentences"]))
    sentences = []
    for split in ("train", "dev", "test"):
        with open(REPO / "tests" / "fixtures" / "csabstruct" / f"{split}.jsonl", encoding="utf-8") as lines:
            sentences += [json.loads(line)["sentences"] for line in lines]
    return list(papers.values()), sentences


def rank_timing(library_sizes: list[int], runs: int) -> list[list[str]]:
    """Ranking 300 candidates (real arXiv titles and abstracts) against libraries
    made from CSAbstruct's 2,189 abstracts: the n-th library paper is abstract n mod
    2,189, its sentences rotated by n // 2,189 and one of them swapped for a sentence
    of another abstract, so that no two are alike; its title is its first sentence's
    first eight words, its date one of ten years. CPU time of this process (what the
    ranking costs whatever else runs) and wall time (what a build waits)."""
    import datetime

    from mkdocs_arxiv_digest.rank import Document, rank

    papers, abstracts = rank_texts()
    candidates = [Document(f"c{n}", title, abstract) for n, (title, abstract) in enumerate(papers[:300])]

    def library_paper(n: int) -> Document:
        base = abstracts[n % len(abstracts)]
        turn = (n // len(abstracts)) % len(base)
        sentences = base[turn:] + base[:turn]
        other = abstracts[(n * 7919 + 1) % len(abstracts)]
        sentences[len(sentences) // 2] = other[n % len(other)]
        when = datetime.date(2016 + n % 10, 1 + n % 12, 1)
        return Document(f"l{n}", " ".join(sentences[0].split()[:8]), " ".join(sentences), when)

    rows = []
    for size in library_sizes:
        library = [library_paper(n) for n in range(size)]
        repeat = runs if size <= 2000 else max(1, runs // 3)
        cpu, wall = [], []
        for _ in range(repeat):
            started, used = time.perf_counter(), time.process_time()
            ranked = rank(candidates, library)
            cpu.append(time.process_time() - used)
            wall.append(time.perf_counter() - started)
        assert len(ranked) == len(candidates)
        target = " (target < 1 s)" if size == 2000 else ""
        rows.append(
            ["Rank", f"{len(candidates)} candidates against {size:,} library papers", f"median of {repeat}",
             f"CPU {median(cpu):.2f} s, wall {median(wall):.2f} s (fastest {min(wall):.2f} s)",
             f"{median(cpu) / len(candidates) * 1000:.1f} ms CPU per candidate{target}"],
        )  # fmt: skip
    rows += embedding_rank_timing(library_sizes, runs)
    return rows


def embedding_rank_timing(library_sizes: list[int], runs: int) -> list[list[str]]:
    """`rank_model`'s scoring once the vectors are cached: 300 candidates against
    libraries of random unit vectors of 384 numbers (all-MiniLM-L6-v2's length), as
    the cache gives them (float32 arrays). The server's time to embed new papers is
    not in it."""
    from array import array

    from mkdocs_arxiv_digest.embeddings import rank_vectors
    from mkdocs_arxiv_digest.rank import Document

    draw = random.Random(29)

    def unit() -> array[float]:
        values = [draw.gauss(0.0, 1.0) for _ in range(384)]
        norm = math.sqrt(sum(v * v for v in values))
        return array("f", (v / norm for v in values))

    candidates = [(f"c{n}", unit()) for n in range(300)]
    pool = [(Document(f"l{n}", "", ""), unit()) for n in range(min(2000, max(library_sizes)))]
    rows = []
    for size in library_sizes:
        library = [pool[n % len(pool)] for n in range(size)]
        cpu = []
        for _ in range(runs if size <= 2000 else max(1, runs // 3)):
            used = time.process_time()
            ranked = rank_vectors(candidates, library)
            cpu.append(time.process_time() - used)
        assert len(ranked) == len(candidates)
        rows.append(
            ["Rank (embeddings)", f"{len(candidates)} candidates against {size:,} library vectors",
             f"median of {len(cpu)}", f"CPU {median(cpu):.2f} s", "384 numbers a vector, cached"],
        )  # fmt: skip
    return rows


def serve_rebuilds(arxiv: Any, work: Path, pages: int, rebuilds: int) -> list[list[str]]:
    ids = synthetic_ids(pages * 5, start=600000)
    arxiv.add_realistic(ids)
    spec = SiteSpec(pages, ids, per_page=10)
    root = work / "serve"
    config_file = write_site(root, spec, base_options(arxiv, 0.0))
    session = Session(config_file, command="serve")
    try:
        session.build()
        arxiv.reset()
        times, plugin_times, parsed = [], [], 0
        edited = root / "docs" / "page-0000.md"
        for n in range(rebuilds):
            edited.write_text(edited.read_text() + f"\nEdit {n}.\n")
            session.plugin_seconds = 0.0
            times.append(session.build())
            plugin_times.append(session.plugin_seconds)
            parsed += session.first.plugins["arxiv-digest"].report.front_matter_parsed
    finally:
        session.close()
    rebuild, own = sorted(times)[len(times) // 2], sorted(plugin_times)[len(plugin_times) // 2]
    return [
        ["Serve rebuild", f"{pages} pages, one page edited, {rebuilds} rebuilds (median)",
         f"{len(arxiv.request_times())} requests", f"rebuild {rebuild:.2f} s, plugin {own * 1000:.0f} ms",
         f"plugin share {own / rebuild:.1%} (target < 5 %); front matters parsed again over the "
         f"{rebuilds} rebuilds: {parsed}"],
    ]  # fmt: skip


def scale(work: Path, sizes: list[int], cached: int) -> list[list[str]]:
    """Each size in a fresh process, so peak memory is its own."""
    rows = []
    for pages in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--scale-child", str(pages), "--cached", str(cached), "--work", str(work)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(
            ["Scale", f"{pages} pages, {cached} papers in the cache", f"cache {figures['cache_mb']:.1f} MB",
             f"build {figures['build']:.2f} s, peak RSS {figures['rss_mb']:.0f} MB",
             f"lookup {figures['lookup_us']:.0f} µs/paper (cached metadata + summary)"],
        )  # fmt: skip
    return rows


def scale_child(pages: int, cached: int, work: Path) -> None:
    from mkdocs_arxiv_digest.cache import Cache
    from mkdocs_arxiv_digest.ids import ArxivId
    from mkdocs_arxiv_digest.records import Summary
    from mkdocs_arxiv_digest.stages.metadata import Papers
    from mkdocs_arxiv_digest.stages.summaries import summary_key

    arxiv = ArxivControl()
    try:
        ids = synthetic_ids(cached, start=700000)
        arxiv.add_synthetic(ids)
        root = work / f"scale-{pages}"
        cache_dir = work / "scale-cache"
        options = base_options(arxiv, 0.0, batch_size=2000, cache_dir=str(cache_dir))
        if not cache_dir.exists():  # fill the shared cache with every paper once
            fill = SiteSpec(10, ids, per_page=math.ceil(cached / 10))
            build_once(write_site(work / "scale-fill", fill, options))
        spec = SiteSpec(pages, ids[: max(pages * 5, 10)], per_page=5)
        config_file = write_site(root, spec, options)
        build_once(config_file)  # summaries for this site's papers
        build = build_once(config_file)
    finally:
        arxiv.stop()
    cache = Cache(cache_dir)
    try:
        sample = [ArxivId(i) for i in ids[:2000]]
        started = time.perf_counter()
        for arxiv_id in sample:
            paper = Papers(cache).paper(arxiv_id, None)
            assert paper is not None
            cache.record(summary_key(paper.arxiv_id, "extractive-1", "en"), Summary.from_dict)
        lookup = (time.perf_counter() - started) / len(sample)
    finally:
        cache.close()
    size = sum(p.stat().st_size for p in cache_dir.rglob("*") if p.is_file())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"build": build, "rss_mb": rss, "cache_mb": size / 1e6, "lookup_us": lookup * 1e6}))


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        names = [line.split(":", 1)[1].strip() for line in info if line.startswith("model name")]
        if names:
            cpu = names[0]
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}, {platform.system()}"


class Rows(list[list[str]]):
    """The table's rows; each is also shown on stderr as it is measured, so a
    long run that is stopped keeps what it measured."""

    def __iadd__(self, rows: Iterable[list[str]]) -> Rows:  # type: ignore[override, misc]
        for row in rows:
            print("| " + " | ".join(row) + " |", file=sys.stderr, flush=True)
            self.append(row)
        return self


SECTIONS = ("fetch", "model", "sites", "serve", "refresh", "snapshot", "scale", "fulltext", "rank")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--sizes", help=f"site sizes to build, comma-separated, of {', '.join(SIZES)}")
    parser.add_argument("--only", help=f"sections to run, comma-separated, of {', '.join(SECTIONS)}")
    parser.add_argument(
        "--pairs",
        type=int,
        help="warm/twin pairs per size (default 101 up to 100 pages, 9 up to 1,000, 5 above; 5 with --quick)",
    )
    parser.add_argument(
        "--instructions",
        default="",
        help="site sizes whose warm build and twin also have their instructions counted by Valgrind, "
        "comma-separated (each count takes about 20 times a build)",
    )
    parser.add_argument("--snapshot-lines", type=int, help="lines of the synthetic snapshot (default 2,700,000)")
    parser.add_argument("--scale-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rebuilds", type=int, default=30, help=argparse.SUPPRESS)
    parser.add_argument("--cached", type=int, default=10000, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_child:
        scale_child(args.scale_child, args.cached, args.work)
        return
    if args.serve_child:
        serve_child(args.serve_child, args.rebuilds)
        return
    quick = args.quick
    sizes = args.sizes.split(",") if args.sizes else (["100x1500", "40x1000"] if quick else list(SIZES))
    counted = [size for size in args.instructions.split(",") if size]
    if unknown := [size for size in [*sizes, *counted] if size not in SIZES]:
        parser.error(f"unknown sizes {unknown}: choose from {', '.join(SIZES)}")
    sections = args.only.split(",") if args.only else list(SECTIONS)

    def pairs_for(size: str) -> int:
        """Small sites' builds are short, so more pairs cost little and steady the median."""
        if args.pairs:
            return args.pairs if SIZES[size][0] <= 1000 else max(3, args.pairs // 2)
        return 5 if quick else 101 if SIZES[size][0] <= 100 else 9 if SIZES[size][0] <= 1000 else 5

    rows = Rows()
    if "fulltext" in sections:
        print("full-text parse…", file=sys.stderr)
        rows += fulltext_parse(runs=3 if quick else 9)
    if "rank" in sections:
        print("rank…", file=sys.stderr)
        rows += rank_timing([200, 2000] if quick else [200, 2000, 20000], runs=3 if quick else 9)
    if not set(sections) - {"fulltext", "rank"}:  # no section that needs the servers
        sections = []
    servers_or_none = Servers() if sections else contextlib.nullcontext()
    with tempfile.TemporaryDirectory(prefix="arxiv-digest-bench-") as tmp, servers_or_none as servers:
        work = Path(tmp)
        arxiv, model = (servers.Arxiv(), servers.Model()) if sections else (None, None)  # type: ignore[attr-defined]
        if "fetch" in sections:
            print("cold fetch…", file=sys.stderr)
            rows += cold_fetch(arxiv, work, n=200 if quick else 1000, pages=40, delay=0.02)
        if "model" in sections:
            print("cold build with a model…", file=sys.stderr)
            scale_by = 0.5 if quick else 1.0
            for label, latency in (("model-bound", 1.0), ("balanced", 0.55)):
                rows += cold_with_model(
                    arxiv, model, work, label, n=int(160 * scale_by), batch=8, delay=0.5 * scale_by,
                    latency=latency * scale_by, concurrency=8,
                )  # fmt: skip
            rows += model_concurrency(arxiv, model, work, n=16, latency=0.5, concurrency=8)
        if "sites" in sections:
            for size in sizes:
                print(f"site {size}: cold, then warm against the static twin…", file=sys.stderr)
                rows += site_vs_twin(
                    arxiv, work, size, pairs=pairs_for(size), count=size in args.instructions.split(",")
                )
            # Full text on, for the first size: its warm build reads the parsed records from the cache.
            print(f"site {sizes[0]} with full text: cold, then warm against the static twin…", file=sys.stderr)
            rows += site_vs_twin(arxiv, work, sizes[0], pairs=pairs_for(sizes[0]), fulltext=True)
        if "serve" in sections:
            print("serve rebuilds…", file=sys.stderr)
            rows += serve_rebuilds(arxiv, work, pages=100 if quick else 1000, rebuilds=3 if quick else 5)
            rows += serve_memory(arxiv, work, sizes[0], rebuilds=10 if quick else 30)
        if "refresh" in sections:
            print("refresh week…", file=sys.stderr)
            rows += refresh_week(arxiv, work, papers=1500 if quick else 10000, days=14)
        if "snapshot" in sections:
            print("snapshot lookup…", file=sys.stderr)
            lines = args.snapshot_lines or (200_000 if quick else 2_700_000)
            rows += snapshot_lookup(work, lines, wanted=1000)
        if "scale" in sections:
            print("scale…", file=sys.stderr)
            rows += scale(work, [10, 100] if quick else [10, 100, 1000], cached=2000 if quick else 10000)
    print(f"\nMachine: {machine()}\n")
    print("| Benchmark | Case | Requests / size | Time / memory | Against |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
