"""The papers of digest pages as an Atom feed and as a JSON file per page.

Pure functions over records: `outputs.py` hands over what each page showed
(`PageRecord`) and writes what comes back into the site's files. Everything
in a paper or a summary is outside text. In the feed it is plain text
(`type="text"`, TeX spans reduced by `plain_text`), placed by ElementTree's
serializer, which escapes it for XML; characters XML 1.0 cannot hold are
dropped first, since the serializer writes them as they are. The only links
are the ones made here: the site's pages and arXiv's, from validated IDs.
"""

from __future__ import annotations

import datetime as dt
import json
import posixpath
import re
import unicodedata
import urllib.parse
import uuid
import xml.etree.ElementTree as etree
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mkdocs.utils import get_relative_url

import mkdocs_arxiv_digest as package

from .digest import Shown
from .escape import one_line, plain_text
from .ids import ArxivId
from .sources import Provenance

ATOM = "http://www.w3.org/2005/Atom"
ARXIV = "http://arxiv.org/schemas/atom"
"""The namespace of arXiv's own Atom extensions: `arxiv:affiliation` in an `<author>`, as arXiv's API writes it."""
DIGEST = "urn:mkdocs-arxiv-digest:feed"
"""The namespace of the plugin's own elements: `digest:like` in an entry of a ranked page."""
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Not allowed anywhere in an XML 1.0 document, not even as a reference.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

JSON_FORMAT = "mkdocs-arxiv-digest/papers"
JSON_VERSION = 1
"""The version of the JSON file's shape: raised when a field changes meaning or goes away, not when one is added."""

GENERATOR = "mkdocs-arxiv-digest"


@dataclass(frozen=True)
class PageRecord:
    """What a digest page showed: enough for its feed entries and its JSON file."""

    src_uri: str
    url: str
    """The page's URL relative to the site's root, as MkDocs gives it (`papers/`, `papers.html`, `""`)."""
    language: str
    date: dt.datetime | None
    """The page's `date:`, when it has one (in UTC)."""
    shown: tuple[Shown, ...]
    missing: tuple[str, ...] = ()
    """The IDs the page lists but could not show."""
    provenance: Provenance | None = None
    """Where the papers came from, on a page of a listing or a query."""
    updated: frozenset[ArxivId] = frozenset()
    """The IDs shown under "Updated"."""
    likes: Mapping[ArxivId, str] = field(default_factory=dict)
    """On a ranked page, where each paper's `like` leads: a URL from the site's root
    with the entry's anchor, or the paper's abstract on arXiv."""

    @classmethod
    def of(
        cls,
        src_uri: str,
        url: str,
        language: str,
        date: Any,
        ids: Iterable[ArxivId],
        shown: Iterable[Shown],
        provenance: Provenance | None = None,
        updated: Iterable[ArxivId] = (),
        likes: Mapping[ArxivId, str] | None = None,
    ) -> tuple[PageRecord, str]:
        """The record of a page from its front matter's `date` and what its
        digest showed, and what is wrong with the date (see `page_date`)."""
        when, problem = page_date(date)
        shown = tuple(shown)
        found = {item.entry.id for item in shown}
        missing = tuple(str(arxiv_id) for arxiv_id in ids if arxiv_id not in found)
        record = cls(src_uri, url, language, when, shown, missing, provenance, frozenset(updated), dict(likes or {}))
        return record, problem

    def kind(self, shown: Shown) -> str | None:
        """`updated` for a paper under "Updated"; on a page of a listing or a
        query, `cross-list` or `new`; `None` for the papers of a list of IDs."""
        if shown.entry.id in self.updated:
            return "updated"
        if self.provenance is None:
            return None
        return "cross-list" if shown.entry.id in self.provenance.cross_lists else "new"


@dataclass(frozen=True)
class FeedEntry:
    page: PageRecord
    shown: Shown
    date: dt.datetime


