"""One build: the pages' front matter read, listings and queries turned into
IDs, every paper fetched and summarized while MkDocs reads the pages, each
page's digest made when MkDocs renders it, the files the build adds filled,
and the build's figures reported (`BuildReport`)."""

from __future__ import annotations

import contextlib
import dataclasses
import posixpath
import re
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from .digest import Layout, place
from .ids import ArxivId, Entry, Liked, PageSpec
from .outputs import BuildOutputs
from .pipeline import Pipeline, Stats
from .render import LAYOUTS
from .services import Services
from .settings import Settings
from .snapshot import Snapshot
from .sources import LibraryPaper
from .stages.metadata import Papers

if TYPE_CHECKING:
    from .cache import Cache
    from .library import FilePaper

Say = Callable[[str], None]


@dataclass
class BuildReport(Stats):
    """The figures of one build, for scripts: `config.plugins["arxiv-digest"].report`
    once `mkdocs.commands.build.build(config)` has returned (docs/benchmarks.md
    lists them): the pipeline's `Stats`, and what the build read of its pages.
    The plugin's closing log line is made from the same figures."""

    pages: int = 0
    """Pages with papers (an `arxiv:` front matter) in this build."""
    front_matter_parsed: int = 0
    """Front matters this build parsed: one read in an earlier build comes from
    the cache, and under `mkdocs serve` an unchanged page's is not read again."""

    @classmethod
    def of(cls, stats: Stats, pages: int, front_matter_parsed: int) -> BuildReport:
        return cls(pages=pages, front_matter_parsed=front_matter_parsed, **vars(stats))


class Build:
    def __init__(self, services: Services, info: Say, warn: Say) -> None:
        self.services = services
        self.settings: Settings = services.settings
        self._info, self._warn = info, warn
        self._digests = services.digests()
        self._specs: dict[str, PageSpec] = {}
        self._outputs: BuildOutputs | None = None
        self._pipeline: Pipeline | None = None
        self._parsed = services.reader.parsed

    def start(self, files: Files, config: MkDocsConfig) -> None:
        """Read the pages' papers and start fetching and summarizing them (`on_files`)."""
        services, settings = self.services, self.settings
        outputs = self._outputs = BuildOutputs(files, config, settings, self._warn)
        needs: dict[ArxivId, set[str]] = {}
        fulltext: set[str] = set()
        figures: dict[str, tuple[int, tuple[str, ...]]] = {}
        sources = None
        read = list(services.reader.read_all(built_pages(files, config), services.cache))
        ranked = any(spec.source is not None and spec.source.rank for _, spec in read)
        frozen = any(spec.source is None and has_likes(spec) for _, spec in read)
        library = reading_lists(services, read, self._info, self._warn) if ranked or frozen else None
        ranker = services.ranker() if ranked and library else None
        for file, spec in read:
            if spec.source is not None:
                # A listing or query becomes IDs now, filtered (and ranked): only
                # the papers kept are fetched and summarized.
                sources = sources or services.sources()
                spec = sources.fill(spec, library, ranker)
                if library:
                    spec = linked(spec, file.src_uri)
            elif frozen and library is not None and has_likes(spec):
                # A ranked day `daily` froze: its order and scores as written, its likes linked.
                spec = linked(thawed(spec, library, services.cache), file.src_uri)
            self._specs[file.src_uri] = spec
            outputs.add(file, spec)
            language = page_language(settings, spec)[0]
            wants_fulltext = settings.wants_fulltext(spec.options.get("fulltext"), page_layout_name(settings, spec))
            shows_figures = wants_fulltext and page_layout_name(settings, spec) == "chatpaper"
            count = page_figures(settings, spec)[0] if shows_figures else 0
            for entry in [*spec.entries, *spec.updated]:
                needs.setdefault(entry.id, set()).add(language)
                if wants_fulltext:
                    fulltext.add(entry.id.base)
                if count:
                    most, numbers = figures.get(entry.id.base, (0, ()))
                    number = entry_figure(entry.overrides.get("figure"))[0]
                    named = (*numbers, number) if number and number not in numbers else numbers
                    figures[entry.id.base] = (max(most, count), named)
        licenses = sources.licenses if sources is not None else {}
        pipeline = self._pipeline = services.pipeline(
            {"fulltext": frozenset(fulltext)}, figures=figures, licenses=licenses
        )
        pipeline.plan(needs)
        if needs:
            self._info(pipeline.stats.planned(len(self._specs)))
        pipeline.start()

    def page(self, markdown: str, page: Page, site_url: str | None) -> str:
        """The page's Markdown with its digest (`on_page_markdown`)."""
        spec = self._specs.get(page.file.src_uri)
        outputs, pipeline = self._outputs, self._pipeline
        if spec is None or outputs is None or pipeline is None:
            return markdown
        settings = self.settings
        where = f"Page '{page.file.src_uri}'"
        layout, problems = page_layout(settings, spec, pipeline.versions(), page.url)
        for problem in [*spec.problems, *problems]:
            self._warn(f"{where}: arxiv: {problem}")
        try:
            made = self._digests.page(spec, layout, pipeline, outputs.bib_name(page), shown=outputs.wants_papers(page))
        except jinja2.TemplateError as error:
            raise PluginError(f"arxiv-digest: the template for page '{page.file.src_uri}' failed: {error}") from None
        for problem in made.problems:
            self._warn(f"{where}: {problem}")
        outputs.fill(page, spec, layout.language, made, site_url)
        if settings.tags and made.papers:
            page.meta["tags"] = made.tags(page.meta.get("tags"), settings.tags)
        return place(markdown, made.markdown) if made.markdown else markdown

    def write_feed(self, config: MkDocsConfig) -> None:
        """Fill the feed, once every page's digest is made (`on_env`)."""
        if self._outputs is not None:
            self._outputs.write_feed(config)

    def head(self, output: str, page: Page) -> str:
        """The page's HTML with the feed's link in its head (`on_post_page`)."""
        return self._outputs.head(output, page) if self._outputs is not None else output

    def finish(self) -> BuildReport:
        """Wait for the fetching and summarizing, say what went wrong and the
        closing line, and return the figures (`on_post_build`)."""
        stats = Stats()
        if self._pipeline is not None:
            stats = self._pipeline.finish()
            self._pipeline = None
            for problem in stats.problems:
                self._warn(problem)
            if stats.wanted:
                self._info(stats.report())
        return BuildReport.of(stats, len(self._specs), self.services.reader.parsed - self._parsed)

    def stop(self, wait: bool) -> None:
        """End a build cut short: its fetching stops after the batch, and it
        sends no more summaries; with `wait`, once what is under way has ended."""
        if self._pipeline is not None:
            self._pipeline.stop()
            if wait:
                self._pipeline.finish()
            self._pipeline = None


