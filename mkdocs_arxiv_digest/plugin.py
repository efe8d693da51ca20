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
from .headings import HeadingIds, page_title

if TYPE_CHECKING:
    from .digest import Digests
    from .ids import ArxivId, PageSpec
    from .outputs import BuildOutputs
    from .pipeline import Pipeline, Stats
    from .services import Services
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
        self._services: Services | None = None
        """Made by the first enabled build; kept for the life of `mkdocs serve`."""
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
        return self._services.reader.parsed if self._services is not None else 0

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self._serving = command == "serve"

    @event_priority(-50)
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        guard.plugin_ran()  # switched off by the user is not skipped by the host: no guard error
        if not self.config.enabled:
            self._settings = None
            if self._services is not None:
                self._services.close()  # what a rebuild before, with the plugin on, kept open
            return config
        from .services import Services

        services = self._services = self._services or Services(log.info, log.warning, clock=self.clock)
        self._settings = services.configure(self.config, config, self._serving)
        self._digests = services.digests()
        if not any(isinstance(extension, HeadingIds) for extension in config.markdown_extensions):
            config.markdown_extensions.append(HeadingIds())
        return config

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        if self.config.enabled and self._services is not None:
            for path in self._services.watched():
                server.watch(path)
        return server

    @event_priority(-110)
    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        if not self.config.enabled:
            return files
        from .frontmatter import built_pages
        from .outputs import BuildOutputs

        services = self._ready()
        settings = services.settings
        self._specs = {}
        outputs = self._outputs = BuildOutputs(files, config, settings, log.warning)
        needs: dict[ArxivId, set[str]] = {}
        sources: Sources | None = None
        for file, spec in services.reader.read_all(built_pages(files, config), services.cache):
            if spec.source is not None:
                # A listing or query becomes IDs now, filtered: only the papers
                # kept are fetched and summarized.
                sources = sources or services.sources()
                spec = sources.fill(spec)
            self._specs[file.src_uri] = spec
            outputs.add(file, spec)
            language = settings.page_language(spec)[0]
            for entry in [*spec.entries, *spec.updated]:
                needs.setdefault(entry.id, set()).add(language)
        self._pipeline = services.pipeline()
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
        layout, problems = self._settings.page_layout(spec, self._ready().summarizers.key)
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
        if self._services is not None:
            self._services.report()
            if not self._serving:
                self._services.close()

    def on_build_error(self, *, error: Exception) -> None:
        if self._pipeline is not None:
            self._pipeline.stop()
            self._pipeline.finish()
            self._pipeline = None
        if self._services is not None and not self._serving:
            self._services.close()

    def on_shutdown(self) -> None:
        if self._pipeline is not None:
            # A rebuild cut short (Ctrl-C under `mkdocs serve` raises in it): its
            # fetching stops after the batch, and it sends no more summaries.
            self._pipeline.stop()
            self._pipeline = None
        # MkDocs keeps plugin instances for the life of the process: the next
        # build starts afresh.
        if self._services is not None:
            self._services.close()
            self._services = None
        self._serving = False

    def _ready(self) -> Services:
        assert self._services is not None and self._settings is not None, "on_config runs first"
        return self._services
