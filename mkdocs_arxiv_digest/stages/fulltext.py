"""Each paper's full text, read from arXiv's HTML rendering of the version
shown (`{html_url}{id}v{n}`) and parsed (`fulltext.parse`): the authors'
affiliations and the code links a page shows. Made only for the papers of
pages that want it (`fulltext:`), in the background under `mkdocs serve`, one
page at a time, `html_delay_seconds` apart, within `fulltext_budget_seconds`.

A version's HTML never changes, so a parsed record is kept for good; a page
the host does not have (404) or one that is not a usable paper (a stub, a
conversion that stopped) is kept as "no HTML" and asked again after 7 days.

Its cache key is spelled here and nowhere else:
`fulltext:{versioned ID}:{version}::{SCHEMA}`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..ids import ArxivId
from ..records import Paper
from . import Budget, Stage, StageFailed, Unit, Words, listed, register

if TYPE_CHECKING:
    from ..cache import Cache
    from ..fetch import HtmlClient
    from ..fulltext import FullText, NoHtml
    from ..services import Services

RECORD_SCHEMA = 1
"""`fulltext.record.SCHEMA`, read here without importing the parser (a
warm build imports none of it); a test checks they agree."""

NO_HTML_SECONDS = 7 * 86400
"""How long "no HTML" is believed before the page is asked for again."""

MAX_LOCAL_BYTES = 30_000_000

NO_HTML = {
    "missing": "have no HTML at the host",
    "stub": "have no HTML rendering (their source is a PDF, or it did not convert)",
    "fatal": "have an HTML rendering that stopped part-way",
    "little-text": "have an HTML rendering with almost no text",
}


class FullTextStage(Stage["FullText | NoHtml"]):
    name = "fulltext"
    mode = "pool"
    background = True
    concurrency = 1
    words = Words("full texts", "Full texts", "Reading", "read", "the abstract only")
    version = f"html-{RECORD_SCHEMA}"

    def __init__(
        self,
        cache: Cache,
        url: str,
        client: Any,
        budget: Budget,
        papers: frozenset[str],
        pool: Any = None,
        log: Callable[[str], None] = print,
    ) -> None:
        """`url`: `html_url` (a URL ending in `/`, or an absolute folder);
        `client`: makes the `HtmlClient` when a page is first asked for
        (`None`: nothing is asked, offline); `papers`: the bare IDs of the
        papers whose pages want full text."""
        self.cache, self.url, self._make_client = cache, url, client
        self.budget, self.only, self.pool = budget, papers, pool
        self.local = not url.startswith(("http://", "https://"))
        self.maker = f"{'the folder ' if self.local else ''}{url}"
        self.who = self.maker
        self.log = log
        self._lock = threading.Lock()
        self._none: dict[str, list[str]] = {}
        """Papers with no usable HTML this build, by why."""

    def key(self, unit: Unit) -> str:
        return self.record_key(unit.paper)

    @classmethod
    def record_key(cls, paper: ArxivId) -> str:
        """The cache key of a paper's record, for the stages that read it."""
        return f"fulltext:{paper}:{cls.version}::{RECORD_SCHEMA}"

    @classmethod
    def no_html(cls, cache: Cache, paper: ArxivId) -> bool:
        """Whether the cache holds, and still believes, "no HTML" for the paper."""
        data = cache.get_json(cls.record_key(paper))
        if not isinstance(data, dict) or "no_html" not in data:
            return False
        seconds = cache.age(data.get("checked"))
        return seconds is not None and seconds <= NO_HTML_SECONDS

    def load(self, data: Any) -> FullText | NoHtml | None:
        if not self.fresh(data):
            return None
        from ..fulltext import from_dict

        return from_dict(data)

    def fresh(self, data: Any) -> bool:
        """Without building the record, which cleans every section's text:
        a warm build plans each paper's full text and shows none of it."""
        if not isinstance(data, dict) or data.get("schema") != RECORD_SCHEMA:
            return False
        if "no_html" in data:
            seconds = self.cache.age(data.get("checked"))
            return seconds is not None and seconds <= NO_HTML_SECONDS  # else asked for again
        return True

    def dump(self, record: FullText | NoHtml) -> Any:
        data = record.to_dict()
        if "no_html" in data:
            data["checked"] = self.cache.clock()
        return data

    def lasting(self, record: FullText | NoHtml) -> bool:
        """A paper's HTML may appear later: a page showing it without is made again each build."""
        return not hasattr(record, "reason")

    def page_url(self, paper: ArxivId) -> str:
        return f"{self.url}{paper}" if not self.local else (Path(self.url) / str(paper)).as_uri()

    def make(self, unit: Unit, paper: Paper, inputs: Mapping[str, Any]) -> FullText | NoHtml:
        from ..fulltext import NoHtml, parse

        page = self._read(unit.paper)
        record: FullText | NoHtml
        if page is None:
            folder = Path(self.url) / str(unit.paper)
            detail = f"no {folder / 'index.html'}" if self.local else f"{self.page_url(unit.paper)}: not found"
            record = NoHtml("missing", detail)
        else:
            record = parse(page, self.page_url(unit.paper))
        if isinstance(record, NoHtml):
            named = f"{unit.paper} ({record.detail})" if record.detail else str(unit.paper)
            with self._lock:
                self._none.setdefault(record.reason, []).append(named)
        return record

    def finish(self, cache: Cache) -> None:
        """One line per cause for the papers with no usable HTML: not a
        warning, as arXiv has none for about one paper in ten."""
        with self._lock:
            none, self._none = self._none, {}
        for reason, papers in sorted(none.items()):
            why = NO_HTML.get(reason, f"their HTML is not a usable paper ({reason})")
            self.log(
                f"Full text: {len(papers)} paper(s) {why}; their entries show what the abstract gives, "
                f"and the HTML is asked for again in 7 days. Papers: {listed(papers)}."
            )

    def _read(self, paper: ArxivId) -> bytes | None:
        if self.local:
            folder = Path(self.url) / str(paper)
            for path in (folder / "index.html", folder):
                if path.is_file():
                    with path.open("rb") as file:
                        return file.read(MAX_LOCAL_BYTES)
            return None
        if self._make_client is None:
            raise StageFailed("offline: papers' HTML is not fetched")
        from ..fetch import FetchError

        with self._lock:
            client: HtmlClient = self._make_client()
        try:
            return client.get(self.page_url(paper))
        except FetchError as error:
            raise StageFailed(f"the HTML could not be fetched ({error})") from None


@register("fulltext")
def _fulltext(services: Services) -> FullTextStage | None:
    settings = services.settings
    papers = services.wanted.get("fulltext", frozenset())
    if not papers:
        return None
    options = settings.fulltext
    offline = settings.offline and not options.local
    budget = Budget(
        0 if offline else None,
        options.budget_seconds,
        ("offline", "fulltext_budget_seconds"),
    )
    return FullTextStage(
        services.cache,
        options.url,
        None if offline or options.local else services.html,
        budget,
        papers,
        services.pool("fulltext", 1),
        services.info,
    )
