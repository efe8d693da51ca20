"""The files the plugin adds to a site: a `.bib` and a `.json` beside each
page that lists papers, and the feed. Which paths they take (never another
output's: a collision stops the build), what each page puts in them, and the
feed's link in every page's head.

What they hold is made elsewhere: the BibTeX by the digest, the Atom document
and the JSON by `feed.py` (imported only by builds that write one of them).
"""

from __future__ import annotations

import os
import posixpath
import re
import urllib.parse
from collections.abc import Callable, Sequence
from fnmatch import fnmatchcase
from html import escape
from typing import TYPE_CHECKING, ClassVar

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_build_datetime

if TYPE_CHECKING:
    from .digest import PageDigest
    from .feed import PageRecord
    from .ids import ArxivId, PageSpec
    from .settings import Settings


class BuildOutputs:
    """The files one build adds, chosen in `on_files` (which pages get a
    `.bib` and a `.json`, where the feed goes) and filled as pages are made."""

    def __init__(self, files: Files, config: MkDocsConfig, settings: Settings, warn: Callable[[str], None]) -> None:
        self._settings = settings
        self._warn = warn
        self._paths = SiteOutputs(files, config)
        self._feed = self._paths.feed(settings.feed.file) if settings.feed else None
        self._bib: dict[str, File] = {}
        self._json: dict[str, File] = {}
        self._feed_pages: list[PageRecord] = []

    def add(self, page: File, spec: PageSpec) -> None:
        """The `.bib` and `.json` of a page that lists papers, as the options ask."""
        if not (spec.entries or spec.updated):
            return
        if self._settings.bibtex:
            self._bib[page.src_uri] = self._paths.beside(page, "bib")
        if self._settings.json:
            self._json[page.src_uri] = self._paths.beside(page, "json")

    def bib_name(self, page: Page) -> str:
        """The name of the page's `.bib` (the digest links to it); `""` without one."""
        bib = self._bib.get(page.file.src_uri)
        return bib.src_uri.rsplit("/", 1)[-1] if bib else ""

    def _in_feed(self, page: Page) -> bool:
        feed = self._settings.feed
        return feed is not None and wanted(page.file.src_uri, feed.pages)

    def wants_papers(self, page: Page) -> bool:
        """Whether the page's papers go into a file (the feed, the page's JSON),
        so that its digest must hand them over."""
        return self._in_feed(page) or page.file.src_uri in self._json

    def fill(self, page: Page, spec: PageSpec, language: str, made: PageDigest, site_url: str | None) -> None:
        """Put what the page's digest made into the page's files and the feed."""
        bib = self._bib.get(page.file.src_uri)
        if bib is not None:
            bib.content_string = made.bib
        if not self.wants_papers(page):
            return
        from .feed import PageRecord, papers_json  # imported by builds that write a feed or JSON

        record, problem = PageRecord.of(
            page.file.src_uri,
            page.url,
            language,
            page.meta.get("date"),
            [entry.id for entry in (*spec.entries, *spec.updated)],
            made.shown,
            spec.provenance,
            [entry.id for entry in spec.updated],
            likes=self._likes(page.file.src_uri, spec),
        )
        if self._in_feed(page):
            if problem:
                self._warn(
                    f"Page '{page.file.src_uri}': {problem}, so the feed dates its papers by their arXiv versions."
                )
            self._feed_pages.append(record)
        json_file = self._json.get(page.file.src_uri)
        if json_file is not None:
            json_file.content_string = papers_json(record, json_url=json_file.url, site_url=site_url)

    def _likes(self, src_uri: str, spec: PageSpec) -> dict[ArxivId, str]:
        """On a ranked page, where each entry's `like` leads (see `SiteOutputs.like_url`)."""
        likes = {}
        for entry in (*spec.entries, *spec.updated):
            liked = entry.liked
            if liked is None:
                continue
            # On no page of the site (a library file's paper, or one no longer listed): its arXiv page, if any.
            url = self._paths.like_url(src_uri, liked.page) if liked.page else liked.abs_url
            if url:
                likes[entry.id] = url
        return likes

    def write_feed(self, config: MkDocsConfig) -> None:
        """The feed, once every page's digest is made."""
        feed = self._settings.feed
        if self._feed is None or feed is None:
            return
        if not config.site_url:
            self._warn(
                f"feed: MkDocs' 'site_url' is not set, so the links in '{self._feed.dest_uri}' are relative "
                "to the feed, and feed readers that need absolute links cannot open the papers; "
                "set 'site_url' to the address the site is published at."
            )
        from .feed import atom, entries

        self._feed.content_bytes = atom(
            entries(self._feed_pages, feed.size),
            feed_url=self._feed.url,
            site_url=config.site_url,
            site_name=config.site_name,
            author=config.site_author,
            max_authors=self._settings.max_authors,
            built=get_build_datetime(),
        )

    def head(self, output: str, page: Page) -> str:
        """The page's HTML with a link to the feed in its head."""
        if self._feed is None:
            return output
        # Relative, so it is right wherever the site is viewed (a preview, a
        # mirror): Material fetches a sitemap.xml beside every alternate link.
        from .feed import relative_url

        return head_link(output, relative_url(self._feed.url, page.url), "application/atom+xml")


def wanted(src_uri: str, globs: Sequence[str]) -> bool:
    """Whether a page's papers go into the feed: every page when there are no
    globs, else a page whose path in `docs_dir` matches one (`*` matches `/` too)."""
    return not globs or any(fnmatchcase(src_uri, glob) for glob in globs)


