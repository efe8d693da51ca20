"""The files the plugin adds beside the site's pages (`.bib`, `.json`) and the
feed, checked against every other output of the build."""

from __future__ import annotations

import os
import posixpath
from typing import ClassVar

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files


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
