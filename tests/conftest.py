"""Real temporary sites built against a fake arXiv API on 127.0.0.1."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort, PluginError

import browser
from fake_arxiv import FakeArxiv
from fake_feed import FakeFeed
from fake_openai import FakeOpenAI

KEY = "sk-test-8f3a1c9e7d2b4a6f"

"""The API key tests put in the environment, to look for it where it must never be."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`--dist loadgroup`), the tests that drive a browser
    run one at a time on one worker: four Chromiums at once on two cores
    made a page miss its 30 s load timeout."""
    for item in items:
        grouped = item.get_closest_marker("xdist_group") is not None
        if not grouped and ("chromium" in getattr(item, "fixturenames", ()) or "browser" in item.nodeid):
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium; CI must have it (`.ci/run` installs it)."""
    return browser.chromium()


ORDINARY_RECORD: dict[str, Any] = {
    "id": "2501.00002",
    "title": "An ordinary paper",
    "abstract": "We show that ordinary papers are ordinary. The proof is short.",
    "authors_parsed": [["Doe", "Jane", ""]],
    "categories": "cs.DL",
    "versions": [{"version": "v1", "created": "Thu, 2 Jan 2025 00:00:00 GMT"}],
}
"""One line of a snapshot, for tests that need a paper the fake arXiv lacks."""


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The arXiv client's waits between tries, taken without waiting: no test
    spends time in backoff (tests of the waits themselves read this list)."""
    import mkdocs_arxiv_digest.fetch

    waits: list[float] = []
    monkeypatch.setattr(mkdocs_arxiv_digest.fetch, "backoff_sleep", lambda seconds, until=None: waits.append(seconds))
    return waits


@pytest.fixture(scope="session")
def _fake_arxiv() -> Iterator[FakeArxiv]:
    with FakeArxiv() as server:
        yield server


@pytest.fixture
def arxiv_api(_fake_arxiv: FakeArxiv) -> Iterator[FakeArxiv]:
    """The fake arXiv API, with an empty request log and no faults queued."""
    _fake_arxiv.reset()
    _fake_arxiv.latency = 0.0
    yield _fake_arxiv
    _fake_arxiv.reset()


@pytest.fixture(scope="session")
def _fake_feed() -> Iterator[FakeFeed]:
    with FakeFeed() as server:
        yield server


@pytest.fixture
def feed(_fake_feed: FakeFeed) -> Iterator[FakeFeed]:
    """The fake announcement feed, with nothing announced and an empty request log."""
    _fake_feed.reset()
    yield _fake_feed
    _fake_feed.reset()


@pytest.fixture(scope="session")
def _fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def model(_fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    _fake_openai.reset()
    monkeypatch.setenv("ARXIV_DIGEST_TEST_KEY", KEY)
    yield _fake_openai
    _fake_openai.reset()


@dataclass
class Build:
    logs: list[logging.LogRecord] = field(default_factory=list)
    error: BaseException | None = None

    def messages(self, level: int = logging.WARNING) -> list[str]:
        return [record.getMessage() for record in self.logs if record.levelno >= level]

    @property
    def warnings(self) -> list[str]:
        return self.messages(logging.WARNING)


class _Collect(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.DEBUG)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record)


class Clock:
    """A clock for the cache that moves only when told to: freshness is tested
    without waiting for it."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


_IMPORTS = """
import sys
from mkdocs.commands.build import build
from mkdocs.config import load_config
config = load_config(sys.argv[1])
config.plugins.on_startup(command="build", dirty=False)
build(config)
config.plugins.on_shutdown()
print("IMPORTED", ",".join(sorted(name for name in sys.argv[2:] if name in sys.modules)))
"""