def reading_lists(services: Services, read: list[tuple[File, PageSpec]], info: Say, warn: Say) -> list[LibraryPaper]:
    """The papers `rank: library` ranks against (`library:`; by default the
    site's `ids` pages but those `daily` wrote), each with the first page
    that lists it. Papers with an arXiv ID are read from the cache, then
    the `snapshot`, the ones they lack asked of arXiv now (unless
    `offline`), since the ranked pages' papers depend on them; a library
    file's paper that is not found keeps the file's title and abstract. The
    plugin's build and the `daily` command both read the library here."""
    chosen = services.settings.library
    where: dict[str, tuple[ArxivId, str]] = {}
    for file, spec in _library_pages(services, read, chosen.pages, warn):
        for entry in [*spec.entries, *spec.updated]:
            where.setdefault(entry.id.base, (entry.id, file.src_uri))
    unnamed: list[FilePaper] = []
    from_files: dict[str, FilePaper] = {}
    for own in _library_files(chosen.files, info, warn):
        if own.id is None:
            unnamed.append(own)
        elif own.id.base not in where:
            where[own.id.base] = (own.id, "")
            from_files[own.id.base] = own
    papers = Papers(services.cache)
    found = {base: papers.paper(arxiv_id, None) for base, (arxiv_id, _) in where.items()}
    missing = [where[base][0] for base, paper in found.items() if paper is None]
    if missing and services.settings.snapshot is not None:
        with contextlib.suppress(OSError, ValueError):  # the metadata stage reports an unreadable snapshot
            from_file = Snapshot(services.settings.snapshot).lookup(missing)
            papers.store(from_file)
            found.update((arxiv_id.base, paper) for arxiv_id, paper in from_file.items())
            missing = [arxiv_id for arxiv_id in missing if found[arxiv_id.base] is None]
    if missing and not services.settings.offline:
        info(f"Reading {len(missing)} papers of the reading lists to rank against")
        for batch in services.arxiv().fetch(missing, services.settings.batch_size):
            papers.store(batch.found)
            found.update((arxiv_id.base, paper) for arxiv_id, paper in batch.found.items())
    library = []
    for base, paper in found.items():
        if paper is not None:
            library.append(
                LibraryPaper(
                    where[base][0], paper.title, paper.abstract, paper.published, where[base][1], paper.version
                )
            )
        elif (kept := from_files.get(base)) is not None and kept.title and kept.abstract:
            library.append(LibraryPaper(kept.id, kept.title, kept.abstract, kept.published, ""))
    library += [LibraryPaper(None, own.title, own.abstract, own.published, "") for own in unnamed]
    return library


