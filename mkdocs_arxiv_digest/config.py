"""The plugin's options. Each attribute docstring is its entry in the options reference."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.base import ValidationError

from .render import LABELS, LAYOUTS, check_labels


class Number(c.Type):  # type: ignore[type-arg]
    """A number within bounds; `bool` is refused even though it is an `int`."""

    def __init__(
        self,
        kind: type,
        default: Any,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> None:
        super().__init__((int, float) if kind is float else int, default=default)
        self.kind = kind
        self.minimum = minimum
        self.maximum = maximum

    def run_validation(self, value: object) -> Any:
        if isinstance(value, bool):
            raise ValidationError(f"Expected a number but received a boolean: {value!r}")
        number: float = self.kind(super().run_validation(value))
        if not math.isfinite(number):
            raise ValidationError(f"Expected a finite number, got {number!r}")
        if self.minimum is not None and number < self.minimum:
            raise ValidationError(f"Must be at least {self.minimum}, got {number!r}")
        if self.maximum is not None and number > self.maximum:
            raise ValidationError(f"Must be at most {self.maximum}, got {number!r}")
        return number


class HttpUrl(c.URL):
    """An `http://` or `https://` URL (MkDocs' `URL` takes any scheme, and an empty string)."""

    def run_validation(self, value: object) -> str:
        if isinstance(value, str):
            try:
                parts = urlsplit(value)
                usable = parts.scheme.lower() in ("http", "https") and bool(parts.netloc)
            except ValueError:
                usable = False
            if not usable:
                raise ValidationError(
                    f"Expected an http:// or https:// URL, got {value!r}. The default is {self.default}."
                )
        url: str = super().run_validation(value)
        return url


class ExistingFile(c.File):
    """A file that must exist, as an absolute path (a relative one starts at the
    folder of `mkdocs.yml`); the error says how to fix it."""

    def __init__(self, hint: str) -> None:
        super().__init__(exists=True)
        self.hint = hint

    def run_validation(self, value: object) -> str:
        try:
            path: str = super().run_validation(value)
        except ValidationError as error:
            raise ValidationError(f"{error} {self.hint}") from None
        return path


class Labels(c.DictOfItems):  # type: ignore[type-arg]
    """Labels by language, then by label name: the names must exist and a label
    may hold only the `{placeholders}` it takes (see `render.check_labels`)."""

    def __init__(self) -> None:
        super().__init__(c.Type(dict), default={})

    def run_validation(self, value: object) -> dict[str, dict[str, str]]:
        if isinstance(value, dict):
            try:
                check_labels(value)
            except ValueError as error:
                raise ValidationError(str(error)) from None
        labels: dict[str, dict[str, str]] = super().run_validation(value)
        return labels


class Language(c.Type):  # type: ignore[type-arg]
    """A language that has labels: a built-in one or one given in `labels`.

    This is checked in `post_validation`, which MkDocs runs only once every
    option, `labels` among them, has passed `run_validation`: the check needs
    the validated `labels`, and its error still names `language`."""

    def __init__(self, default: str) -> None:
        super().__init__(str, default=default)

    def post_validation(self, config: base.Config, key_name: str) -> None:
        known = sorted({*LABELS, *config["labels"]})
        if config[key_name] not in known:
            raise ValidationError(
                f"{config[key_name]!r} has no labels. Use one of {', '.join(known)}, or add its labels under 'labels'."
            )


class LlmConfig(base.Config):  # type: ignore[no-untyped-call]
    """How to reach a model behind an OpenAI-compatible chat-completions API."""

    base_url = HttpUrl(default="https://api.openai.com/v1")
    """The API's base URL: `https://api.deepseek.com/v1`, `http://localhost:11434/v1`
    (Ollama), `http://localhost:8000/v1` (vLLM), `http://localhost:8080/v1` (llama.cpp)…"""

    model = c.Type(str, default="gpt-4o-mini")
    """The model's name as the server knows it, e.g. `deepseek-chat`, `qwen2.5:7b`."""

    api_key_env = c.Type(str, default="OPENAI_API_KEY")
    """The name of the environment variable that holds the API key (never the key
    itself). Set it to `""` for a local server that needs no key."""

    concurrency = Number(int, 8, minimum=1, maximum=64)
    """How many papers are summarized at once."""

    timeout = Number(float, 60.0, minimum=1)
    """Seconds for one whole answer, from connecting to its last byte, before
    the try counts as failed. A request takes at most `timeout × (retries + 1)`
    plus the waits between tries: 0.5 s, doubling, at most 8 s each (or the
    server's `Retry-After`, at most 120 s). A summary makes at most 3 requests,
    plus one per JSON mode the server refuses."""

    retries = Number(int, 3, minimum=0, maximum=10)
    """How often a request that failed with 429, 5xx, a timeout or a broken
    connection is tried again, with exponential backoff and jitter, honouring `Retry-After`."""

    temperature = Number(float, 0.2, minimum=0, maximum=2)
    """Sampling temperature; low values give steadier summaries."""

    max_tokens = Number(int, 4096, minimum=256)
    """The longest answer asked for. An answer cut off at this length is asked
    again with twice the room."""

    response_format = c.Choice(("auto", "json_schema", "json_object", "text"), default="auto")
    """How JSON is asked for. `auto` sends a JSON schema and steps down to JSON
    mode, then to plain text, when the server refuses it."""

    max_summaries = c.Optional(Number(int, None, minimum=0))
    """The most papers sent to the model in one build, to cap spending; the rest
    show the extractive summary and are sent in a later build. No limit by default."""


class ArxivDigestConfig(base.Config):  # type: ignore[no-untyped-call]
    cache_dir = c.Dir(default=".cache/plugin/arxiv-digest")
    """Where fetched metadata and summaries are kept between builds, relative to
    the directory of `mkdocs.yml`. Keep it out of `docs_dir` and `site_dir`."""

    api_url = HttpUrl(default="https://export.arxiv.org/api/query")
    """The arXiv query API endpoint: change it for a mirror, a proxy or a test server."""

    batch_size = Number(int, 100, minimum=1, maximum=2000)
    """How many IDs go in one API request. arXiv answers up to 2000 per request."""

    delay_seconds = Number(float, 3.0, minimum=0)
    """Seconds between two requests to the arXiv API. arXiv's terms ask for 3."""

    timeout = Number(float, 30.0, minimum=0.1)
    """Seconds for one whole API answer, from connecting to its last byte,
    before that try counts as failed. A request takes at most
    `timeout × (retries + 1)` plus the waits between tries, which add up to at
    most `1.2 × max(delay_seconds, 0.5) × (2^retries − 1)` (a `Retry-After`
    wait counts instead, at most 60 s each)."""

    retries = Number(int, 3, minimum=0, maximum=20)
    """How often a request that failed with 429, 5xx, a timeout or a broken
    connection is tried again, with exponential backoff, before its IDs are
    reported as not fetched."""

    refresh_days = Number(float, 7.0, minimum=0)
    """How long a bare ID (no `vN`) trusts the latest version it has cached
    before asking arXiv whether there is a newer one. Versioned IDs never expire."""

    offline = c.Type(bool, default=False)
    """Make no request to arXiv: render from the cache and `snapshot`, and warn
    about papers found in neither. (A model set with `summarizer: openai` is
    still asked for summaries the cache lacks.)"""

    snapshot = c.Optional(
        ExistingFile("Give the path of a JSON-lines file relative to mkdocs.yml, or remove the option.")
    )
    """A JSON-lines file in the arXiv bulk-metadata format (the fields of the
    Kaggle arXiv dataset), relative to the directory of `mkdocs.yml`. It is
    consulted before the API."""

    language = Language(default="en")
    """The language of the digest's headings and labels, and of summaries from
    a model: `en`, `zh`, or a language given in `labels`."""

    labels = Labels()
    """Headings and labels by language, over the built-in `en` and `zh` ones,
    e.g. `{zh: {tldr: 速览}}`; a new language (`fr: {...}`) starts from the
    English labels. The label names are listed in the configuration reference."""

    layout = c.Choice(LAYOUTS, default="digest")
    """`digest`: a summary table, then an entry per paper. `chatpaper`: per
    paper its abstract, summary, key takeaways and structured summary. A page
    can choose its own with `arxiv: {layout: …, ids: […]}`."""

    custom_templates = c.Optional(c.Dir(exists=True))
    """A folder of Jinja2 templates that replace the built-in ones of the same
    name (`digest.md.j2`, `chatpaper.md.j2`, `_blocks.md.j2`), relative to
    `mkdocs.yml`. `mkdocs serve` rebuilds when they change."""

    bibtex = c.Type(bool, default=True)
    """Show each paper's BibTeX as a copyable block, and write a `.bib` file of
    each digest page next to it in the site, linked from the page."""

    tags = c.ListOfItems(c.Choice(("categories", "keywords")), default=[])
    """Add the papers' primary categories and/or a model's keywords to the
    page's `tags`, for Material's tags plugin."""

    summarizer = c.Choice(("extractive", "openai", "none"), default="extractive")
    """`extractive` picks a one-sentence TL;DR and key takeaways from the
    abstract, offline and without a model; `openai` asks a model behind an
    OpenAI-compatible API (see `llm`) for TL;DRs, translations and structured
    summaries; `none` shows abstracts only."""

    llm = c.SubConfig(LlmConfig)
    """The model used by `summarizer: openai`."""

    model_note = c.Type(bool, default=True)
    """Say on each digest that its summaries are machine-written, and by which model."""

    heading_level = Number(int, 2, minimum=1, maximum=5)
    """The level of the digest's Summary and Details headings; each paper's
    heading is one level below."""

    max_authors = Number(int, 10, minimum=0)
    """How many authors an entry names before it says how many more there are;
    0 names them all."""
