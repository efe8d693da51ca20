"""The plugin's settings for one build, read once from `mkdocs.yml` and handed
down: to the cache, the arXiv client, the summarizers, the renderer and each
page's digest. Nothing below this module reads MkDocs' config."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError

from .config import ArxivDigestConfig
from .escape import TEMPLATE_OPENERS, Math
from .render import merge_labels
from .summarize import LlmSettings

FEATURES = {"details": "pymdownx.details", "tabbed": "pymdownx.tabbed", "admonition": "admonition"}
"""What the templates use when the site has it, by the Markdown extension that provides it."""


class ApiSettings(NamedTuple):
    url: str
    delay_seconds: float
    timeout: float
    retries: int


class ListingSettings(NamedTuple):
    """Where the announcement feeds of `listing:` pages are read, how often, and how much of each."""

    url: str
    refresh_seconds: float
    max_mb: float
    max_papers: int


class FulltextSettings(NamedTuple):
    """Where papers' HTML is read from, and how."""

    mode: str | bool
    """`auto` (pages in the `chatpaper` layout), `True` or `False`: the site's `fulltext`."""
    url: str
    """An http(s) URL ending in `/`, or an absolute local folder."""
    delay_seconds: float
    budget_seconds: float
    tokens: int = 6_000
    """How much of a paper a model reads (`fulltext_tokens`)."""
    figures: int = 3
    """How many figures a page shows per paper by default (`figures`)."""
    figure_licenses: tuple[str, ...] = ("cc-by", "cc-by-sa", "cc-by-nd", "cc0")
    """The licences whose figures are copied into the site."""

    @property
    def local(self) -> bool:
        return not self.url.startswith(("http://", "https://"))

    @property
    def public_url(self) -> str:
        """Where readers find the papers' HTML, for links into it: `url`, or
        arXiv's for a local folder (readers cannot open the builder's files)."""
        return DEFAULT_HTML_URL if self.local else self.url


DEFAULT_HTML_URL = "https://arxiv.org/html/"
DEFAULT_FULLTEXT = FulltextSettings("auto", DEFAULT_HTML_URL, 15.0, 600.0)


class LibrarySettings(NamedTuple):
    """What `rank: library` ranks against: empty, every `ids` page the `daily` command did not write."""

    pages: tuple[str, ...] = ()
    """Globs on pages' `src_uri`."""
    files: tuple[tuple[str, Path], ...] = ()
    """Each `.bib` or CSL-JSON file as written in `library:`, and its absolute path."""


DEFAULT_LIBRARY = LibrarySettings()


class FeedSettings(NamedTuple):
    file: str
    """The feed's path from the site's root (or from a language's folder)."""
    pages: tuple[str, ...]
    """Globs on pages' `src_uri`; empty: every digest page."""
    size: int


