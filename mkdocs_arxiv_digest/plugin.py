"""MkDocs events wired to the pipeline: collect IDs, fetch early, render late.

Event priorities, where the order among plugins matters:

- `on_config` at -50: after plugins that add Markdown extensions, since the
  math written into digests is checked against the final list. It adds
  `HeadingIds` (see `headings.py`), which gives each paper's heading its
  arXiv ID as id and a plain-text label for the table of contents.
- `on_files` at -110: after mkdocs-exclude (0), Material's blog (-50) and
  mkdocs-static-i18n (-100), so only the pages of this build are read and
  fetched for, and the `.bib` files added here are left alone by i18n.
- `on_page_markdown` at 10: before Material's tags plugin reads `page.meta`
  (0 up to 9.5, -50 from 9.6), so the tags added here are seen in any order.

The feed (`outputs.py`) is a file added in `on_files` and filled in `on_env`,
once every page's digest is made and before MkDocs writes the site's files:
`mkdocs build` and `mkdocs serve` write it like any other file.

With `enabled: false` every event that does work returns at its first line
(those that close things find nothing open), and the modules that do the work
(the cache with diskcache, the pipeline, the arXiv and model clients, the
templates) are imported only by the events of an enabled build.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import jinja2
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from . import guard
from .config import ArxivDigestConfig
from .frontmatter import PageReader
from .headings import HeadingIds, page_title
from .ids import ArxivId, PageSpec
from .render import Renderer
from .resources import Resources
from .summarize import Summarizers

if TYPE_CHECKING:
    from .background import Background
    from .cache import Cache
    from .digest import Digests
    from .fetch import ArxivApi
    from .outputs import BuildOutputs
    from .pipeline import Pipeline, Stats
    from .settings import Settings
    from .sources import Sources

log = get_plugin_logger("arxiv-digest")


class ArxivDigestPlugin(BasePlugin[ArxivDigestConfig]):  # type: ignore[no-untyped-call]
    supports_multiple_instances = False

    def __init__(self) -> None:
        # Safe defaults: tests and other tools call `build()` without `on_startup`.
        self._serving = False
        self.clock: Callable[[], float] = time.time
        """What the cache measures freshness against; tests set their own."""
        self._kept = Resources()
        self._reader = PageReader(log.warning)
        self._settings: Settings | None = None
        self._specs: dict[str, PageSpec] = {}
        self._outputs: BuildOutputs | None = None
        self._pipeline: Pipeline | None = None
        self._digests: Digests | None = None
        self.last_stats: Stats | None = None
        """The figures of the last build, for scripts (docs/benchmarks.md lists them)."""

    @property
    def front_matter_parsed(self) -> int:
        """How many pages' front matter this plugin has parsed since it was made:
        under `mkdocs serve` a page whose front matter is unchanged is not parsed
        again, so a script compares the figure before and after a rebuild."""
        return self._reader.parsed

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self._serving = command == "serve"

    @event_priority(-50)
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        guard.plugin_ran()  # switched off by the user is not skipped by the host: no guard error
        if not self.config.enabled:
            self._settings = None
            self._kept.close()  # what a rebuild before, with the plugin on, kept open
            return config
        from .cache import Cache
        from .digest import Digests
        from .settings import Settings

        settings = self._settings = Settings.load(self.config, config)
        # A cache that cannot be written is read, and new results are kept in memory.
        cache = self._kept.get("cache", settings.cache_dir, lambda: Cache(settings.cache_dir, self.clock), Cache.close)
        self._report(cache)
        try:
            made = self._kept.get(
                "summarizers", settings.summarizer_key, lambda: _summarizers(settings), Summarizers.close
            )
        except (ValueError, ImportError) as error:
            raise PluginError(f"arxiv-digest: {error}") from None
        if self._serving and made.executor is not None:
            from .background import Background

            # Made with the summarizers (whose threads do its work), closed before them.
            self._kept.get(
                "background",
                (settings.summarizer_key, settings.cache_dir),
                lambda: Background.make(settings.cache_dir),
                _close_background,
            )
        else:
            self._kept.drop("background")
        renderer = self._kept.get("renderer", settings.renderer_key, lambda: _renderer(settings))
        renderer.refresh()  # the site's templates may have been edited
        self._digests = Digests(renderer, cache)
        if not any(isinstance(extension, HeadingIds) for extension in config.markdown_extensions):
            config.markdown_extensions.append(HeadingIds())
        return config

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        if not self.config.enabled:
            return server
        if self.config.custom_templates:
            server.watch(self.config.custom_templates)
        background = self._kept.peek("background")
        if background is not None:
            # Written when summaries land: the live-reload server rebuilds, and the
            # rebuild finds them in the cache.
            server.watch(str(background.sentinel))
        return server

    @event_priority(-110)
    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        if not self.config.enabled:
            return files
        from .frontmatter import built_pages
        from .outputs import BuildOutputs
        from .pipeline import Pipeline
        from .snapshot import Snapshot

        settings, cache = self._ready()
        self._specs = {}
        outputs = self._outputs = BuildOutputs(files, config, settings, log.warning)
        needs: dict[ArxivId, set[str]] = {}
        sources: Sources | None = None
        for file, spec in self._reader.read_all(built_pages(files, config), cache):
            if spec.source is not None:
                from .sources import Sources

                # A listing or query becomes IDs now, filtered: only the papers
                # kept are fetched and summarized.
                sources = sources or Sources(cache, None if settings.offline else self._api, settings.listing, log.info)
                spec = sources.fill(spec)
            self._specs[file.src_uri] = spec
            outputs.add(file, spec)
            language = settings.page_language(spec)[0]
            for entry in [*spec.entries, *spec.updated]:
                needs.setdefault(entry.id, set()).add(language)
        summarizers = self._summarizers()
        self._pipeline = Pipeline(
            cache,
            None if settings.offline else self._api,
            Snapshot(settings.snapshot) if settings.snapshot else None,
            summarizers.main,
            batch_size=settings.batch_size,
            refresh_seconds=settings.refresh_seconds,
            log=log.info,
            executor=summarizers.executor,
            fallback=summarizers.fallback,
            max_summaries=settings.max_summaries,
            budget_seconds=settings.budget_seconds,
            background=self._kept.peek("background"),
        )
        self._pipeline.plan(needs)
        if needs:
            log.info(self._pipeline.stats.planned(len(self._specs)))
        self._pipeline.start()
        return files

    @event_priority(10)
    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        if not self.config.enabled:
            return markdown
        spec = self._specs.get(page.file.src_uri)
        outputs = self._outputs
        if spec is None or outputs is None or self._pipeline is None or self._digests is None or not self._settings:
            return markdown
        where = f"Page '{page.file.src_uri}'"
        layout, problems = self._settings.page_layout(spec, self._summarizers().key)
        for problem in [*spec.problems, *problems]:
            log.warning(f"{where}: arxiv: {problem}")
        try:
            made = self._digests.page(
                spec, layout, self._pipeline, outputs.bib_name(page), shown=outputs.wants_papers(page)
            )
        except jinja2.TemplateError as error:
            raise PluginError(f"arxiv-digest: the template for page '{page.file.src_uri}' failed: {error}") from None
        for problem in made.problems:
            log.warning(f"{where}: {problem}")
        outputs.fill(page, spec, layout.language, made, config.site_url)
        if self._settings.tags and made.papers:
            page.meta["tags"] = made.tags(page.meta.get("tags"), self._settings.tags)
        from .digest import place

        return place(markdown, made.markdown) if made.markdown else markdown

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        if not self.config.enabled:
            return html
        if "title" not in page.meta and (title := page_title(html, page.toc)) is not None:
            page.title = title  # the paper's title as plain text, not its TeX
        return html

    def on_env(self, env: jinja2.Environment, *, config: MkDocsConfig, files: Files) -> jinja2.Environment:
        if not self.config.enabled:
            return env
        if self._outputs is not None:
            self._outputs.write_feed(config)
        return env

    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        if not self.config.enabled:
            return output
        return self._outputs.head(output, page) if self._outputs is not None else output

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if self._pipeline is not None:
            stats = self.last_stats = self._pipeline.finish()
            for problem in stats.problems:
                log.warning(problem)
            if stats.wanted:
                log.info(stats.report())
            self._pipeline = None
        self._report(self._kept.peek("cache"))
        if not self._serving:
            self._kept.close()

    def on_build_error(self, *, error: Exception) -> None:
        if self._pipeline is not None:
            self._pipeline.stop()
            self._pipeline.finish()
            self._pipeline = None
        if not self._serving:
            self._kept.close()

    def on_shutdown(self) -> None:
        if self._pipeline is not None:
            # A rebuild cut short (Ctrl-C under `mkdocs serve` raises in it): its
            # fetching stops after the batch, and it sends no more summaries.
            self._pipeline.stop()
            self._pipeline = None
        # MkDocs keeps plugin instances for the life of the process.
        self._kept.close()
        self._serving = False
        self._reader.forget()

    def _api(self) -> ArxivApi:
        """The arXiv client, made when a build first has papers to fetch: a warm
        build imports nothing network-related."""
        from .fetch import ArxivApi

        assert self._settings is not None
        api = self._settings.api
        return self._kept.get(
            "api", api, lambda: ArxivApi(api.url, api.delay_seconds, api.timeout, api.retries), ArxivApi.close
        )

    def _ready(self) -> tuple[Settings, Cache]:
        assert self._settings is not None and self._kept.peek("cache") is not None, "on_config runs first"
        return self._settings, self._kept.peek("cache")

    def _summarizers(self) -> Summarizers:
        summarizers = self._kept.peek("summarizers")
        assert isinstance(summarizers, Summarizers), "on_config runs first"
        return summarizers

    @staticmethod
    def _report(cache: Cache | None) -> None:
        if cache is not None:
            while cache.problems:
                log.warning(cache.problems.pop(0))
            while cache.notes:
                log.info(cache.notes.pop(0))


def _close_background(background: Background | None) -> None:
    if background is not None:
        background.close()


def _summarizers(settings: Settings) -> Summarizers:
    return Summarizers.make(settings.summarizer, dict(settings.llm))


def _renderer(settings: Settings) -> Renderer:
    return Renderer(math=settings.math, custom_dir=settings.custom_templates, avoid=settings.avoid)