def page_date(value: Any) -> tuple[dt.datetime | None, str]:
    """A page's `date:` front matter as a time in UTC, and what is wrong with
    it when it cannot be read. It may be a date, a date and time (YAML reads
    both), an ISO 8601 string, or Material's blog mapping `{created: …}`.
    A time without a zone is taken to be in UTC."""
    if value is None:
        return None, ""
    if isinstance(value, Mapping):
        if "created" not in value:
            return None, "'date' is a mapping without 'created'"
        value = value["created"]
    if isinstance(value, str):
        text = value.strip()
        try:
            value = dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if "T" in text or " " in text else None
            if value is None:
                value = dt.date.fromisoformat(text)
        except ValueError:
            return None, f"'date' is {text[:40]!r}, which is not a date like 2024-01-24"
    if isinstance(value, dt.datetime):
        return (
            value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)
        ), ""
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc), ""
    return None, f"'date' is {one_line(str(value))[:40]!r}, which is not a date like 2024-01-24"


def paper_date(shown: Shown) -> dt.datetime | None:
    """The date of the version shown: arXiv's `updated`, else `published`."""
    text = shown.paper.updated or shown.paper.published
    try:
        day = dt.date.fromisoformat(text[:10])
    except ValueError:
        return None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


_OLDEST = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
"""The date of a paper without one (a snapshot may leave it out): last, and a valid Atom date."""


def entries(pages: Iterable[PageRecord], size: int) -> list[FeedEntry]:
    """The newest `size` papers: by the page's date, else by the date of the
    version shown; papers of one date in the order of their pages' paths and
    their places on the page. A version on several pages is one entry, the newest."""
    found: list[FeedEntry] = []
    for page in sorted(pages, key=lambda p: p.src_uri):
        for shown in page.shown:
            found.append(FeedEntry(page, shown, page.date or paper_date(shown) or _OLDEST))
    found.sort(key=lambda entry: entry.date, reverse=True)  # stable: ties keep page order
    seen: set[str] = set()
    chosen = []
    for entry in found:
        if entry.shown.paper.versioned_id not in seen:
            seen.add(entry.shown.paper.versioned_id)
            chosen.append(entry)
    return chosen[:size]


def _text(text: str) -> str:
    """Outside text for the feed: plain, on one line, only characters XML can hold."""
    return _NOT_XML.sub("", plain_text(text))


def _stamp(when: dt.datetime) -> str:
    """RFC 3339 in UTC, to the second; `isoformat` writes every year with four digits, as Atom needs."""
    return when.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def relative_url(url: str, base: str) -> str:
    """`url` (relative to the site's root, with its fragment) as a link from
    the file or page at `base`: MkDocs' `get_relative_url`, with a folder's
    URL ending in `/`."""
    path, hash_, fragment = url.partition("#")
    relative = get_relative_url(path, base)
    if not path or path.endswith("/"):
        relative = relative.rstrip("/") + "/" if relative != "." else "./"
    return relative + hash_ + fragment


def link(url: str, site_url: str | None, base: str) -> str:
    """A link to `url` (relative to the site's root): absolute with `site_url`,
    else relative to `base`, the file the link is written into."""
    if site_url:
        return site_url.rstrip("/") + "/" + url.lstrip("/")
    return relative_url(url, base)


def paper_url(page: PageRecord, shown: Shown) -> str:
    """The paper's entry on the site, relative to its root: the page and the heading's anchor."""
    return f"{page.url}#{shown.entry.id.anchor}"


def feed_id(feed_url: str, site_url: str | None, site_name: str) -> str:
    """The feed's `<id>`: its absolute URL, or without a `site_url` a URN made
    from the site's name and the feed's path, stable from build to build."""
    if site_url:
        return link(feed_url, site_url, feed_url)
    return uuid.uuid5(uuid.NAMESPACE_URL, f"mkdocs-arxiv-digest:{site_name}:{feed_url}").urn


def entry_id(shown: Shown) -> str:
    """An entry's `<id>`: the URL of the version's abstract on arXiv, the same in every build and site."""
    return f"https://arxiv.org/abs/{shown.paper.versioned_id}"


def entry_title(shown: Shown) -> str:
    """The title as plain text; on a translated page, the translation with the original after it."""
    original = _text(shown.paper.title)
    translated = _text(shown.summary.title) if shown.summary and shown.summary.title else ""
    return f"{translated} ({original})" if translated and translated != original else original


def entry_summary(shown: Shown) -> str:
    """The TL;DR as plain text; without one, the abstract (translated, on a translated page)."""
    summary = shown.summary
    if summary and summary.tldr:
        return _text(summary.tldr)
    return _text(summary.abstract if summary and summary.abstract else shown.paper.abstract)


