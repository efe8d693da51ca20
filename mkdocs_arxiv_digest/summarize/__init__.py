"""Summarizer backends behind one small interface.

A backend has a `key` naming it and every setting that changes what it
writes (it is part of the cache key), a `concurrency` (how many papers it may
work on at once), and `summarize(paper, language)`, which returns a
`Summary` or raises `SummaryError`. Backends know nothing of MkDocs.
"""

from __future__ import annotations

from typing import Protocol

from ..records import Paper, Summary


class SummaryError(Exception):
    """A backend could not summarize a paper; the message says why."""


class Summarizer(Protocol):
    key: str
    concurrency: int

    def summarize(self, paper: Paper, language: str) -> Summary: ...


def make_summarizer(name: str) -> Summarizer | None:
    """The backend called `name`; `None` for `none` (abstracts only)."""
    if name == "none":
        return None
    if name == "extractive":
        from .extractive import ExtractiveSummarizer

        return ExtractiveSummarizer()
    raise ValueError(f"unknown summarizer {name!r}")
