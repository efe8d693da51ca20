"""The plugin's options. Each attribute docstring is its entry in the options
reference: docs/configuration.md is generated from the options, their order,
`SECTIONS` and their docstrings (Markdown, with links relative to that page)
by scripts/options_reference.py."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.base import ValidationError

from .render import LABELS, LAYOUTS, check_labels
from .summarize import BACKENDS


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


class SitePath(c.Type):  # type: ignore[type-arg]
    """A file's path in the built site, relative to its root: `/`-separated,
    no `..`, not absolute, with a name and one of `extensions`."""

    def __init__(self, default: str, extensions: tuple[str, ...]) -> None:
        super().__init__(str, default=default)
        self.extensions = extensions

    def run_validation(self, value: object) -> str:
        path: str = super().run_validation(value)
        parts = path.split("/")
        if path.startswith("/") or "\\" in path or any(part in ("", ".", "..") for part in parts):
            raise ValidationError(
                f"Expected a path relative to the site's root, like {self.default!r}, with no '..', "
                f"'.' or empty part, got {path!r}."
            )
        if not path.endswith(self.extensions):
            raise ValidationError(f"Expected a file name ending in {' or '.join(self.extensions)}, got {path!r}.")
        return path


class LibraryOption(c.ListOfItems):  # type: ignore[type-arg]
    """`library:`: a list of page globs and `.bib`/`.json` files; one item may be written alone."""

    def __init__(self) -> None:
        super().__init__(c.Type(str), default=[])

    def run_validation(self, value: object) -> list[str]:
        items: list[str] = super().run_validation([value] if isinstance(value, str) else value)
        for item in items:
            if not item.strip():
                raise ValidationError("An item is empty: give a glob of pages (reading/*.md) or a .bib or .json file.")
        return items


class BackendChoice(c.Choice[str]):
    """The names of the registered summarizer backends (`summarize.BACKENDS`),
    read when the option is checked: a backend registered later is a choice too."""

    def __init__(self, default: str) -> None:
        super().__init__(tuple(BACKENDS), default=default)

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(BACKENDS)

    @choices.setter
    def choices(self, value: object) -> None:
        """Set by `Choice.__init__`; the registry is the one list."""


class LlmConfig(base.Config):  # type: ignore[no-untyped-call]
    """How to reach a model behind an OpenAI-compatible chat-completions API."""

    base_url = HttpUrl(default="https://api.openai.com/v1")
    """The API's base URL, the part before `/chat/completions`, an `http://` or
    `https://` URL: for example `https://api.deepseek.com/v1`,
    `http://localhost:11434/v1` (Ollama), `http://localhost:8000/v1` (vLLM) or
    `http://localhost:8080/v1` (llama.cpp). It is part of the key that
    summaries are cached under."""

    model = c.Type(str, default="gpt-4o-mini")
    """The model's name as the server knows it, such as `deepseek-chat`,
    `qwen-plus` or `qwen2.5:7b`. It is recorded with every summary, shown in the
    [note](#model_note) on the page, and part of the key that summaries are
    cached under."""

    api_key_env = c.Type(str, default="OPENAI_API_KEY")
    """The **name** of the environment variable that holds the API key, never the
    key itself. When the variable is not set, the build stops with an error
    that names it. Set `""` for a local server that needs no key."""

    concurrency = Number(int, 8, minimum=1, maximum=64)
    """The most papers summarized at once. Summaries start in the background
    as soon as each paper's metadata is known, while the build goes on. The
    plugin starts with one request at a time, tries two, and goes up to this
    number only when two were answered faster than one (and stays there only
    if that was faster again): a server that answers one request at a time
    (llama-cpp-python's, Ollama with one slot) gets one, instead of a queue
    of requests that time out while they wait. What it
    found is remembered in the cache with the server's
    [format](#llmresponse_format), for each server and model. Lower it when
    the provider limits your requests per minute."""

    timeout = Number(float, 60.0, minimum=1)
    """How many seconds one whole answer may take, from connecting to its last
    byte, before that try counts as failed and is retried; an answer that
    trickles in is cut at the deadline. One request therefore takes at most
    `timeout × (retries + 1)` plus the waits between tries: 0.5 s before the
    first retry, doubling, at most 8 s each, or what the server's `Retry-After`
    asks, up to 120 s (a longer one is not waited for: the request fails). With
    the defaults: 4 × 60 s + 3.5 s. A summary makes at most 3 requests (the
    second and third only when an answer is unusable), plus one for each JSON
    mode the server refuses; `llm.concurrency` papers are summarized at a time.
    To be cut at its deadline, each request opens its own connection (none is
    kept alive). While the plugin is still finding out how many requests the
    server answers at once ([`concurrency`](#llmconcurrency)), a request sent
    with others gets this many seconds for each request sent at once: a server
    that answers one at a time keeps it waiting behind the others first."""

    retries = Number(int, 3, minimum=0, maximum=10)
    """How many more times a request is tried when it fails with HTTP 429, a 5xx
    error, a timeout or a broken connection. The waits between tries grow
    exponentially, with some randomness, and a `Retry-After` header from the
    server is honoured; stopping `mkdocs serve` ends a wait at once. A refusal
    of the [response format](#llmresponse_format) is not tried again."""

    temperature = Number(float, 0.2, minimum=0, maximum=2)
    """The sampling temperature. Low values give steadier summaries. It is part of
    the key that summaries are cached under."""

    max_tokens = Number(int, 1536, minimum=256)
    """The longest answer asked for, in tokens. A summary's fields (a title, two
    one-sentence TL;DRs, the abstract in the page's language, up to 7 takeaways,
    5 short structured parts and 6 keywords) come to about 600–1,300 tokens, the
    most for a long abstract translated; 1,536 leaves room without letting a
    runaway answer go on. An answer cut off at this length is asked for again
    with another seed and a warmer temperature: in the same room when it ended
    in a loop, with twice the room (never more than 4,096 tokens) when it was
    merely long (see [answers that loop](summaries.md#answers-cut-off-and-answers-that-loop))."""

    response_format = c.Choice(
        ("auto", "probe", "json_schema", "json_object_schema", "json_object", "text"), default="auto"
    )
    """How the answer is asked to be JSON. `json_schema` sends the schema of the
    [summary's fields](summaries.md#the-fields-of-a-summary) the OpenAI way
    (OpenAI, vLLM, Ollama, llama.cpp's `llama-server`), `json_object_schema`
    asks for JSON mode with the schema alongside (llama-cpp-python's server
    enforces it), `json_object` asks for JSON mode, `text` relies on the
    instructions alone. `auto` starts with `json_schema` and steps down, in
    that order, when the server refuses a format (HTTP 400, 422 or 500 naming
    it); the first paper finds out, the others wait for its answer, and what worked is
    remembered in the cache for each server and model for 30 days. `probe`
    forgets what was remembered and finds out again (set it once after
    changing the server, then go back to `auto`). Set a format when you know
    what your server supports."""

    max_summaries = c.Optional(Number(int, None, minimum=0))
    """The most papers sent to the model in one build, to cap spending; by default
    there is no limit. The rest show the extractive summary for now and are sent
    in a later build. A paper shown in two languages counts twice. See
    [what it costs](summaries.md#what-it-costs)."""

    budget_seconds = c.Optional(Number(float, None, minimum=1))
    """How many seconds one build may spend on summaries, counted from the
    start of the build's summaries; by default there is no limit. Papers not
    yet sent to the model when it runs out show the extractive summary and are
    sent in a later build, as with `max_summaries`; those under way are
    finished, each within [`timeout`](#llmtimeout)."""


SECTIONS: dict[str, tuple[str, str]] = {
    "enabled": ("Switching the plugin off", ""),
    "cache_dir": ("Fetching and caching", ""),
    "language": ("What the digest shows", ""),
    "layout": (
        "Layouts, Material and BibTeX",
        "These options are described at length in [layouts, Material and BibTeX](layouts.md) "
        "and [custom templates](templates.md).",
    ),
    "feed": (
        "Feeds and JSON",
        "What the feed and the JSON files hold, and how to subscribe, is described in [feeds and JSON](feeds.md).",
    ),
    "fulltext": (
        "The paper's full text",
        "What the plugin reads from arXiv's HTML rendering of a paper (the authors' affiliations, "
        "code links, figures) and how it asks for it.",
    ),
    "llm": ("Summaries from a model", ""),
}
"""The sections of the options reference, by the first option in each: its
title and an opening paragraph. An option belongs to the section of the
nearest of these above it in `ArxivDigestConfig`."""


class ArxivDigestConfig(base.Config):  # type: ignore[no-untyped-call]
    """The options under `arxiv-digest:` in `mkdocs.yml`, in the order of the reference."""

    enabled = c.Type(bool, default=True)
    """Whether the plugin does anything. With `false` the site builds as if the
    plugin were not listed: pages keep their `arxiv:` front matter, which is
    ignored, and get no digest; nothing is fetched or summarized, the
    cache is not opened, no `.bib`, JSON or feed file is written, and the
    plugin's fetching, caching and model code is not even imported. The other
    options are still checked, for their types and values, when MkDocs loads
    the configuration. Read it from the environment to switch the
    plugin off for quick local builds, for example
    `enabled: !ENV [ARXIV_DIGEST_ENABLED, true]` and then
    `ARXIV_DIGEST_ENABLED=false mkdocs serve`. The
    [guard](usage.md#other-programs-that-build-mkdocs-sites), if listed,
    lets such a build through."""

    cache_dir = c.Dir(default=".cache/plugin/arxiv-digest")
    """The folder where fetched metadata and summaries are kept from one build to
    the next, relative to the directory of `mkdocs.yml`. Keep it outside
    `docs_dir` (or MkDocs would copy it into the site) and outside `site_dir`
    (which MkDocs may empty): the build stops when it is inside either. It is
    safe to delete: the next build fetches again. See [caching](caching.md)."""

    api_url = HttpUrl(default="https://export.arxiv.org/api/query")
    """The arXiv query API endpoint, an `http://` or `https://` URL. Point it at a
    mirror, a caching proxy, or a local test server."""

    batch_size = Number(int, 100, minimum=1, maximum=2000)
    """How many IDs go into one request. The plugin collects the IDs of every page
    before it fetches, so a site that lists 250 uncached papers makes three
    requests with the default. arXiv answers at most 2000 IDs per request."""

    delay_seconds = Number(float, 3.0, minimum=0)
    """The pause in seconds between two requests to the arXiv API. arXiv's terms
    of use ask for three seconds; lower it only for your own mirror or test server."""

    timeout = Number(float, 30.0, minimum=0.1)
    """How many seconds one whole answer may take, from connecting to its last
    byte, before that try counts as failed and is retried. It bounds the answer,
    not each read: an answer that trickles in is cut at the deadline. One request
    therefore takes at most `timeout × (retries + 1)` plus the waits between
    tries, which add up to at most `1.2 × max(delay_seconds, 0.5) × (2^retries − 1)`
    seconds; a `Retry-After` header replaces a wait, and is followed up to 60 s.
    With the defaults: 4 × 30 s + 25.2 s ≈ 2.5 minutes (5 minutes if the server
    asks for 60 s each time)."""

    retries = Number(int, 3, minimum=0, maximum=20)
    """How many more times a request is tried when it fails with HTTP 429 (too many
    requests), a 5xx error, a timeout or a broken connection. The waits between
    tries grow exponentially. When the last try fails, the IDs of that request
    are reported as not fetched and their entries say so; the rest of the site
    still builds."""

    refresh_days = Number(float, 7.0, minimum=0)
    """How many days an ID written without a version (`1605.08386`) trusts the
    latest version in the cache. After that the plugin asks arXiv whether a newer
    version has appeared. Each ID gets a day of its own, from 0.75 to 1.25 times
    this many days after it was last checked, so papers cached together are not
    all asked again in the same build. A paper first found in the
    [`snapshot`](#snapshot) is checked with arXiv too, when the build is not
    offline. `0` asks on every build that is not offline. IDs with a version
    (`1605.08386v1`) never expire: a version never changes."""

    listing_url = HttpUrl(default="https://rss.arxiv.org/rss/")
    """Where arXiv's announcement feeds are read, for pages with a
    [`listing:`](daily.md#a-page-of-the-days-announcement): the categories
    joined by `+` are added to it (`https://rss.arxiv.org/rss/cs.CV+eess.IV`).
    The answer is an RSS 2.0 feed with the papers arXiv announced that day:
    new ones, cross-lists from other categories and replacements (new
    versions). Point it at a mirror or a local test server."""

    listing_refresh_hours = Number(float, 12.0, minimum=0)
    """How many hours the papers a [`listing:` or `query:`](daily.md) gave are
    trusted before the feed or the search is asked again. arXiv announces once
    a day, Sunday to Thursday at 20:00 US Eastern time, so a build more often
    than that would only see the same list; a rebuild under `mkdocs serve`
    costs no request. `0` asks on every build that is not offline. A listing
    or query is asked once per build however many pages use it."""

    listing_max_mb = Number(float, 20.0, minimum=1)
    """The most of one announcement feed that is read, in megabytes (10⁶
    bytes). In the format of arXiv's feeds, a paper with a 1,500-character
    abstract takes about 2.2 KB, so 20 MB hold some 9,000 such papers. A feed
    that goes on past this is not read further: the papers it gave whole up
    to there are kept, with a warning naming the feed. See
    [limits](reliability.md#limits)."""

    listing_max_papers = Number(int, 5000, minimum=1)
    """The most papers kept of one announcement feed, in the feed's order:
    the ones past it are left out, with a warning naming the feed. It bounds
    what is read and kept in the cache; the page's filters and its `max:`
    (see [daily digests](daily.md)) then choose, among these, the papers
    that are fetched and shown. See [limits](reliability.md#limits)."""

    library = LibraryOption()
    """What [`rank: library`](daily.md#ranking-against-your-reading-lists)
    ranks against. Empty (the default): every page of the site that lists
    papers (`ids`, or a plain list of IDs), except the pages the
    [`daily` command](daily.md#an-archive-of-days) writes. Otherwise a list
    of what to use instead, each item one of:

    - a glob pattern on the paths of pages in `docs_dir` (`reading/*.md`,
      `team/**`): the papers of the matching pages' `ids` count. `*`
      matches any characters, `/` too. A page named here counts even if the
      `daily` command wrote it.
    - a `.bib` file (BibTeX, as Zotero, Better BibTeX or JabRef export it)
      or a `.json` file (CSL-JSON, Zotero's "CSL JSON" export), relative to
      the directory of `mkdocs.yml`: its entries with an arXiv ID (an
      `eprint` with `archivePrefix = {arXiv}`, an arXiv DOI or URL, or
      `arXiv:…` in `journal`, `number` or `note`) are read as the papers of
      an `ids` page are; entries without one count if they have a title and
      an abstract, dated by their year; other entries are skipped, and the
      build log says how many.

    ```yaml
    library:
      - reading/*.md
      - zotero.bib
    ```

    The items replace the default: with files alone, no page is in the
    library; add `"*"` for every page that lists papers (the `daily`
    command's too) beside a file.
    One item may be written without a list (`library: zotero.bib`). A paper
    both on a named page and in a file is linked to the page.

    The files are read on each build that has a ranked page, and watched by
    `mkdocs serve`. A file that is missing or cannot be read, and a pattern
    that matches no page listing papers, are each a warning naming the
    item (so `mkdocs build --strict` fails); the rest of the library is
    used. "Like:" links a paper of a file to its arXiv page, or shows its
    title alone when it has no arXiv ID."""

    offline = c.Type(bool, default=False)
    """Make no request to arXiv. Papers are taken from the cache and the
    [`snapshot`](#snapshot); a paper found in neither is a warning and its entry
    says it is not available. Use it for reproducible builds and for building
    without network. See [offline builds](caching.md#offline-builds).

    `offline` does not cover the model of [`summarizer: openai`](#summarizer):
    summaries missing from the cache are still asked for. With `extractive` or
    `none`, an offline build makes no network request at all."""

    snapshot = c.Optional(
        ExistingFile("Give the path of a JSON-lines file relative to mkdocs.yml, or remove the option.")
    )
    """A JSON-lines file of paper metadata in the arXiv bulk-metadata format: one
    JSON object per line with the fields of the public arXiv metadata dataset
    (`id`, `title`, `authors`, `abstract`, `categories`, `versions`, ...), relative
    to the directory of `mkdocs.yml`. The file must exist. Papers found in it are
    not asked for. See [snapshots](caching.md#snapshots)."""

    language = Language(default="en")
    """The language of the digest's headings and labels: English, Chinese, or a
    language you have given labels for. With
    [`summarizer: openai`](#summarizer) it is also the language the model writes
    in. A page can choose its own with the [mapping form](usage.md#listing-papers)
    of its front matter (`language: zh` next to `ids:`).

    A site `language` with no labels stops the build with an error that lists
    the languages there are; a page's is a warning, and the page gets the site's
    language. See [labels and languages](layouts.md#labels-and-languages)."""

    labels = Labels()
    """Headings and labels of your own, by language and then by label name. Under
    `en` or `zh` they replace the built-in ones; a new language code starts from
    the English labels and can then be used as a `language`:

    ```yaml title="mkdocs.yml"
    plugins:
      - search
      - arxiv-digest:
          labels:
            en:
              tldr: In short
            fr:
              summary: Résumé
              details: Détails
    ```

    A label name that does not exist stops the build with an error that lists
    the names there are, and so does a `{placeholder}` a label does not take
    (`more_authors` takes `{n}`, `missing` takes `{reason}`, `model_note` takes
    `{model}`; the notices of [daily digests](daily.md) take `{source}`, and
    `{date}` and `{day}` where their English text has them; the others none). Labels are text, used as written, as Markdown:
    quote one that YAML would read as something else (`"Yes"`). Every label,
    with its English and Chinese text, is listed in
    [all labels](layouts.md#all-labels)."""

    summarizer = BackendChoice(default="extractive")
    """How each paper's TL;DR is made, and on Chinese pages whether titles and
    abstracts are translated. See [summaries and translation](summaries.md).

    `extractive`
    :   Reads each abstract and picks the sentence that best states what the
        paper contributes as its TL;DR, along with three to five key sentences
        as takeaways. It runs locally, needs no model and no network, and always
        gives the same result for the same abstract. Its sentences are the
        authors' own, in the abstract's language.

    `openai`
    :   Asks a language model behind an OpenAI-compatible chat-completions API,
        set up under [`llm`](#llm), for each paper's TL;DR in the page's
        language. On Chinese pages it also translates the title and the complete
        abstract; the originals stay on the page. It needs the `llm` extra
        (`pip install "mkdocs-arxiv-digest[llm]"`). A paper the model cannot
        summarize shows the extractive summary, with a warning.

    `none`
    :   No summaries: the table lists the papers and each entry shows its
        abstract.

    Summaries are cached too, so changing this option does not refetch anything."""

    model_note = c.Type(bool, default=True)
    """Say at the top of each digest that its summaries were written by a language
    model, and by which one. The note appears only on digests that show at least
    one summary from a model; set `false` to leave it out everywhere. On a site
    with the `admonition` extension the note is an info box, otherwise a line in
    italics. See
    [trusting what a model wrote](summaries.md#trusting-what-a-model-wrote)."""

    heading_level = Number(int, 2, minimum=1, maximum=5)
    """In the `digest` [layout](#layout), the level of the digest's two headings,
    Summary and Details; each paper's heading is one level lower. With the
    default, the page's own title is the only level-1 heading, and the papers
    appear in the table of contents under Details. In the `chatpaper` layout,
    which has no Summary and Details headings, it is the level of each paper's
    heading."""

    max_authors = Number(int, 10, minimum=0)
    """How many authors an entry names. Past that it says how many more there are
    ("and 24 more"). `0` names them all."""

    layout = c.Choice(LAYOUTS, default="digest")
    """How the digest is laid out. `digest` is a summary table followed by a short
    entry per paper. `chatpaper` has no table: each paper gets a long entry with
    its abstract, links, one-sentence summary, key takeaways and, where the
    summary has them, a structured summary and keywords. A page can choose its
    own with the [mapping form](usage.md#listing-papers) (`layout: chatpaper`
    next to `ids:`). See [two layouts](layouts.md#two-layouts)."""

    custom_templates = c.Optional(c.Dir(exists=True))
    """A folder of Jinja2 templates, relative to the directory of `mkdocs.yml`,
    whose `digest.md.j2`, `chatpaper.md.j2` and `_blocks.md.j2` replace the
    built-in templates of the same name. The folder must exist. `mkdocs serve`
    watches it and rebuilds when a template changes. See
    [custom templates](templates.md)."""

    bibtex = c.Type(bool, default=True)
    """Show each paper's BibTeX as a code block in its entry, and write a `.bib`
    file with the entries of all a page's papers into the site beside the page,
    linked from the end of its digest. `false` leaves out both. See
    [BibTeX](layouts.md#bibtex)."""

    tags = c.ListOfItems(c.Choice(("categories", "keywords")), default=[])
    """Add to each digest page's `tags`, for Material's tags plugin, the primary
    categories of its papers (`categories`), the keywords of their summaries
    (`keywords`), or both. The extractive summarizer writes no keywords; a
    model does, and so can you by hand. See [tags](layouts.md#tags)."""

    feed = c.Type(bool, default=False)
    """Write an Atom feed of the papers of the site's digest pages (or of the
    pages in [`feed_pages`](#feed_pages)), newest first, and link every page to
    it with `<link rel="alternate" type="application/atom+xml">` in its
    `<head>`, where feed readers and browsers look for one. Each entry is one
    paper: its title (on a translated page the translation, with the original
    after it), its TL;DR as the summary (the abstract where there is none), its
    authors, a link to its entry on the page and one to arXiv. A paper's date
    is its page's `date:` front matter when the page has one (a daily page, a
    Material blog post), otherwise the date of the version shown.

    Links in a feed must be absolute, so set MkDocs' `site_url`: without it
    the links are relative to the feed and the build warns. See
    [feeds and JSON](feeds.md)."""

    feed_file = SitePath("feed.xml", (".xml", ".atom"))
    """Where the feed is written, relative to the site's root. With
    mkdocs-static-i18n each language gets its own feed, of its own pages, in
    its folder (`fr/feed.xml`); the default language's is at the root. A path
    another output of the build has (a file of `docs_dir`, the theme's
    `sitemap.xml`) stops the build with an error naming both (see
    [one file, one path](feeds.md#one-file-one-path)). With Material for
    MkDocs, keep it at the root: Material looks for a `sitemap.xml` beside it
    (see [feeds and JSON](feeds.md#the-feed))."""

    feed_pages = c.ListOfItems(c.Type(str), default=[])
    """Glob patterns on the paths of pages in `docs_dir` (`daily/*`,
    `reading/*.md`): only the papers of digest pages that match one go into the
    feed. `*` matches any characters, `/` too, so `daily/*` takes every page
    under `daily/`. Empty (the default): every digest page."""

    feed_size = Number(int, 100, minimum=1)
    """The most entries in the feed: the newest papers, counting a version
    shown on several pages once."""

    json = c.Type(bool, default=False)
    """Write each digest page's papers and summaries as a JSON file beside it
    in the site, named as the page (`papers.md` gives `papers.json`, beside
    `papers.bib`), for scripts that mail or post them. Its shape, with a
    version number, is described in [feeds and JSON](feeds.md#json-files). A
    path another output has (the search plugin's `search/search_index.json`)
    stops the build with an error naming both."""

    fulltext = c.Choice(("auto", True, False), default="auto")
    """Read each paper's full text from arXiv's HTML rendering of it (the page
    at `{html_url}{id}v{n}`, for the version shown) and show the authors'
    affiliations and the paper's code links (GitHub, GitLab, Hugging Face,
    Zenodo...) in its entry, and in the `chatpaper` layout the paper's
    outline, each section linking into its HTML. `auto` does it on pages in the `chatpaper`
    [layout](#layout) only; `true` on every page, `false` on none. A page can
    choose its own with the [mapping form](usage.md#listing-papers)
    (`fulltext: true` next to `ids:`).

    A version's HTML never changes, so what is read of it is kept in the cache
    for good; a paper arXiv has no HTML for (about one in ten new ones) is
    asked for again after 7 days; its entry says in one line that it is from
    the abstract only, and the build log says why in one information line
    per cause, naming each paper and what was found (a stub, a conversion
    that stopped, a 404 at which address), with no warning. A page that could
    not be read (a timeout, an error status) is a warning naming the cause,
    and is asked for again on the next build. Pages are asked for one at a time,
    [`html_delay_seconds`](#html_delay_seconds) apart, under the site's
    [`timeout`](#timeout) and [`retries`](#retries), and in the background
    under `mkdocs serve`. At the default pace a first build of 30 papers
    spends about 8 minutes on them; what does not fit in
    [`fulltext_budget_seconds`](#fulltext_budget_seconds) comes on later
    builds. With [`offline`](#offline) only what the cache holds is shown,
    unless `html_url` is a local folder."""

    html_url = c.Type(str, default="https://arxiv.org/html/")
    """Where papers' HTML is read from: `{html_url}{id}v{n}` is one paper's page.
    An `http://` or `https://` URL ending in `/` (a mirror, a test server), or
    a local folder, relative to the directory of `mkdocs.yml`, laid out the
    same way (`2401.00001v2/index.html` or a file `2401.00001v2`), for offline
    builds."""

    html_delay_seconds = Number(float, 15.0, minimum=0)
    """The pause in seconds between two requests for papers' HTML, pages and
    [figures](#figures)' images alike: the `Crawl-delay` of arXiv's
    `robots.txt` is 15. Lower it only for your own mirror or test server; a
    local folder is read without pause."""

    fulltext_budget_seconds = Number(float, 600.0, minimum=0)
    """How many seconds of a build may go to reading papers' HTML (counted from
    the start of the build): no request is sent after it, and the papers left
    are read on later builds; their entries show what the abstract gives
    meanwhile."""

    fulltext_tokens = Number(int, 6_000, minimum=500)
    """How much of a paper's full text the model of
    [`summarizer: openai`](#summarizer) reads, in tokens (counted without a
    tokenizer, on the high side: four characters of English text, or one
    character of other scripts, a token): the abstract, then the
    introduction, method, results with the captions of their tables, and
    conclusion, each cut to its share. A model with a long context may read
    more. When a server says the request is longer than its model's context
    (a local server started with 4,096 tokens; a small model's tokenizer
    counts more tokens than the estimate: SmolLM2's 6,724 for 6,000), the
    paper's text is sent again cut to fit beside the answer's
    [`llm.max_tokens`](#llmmax_tokens), and later papers of the build are
    cut before they are sent. A paper's summary from its full text is written once its HTML
    has been read; until then its summary from the abstract is shown, and
    the structured summary says which it is. The
    [extractive summarizer](#summarizer) takes the method and results of its
    structured summary from the matching sections. A change writes the
    summaries from the full text again."""

    figures = Number(int, 3, minimum=0)
    """How many of a paper's figures a page with full text shows, the main
    figure first (the first whose caption reads like an overview: architecture,
    pipeline, framework, workflow; else Figure 1), the others folded. `0`
    shows none and fetches none. A page can set its own (`figures: 1` next to
    `ids:`), and an entry can name its main figure (`figure: 3` next to its
    `id:`). Figures of papers under one of
    [`figure_licenses`](#figure_licenses) are copied into the site, under
    `assets/arxiv-digest/figures/`, with their caption, credit and licence;
    the others are linked to in the paper's HTML. Images are fetched from the
    paper's own folder at `html_url` only, with the pages and as they are,
    [`html_delay_seconds`](#html_delay_seconds) apart: at the default pace
    a first build of 30 papers with 3 figures each takes about half an hour.
    Each image is checked to be the PNG, JPEG, GIF or WebP its bytes say
    (no SVG), at most 5 MB and 40 megapixels (12 MB for all of a paper's),
    and is kept in the cache, so an offline build still copies it; a refused
    image is linked instead, and said in one line of the build log per cause."""

    figure_licenses = c.ListOfItems(
        c.Choice(("cc-by", "cc-by-sa", "cc-by-nd", "cc-by-nc", "cc-by-nc-sa", "cc-by-nc-nd", "cc0")),
        default=["cc-by", "cc-by-sa", "cc-by-nd", "cc0"],
    )
    """The licences under which a paper's figures are copied into the site.
    The licence is read from the header of the paper's HTML, else from the
    [snapshot](#snapshot)'s `license` field or the announcement feed's
    `dc:rights` (on [listing pages](daily.md)). A paper under another licence (arXiv's
    non-exclusive licence, a non-commercial one not listed here, or one not
    known) gets links to its figures in its HTML instead, and no image is
    fetched. A non-commercial site may add `cc-by-nc`, `cc-by-nc-sa` and
    `cc-by-nc-nd`."""

    llm = c.SubConfig(LlmConfig)
    """How to reach the model used by [`summarizer: openai`](#summarizer): a server
    that speaks the OpenAI chat-completions API. The options go one level down,
    under `llm:`. With any other summarizer they are not used.

    ```yaml title="mkdocs.yml"
    plugins:
      - search
      - arxiv-digest:
          summarizer: openai
          llm:
            base_url: https://api.deepseek.com/v1
            model: deepseek-chat
            api_key_env: DEEPSEEK_API_KEY
    ```

    [Summaries and translation](summaries.md#servers) has settings for other
    servers, hosted and local."""