def atom(
    chosen: Sequence[FeedEntry],
    *,
    feed_url: str,
    site_url: str | None,
    site_name: str,
    author: str | None,
    max_authors: int,
    built: dt.datetime,
) -> bytes:
    """The Atom 1.0 document, UTF-8. `feed_url` is the feed's path from the
    site's root; `built` stands for the feed's `updated` when it has no entry."""

    def add(parent: etree.Element, tag: str, text: str | None = None, **attributes: str) -> etree.Element:
        element = etree.SubElement(parent, tag, {k: _NOT_XML.sub("", v) for k, v in attributes.items()})
        if text is not None:
            element.text = text
        return element

    # Atom's namespace as the default one, declared on the root: ElementTree's
    # `default_namespace` refuses attributes without a namespace, which Atom's are.
    feed = etree.Element("feed", xmlns=ATOM)
    if any(e.shown.fulltext and e.shown.fulltext.affiliations for e in chosen):
        feed.set("xmlns:arxiv", ARXIV)
    if any(e.shown.entry.liked for e in chosen):
        feed.set("xmlns:digest", DIGEST)
    add(feed, "id", feed_id(feed_url, site_url, site_name))
    add(feed, "title", _text(site_name), type="text")
    add(feed, "updated", _stamp(max((e.date for e in chosen), default=built)))
    add(feed, "link", rel="self", type="application/atom+xml", href=link(feed_url, site_url, feed_url))
    home = feed_url.rpartition("/")[0] + "/" if "/" in feed_url else ""
    add(feed, "link", rel="alternate", type="text/html", href=link(home, site_url, feed_url))
    add(add(feed, "author"), "name", _text(author or site_name) or "-")
    add(feed, "generator", GENERATOR, version=package.__version__)
    for chosen_entry in chosen:
        shown, paper = chosen_entry.shown, chosen_entry.shown.paper
        entry = add(feed, "entry", **{_XML_LANG: chosen_entry.page.language})
        add(entry, "id", entry_id(shown))
        add(entry, "title", entry_title(shown), type="text")
        add(entry, "updated", _stamp(chosen_entry.date))
        names = paper.authors[:max_authors] if max_authors else paper.authors
        affiliations = author_affiliations(shown)
        for name in names:
            person = add(entry, "author")
            add(person, "name", _text(name) or "-")
            for affiliation in affiliations.get(_name_key(name), ()):
                add(person, "arxiv:affiliation", _text(affiliation))
        here = link(paper_url(chosen_entry.page, shown), site_url, feed_url)
        add(entry, "link", rel="alternate", type="text/html", href=here)
        add(entry, "link", rel="related", type="text/html", href=entry_id(shown), title="arXiv")
        for code in shown.fulltext.code if shown.fulltext else ():
            add(entry, "link", rel="related", type="text/html", href=code.url, title="Code")
        add(entry, "summary", entry_summary(shown), type="text")
        liked = shown.entry.liked
        if liked is not None:
            # On a ranked page: the reading-list paper it is most like, where it stands, and the score.
            where = chosen_entry.page.likes.get(shown.entry.id)
            to = {"href": where if "://" in where else link(where, site_url, feed_url)} if where else {}
            named = {"arxiv": liked.id.base} if liked.id is not None else {}  # a library file may give none
            add(entry, "digest:like", _text(liked.title), **named, score=f"{liked.score:.2f}", **to)
        for category in paper.categories:
            add(entry, "category", term=_text(category))
    etree.indent(feed)
    written: bytes = etree.tostring(feed, encoding="utf-8", xml_declaration=True)
    return written + b"\n"


def _name_key(name: str) -> str:
    """A name as compared between arXiv's metadata and the paper's HTML:
    letters only, without accents, in one case (`Jean-Luc Émile` = `jeanlucemile`)."""
    plain = unicodedata.normalize("NFKD", name)
    return "".join(c for c in plain if c.isalpha()).casefold()


def author_affiliations(shown: Shown) -> dict[str, tuple[str, ...]]:
    """The affiliations the paper's HTML gives each author, by `_name_key`."""
    if shown.fulltext is None:
        return {}
    return {_name_key(a.name): a.affiliations for a in shown.fulltext.authors if a.affiliations}


