"""A page's digest: its papers and summaries from the pipeline, Markdown from the
renderer, and the finished Markdown kept so an unchanged page costs one lookup."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

import mkdocs_arxiv_digest as package

from .bibtex import bibliography
from .cache import Cache
from .escape import one_line
from .ids import Entry, PageSpec
from .pipeline import Pipeline, Records
from .records import Paper, Summary
from .render import Item, Renderer
from .stages.metadata import Cached, Lookup

if TYPE_CHECKING:
    from .fulltext import FullText

MARKER = re.compile(r"^[ \t]*<!--\s*arxiv-digest\s*-->[ \t]*$")
"""Where a page wants its digest; without it the digest follows the page's text."""
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")


def place(markdown: str, digest: str) -> str:
    """The page's Markdown with the digest at its marker, or after its text.
    A marker shown inside a fenced code block (documentation of the marker
    itself) is left alone."""
    fence = ""
    offset = 0
    for line in markdown.splitlines(keepends=True):
        opening = _FENCE.match(line)
        if fence:
            # A closing fence: the same character, at least as many, nothing after it.
            closing = opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence)
            if closing and not line.strip().lstrip(fence[0]):
                fence = ""
        elif opening:
            fence = opening.group(1)
        elif MARKER.match(line.rstrip("\r\n")):
            end = offset + len(line.rstrip("\r\n"))
            return markdown[:offset] + digest + markdown[end:]
        offset += len(line)
    return markdown.rstrip("\n") + "\n\n" + digest


@dataclass(frozen=True)
class Layout:
    """The settings a digest's Markdown depends on, besides its papers."""

    name: str
    """`digest` or `chatpaper`: the template used."""
    labels: tuple[tuple[str, str], ...]
    features: tuple[tuple[str, bool], ...]
    """Which Markdown extensions the site has: details, tabbed, admonition."""
    bibtex: bool
    language: str
    heading_level: int
    max_authors: int
    model_note: bool
    versions: str
    """What the shown stages make their records with (`Pipeline.versions`)."""
    fulltext: bool = False
    """The page shows its papers' full text (`fulltext:`)."""
    html_url: str = ""
    """Where readers find the papers' HTML (`{html_url}{id}v{n}`), on a page that shows full text."""
    figures: int = 0
    """How many figures per paper it shows (`figures:`; 0 without full text)."""
    assets: str = ""
    """The site's root, relative to the page (`../`), when it shows figures."""


_TAG_UNSAFE = re.compile(r"[^\w .+#/:()-]")


class Shown(NamedTuple):
    """A paper as the page shows it: its entry (whose ID makes the heading's
    anchor), its metadata and its summary with the page's overrides."""

    entry: Entry
    paper: Paper
    summary: Summary | None
    fulltext: FullText | None = None
    """What the paper's HTML gave, on a page that shows full text and when it was read."""


@dataclass(frozen=True)
class PageDigest:
    markdown: str
    problems: list[str]
    """What to warn about, naming the paper."""
    load: Callable[[], list[Paper]]
    """The page's papers, read when asked for (see `papers`)."""
    keywords: list[str]
    """The keywords of the papers' summaries, for the page's tags."""
    bib: str = ""
    """The page's `.bib` file, when one was asked for."""
    shown: list[Shown] = field(default_factory=list)
    """The papers shown with their summaries, when asked for (feeds and JSON read them)."""

    @functools.cached_property
    def papers(self) -> list[Paper]:
        """The page's papers. A digest kept from an earlier build was made
        without reading them; they are read from the cache only if asked for."""
        return self.load()

    def tags(self, existing: object, kinds: tuple[str, ...]) -> list[str]:
        """The page's tags with its papers' `categories` and `keywords` added
        (as `kinds` asks). Material writes tag names into pages as they are:
        only plain words go in."""
        tags = list(existing) if isinstance(existing, list) else []
        added = [paper.primary_category for paper in self.papers] if "categories" in kinds else []
        if "keywords" in kinds:
            added += self.keywords
        tags += [tag for tag in (_TAG_UNSAFE.sub("", one_line(str(t)))[:60].strip() for t in added) if tag]
        return list(dict.fromkeys(tags))


