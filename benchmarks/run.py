"""Benchmarks of mkdocs-arxiv-digest against the naive ways and the floors.

    python benchmarks/run.py            # the full run (a few minutes)
    python benchmarks/run.py --quick    # smaller sizes, for a quick look

Everything runs on this machine: a fake arXiv API and a fake OpenAI-compatible
server on 127.0.0.1 (from tests/), with the latency and delays set below.
Nothing touches the internet. Figures are printed as a Markdown table.
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
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.managers import BaseManager
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

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
        step = max(1, len(self.ids) // self.pages)
        first = page * step
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
    config = {"site_name": "Bench", "theme": {"name": "mkdocs"}, "plugins": plugins}
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
        stats = session.first.plugins["arxiv-digest"].last_stats
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


def warm_vs_static(arxiv: Any, work: Path, pages: int, per_page: int, repeats: int) -> list[list[str]]:
    ids = synthetic_ids(pages * per_page // 2, start=500000)
    arxiv.add_synthetic(ids)
    spec = SiteSpec(pages, ids, per_page)
    root = work / "warm"
    config_file = write_site(root, spec, base_options(arxiv, 0.0))
    build_once(config_file)  # fill the cache

    # Capture the plugin's Markdown output, page by page, to make the static twin.
    session = Session(config_file)
    outputs: dict[str, str] = {}
    plugin = session.first.plugins["arxiv-digest"]
    render = plugin.on_page_markdown

    def capture(markdown: str, *, page: Any, **kwargs: Any) -> str:
        out = render(markdown, page=page, **kwargs)
        outputs[page.file.src_uri] = out
        return out

    plugin.on_page_markdown = capture  # a freshly loaded config registers it
    session.build()
    session.close()
    front = "---\ntitle: {}\n---\n\n"
    static = {
        name: front.format(f"Reading list {int(name[5:9])}") + text
        for name, text in outputs.items()
        if name.startswith("page-")
    }
    twin_file = write_site(work / "twin", spec, {}, static=static)

    # Alternate the two so that a busy moment of the machine hits both alike.
    plugin_times, twin_times = [], []
    for _ in range(repeats):
        plugin_times.append(build_once(config_file))
        twin_times.append(build_once(twin_file))
    with_plugin, twin = min(plugin_times), min(twin_times)
    return [
        ["Warm build", f"{pages} pages × {per_page} IDs, all cached (best of {repeats})",
         "0 requests", f"plugin {with_plugin:.3f} s, static twin {twin:.3f} s",
         f"{with_plugin / twin:.3f} × the static twin (target ≤ 1.05)"],
    ]  # fmt: skip


def serve_rebuilds(arxiv: Any, work: Path, pages: int, rebuilds: int) -> list[list[str]]:
    ids = synthetic_ids(pages * 2, start=600000)
    arxiv.add_synthetic(ids)
    spec = SiteSpec(pages, ids, per_page=3)
    root = work / "serve"
    config_file = write_site(root, spec, base_options(arxiv, 0.0))
    session = Session(config_file, command="serve")
    try:
        session.build()
        arxiv.reset()
        session.first.plugins["arxiv-digest"].front_matter_parsed = 0
        times, plugin_times = [], []
        edited = root / "docs" / "page-0000.md"
        for n in range(rebuilds):
            edited.write_text(edited.read_text() + f"\nEdit {n}.\n")
            session.plugin_seconds = 0.0
            times.append(session.build())
            plugin_times.append(session.plugin_seconds)
        parsed = session.first.plugins["arxiv-digest"].front_matter_parsed
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
            paper = cache.paper(arxiv_id, None)
            assert paper is not None
            cache.summary(Cache.summary_key(paper, "extractive-1", "en"))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--scale-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cached", type=int, default=10000, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_child:
        scale_child(args.scale_child, args.cached, args.work)
        return
    quick = args.quick
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="arxiv-digest-bench-") as tmp, Servers() as servers:
        work = Path(tmp)
        arxiv, model = servers.Arxiv(), servers.Model()  # type: ignore[attr-defined]
        print("cold fetch…", file=sys.stderr)
        rows += cold_fetch(arxiv, work, n=200 if quick else 1000, pages=40, delay=0.02)
        print("cold build with a model…", file=sys.stderr)
        scale_by = 0.5 if quick else 1.0
        for label, latency in (("model-bound", 1.0), ("balanced", 0.55)):
            rows += cold_with_model(
                arxiv, model, work, label, n=int(160 * scale_by), batch=8, delay=0.5 * scale_by,
                latency=latency * scale_by, concurrency=8,
            )  # fmt: skip
        rows += model_concurrency(arxiv, model, work, n=16, latency=0.5, concurrency=8)
        print("warm build against the static twin…", file=sys.stderr)
        rows += warm_vs_static(arxiv, work, pages=40 if quick else 100, per_page=10, repeats=3 if quick else 5)
        print("serve rebuilds…", file=sys.stderr)
        rows += serve_rebuilds(arxiv, work, pages=100 if quick else 1000, rebuilds=3 if quick else 5)
        print("scale…", file=sys.stderr)
        rows += scale(work, [10, 100] if quick else [10, 100, 1000], cached=2000 if quick else 10000)
    print(f"\nMachine: {machine()}\n")
    print("| Benchmark | Case | Requests / size | Time / memory | Against |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