def _library_pages(
    services: Services, read: list[tuple[File, PageSpec]], globs: tuple[str, ...], warn: Say
) -> list[tuple[File, PageSpec]]:
    """The pages whose papers are in the library: those `library:` names,
    or, when it names none (and no file), every reading list."""
    if not globs:
        if services.settings.library.files:
            return []
        # Pages the `daily` command froze from a source (`source:`) are not reading lists.
        return [(file, spec) for file, spec in read if spec.source is None and spec.provenance is None]
    listing = [(file, spec) for file, spec in read if spec.source is None and (spec.entries or spec.updated)]
    for glob in globs:
        if not any(fnmatchcase(file.src_uri, glob) for file, _ in listing):
            warn(
                f"library: {glob!r} matches no page that lists papers (`ids`) in docs_dir; "
                "write a glob on the pages' paths relative to docs_dir, e.g. 'reading/*.md'"
            )
    return [(file, spec) for file, spec in listing if any(fnmatchcase(file.src_uri, glob) for glob in globs)]


def _library_files(files: tuple[tuple[str, Path], ...], info: Say, warn: Say) -> list[FilePaper]:
    """The usable entries of `library:`'s files; a file that cannot be read is a warning."""
    from . import library

    papers: list[FilePaper] = []
    for name, path in files:
        try:
            read = library.read(path)
        except library.LibraryError as error:
            warn(
                f"library: {name!r} ({path}) was not used: {error}. Give a {library.kind(path)} "
                "file relative to the folder of mkdocs.yml (a Zotero, Better BibTeX or JabRef export), "
                "or remove it from `library`"
            )
            continue
        for problem in read.problems:
            warn(f"library: {name!r}: {problem}; the file's other entries are used")
        named = sum(paper.id is not None for paper in read.papers)
        skipped = f"; {read.skipped} skipped, with neither an arXiv ID nor a title and abstract" if read.skipped else ""
        info(
            f"Library {name!r}: {named} papers with an arXiv ID, "
            f"{len(read.papers) - named} by their title and abstract{skipped}"
        )
        papers += read.papers
    return papers


def thawed(spec: PageSpec, library: Sequence[LibraryPaper], cache: Cache) -> PageSpec:
    """A page `daily` froze from a ranked source, each entry's `like:` (the
    reading-list paper it was most like when it was ranked) found where that
    paper stands on the site now: its title and page from `library`; a paper
    no longer in the library keeps its title from the cache (else its ID)
    and links to arXiv (`page` empty); one frozen by its title alone (a
    library file's paper without an arXiv ID) stays so. Its frozen score is
    kept as it is."""
    shelf = {paper.id.base: paper for paper in library if paper.id is not None}
    papers = Papers(cache)

    def thaw(entry: Entry) -> Entry:
        liked = entry.liked
        if liked is None or liked.id is None:
            return entry
        near = shelf.get(liked.id.base)
        if near is not None:
            found = Liked(near.id, near.title, near.page, liked.score)
        else:
            paper = papers.paper(liked.id, None)
            found = Liked(liked.id, paper.title if paper else str(liked.id), "", liked.score)
        return dataclasses.replace(entry, liked=found)

    return dataclasses.replace(spec, entries=[thaw(e) for e in spec.entries], updated=[thaw(e) for e in spec.updated])