class Digests:
    def __init__(self, renderer: Renderer, cache: Cache) -> None:
        self.renderer = renderer
        self.cache = cache
        self._layouts: dict[Layout, str] = {}

    def page(
        self, spec: PageSpec, layout: Layout, pipeline: Pipeline, bib_file: str = "", shown: bool = False
    ) -> PageDigest:
        """The page's digest: its Markdown, what to warn about, its papers, and
        with `shown` each paper with its summary. A page from a listing says
        which announcement it shows, and its replacements follow under
        "Updated", one heading level lower."""
        if spec.notice is None and not spec.updated:
            return self._digest(spec, layout, pipeline, bib_file, shown)
        labels = dict(layout.labels)
        plain = dataclasses.replace(spec, updated=[], notice=None)
        main = self._digest(plain, layout, pipeline, "" if spec.updated else bib_file, shown)
        parts = [self.renderer.notice(labels[spec.notice[0]], spec.notice[1])] if spec.notice else []
        parts += [main.markdown] if main.markdown else []
        made = [main]
        if spec.updated:
            level = layout.heading_level
            below = dataclasses.replace(layout, heading_level=min(level + 1, 5))
            updated = self._digest(PageSpec(entries=spec.updated), below, pipeline, bib_file, shown)
            parts.append(f"{'#' * level} {labels['updated_part']}\n\n{updated.markdown}")
            made.append(updated)
        papers = [paper for part in made for paper in part.papers] if bib_file else []
        return PageDigest(
            "\n\n".join(part.rstrip("\n") for part in parts) + "\n",
            [problem for part in made for problem in part.problems],
            lambda: [paper for part in made for paper in part.papers],
            [keyword for part in made for keyword in part.keywords],
            bibliography(papers) if papers else "",
            [record for part in made for record in part.shown],
        )

    def _digest(self, spec: PageSpec, layout: Layout, pipeline: Pipeline, bib_file: str, shown: bool) -> PageDigest:
        problems: list[str] = []
        ids = [entry.id for entry in spec.entries]
        # Papers the cache held are only marks here: a kept digest needs their
        # fingerprints, not the papers.
        known = list(zip(spec.entries, pipeline.marks(ids), strict=True))
        for entry, state in known:
            if not isinstance(state, Lookup) or state.reported:
                continue  # the pipeline says it once for the build
            if state.paper is None:
                problems.append(f"{entry.id}: {state.reason}")
            elif state.note:
                problems.append(f"{entry.id}: {state.note}")
        if not known:
            return PageDigest("", problems, list, [])
        marks = [
            state.fingerprint if isinstance(state, Cached) else state.paper.fingerprint() if state.paper else ""
            for _, state in known
        ]
        key = None
        if all(marks):
            key = self._key(spec, layout, marks, bib_file)
            made = self.cache.digest(key)
            if made is not None and (not bib_file or "bib" in made):

                def load() -> list[Paper]:
                    return [p for r in pipeline.records(ids, layout.language, outputs=False) if (p := r.lookup.paper)]

                kept: list[Shown] = []
                if shown:
                    for entry, found in zip(
                        spec.entries, pipeline.records(ids, layout.language, skip=_skipped(layout)), strict=True
                    ):
                        assert found.lookup.paper is not None, "a digest is kept only when every paper was found"
                        kept.append(Shown(entry, found.lookup.paper, _summary(entry, found), _fulltext(found)))
                return PageDigest(made["markdown"], problems, load, made["keywords"], made.get("bib", ""), kept)
        items = []
        records: list[Shown] = []
        labels = dict(layout.labels)
        final = key is not None
        made_now = pipeline.records(ids, layout.language, skip=_skipped(layout))
        for number, ((entry, state), found) in enumerate(zip(known, made_now, strict=True), start=1):
            lookup = found.lookup
            if isinstance(state, Cached) and lookup.paper is None:  # gone from the cache since the build started
                problems.append(f"{entry.id}: {lookup.reason}")
                final = False  # this digest is not kept
            if lookup.paper is None:
                # Readers get the label; the builder's reason (and its fix) is in the log.
                reason = labels["missing_unknown" if lookup.unknown else "missing_unavailable"]
                items.append(Item(number, entry, None, None, missing=reason))
                continue
            # A stand-in (failed or deferred) is replaced next build: do not
            # keep its digest. The pipeline warns once per cause of failure.
            final = final and not any(outcome.deferred for outcome in found.outputs.values())
            summary = _summary(entry, found)
            pending = any(outcome.pending for outcome in found.outputs.values())
            outputs = MappingProxyType({name: outcome.record for name, outcome in found.outputs.items()})
            failed = frozenset(name for name, outcome in found.outputs.items() if outcome.failed)
            items.append(Item(number, entry, lookup.paper, summary, pending=pending, outputs=outputs, failed=failed))
            records.append(Shown(entry, lookup.paper, summary, _fulltext(found)))
        papers = [item.paper for item in items if item.paper is not None]
        markdown = self.renderer.render(
            items,
            layout.language,
            heading_level=layout.heading_level,
            max_authors=layout.max_authors,
            layout=layout.name,
            model_note=layout.model_note,
            labels=dict(layout.labels),
            features=dict(layout.features),
            bibtex=layout.bibtex,
            bib_file=bib_file,
            html_url=layout.html_url,
            figures=layout.figures,
            assets=layout.assets,
        )
        keywords = [k for item in items if item.summary for k in item.summary.keywords]
        bib = bibliography(papers) if bib_file else ""
        if final and key is not None:
            self.cache.store_digest(key, {"markdown": markdown, "keywords": keywords, "bib": bib})
        return PageDigest(markdown, problems, lambda: papers, keywords, bib, records if shown else [])

    def _key(self, spec: PageSpec, layout: Layout, marks: list[str], bib_file: str) -> str:
        """A hash of everything the digest is made of. The papers count by
        their fingerprints, made of all their metadata: a DOI or journal
        reference added to the same version makes a new digest."""
        entries = [
            [str(e.id), sorted((k, repr(v)) for k, v in e.overrides.items()) if e.overrides else [], repr(e.liked)]
            for e in spec.entries
        ]
        made_of = [self._layout_hash(layout), entries, bib_file, marks]
        return hashlib.sha256(json.dumps(made_of, sort_keys=True).encode()).hexdigest()

    def _layout_hash(self, layout: Layout) -> str:
        """The code's, templates' and layout's part of a digest's key, worked out once per build."""
        known = self._layouts.get(layout)
        if known is None:
            made_of = [package.__version__, self.renderer.fingerprint, list(layout.__dict__.values())]
            known = self._layouts[layout] = hashlib.sha256(json.dumps(made_of).encode()).hexdigest()
        return known


def _skipped(layout: Layout) -> tuple[str, ...]:
    """The stages whose records the page does not show."""
    return (() if layout.fulltext else ("fulltext",)) + (() if layout.figures else ("figures",))


def _fulltext(records: Records) -> FullText | None:
    """The paper's full text, when the page shows it and it was read (not "no HTML")."""
    outcome = records.outputs.get("fulltext")
    record = outcome.record if outcome is not None else None
    return record if hasattr(record, "affiliations") else None


def _summary(entry: Entry, records: Records) -> Summary | None:
    """The paper's summary with the page's overrides."""
    outcome = records.outputs.get("summaries")
    summary: Summary | None = outcome.record if outcome is not None else None
    if entry.overrides:
        summary = (summary or Summary()).with_overrides(entry.overrides)
    return summary
