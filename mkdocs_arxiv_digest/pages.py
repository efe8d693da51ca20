"""The site's pages that list papers: their `arxiv:` front matter, read once
per version of each file, and the `.bib` and `.json` files beside each of them."""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ClassVar

import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.utils.meta import get_data

import mkdocs_arxiv_digest as package

from .ids import PageSpec, front_matter_text, near_misses, parse_spec, read_front_matter, spec_from_dict, spec_to_dict

if TYPE_CHECKING:
    from .cache import Cache  # imported by the plugin's events, only when it is enabled

# A cheap test before YAML is parsed: the key in any spelling YAML allows
# (quoted, in a flow mapping), and the near misses that get a warning.
_MENTIONS = re.compile(r"arxiv|papers|paper_ids", re.IGNORECASE)
_MULTIMARKDOWN = re.compile(r"\A(?:[ ]{0,3}[A-Za-z0-9_-]+:.*\n(?:(?:[ ]{4}|\t).*\n)*)*?[ ]{0,3}arxiv:", re.IGNORECASE)

Warn = Callable[[str], None]
Stamp = tuple[float, int]


class PageReader:
    """Reads pages' front matter. A file unchanged since the last read (serve
    rebuilds) is not read again, and a front matter read in an earlier build
    comes from the cache."""

    def __init__(self, warn: Warn) -> None:
        self.warn = warn
        self.parsed = 0
        """How many front matters were parsed (the benchmark and tests read it)."""
        self._seen: dict[str, tuple[Stamp, PageSpec | None]] = {}

    def forget(self) -> None:
        self._seen.clear()

    def read_all(self, files: Iterable[File], cache: Cache) -> list[tuple[File, PageSpec]]:
        """Each page's papers and options, for the pages with `arxiv:`. The
        front matters read in an earlier build come from the cache in one read."""
        read = [(file, *self._front(file)) for file in files]
        specs: list[tuple[File, PageSpec]] = []
        with cache.reading_ahead(_spec_key(front) for _, _, front in read if isinstance(front, str)):
            for file, stamp, front in read:
                if isinstance(front, str):
                    spec = self._parse(front, file, cache)
                    self._remember(file, stamp, spec)
                else:
                    spec = front
                if spec is not None:
                    specs.append((file, spec))
        return specs

    def _front(self, file: File) -> tuple[Stamp | None, str | PageSpec | None]:
        """The file's stamp, and the page's front matter where it mentions
        papers; else what is known of the page: its spec when unchanged since
        the last read, or that it has none."""
        path = file.abs_src_path
        stamp: Stamp | None = None
        if path and not file.generated_by:
            try:
                info = os.stat(path)
                stamp = (info.st_mtime, info.st_size)
            except OSError:
                stamp = None
            seen = self._seen.get(path)
            if stamp is not None and seen is not None and seen[0] == stamp:
                return stamp, seen[1]
        try:
            source = file.content_string
        except (OSError, UnicodeDecodeError):
            return None, None  # read again next time
        spec: PageSpec | None = None
        front = front_matter_text(source) if source.startswith("---") else None
        if front is not None and _MENTIONS.search(front):
            return stamp, front
        if front is None and _MULTIMARKDOWN.match(source):
            # MkDocs also reads MultiMarkdown-style meta-data (`arxiv: 2403.10045, …`
            # in the first lines, no `---`), with keys in lowercase.
            meta = get_data(source)[1]
            spec = parse_spec(meta["arxiv"]) if "arxiv" in meta else None
        self._remember(file, stamp, spec)
        return stamp, spec

    def _remember(self, file: File, stamp: Stamp | None, spec: PageSpec | None) -> None:
        if stamp is not None and file.abs_src_path:
            self._seen[file.abs_src_path] = (stamp, spec)

    def _parse(self, front: str, file: File, cache: Cache) -> PageSpec | None:
        key = _spec_key(front)
        stored = cache.get_json(key)
        known = spec_from_dict(stored) if stored is not None else None
        if known is not None:
            return known
        self.parsed += 1
        try:
            meta = read_front_matter(f"---\n{front}---\n")
        except yaml.YAMLError as error:
            self.warn(f"Page '{file.src_uri}': its front matter is not valid YAML, so its papers are skipped: {error}")
            return None
        for name in near_misses(meta):
            self.warn(
                f"Page '{file.src_uri}': front matter key '{name}' is not read, so its papers are not shown; "
                "the key is 'arxiv' (lowercase)."
            )
        if "arxiv" not in meta:
            return None
        spec = parse_spec(meta["arxiv"])
        data = spec_to_dict(spec)
        if data is not None:
            cache.set_json(key, data)
        return spec


def _spec_key(front: str) -> str:
    # Keyed by the plugin's version too: a reading fixed in an upgrade shows at once.
    return "spec:" + hashlib.sha256(f"{package.__version__}\n{front}".encode()).hexdigest()


def built_pages(files: Files, config: MkDocsConfig) -> list[File]:
    """The pages this build renders: not those other plugins excluded, but
    the posts of Material's blog, which hides them until its `on_nav`."""
    built = {file.src_uri for file in files.documentation_pages()} | _blog_posts(config)
    return [file for file in files.documentation_pages(inclusion=lambda _: True) if file.src_uri in built]


def _blog_posts(config: MkDocsConfig) -> set[str]:
    posts: set[str] = set()
    for plugin in config.plugins.values():
        if type(plugin).__module__.startswith("material.plugins.blog"):
            blog = getattr(plugin, "blog", None)
            posts.update(post.file.src_uri for post in getattr(blog, "posts", None) or ())
    return posts


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