class Site:
    """A site under `tmp_path`: write pages, configure the plugin, build, read HTML."""

    def __init__(self, root: Path, api_url: str) -> None:
        self.root = root
        self.docs = root / "docs"
        self.docs.mkdir()
        self.api_url = api_url
        self.options: dict[str, Any] = {}
        self.extra: dict[str, Any] = {}
        self.search = True
        """Whether MkDocs' `search` plugin (Material's with its theme) is listed first."""
        self.plugins_before: list[Any] = []
        self.plugins_after: list[Any] = []
        """Other plugins, listed before or after this one."""
        self.config: MkDocsConfig | None = None
        self.clock: Clock | None = None
        """The cache's clock in each build (the real time when `None`)."""

    def page(self, name: str, arxiv: Any = None, body: str = "Some text.\n", **meta: Any) -> Path:
        path = self.docs / name
        path.parent.mkdir(parents=True, exist_ok=True)
        front = ""
        if arxiv is not None:
            front = arxiv if isinstance(arxiv, str) else yaml.safe_dump({"arxiv": arxiv}, allow_unicode=True)
            front = f"---\n{front.rstrip()}\n---\n"
        elif meta:
            front = f"---\n{yaml.safe_dump(meta)}---\n"
        path.write_text(front + body, encoding="utf-8")
        return path

    def configure(self, **options: Any) -> None:
        self.options = options

    def write_config(self) -> Path:
        # Full text off unless a test asks: no test reads papers' HTML from arxiv.org.
        options = {
            "api_url": self.api_url,
            "delay_seconds": 0,
            "retries": 1,
            "timeout": 5,
            "fulltext": False,
            **self.options,
        }
        plugins = [
            *(["search"] if self.search else []),
            *self.plugins_before,
            {"arxiv-digest": options},
            *self.plugins_after,
        ]
        data = {"site_name": "Test", "plugins": plugins, **self.extra}
        path = self.root / "mkdocs.yml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return path

    def imported_by_a_build(self, names: tuple[str, ...]) -> list[str]:
        """Which of the modules `names` a whole build of the site imports, built
        in a fresh Python process (this checkout's code) so nothing is imported
        already."""
        done = subprocess.run(
            [sys.executable, "-c", _IMPORTS, str(self.write_config()), *names],
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=self.root,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return sorted(filter(None, done.stdout.split("IMPORTED", 1)[1].strip().split(",")))

    def load(self, strict: bool = False) -> MkDocsConfig:
        config = load_config(str(self.write_config()), strict=strict)
        return config

    def build(self, strict: bool = False, config: MkDocsConfig | None = None, startup: str | None = "build") -> Build:
        """Build once, as `mkdocs build` does (startup, build, shutdown)."""
        result = Build()
        handler = _Collect(result.logs)
        logger = logging.getLogger("mkdocs")
        level = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            config = config or self.load(strict=strict)
            plugin = config.plugins.get("arxiv-digest")
            if plugin is not None:  # MkDocs may hand back an earlier test's instance: set it either way
                plugin.clock = self.clock or time.time
            if startup:
                config.plugins.on_startup(command=startup, dirty=False)
            try:
                build(config)
            except (Abort, PluginError) as error:
                result.error = error
            finally:
                if startup == "build":
                    config.plugins.on_shutdown()
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)
        return result

    def build_or_refuse(self, startup: str | None = "build") -> Build:
        """Load the config and build, as `mkdocs build` and each rebuild of
        `mkdocs serve` do: an option MkDocs refuses ends it with `Abort` at load
        time, before any plugin event; that error and its log are the result."""
        result = Build()
        handler = _Collect(result.logs)
        logger = logging.getLogger("mkdocs")
        logger.addHandler(handler)
        try:
            config = self.load()
        except Abort as error:
            result.error = error
            return result
        finally:
            logger.removeHandler(handler)
        return self.build(config=config, startup=startup)

    def html(self, page: str = "index.md") -> str:
        name = page.removesuffix(".md")
        path = self.root / "site" / ("index.html" if name == "index" else f"{name}/index.html")
        return path.read_text(encoding="utf-8")

    def content(self, page: str = "index.md") -> str:
        """The page's article HTML, without theme chrome, with the punctuation
        the plugin writes as character references shown as itself (see `readable`)."""
        html = readable(self.html(page))
        match = re.search(r'<div class="col-md-9" role="main">(.*?)</div>\s*</div>\s*</div>', html, re.S)
        if match:
            return match.group(1)
        match = re.search(r"<article[^>]*>(.*?)</article>", html, re.S)
        return match.group(1) if match else html


_PUNCTUATION_REF = re.compile(r"&#(3[3-9]|4[0-7]|5[89]|6[1-4]|9[1-6]|12[3-6]);")


def readable(html: str) -> str:
    """HTML with the numeric references for ASCII punctuation written as the
    characters, except `"`, `&`, `'`, `<` and `>`: the markup is unchanged,
    and the text can be looked for as it reads."""
    return _PUNCTUATION_REF.sub(lambda m: m.group() if chr(int(m.group(1))) in "\"&'<>" else chr(int(m.group(1))), html)


@pytest.fixture
def site(tmp_path: Path, arxiv_api: FakeArxiv) -> Site:
    return Site(tmp_path, arxiv_api.url)


def ids_requested(server: FakeArxiv) -> list[list[str]]:
    return [request.id_list for request in server.requests]


def announced(site: Site, feed: Any, arxiv_api: Any, days: dict[Any, list[Any]]) -> Site:
    """`site` reading `feed`, which announces `days` (date: feed items), each
    paper also known to the fake arXiv API."""
    for day, items in days.items():
        feed.announce(day, items)
        for item in items:
            arxiv_api.add_paper(item.id, title=item.title, summary=item.abstract)
    site.configure(listing_url=feed.url)
    site.write_config()
    return site
