"""MkDocs events wired to the pipeline: collect IDs, fetch early, render late."""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jinja2
import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils.meta import get_data

import mkdocs_arxiv_digest as package

from .cache import Cache
from .config import ArxivDigestConfig
from .digest import Digests, Layout, place
from .escape import TEMPLATE_OPENERS, Math
from .fetch import ArxivApi, Snapshot
from .ids import (
    ArxivId,
    PageSpec,
    front_matter_text,
    near_misses,
    parse_spec,
    read_front_matter,
    spec_from_dict,
    spec_to_dict,
)
from .pipeline import Pipeline, Stats
from .records import Paper
from .render import LABELS, LAYOUTS, Renderer, merge_labels
from .summarize import Summarizer, make_summarizer

log = get_plugin_logger("arxiv-digest")

# A cheap test before YAML is parsed: the key in any spelling YAML allows
# (quoted, in a flow mapping), and the near misses that get a warning.
_MENTIONS = re.compile(r"arxiv|papers|paper_ids", re.IGNORECASE)
_MULTIMARKDOWN = re.compile(r"\A(?:[ ]{0,3}[A-Za-z0-9_-]+:.*\n(?:(?:[ ]{4}|\t).*\n)*)*?[ ]{0,3}arxiv:", re.IGNORECASE)
_TAG_UNSAFE = re.compile(r"[^\w .+#/:()-]")


