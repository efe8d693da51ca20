"""Every service a build uses (the cache, the arXiv client, the feed client,
the snapshot, the summarizers and their threads, the background under
`mkdocs serve`, the renderer, the sources, the pipeline, the digests), made
from the settings here and nowhere else: the plugin and the `daily` command
both take them from a `Services`.

The plugin keeps one for the life of `mkdocs serve`: each service is made
again only when the settings it is made from change, and closed then or when
the server stops. `daily` makes one per run (`Services.for_command`).

The modules that need the network (the arXiv and feed clients) are imported
only when a build first has something to fetch: a warm build imports none of
them.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Collection, Hashable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError

from .cache import Cache
from .config import ArxivDigestConfig
from .digest import Digests
from .frontmatter import PageReader
from .pipeline import THREADS, Pipeline
from .render import Renderer
from .settings import Settings
from .stages import Stage, registered
from .stages.metadata import MetadataStage
from .summarize import Summarizers

if TYPE_CHECKING:
    from .background import Background
    from .embeddings import Embedder
    from .fetch import ArxivApi, FeedClient, HtmlClient
    from .snapshot import Snapshot
    from .sources import Ranker, Sources

_T = TypeVar("_T")
Say = Callable[[str], None]


class _Kept:
    """What lives across `mkdocs serve` rebuilds, by name, kept while what it
    was made from stays the same and closed when that changes."""

    def __init__(self) -> None:
        self._held: dict[str, tuple[Hashable, Any, Callable[[Any], None] | None]] = {}
        self._closing = False

    def get(
        self, name: str, made_from: Hashable, make: Callable[[], _T], close: Callable[[_T], None] | None = None
    ) -> _T:
        """The one called `name`, made anew (the old one closed) when `made_from` changed."""
        held = self._held.get(name)
        if held is not None and held[0] == made_from:
            value: _T = held[1]
            return value
        if self._closing and close is not None:
            # Asked for by a worker ending its unit while everything closes: made
            # closed (a client that sends nothing), not kept open past the end.
            value = make()
            close(value)
            return value
        self.drop(name)
        value = make()
        self._held[name] = (made_from, value, close)
        return value

    def peek(self, name: str) -> Any:
        held = self._held.get(name)
        return held[1] if held is not None else None

    def drop(self, name: str) -> None:
        held = self._held.pop(name, None)
        if held is not None and held[2] is not None:
            held[2](held[1])

    def close(self, first: Collection[str] = ()) -> None:
        """Close those named in `first`, then everything else, last made first."""
        self._closing = True
        try:
            for name in [*first, *reversed(list(self._held))]:
                self.drop(name)
        finally:
            self._closing = False


class Services:
    def __init__(
        self, info: Say, warn: Say, clock: Callable[[], float] = time.time, say_retry: Say | None = None
    ) -> None:
        """`info` and `warn` say what the services report (the plugin's logger);
        `clock` is what the cache measures freshness against; `say_retry`, when
        given, hears each retry of the arXiv client (`daily` prints them)."""
        self._kept = _Kept()
        self._info, self._warn = info, warn
        self.clock = clock
        self._say_retry = say_retry
        self.reader = PageReader(warn)
        """Reads pages' front matter; kept across rebuilds, so an unchanged page is not read again."""
        self._settings: Settings | None = None
        self._serving = False
        self.wanted: dict[str, frozenset[str]] = {}
        """The build's papers (bare IDs) by the stage only some pages want
        (`fulltext`): set by `pipeline`, read by the stages' makers."""
        self.figures_wanted: dict[str, tuple[int, tuple[str, ...]]] = {}
        """The build's papers (bare IDs) whose pages show figures: the most a
        page shows, and the numbers entries name (`figure:`); set by `pipeline`."""
        self.announced_licenses: dict[str, str] = {}
        """The licences announcement feeds named (`dc:rights`), by bare ID; set by `pipeline`."""

    def info(self, line: str) -> None:
        """Say `line` in the build's log."""
        self._info(line)

    def warn(self, line: str) -> None:
        """Say `line` in the build's log as a warning (`--strict` fails on it)."""
        self._warn(line)

    @property
    def settings(self) -> Settings:
        assert self._settings is not None, "configure runs first"
        return self._settings

    def configure(self, options: ArxivDigestConfig, config: MkDocsConfig, serving: bool) -> Settings:
        """Read the settings of a build and make again what they changed.
        Raises `PluginError` for settings that cannot work."""
        settings = self._settings = Settings.load(options, config)
        # A cache that cannot be written is read, and new results are kept in memory.
        self._kept.get("cache", settings.cache_dir, lambda: Cache(settings.cache_dir, self.clock), Cache.close)
        self.report()
        try:
            self._kept.get(
                "summarizers",
                settings.summarizer_key,
                lambda: Summarizers.make(settings.summarizer, settings.llm),
                Summarizers.close,
            )
        except (ValueError, ImportError) as error:
            raise PluginError(f"arxiv-digest: {error}") from None
        if settings.rank_model is None:
            self._kept.drop("embedder")
        else:
            try:
                self.embedder()
            except (ValueError, ImportError) as error:
                raise PluginError(f"arxiv-digest: {error}") from None
        self._serving = serving
        renderer = self._kept.get(
            "renderer",
            settings.renderer_key,
            lambda: Renderer(math=settings.math, custom_dir=settings.custom_templates, avoid=settings.avoid),
        )
        renderer.refresh()  # the site's templates may have been edited
        return settings

    @property
    def cache(self) -> Cache:
        cache = self._kept.peek("cache")
        assert isinstance(cache, Cache), "configure runs first"
        return cache

    @property
    def summarizers(self) -> Summarizers:
        summarizers = self._kept.peek("summarizers")
        assert isinstance(summarizers, Summarizers), "configure runs first"
        return summarizers

    @property
    def background(self) -> Background | None:
        """Under `mkdocs serve` with a model: the summaries that outlive a build."""
        background: Background | None = self._kept.peek("background")
        return background

    def arxiv(self) -> ArxivApi:
        """The arXiv client, made when a build first has papers to fetch."""
        from .fetch import ArxivApi

        api = self.settings.api
        return self._kept.get(
            "api",
            api,
            lambda: ArxivApi(api.url, api.delay_seconds, api.timeout, api.retries, on_retry=self._say_retry),
            ArxivApi.close,
        )

    def feeds(self) -> FeedClient:
        """The client of arXiv's announcement feeds, made when a build first reads one.
        It keeps its own `delay_seconds` between requests, apart from the API's."""
        from .fetch import FeedClient

        api = self.settings.api
        return self._kept.get(
            "feeds",
            api,
            lambda: FeedClient(api.delay_seconds, api.timeout, api.retries, on_retry=self._say_retry),
            FeedClient.close,
        )

    def html(self) -> HtmlClient:
        """The client of papers' HTML pages, made when a build first asks for one.
        It keeps its own `html_delay_seconds` between requests."""
        from .fetch import HtmlClient

        api, delay = self.settings.api, self.settings.fulltext.delay_seconds
        return self._kept.get(
            "html",
            (api, delay),
            lambda: HtmlClient(delay, api.timeout, api.retries, on_retry=self._say_retry),
            HtmlClient.close,
        )

    def embedder(self) -> Embedder:
        """The `rank_model` server's client, kept while its settings stay the same."""
        from .embeddings import Embedder

        settings = self.settings.rank_model
        assert settings is not None
        return self._kept.get("embedder", settings, lambda: Embedder(settings), Embedder.close)

    def ranker(self) -> Ranker | None:
        """What ranks this build's `rank: library` pages: `None` for their words,
        else a model's embeddings (`rank_model`), asked for unless `offline`."""
        if self.settings.rank_model is None:
            return None
        from .embeddings import EmbeddingRanker

        return EmbeddingRanker(self.embedder(), self.cache, not self.settings.offline, self._warn)

    def snapshot(self) -> Snapshot | None:
        """The snapshot file, read by each build that has papers to look for."""
        from .snapshot import Snapshot

        return Snapshot(self.settings.snapshot) if self.settings.snapshot else None

    def sources(self, ask: bool = False) -> Sources:
        """What turns a page's listing or query into IDs, for one build (or one
        `daily` run). `ask`: arXiv is asked even with `offline` on (`daily`)."""
        from .sources import Sources

        settings = self.settings
        return Sources(self.cache, None if settings.offline and not ask else self, settings.listing, self._info)

    def pipeline(
        self,
        wanted: dict[str, frozenset[str]] | None = None,
        only: Collection[str] | None = None,
        figures: dict[str, tuple[int, tuple[str, ...]]] | None = None,
        licenses: dict[str, str] | None = None,
    ) -> Pipeline:
        """One build's fetching and summarizing; `wanted`: the papers (bare
        IDs) of the pages that want a stage only some pages show; `only`: the
        stages to run after the metadata (`None`: all the site has on);
        `figures`: the papers whose pages show figures, with the most figures
        a page shows and the numbers entries name (`figure:`); `licenses`:
        the licences announcement feeds named (`dc:rights`), by bare ID."""
        self.wanted = wanted or {}
        self.figures_wanted = figures or {}
        self.announced_licenses = licenses or {}
        stages = self.stages(only)
        # Under `mkdocs serve`, the stages whose work may outlive a build (in
        # threads kept across rebuilds) share one `Background`, made after
        # their threads and closed before them.
        outliving = [(s.name, s.version, id(s.pool)) for s in stages if s.background and s.mode == "pool" and s.pool]
        if self._serving and outliving:
            from .background import Background

            cache_dir = self.settings.cache_dir
            made_from = (tuple(outliving), cache_dir)
            self._kept.get("background", made_from, lambda: Background.make(cache_dir), _close_background)
        else:
            self._kept.drop("background")
        return Pipeline(self.cache, stages, background=self.background, log=self._info)

    def pool(self, name: str, threads: int) -> ThreadPoolExecutor:
        """Threads for a pool stage (`Stage.pool`), kept across `mkdocs serve`'s
        rebuilds while `threads` stays the same: a background stage's work
        goes on in them after its build."""

        def close(pool: ThreadPoolExecutor) -> None:
            pool.shutdown(wait=True, cancel_futures=True)

        return self._kept.get(
            f"pool:{name}", threads, lambda: ThreadPoolExecutor(threads, thread_name_prefix=THREADS + name), close
        )

    def stages(self, only: Collection[str] | None = None) -> list[Stage[Any]]:
        """One build's stages: the metadata, then every registered stage the
        site has on (or those of them named in `only`)."""
        made = (make(self) for make in registered(only))
        return [self.metadata(), *(stage for stage in made if stage is not None)]

    def metadata(self) -> MetadataStage:
        """The papers' metadata, for one build: from the cache, the snapshot or arXiv."""
        settings = self.settings
        return MetadataStage(
            self.cache,
            None if settings.offline else self.arxiv,
            self.snapshot(),
            batch_size=settings.batch_size,
            refresh_seconds=settings.refresh_seconds,
            log=self._info,
        )

    def digests(self) -> Digests:
        renderer = self._kept.peek("renderer")
        assert isinstance(renderer, Renderer), "configure runs first"
        return Digests(renderer, self.cache)

    def watched(self) -> list[str]:
        """What `mkdocs serve` watches for the plugin: the custom templates, the
        `library:` files (those that exist: a path that does not cannot be
        watched), and the file written when summaries land in the background
        (the rebuild then finds them in the cache)."""
        watched = [self.settings.custom_templates] if self._settings and self.settings.custom_templates else []
        if self._settings:
            watched += [str(path) for _, path in self.settings.library.files if path.is_file()]
        background = self.background
        return [*watched, *([str(background.sentinel)] if background is not None else [])]

    def report(self) -> None:
        """Say what went wrong with the cache, and what it noted, once each."""
        cache = self._kept.peek("cache")
        if cache is not None:
            while cache.problems:
                self._warn(cache.problems.pop(0))
            while cache.notes:
                self._info(cache.notes.pop(0))

    def close(self) -> None:
        """Close everything, last made first, but the network clients before
        all: their requests and waits end at once, so the threads that sent
        them (a paper's HTML read under `mkdocs serve`) end before their pools
        are waited for."""
        self._kept.close(first=("html", "feeds", "api"))

    @classmethod
    @contextlib.contextmanager
    def for_command(
        cls, settings: Settings, say_retry: Say, info: Say | None = None, warn: Say | None = None
    ) -> Iterator[Services]:
        """The cache and the clients for one run of a command, closed at its
        end; `info` and `warn` hear what the services report (nothing without)."""
        services = cls(info=info or (lambda line: None), warn=warn or (lambda line: None), say_retry=say_retry)
        services._settings = settings
        services._kept.get("cache", settings.cache_dir, lambda: Cache(settings.cache_dir, services.clock), Cache.close)
        try:
            yield services
        finally:
            services.close()


def _close_background(background: Background | None) -> None:
    if background is not None:
        background.close()