@dataclass(frozen=True)
class Settings:
    """Everything a build needs from the plugin's options and the site's config."""

    cache_dir: Path
    """Absolute, as MkDocs resolves the path options against the folder of `mkdocs.yml`."""
    snapshot: Path | None
    offline: bool
    api: ApiSettings
    batch_size: int
    refresh_seconds: float | None
    """How old a bare ID's cached version may be; `None` (offline): any age."""
    listing: ListingSettings
    language: str
    layout: str
    labels: Mapping[str, Mapping[str, str]]
    features: tuple[tuple[str, bool], ...]
    math: Math | None
    avoid: tuple[str, ...]
    """The delimiters of template passes that read pages after this plugin."""
    custom_templates: str | None
    heading_level: int
    max_authors: int
    model_note: bool
    bibtex: bool
    tags: tuple[str, ...]
    summarizer: str
    llm: LlmSettings
    """The `llm` options and the API key's environment value, for the backend and the pipeline's limits."""
    feed: FeedSettings | None = None
    """`None` without `feed: true`."""
    json: bool = False
    fulltext: FulltextSettings = DEFAULT_FULLTEXT
    library: LibrarySettings = DEFAULT_LIBRARY
    site_dir: str = ""
    """Absolute; where figures' images are copied (under `assets/arxiv-digest/figures/`)."""

    def wants_fulltext(self, asked: Any, layout: str) -> bool:
        """Whether a page in `layout` whose `arxiv:` mapping says `fulltext: asked`
        (`None`: it does not say) shows its papers' full text."""
        value = self.fulltext.mode if asked is None else asked
        if value == "auto" or not isinstance(value, bool):
            return layout == "chatpaper"
        return value

    @classmethod
    def load(cls, options: ArxivDigestConfig, config: MkDocsConfig) -> Settings:
        """Settings from the validated options. MkDocs' config types have
        checked each option alone (paths are absolute, `snapshot` exists,
        `api_url` is http(s), `labels` and `language` fit); what they cannot
        see is the rest of the site's config, so `cache_dir` is checked against
        `docs_dir` and `site_dir` here, raising `PluginError` with the fix."""
        cache_dir = Path(options.cache_dir).resolve()
        # Not an option type: a plugin's options are validated without the site's
        # config, so the option cannot know `docs_dir` and `site_dir`.
        for name in ("docs_dir", "site_dir"):
            folder = Path(config[name]).resolve()
            if cache_dir == folder or folder in cache_dir.parents:
                raise PluginError(
                    f"arxiv-digest: 'cache_dir' ({cache_dir}) is inside '{name}' ({folder}). "
                    "Choose a folder outside it, e.g. the default '.cache/plugin/arxiv-digest'."
                )
        snapshot = Path(options.snapshot) if options.snapshot else None
        labels = merge_labels(options.labels)
        extensions = set(config.markdown_extensions)
        avoid = template_delimiters(config)
        math = Math.of_site(config.markdown_extensions, config.mdx_configs, avoid) if _has_math(extensions) else None
        return cls(
            cache_dir=cache_dir,
            snapshot=snapshot,
            offline=options.offline,
            api=ApiSettings(options.api_url, options.delay_seconds, options.timeout, options.retries),
            batch_size=options.batch_size,
            refresh_seconds=None if options.offline else options.refresh_days * 86400,
            listing=ListingSettings(
                options.listing_url,
                options.listing_refresh_hours * 3600,
                options.listing_max_mb,
                options.listing_max_papers,
            ),
            language=options.language,
            layout=options.layout,
            labels=labels,
            features=tuple((name, extension in extensions) for name, extension in sorted(FEATURES.items())),
            math=math,
            avoid=avoid,
            custom_templates=options.custom_templates,
            heading_level=options.heading_level,
            max_authors=options.max_authors,
            model_note=options.model_note,
            bibtex=options.bibtex,
            tags=tuple(options.tags),
            summarizer=options.summarizer,
            llm=_llm_settings(options),
            feed=FeedSettings(options.feed_file, tuple(options.feed_pages), options.feed_size)
            if options.feed
            else None,
            json=options.json,
            fulltext=FulltextSettings(
                options.fulltext,
                _html_url(options.html_url, config),
                options.html_delay_seconds,
                options.fulltext_budget_seconds,
                options.fulltext_tokens,
                options.figures,
                tuple(sorted(set(options.figure_licenses))),
            ),
            library=_library(options.library, config),
            site_dir=str(Path(config["site_dir"]).resolve()),
        )

    @property
    def summarizer_key(self) -> tuple[Any, ...]:
        """What the summarizers are made from: a change makes new ones."""
        return (self.summarizer, self.llm)

    @property
    def renderer_key(self) -> tuple[Any, ...]:
        return (self.math.key if self.math else None, self.custom_templates, self.avoid)


def _library(items: list[str], config: MkDocsConfig) -> LibrarySettings:
    """`library:`'s items: files told from page globs by their extension,
    resolved against the folder of `mkdocs.yml`."""
    from .library import is_file

    root = Path(config.config_file_path or ".").resolve().parent
    files = tuple((item, (root / item).resolve()) for item in items if is_file(item))
    return LibrarySettings(tuple(item for item in items if not is_file(item)), files)


def _llm_settings(options: ArxivDigestConfig) -> LlmSettings:
    """The `llm` options, with the API key read from the environment: here only."""
    llm = options.llm
    return LlmSettings(
        base_url=llm.base_url,
        model=llm.model,
        api_key_env=llm.api_key_env,
        concurrency=llm.concurrency,
        timeout=llm.timeout,
        retries=llm.retries,
        temperature=llm.temperature,
        max_tokens=llm.max_tokens,
        response_format=llm.response_format,
        max_summaries=llm.max_summaries,
        budget_seconds=llm.budget_seconds,
        api_key=os.environ.get(llm.api_key_env) if llm.api_key_env else None,
    )


def _html_url(url: str, config: MkDocsConfig) -> str:
    """`html_url` as a URL ending in `/`, or as an absolute folder (relative to `mkdocs.yml`'s)."""
    if url.startswith(("http://", "https://")):
        return url if url.endswith("/") else url + "/"
    base = Path(config.config_file_path).parent if config.config_file_path else Path.cwd()
    folder = (base / url).resolve()
    if not folder.is_dir():
        raise PluginError(
            f"arxiv-digest: 'html_url' ({url}) is neither an http(s) URL nor a folder ({folder} does not exist). "
            "Give arXiv's 'https://arxiv.org/html/', a mirror's URL, or a folder of papers' HTML."
        )
    return str(folder)


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
