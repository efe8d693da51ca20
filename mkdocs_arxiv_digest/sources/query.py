"""`query:` pages: the newest results of an arXiv API search, sent to
`api_url` with the API's pause between requests, timeout and retries."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from mkdocs.config import base
from mkdocs.config.base import ValidationError

from ..escape import escape_plain
from ..records import Paper, cut_warning
from .base import Announced, Announcement, Asking, Clients, Notice, Resolved, Source
from .options import AnnouncedPage, Count, show


class Search(base.BaseConfigOption[str]):
    """`query:`: an arXiv API search, its spaces collapsed."""

    def run_validation(self, value: object, /) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(
                f"query {show(value)} is not an arXiv search (write e.g. `query: 'cat:cs.CV AND abs:diffusion'`)"
            )
        return " ".join(value.split())


class QueryPage(AnnouncedPage):  # type: ignore[no-untyped-call]
    """The newest results of a search, 25 unless `max:` says otherwise."""

    query = Search()
    max = Count(default=25)


@dataclass(frozen=True)
class QuerySource(Source):
    """The newest results of an API search."""

    kind: ClassVar[str] = "query"
    page: ClassVar[type[base.Config]] = QueryPage
    option_help: ClassVar[str] = "an arXiv API search, e.g. 'cat:cs.CV AND abs:diffusion'"
    needs: ClassVar[str] = "an arXiv search, e.g. --query 'cat:cs.CV AND abs:diffusion'"

    query: str = ""

    @classmethod
    def from_page(cls, page: base.Config) -> QuerySource:
        return cls(
            query=page["query"],
            max=page["max"],
            keywords=page["keywords"],
            exclude=page["exclude"],
            cross_lists=page["cross_lists"],
            rank=page["rank"],
            candidates=page["candidates"],
            min_score=page["min_score"],
        )

    @property
    def request(self) -> str:
        return self.query

    @property
    def asked(self) -> int:
        """How many results are asked for: `candidates` when they are ranked, else `max`."""
        return self.candidates if self.rank else self.max or 25

    @property
    def key(self) -> str:
        return f"query:{self.asked}:{self.query}"

    def describe(self) -> str:
        return f"query {self.query!r}"

    def name(self) -> str:
        return self.query

    def text_name(self) -> str:
        return escape_plain(self.query)

    def ask(self, clients: Clients, asking: Asking) -> Announcement:
        asking.log(f"Searching arXiv for {self.query!r} (the newest {self.asked})")
        cut_texts: list[str] = []
        api = clients.arxiv()
        papers = api.search(self.query, self.asked, cut_texts)
        from ..stages.metadata import Papers

        # The results are whole records: kept, they cost the pipeline no request.
        Papers(asking.cache).store({paper.arxiv_id: paper for paper in papers})
        found = from_search(papers)
        if cut_texts:
            found = dataclasses.replace(found, left_out=(f"the arXiv API at {api.url}: {cut_warning(cut_texts)}",))
        return found

    def shown(self, resolved: Resolved) -> Announcement | None:
        return resolved.latest  # a search's older results are not today's

    def notice(self, latest: Announcement | None, shown: Announcement | None) -> Notice:
        if shown is None or not shown.papers:
            return ("searched_none", {"source": self.name()})
        return ("searched", {"source": self.name(), "date": shown.date or "?"})

    @classmethod
    def thaw(cls, written: dict[Any, Any]) -> tuple[Notice | None, str] | None:
        if "query" not in written:
            return None
        query, day = written.get("query"), str(written.get("announced") or "")
        notice: Notice | None = ("searched", {"source": query, "date": day}) if isinstance(query, str) and day else None
        return notice, str(query or "")

    def nothing(self, latest: Announcement) -> str:
        return f"The search {self.name()} found no papers: nothing written."

    def excerpt(self) -> str:
        return f"found by the arXiv search {self.text_name()}"


def from_search(papers: list[Paper]) -> Announcement:
    """A query's results as an announcement dated by its newest paper."""
    found = tuple(
        Announced(paper.arxiv_id, "new", paper.title, paper.abstract, paper.authors, paper.categories)
        for paper in papers
    )
    dates = [paper.published for paper in papers if paper.published]
    return Announcement(max(dates) if dates else None, found)
