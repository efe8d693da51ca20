"""Summarizer backends behind one small interface.

A backend has a `key` naming it and every setting that changes what it
writes (it is part of the cache key), `background` (true for slow backends,
which work in a thread pool while the build goes on, as soon as each paper
arrives), a `concurrency` (how many papers it may work on at once), and
`summarize(paper, language)`, which returns a `Summary` or raises
`SummaryError`. Backends know nothing of MkDocs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Protocol

from ..records import Paper, Summary


class SummaryError(Exception):
    """A backend could not summarize a paper; the message says why."""


class Summarizer(Protocol):
    key: str
    background: bool
    concurrency: int

    def summarize(self, paper: Paper, language: str) -> Summary: ...


def make_summarizer(
    name: str, llm: Mapping[str, Any] | None = None, environ: Mapping[str, str] = os.environ
) -> Summarizer | None:
    """The backend called `name`; `None` for `none` (abstracts only).

    Raises `ValueError` for settings that cannot work, with the option to fix.
    """
    if name == "none":
        return None
    if name == "extractive":
        from .extractive import ExtractiveSummarizer

        return ExtractiveSummarizer()
    if name == "openai":
        from .llm import LlmSummarizer

        settings = dict(llm or {})
        variable = settings.pop("api_key_env", "") or ""
        settings.pop("max_summaries", None)
        api_key = None
        if variable:
            api_key = (environ.get(variable) or "").strip()  # a .env file may end a line with CR LF
            if any(ch.isspace() or not ch.isprintable() for ch in api_key):
                raise ValueError(
                    f"'llm.api_key_env': the environment variable {variable} holds spaces or control "
                    "characters inside the key; set it to the key alone."
                )
            if not api_key:
                raise ValueError(
                    f"'llm.api_key_env': the environment variable {variable} is not set. "
                    f"Export the API key as {variable}, or set `api_key_env: ''` for a server that needs no key."
                )
        return LlmSummarizer(api_key=api_key, **settings)
    raise ValueError(f"unknown summarizer {name!r}")