def linked(spec: PageSpec, src_uri: str) -> PageSpec:
    """The spec with each ranked paper's `liked.page` made a link from the page at
    `src_uri` to the library paper's entry on its page (MkDocs resolves `.md` links)."""

    def link(entry: Entry) -> Entry:
        liked = entry.liked
        if liked is None or liked.id is None or not liked.page:  # a library file's paper has no page
            return entry
        path = posixpath.relpath(liked.page, posixpath.dirname(src_uri) or ".")
        where = f"{urllib.parse.quote(path)}#{liked.id.anchor}"
        return dataclasses.replace(entry, liked=dataclasses.replace(liked, page=where))

    return dataclasses.replace(spec, entries=[link(e) for e in spec.entries], updated=[link(e) for e in spec.updated])


def has_likes(spec: PageSpec) -> bool:
    """Whether some entry of the page says which reading-list paper it is like."""
    return any(entry.liked is not None for entry in [*spec.entries, *spec.updated])


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


def page_language(settings: Settings, spec: PageSpec) -> tuple[str, str]:
    """The page's language, and a problem to report when it asked for one without labels."""
    asked = spec.options.get("language", settings.language)
    if asked in settings.labels:
        return asked, ""
    return (
        settings.language,
        f"language {asked!r} is not one of {', '.join(sorted(settings.labels))}; using {settings.language!r}",
    )


def page_layout(settings: Settings, spec: PageSpec, versions: str, url: str = "") -> tuple[Layout, list[str]]:
    """The page's layout settings, and the problems of its options; `url`:
    the page's, from the site's root (figures' images are linked from it)."""
    language, problem = page_language(settings, spec)
    problems = [problem] if problem else []
    name = spec.options.get("layout", settings.layout)
    if name not in LAYOUTS:
        problems.append(f"layout {name!r} is not one of {', '.join(LAYOUTS)}; using {settings.layout!r}")
        name = settings.layout
    asked = spec.options.get("fulltext")
    if asked is not None and asked not in ("auto", True, False):
        problems.append(f"fulltext {asked!r} is not one of auto, true, false; using {settings.fulltext.mode!r}")
        asked = None
    fulltext = settings.wants_fulltext(asked, name)
    figures, problem = page_figures(settings, spec)
    problems += [problem] if problem else []
    for entry in [*spec.entries, *spec.updated]:
        problem = entry_figure(entry.overrides.get("figure"))[1]
        problems += [f"{entry.id}: {problem}"] if problem else []
    figures = figures if fulltext and name == "chatpaper" else 0  # the digest layout shows none
    layout = Layout(
        name=name,
        labels=tuple(sorted(settings.labels[language].items())),
        features=settings.features,
        bibtex=settings.bibtex,
        language=language,
        heading_level=settings.heading_level,
        max_authors=settings.max_authors,
        model_note=settings.model_note,
        versions=versions,
        fulltext=fulltext,
        figures=figures,
        assets="../" * url.count("/") if figures else "",
    )
    if layout.fulltext:
        layout = dataclasses.replace(layout, html_url=settings.fulltext.public_url)
    return layout, problems


MAX_FIGURES = 20
"""The most figures a page may show per paper."""


def page_figures(settings: Settings, spec: PageSpec) -> tuple[int, str]:
    """How many figures per paper the page shows, and a problem with its `figures:`."""
    asked = spec.options.get("figures")
    default = settings.fulltext.figures
    if asked is None:
        return default, ""
    # Front matter keeps numbers as written (`3` is read as the text '3').
    count = asked if type(asked) is int else int(asked) if isinstance(asked, str) and asked.isdecimal() else -1
    if not 0 <= count <= MAX_FIGURES:
        return default, f"figures {asked!r} is not a whole number from 0 to {MAX_FIGURES}; using {default}"
    return count, ""


def entry_figure(value: object) -> tuple[str, str]:
    """An entry's `figure:` as a figure's number, and a problem with it."""
    if value is None:
        return "", ""
    if type(value) is int and 1 <= value <= 999:
        return str(value), ""
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9]{1,8}(?:\.[A-Za-z0-9]{1,8})?", value):
        return value, ""
    return "", f"figure {value!r} is not a figure's number (write `figure: 3`); the main figure is shown"


def page_layout_name(settings: Settings, spec: PageSpec) -> str:
    """The page's layout, as `page_layout` settles it."""
    name = spec.options.get("layout", settings.layout)
    return name if name in LAYOUTS else settings.layout