class ArxivDigestPlugin(BasePlugin[ArxivDigestConfig]):  # type: ignore[no-untyped-call]
    supports_multiple_instances = False

    def __init__(self) -> None:
        # Safe defaults: tests and other tools call `build()` without `on_startup`.
        self._serving = False
        self._cache: Cache | None = None
        self._cache_for: Path | None = None
        self._api: ArxivApi | None = None
        self._api_settings: tuple[Any, ...] = ()
        self._pipeline: Pipeline | None = None
        self._renderer: Renderer | None = None
        self._specs: dict[str, PageSpec] = {}
        self._digests: Digests | None = None
        self._bib_files: dict[str, File] = {}
        self._labels: dict[str, dict[str, str]] = LABELS
        self._features: dict[str, bool] = {}
        self._summarizer: Summarizer | None = None
        self._summarizer_settings: tuple[Any, ...] | None = None
        self._fallback: Summarizer | None = None
        self._executor: ThreadPoolExecutor | None = None
        # Parsed front matter by file, reused while the file is unchanged (serve rebuilds).
        self._seen: dict[str, tuple[tuple[float, int], PageSpec | None]] = {}
        self.last_stats: Stats | None = None
        """The figures of the last build (the benchmark reads them)."""
        self.front_matter_parsed = 0
        """How many times a page's front matter was parsed (the benchmark reads it)."""

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self._serving = command == "serve"

    # Late: other plugins may add Markdown extensions in their `on_config`, and
    # the math this plugin writes is checked against the final list.
    @event_priority(-50)
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        root = Path(config.config_file_path).parent if config.config_file_path else Path.cwd()
        cache_dir = (root / self.config.cache_dir).resolve()
        for option in ("docs_dir", "site_dir"):
            folder = Path(config[option]).resolve()
            if cache_dir == folder or folder in cache_dir.parents:
                raise PluginError(
                    f"arxiv-digest: 'cache_dir' ({cache_dir}) is inside '{option}' ({folder}). "
                    "Choose a folder outside it, e.g. the default '.cache/plugin/arxiv-digest'."
                )
        if self._cache is None or self._cache_for != cache_dir:
            self._close_cache()
            self._cache_for = cache_dir
            # A cache that cannot be written is read, and new results are kept in memory.
            self._cache = Cache(cache_dir)
            self._report_cache_problems()
        if self.config.snapshot and not (root / self.config.snapshot).is_file():
            raise PluginError(
                f"arxiv-digest: 'snapshot' file {root / self.config.snapshot} does not exist. "
                "Give the path of a JSON-lines file relative to mkdocs.yml, or remove the option."
            )
        self._snapshot_path = root / self.config.snapshot if self.config.snapshot else None
        if not self.config.api_url.startswith(("http://", "https://")):
            raise PluginError(
                f"arxiv-digest: 'api_url' must be an http(s) URL, got {self.config.api_url!r}. "
                "The default is https://export.arxiv.org/api/query."
            )
        settings = (self.config.api_url, self.config.delay_seconds, self.config.timeout, self.config.retries)
        if self._api is not None and settings != self._api_settings:
            self._api.close()
            self._api = None
        if self._api is None and not self.config.offline:
            self._api = ArxivApi(*settings)
            self._api_settings = settings
        try:
            self._labels = merge_labels(self.config.labels)
        except ValueError as error:
            raise PluginError(f"arxiv-digest: 'labels': {error}") from None
        if self.config.language not in self._labels:
            raise PluginError(
                f"arxiv-digest: 'language' is {self.config.language!r}, which has no labels. "
                f"Use one of {', '.join(sorted(self._labels))}, or add its labels under 'labels'."
            )
        self._configure_summarizer()
        extensions = set(config.markdown_extensions)
        self._features = {
            "details": "pymdownx.details" in extensions,
            "tabbed": "pymdownx.tabbed" in extensions,
            "admonition": "admonition" in extensions,
        }
        avoid = template_delimiters(config)
        math = Math.of_site(config.markdown_extensions, config.mdx_configs, avoid) if _has_math(extensions) else None
        templates = self.config.custom_templates
        if self._renderer is None or self._renderer.settings != (math.key if math else None, templates, avoid):
            self._renderer = Renderer(math=math, custom_dir=templates, avoid=avoid)
        else:
            self._renderer.refresh()  # custom templates may have been edited
        self._digests = Digests(self._renderer, self._cache)
        return config

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        if self.config.custom_templates:
            server.watch(self.config.custom_templates)
        return server

    def _configure_summarizer(self) -> None:
        """Make the summarizer, or keep the one from the last rebuild if nothing changed."""
        llm = dict(self.config.llm)
        settings = (self.config.summarizer, tuple(sorted(llm.items())), os.environ.get(llm["api_key_env"] or ""))
        if self._summarizer_settings == settings:
            return
        self._close_summarizer()
        try:
            self._summarizer = make_summarizer(self.config.summarizer, llm)
        except (ValueError, ImportError) as error:
            raise PluginError(f"arxiv-digest: {error}") from None
        self._summarizer_settings = settings
        self._fallback = make_summarizer("extractive") if self.config.summarizer == "openai" else None
        if self._summarizer is not None and self._summarizer.background:
            self._executor = ThreadPoolExecutor(self._summarizer.concurrency, thread_name_prefix="arxiv-digest-summary")

    def _close_summarizer(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        close = getattr(self._summarizer, "close", None)
        if close is not None:
            close()
        self._summarizer = None
        self._summarizer_settings = None

    # Last: after mkdocs-exclude (priority 0) has dropped files and
    # mkdocs-static-i18n (-100) has picked each language's pages, so only the
    # pages of this build are read and fetched for, whatever the plugin order.
    # i18n rebuilds every file from its path in `docs_dir`, which a generated
    # `.bib` file lacks: added after it, the `.bib` files are left alone.
    # Material's blog (-50) has hidden its posts by then: see `_blog_posts`.
    @event_priority(-110)
    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        self._specs = {}
        self._bib_files = {}
        built = {file.src_uri for file in files.documentation_pages()} | _blog_posts(config)
        taken = {file.dest_uri for file in files}
        for file in files.documentation_pages(inclusion=lambda _: True):
            if file.src_uri not in built:
                continue
            spec = self._read_spec(file)
            if spec is not None:
                self._specs[file.src_uri] = spec
                if self.config.bibtex and spec.entries:
                    self._add_bib_file(file, files, config, taken)
        needs: dict[ArxivId, set[str]] = {}
        for spec in self._specs.values():
            language = self._language(spec)
            for arxiv_id in spec.ids:
                needs.setdefault(arxiv_id, set()).add(language)
        assert self._cache is not None
        refresh = None if self.config.offline else self.config.refresh_days * 86400
        self._pipeline = Pipeline(
            self._cache,
            None if self.config.offline else self._api,
            Snapshot(self._snapshot_path) if self._snapshot_path else None,
            self._summarizer,
            batch_size=self.config.batch_size,
            refresh_seconds=refresh,
            log=log.info,
            executor=self._executor,
            fallback=self._fallback,
            max_summaries=self.config.llm.max_summaries,
        )
        self._pipeline.plan(needs)
        if needs:
            stats = self._pipeline.stats
            log.info(
                f"{stats.wanted} paper(s) on {len(self._specs)} page(s): {stats.cached} in the cache"
                + (f", {stats.unknown} known to be missing" if stats.unknown else "")
            )
        self._pipeline.start()
        return files

    def _add_bib_file(self, page: File, files: Files, config: MkDocsConfig, taken: set[str]) -> None:
        """A `.bib` file beside the page, filled in when the page's digest is made."""
        src_uri = page.src_uri.rsplit(".", 1)[0] + ".bib"
        if files.get_file_from_path(src_uri) is not None:
            log.warning(f"Page '{page.src_uri}': '{src_uri}' exists already, so the page's BibTeX file is not written.")
            return
        bib = File.generated(config, src_uri, content="")
        # In the folder the page is built into, which plugins may have moved
        # (i18n puts a language's pages under its folder): `page.bib` beside
        # `page/index.html`, `fr/page.fr.bib` beside `fr/page/index.html`.
        folder = posixpath.dirname(page.dest_uri)
        if config.use_directory_urls and page.name != "index" and page.dest_uri.endswith("/index.html"):
            folder = posixpath.dirname(folder)
        beside = posixpath.join(folder, posixpath.basename(src_uri))
        if beside not in taken:
            bib.dest_uri = beside
        taken.add(bib.dest_uri)
        files.append(bib)
        self._bib_files[page.src_uri] = bib

    def _read_spec(self, file: File) -> PageSpec | None:
        """The page's `arxiv:` front matter, parsed once per version of the file."""
        stamp: tuple[float, int] | None = None
        path = file.abs_src_path
        if path and not file.generated_by:
            try:
                info = os.stat(path)
                stamp = (info.st_mtime, info.st_size)
            except OSError:
                stamp = None
            seen = self._seen.get(path)
            if stamp is not None and seen is not None and seen[0] == stamp:
                return seen[1]
        spec: PageSpec | None = None
        try:
            source = file.content_string
        except (OSError, UnicodeDecodeError):
            return None
        front = front_matter_text(source) if source.startswith("---") else None
        if front is not None and _MENTIONS.search(front):
            spec = self._parse_front_matter(front, file)
        elif front is None and _MULTIMARKDOWN.match(source):
            # MkDocs also reads MultiMarkdown-style meta-data (`arxiv: 2403.10045, …`
            # in the first lines, no `---`), with keys in lowercase.
            meta = get_data(source)[1]
            spec = parse_spec(meta["arxiv"]) if "arxiv" in meta else None
        if stamp is not None and path:
            self._seen[path] = (stamp, spec)
        return spec

    def _parse_front_matter(self, front: str, file: File) -> PageSpec | None:
        """The spec of a front matter; the same text read before is not parsed again."""
        assert self._cache is not None
        # Keyed by the plugin's version too: a reading fixed in an upgrade shows at once.
        key = "spec:" + hashlib.sha256(f"{package.__version__}\n{front}".encode()).hexdigest()
        stored = self._cache.get_json(key)
        known = spec_from_dict(stored) if stored is not None else None
        if known is not None:
            return known
        self.front_matter_parsed += 1
        try:
            meta = read_front_matter(f"---\n{front}---\n")
        except yaml.YAMLError as error:
            log.warning(
                f"Page '{file.src_uri}': its front matter is not valid YAML, so its papers are skipped: {error}"
            )
            return None
        for key in near_misses(meta):
            log.warning(
                f"Page '{file.src_uri}': front matter key '{key}' is not read, so its papers are not shown; "
                "the key is 'arxiv' (lowercase)."
            )
        if "arxiv" not in meta:
            return None
        spec = parse_spec(meta["arxiv"])
        data = spec_to_dict(spec)
        if data is not None:
            self._cache.set_json(key, data)
        return spec

    # Early, so that the tags added here are in `page.meta` whatever the plugin
    # order: Material's tags plugin reads them in its `on_page_markdown`, at
    # priority 0 up to 9.5 and -50 from 9.6. mkdocs-macros (priority 0) thus
    # always renders the page after the digest is in it.
    @event_priority(10)
    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        spec = self._specs.get(page.file.src_uri)
        if spec is None or self._pipeline is None:
            return markdown
        where = f"Page '{page.file.src_uri}'"
        for problem in spec.problems:
            log.warning(f"{where}: arxiv: {problem}")
        language = self._language(spec)
        if spec.options.get("language", language) != language:
            log.warning(
                f"{where}: arxiv: language {spec.options['language']!r} is not one of "
                f"{', '.join(sorted(self._labels))}; using {language!r}"
            )
        if spec.options.get("layout", self._layout(spec)) != self._layout(spec):
            log.warning(
                f"{where}: arxiv: layout {spec.options['layout']!r} is not one of "
                f"{', '.join(LAYOUTS)}; using {self._layout(spec)!r}"
            )
        assert self._digests is not None
        layout = Layout(
            name=self._layout(spec),
            labels=tuple(sorted(self._labels[language].items())),
            features=tuple(sorted(self._features.items())),
            bibtex=self.config.bibtex,
            language=language,
            heading_level=self.config.heading_level,
            max_authors=self.config.max_authors,
            model_note=self.config.model_note,
            summarizer=self._summarizer.key if self._summarizer else "none",
        )
        bib = self._bib_files.get(page.file.src_uri)
        try:
            made = self._digests.page(spec, layout, self._pipeline, bib.src_uri.rsplit("/", 1)[-1] if bib else "")
        except jinja2.TemplateError as error:
            raise PluginError(f"arxiv-digest: the template for page '{page.file.src_uri}' failed: {error}") from None
        for problem in made.problems:
            log.warning(f"{where}: {problem}")
        if bib is not None:
            bib.content_string = made.bib
        self._add_tags(page, made.papers, made.keywords)
        digest = made.markdown
        if not digest:
            return markdown
        return place(markdown, digest)

    def _report_cache_problems(self) -> None:
        if self._cache is not None:
            while self._cache.problems:
                log.warning(self._cache.problems.pop(0))
            while self._cache.notes:
                log.info(self._cache.notes.pop(0))

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        self._report_cache_problems()
        if self._pipeline is not None:
            stats = self.last_stats = self._pipeline.finish()
            for problem in stats.problems:
                log.warning(problem)
            if stats.wanted:
                parts = [f"{stats.cached} from the cache"]
                if stats.from_snapshot:
                    parts.append(f"{stats.from_snapshot} from the snapshot")
                if stats.requests:
                    parts.append(f"{stats.fetched} fetched in {stats.requests} request(s) ({stats.seconds:.1f} s)")
                if stats.unknown:
                    parts.append(f"{stats.unknown} unknown to arXiv")
                if stats.failed:
                    parts.append(f"{stats.failed} not fetched")
                if stats.summaries_made or stats.summaries_cached or stats.summaries_failed:
                    parts.append(
                        f"summaries: {stats.summaries_cached} cached, {stats.summaries_made} new"
                        + (f", {stats.summaries_failed} failed" if stats.summaries_failed else "")
                    )
                if stats.summaries_deferred:
                    parts.append(
                        f"{stats.summaries_deferred} left for a later build by 'llm.max_summaries' "
                        "(shown with the extractive summary)"
                    )
                log.info(f"{stats.wanted} paper(s): " + ", ".join(parts))
            self._pipeline = None
        if not self._serving:
            self._close()

    def on_build_error(self, *, error: Exception) -> None:
        if self._pipeline is not None:
            self._pipeline.stop()
            self._pipeline.finish()
            self._pipeline = None
        if not self._serving:
            self._close()

    def on_shutdown(self) -> None:
        self._close()
        # MkDocs keeps plugin instances for the life of the process.
        self._serving = False
        self._seen.clear()

    def _close_cache(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None

    def _language(self, spec: PageSpec) -> str:
        language = spec.options.get("language", self.config.language)
        return language if language in self._labels else self.config.language

    def _layout(self, spec: PageSpec) -> str:
        layout = spec.options.get("layout", self.config.layout)
        return layout if layout in LAYOUTS else self.config.layout

    def _add_tags(self, page: Page, papers: list[Paper], keywords: list[str]) -> None:
        """Categories and keywords into the page's tags, before Material's tags plugin reads them."""
        if not self.config.tags or not papers:
            return
        tags = page.meta.get("tags")
        tags = list(tags) if isinstance(tags, list) else []
        added = [paper.primary_category for paper in papers] if "categories" in self.config.tags else []
        if "keywords" in self.config.tags:
            added += keywords
        # Material writes tag names into pages as they are: only plain words go in.
        tags += [tag for tag in (_TAG_UNSAFE.sub("", " ".join(str(t).split()))[:60].strip() for t in added) if tag]
        page.meta["tags"] = list(dict.fromkeys(tags))

    def _close(self) -> None:
        self._close_cache()
        self._close_summarizer()
        if self._api is not None:
            self._api.close()
            self._api = None


def _blog_posts(config: MkDocsConfig) -> set[str]:
    """The posts of Material's blog plugins: each hides its posts (as excluded)
    from its `on_files` (priority -50) until its `on_nav`."""
    posts: set[str] = set()
    for plugin in config.plugins.values():
        if type(plugin).__module__.startswith("material.plugins.blog"):
            blog = getattr(plugin, "blog", None)
            posts.update(post.file.src_uri for post in getattr(blog, "posts", None) or ())
    return posts


def _has_math(extensions: set[Any]) -> bool:
    return any(e == "pymdownx.arithmatex" or type(e).__module__ == "pymdownx.arithmatex" for e in extensions)


def template_delimiters(config: MkDocsConfig) -> tuple[str, ...]:
    """The delimiters of template passes that read pages' Markdown after this
    plugin: Jinja's, and those mkdocs-macros is configured with."""
    found = list(TEMPLATE_OPENERS)
    for name, plugin in config.plugins.items():
        if name == "macros" or name.endswith("/macros"):
            options = getattr(plugin, "config", {}) or {}
            for option in ("j2_block_start_string", "j2_variable_start_string", "j2_comment_start_string"):
                value = options.get(option) if hasattr(options, "get") else None
                if isinstance(value, str) and value:
                    found.append(value)
    return tuple(dict.fromkeys(found))