def head_link(html: str, href: str, kind: str) -> str:
    """The page's HTML with a `<link rel="alternate">` to `href` of type `kind`
    at the end of its `<head>`; unchanged without one."""
    tag = f'<link rel="alternate" type="{kind}" href="{escape(href, quote=True)}">'
    found = re.search(r"</head\s*>", html, re.IGNORECASE)
    if found is None:
        return html
    return html[: found.start()] + tag + "\n" + html[found.start() :]


def language_folder(config: MkDocsConfig) -> str:
    """The folder mkdocs-static-i18n builds this language into: `""` for the
    default language (and for a site without the plugin), else its locale."""
    for plugin in config.plugins.values():
        if type(plugin).__module__.startswith("mkdocs_static_i18n"):
            language = getattr(plugin, "current_language", None)
            if isinstance(language, str) and language and not getattr(plugin, "is_default_language_build", True):
                return language
    return ""


class SiteOutputs:
    """The paths the build writes into `site_dir`, each with the words that name
    what writes it, so that a file this plugin adds (the feed, a page's `.bib`
    and `.json`) never replaces another output, nor is replaced by one: a
    collision stops the build, naming both.

    Besides the build's files (from `docs_dir`, the theme and other plugins),
    MkDocs renders the theme's `static_templates` (`404.html`, `sitemap.xml`
    and its `.gz`) and the search plugin writes its index after the pages, at
    the site's root: with mkdocs-static-i18n too, whose every language's build
    writes them there."""

    _BESIDE: ClassVar[dict[str, tuple[str, str]]] = {"bib": ("BibTeX file", "bibtex"), "json": ("JSON file", "json")}

    def __init__(self, files: Files, config: MkDocsConfig) -> None:
        self._files = files
        self._config = config
        # What has each path: words, or a file of the build, described only if it collides.
        self._taken: dict[str, str | File] = {}
        for name in sorted(config.theme.static_templates):
            kind = "the sitemap" if name == "sitemap.xml" else "the page"
            self._taken[name] = f"{kind} MkDocs renders from the theme's template '{name}'"
        if "sitemap.xml" in config.theme.static_templates:
            self._taken["sitemap.xml.gz"] = "the compressed sitemap MkDocs writes beside 'sitemap.xml'"
        if _search_index_written(config):
            self._taken["search/search_index.json"] = "the index the search plugin writes"
        for file in files:
            self._taken[file.dest_uri] = file

    def feed(self, feed_file: str) -> File:
        """The feed's file, empty until the pages are made: at `feed_file`, in
        the folder of the language being built (mkdocs-static-i18n)."""
        path = posixpath.join(language_folder(self._config), feed_file)
        return self._add(
            path, path, f"the feed ('feed_file: {feed_file}')", "Set 'feed_file' to another path, e.g. 'papers.xml'."
        )

    def beside(self, page: File, extension: str) -> File:
        """A file named as the page with another `extension` (`bib`, `json`),
        beside it in the site, filled in when the page's digest is made."""
        what, option = self._BESIDE[extension]
        src_uri = page.src_uri.rsplit(".", 1)[0] + "." + extension
        # In the folder the page is built into, which plugins may have moved
        # (i18n puts a language's pages under its folder): `page.bib` beside
        # `page/index.html`, `fr/page.fr.bib` beside `fr/page/index.html`.
        folder = posixpath.dirname(page.dest_uri)
        if self._config.use_directory_urls and page.name != "index" and page.dest_uri.endswith("/index.html"):
            folder = posixpath.dirname(folder)
        return self._add(
            src_uri,
            posixpath.join(folder, posixpath.basename(src_uri)),
            f"the {what} of page '{page.src_uri}' ('{option}: true')",
            f"Rename or move the page, or set '{option}: false'.",
        )

    def like_url(self, src_uri: str, page: str) -> str | None:
        """Where an entry's `like` leads (`page`: the link its page shows, from
        the page at `src_uri`): the reading list's URL from the site's root with
        the entry's anchor; `None` when the site has no such page."""
        path, _, anchor = page.partition("#")
        src = posixpath.normpath(posixpath.join(posixpath.dirname(src_uri), urllib.parse.unquote(path)))
        file = self._files.get_file_from_path(src)
        return f"{file.url}#{anchor}" if file is not None else None

    def _add(self, src_uri: str, dest_uri: str, mine: str, fix: str) -> File:
        same_source = self._files.get_file_from_path(src_uri)
        for path, theirs in (
            (src_uri, same_source and self._taken.get(same_source.dest_uri, same_source)),
            (dest_uri, self._taken.get(dest_uri)),
        ):
            if theirs:
                if isinstance(theirs, File):
                    theirs = _described(theirs, self._config)
                raise PluginError(
                    f"arxiv-digest: {mine} and {theirs} would both be '{path}', and one would replace the other. {fix}"
                )
        made = File.generated(self._config, src_uri, content="")
        made.dest_uri = dest_uri
        self._taken[dest_uri] = mine
        self._files.append(made)
        return made


def _described(file: File, config: MkDocsConfig) -> str:
    if file.generated_by:
        return f"the file '{file.dest_uri}' of the plugin '{file.generated_by}'"
    if file.abs_src_path and file.abs_src_path.startswith(os.path.join(config.docs_dir, "")):
        return f"the file '{file.src_uri}' in docs_dir"
    return f"the theme's file '{file.src_uri}'"


def _search_index_written(config: MkDocsConfig) -> bool:
    """Whether MkDocs' search plugin, or Material's, writes `search/search_index.json`."""
    for plugin in config.plugins.values():
        module = type(plugin).__module__
        if module.startswith("mkdocs.contrib.search"):
            return True
        if module.startswith("material.plugins.search"):
            return bool(getattr(plugin, "config", {}).get("enabled", True))
    return False
