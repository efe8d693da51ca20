"""MkDocs events wired to one build (`build.py`: collect IDs, fetch early,
render late), whose services (`services.py`) live across `mkdocs serve` rebuilds.

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

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from . import guard
from .config import ArxivDigestConfig
from .headings import HeadingIds, page_title

if TYPE_CHECKING:
    import jinja2

    from .build import Build, BuildReport
    from .services import Services

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
        self._build: Build | None = None
        self.report: BuildReport | None = None
        """The figures of the last build (docs/benchmarks.md lists them); `None`
        until one has finished."""

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self._serving = command == "serve"

    @event_priority(-50)
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        guard.plugin_ran()  # switched off by the user is not skipped by the host: no guard error
        self._build = None
        if not self.config.enabled:
            if self._services is not None:
                self._services.close()  # what a rebuild before, with the plugin on, kept open
            return config
        from .build import Build
        from .services import Services

        services = self._services = self._services or Services(log.info, log.warning, clock=self.clock)
        services.configure(self.config, config, self._serving)
        self._build = Build(services, log.info, log.warning)
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
        if self.config.enabled and self._build is not None:
            self._build.start(files, config)
        return files

    @event_priority(10)
    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        if not self.config.enabled or self._build is None:
            return markdown
        return self._build.page(markdown, page, config.site_url)

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        if not self.config.enabled:
            return html
        if "title" not in page.meta and (title := page_title(html, page.toc)) is not None:
            page.title = title  # the paper's title as plain text, not its TeX
        return html

    def on_env(self, env: jinja2.Environment, *, config: MkDocsConfig, files: Files) -> jinja2.Environment:
        if self.config.enabled and self._build is not None:
            self._build.write_feed(config)
        return env

    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        if not self.config.enabled or self._build is None:
            return output
        return self._build.head(output, page)

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if self._build is not None:
            self.report = self._build.finish()
            self._build = None
        if self._services is not None:
            self._services.report()
        self._release()

    def on_build_error(self, *, error: Exception) -> None:
        if self._build is not None:
            self._build.stop(wait=True)
            self._build = None
        self._release()

    def on_shutdown(self) -> None:
        if self._build is not None:
            # A rebuild cut short (Ctrl-C under `mkdocs serve` raises in it).
            self._build.stop(wait=False)
            self._build = None
        # MkDocs keeps plugin instances for the life of the process: the next
        # build starts afresh.
        if self._services is not None:
            self._services.close()
            self._services = None
        self._serving = False

    def _release(self) -> None:
        if self._services is not None and not self._serving:
            self._services.close()