def fulltext_json(shown: Shown) -> dict[str, Any] | None:
    """What the paper's HTML adds, for the JSON file; `None` when the page
    does not show full text or none could be read."""
    text = shown.fulltext
    if text is None:
        return None
    return {
        "affiliations": list(text.affiliations),
        "authors": [{"name": a.name, "affiliations": list(a.affiliations)} for a in text.authors],
        "code": [{"url": c.url, "kind": c.kind} for c in text.code],
    }


def like_json(shown: Shown, src_uri: str) -> dict[str, Any] | None:
    """On a page ranked against the site's reading lists (`rank: library`),
    the listed paper this one is most like, the page that lists it (its
    path under `docs/`, from the link the page shows, relative to the page
    `src_uri`) with the entry's anchor, and the score; `None` otherwise. A
    paper of a library file has no page or anchor (`None`), and no `id`
    when the file gave none."""
    liked = shown.entry.liked
    if liked is None:
        return None
    arxiv_id = liked.id.base if liked.id is not None else None
    if not liked.page:  # a paper of a library file: on no page of the site
        return {"id": arxiv_id, "title": liked.title, "page": None, "anchor": None, "score": round(liked.score, 4)}
    page, _, anchor = liked.page.partition("#")
    # The link is URL-quoted (a page named `my list.md`); the JSON gives the path as it is.
    page = (
        posixpath.normpath(posixpath.join(posixpath.dirname(src_uri), urllib.parse.unquote(page))) if page else src_uri
    )
    return {"id": arxiv_id, "title": liked.title, "page": page, "anchor": anchor, "score": round(liked.score, 4)}


def _or_none(text: str) -> str | None:
    return text or None


def _source(provenance: Provenance | None) -> dict[str, str] | None:
    if provenance is None:
        return None
    return {provenance.kind: provenance.request}


def papers_json(page: PageRecord, *, json_url: str, site_url: str | None) -> str:
    """A page's papers and summaries as JSON, in the shape of `JSON_VERSION`
    (see docs/feeds.md). Text is as arXiv and the summarizer wrote it, TeX
    and all: plain text, to be escaped where it is put. `<`, `>` and `&` are
    written as `\\u` escapes, so the file is inert even read as HTML."""
    papers = []
    for shown in page.shown:
        paper, summary = shown.paper, shown.summary
        papers.append(
            {
                "id": paper.id,
                "version": paper.version,
                "versioned_id": paper.versioned_id,
                "kind": page.kind(shown),
                "title": paper.title,
                "translated_title": _or_none(summary.title) if summary else None,
                "authors": list(paper.authors),
                "abstract": paper.abstract,
                "translated_abstract": _or_none(summary.abstract) if summary else None,
                "tldr": _or_none(summary.tldr) if summary else None,
                "tldr_en": _or_none(summary.tldr_en) if summary else None,
                "takeaways": list(summary.takeaways) if summary else [],
                "structured": dict(summary.structured) if summary else {},
                "keywords": list(summary.keywords) if summary else [],
                "summarizer": _or_none(summary.backend) if summary else None,
                "fulltext": fulltext_json(shown),
                "like": like_json(shown, page.src_uri),
                "primary_category": paper.primary_category,
                "categories": list(paper.categories),
                "comment": _or_none(paper.comment),
                "journal_ref": _or_none(paper.journal_ref),
                "doi": _or_none(paper.doi),
                "dates": {"published": _or_none(paper.published), "updated": _or_none(paper.updated)},
                "links": {
                    "page": link(paper_url(page, shown), site_url, json_url),
                    "abs": paper.abs_url,
                    "abs_version": entry_id(shown),
                    "pdf": paper.pdf_url,
                    "doi": f"https://doi.org/{paper.doi}" if paper.doi else None,
                },
            }
        )
    data = {
        "format": JSON_FORMAT,
        "format_version": JSON_VERSION,
        "generator": f"{GENERATOR} {package.__version__}",
        "page": {
            "src": page.src_uri,
            "url": link(page.url, site_url, json_url),
            "language": page.language,
            "date": _stamp(page.date) if page.date else None,
            "source": _source(page.provenance),
            "announced": page.provenance.announced if page.provenance else None,
        },
        "papers": papers,
        "missing": list(page.missing),
    }
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"
