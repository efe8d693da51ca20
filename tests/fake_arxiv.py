"""A local fake of the arXiv query API (``/api/query``) for tests and benchmarks.

The fake serves *real* arXiv Atom entries recorded in ``tests/fixtures/arxiv-api``
over a real HTTP socket on ``127.0.0.1``, mimicking what the current arXiv
backend does with an ``id_list`` query:

* every entry ``<id>`` carries a version; a bare id answers the highest known
  version, ``XvN`` exactly that version;
* well-formed but unknown ids are silently dropped;
* one malformed id fails the whole request with HTTP 400 and arXiv's error feed;
* results do *not* come back in request order.

On top of that it records every request, can add latency, can replay a queue of
scripted faults (HTTP errors, hangs, empty/garbled/truncated answers, dropped
connections) and can mint synthetic papers for benchmarks::

    with FakeArxiv() as server:
        server.fail(status=503, times=2)
        client = arxiv.Client(delay_seconds=0, num_retries=2)
        client.query_url_format = server.url + "?{}"
        ...
        assert [r.status for r in server.requests] == [503, 503, 200]

Only the standard library and lxml (a dependency of ``arxiv``) are used.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import random
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

import fake_server
from fake_server import LocalServer

__all__ = ["FIXTURES_DIR", "FakeArxiv", "Fault", "RecordedRequest", "is_valid_arxiv_id"]

#: Recorded arXiv responses; the fake reads nothing outside this folder.
FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures" / "arxiv-api"
#: Fixture whose body is the template of every error feed.
ERROR_FIXTURE = "id_abc_s0_m100.xml"

ATOM_NS = "http://www.w3.org/2005/Atom"
ARXIV_NS = "http://arxiv.org/schemas/atom"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
_A = f"{{{ATOM_NS}}}"  # Clark notation prefix for lxml lookups

QUERY_PATH = "/api/query"
ATOM_CONTENT_TYPE = "application/atom+xml; charset=utf-8"

# arXiv identifiers: new style ``YYMM.NNNN(N)`` and old style
# ``archive(.SC)/YYMMNNN``, both with an optional ``vN`` suffix.
_NEW_ID = r"\d{4}\.\d{4,5}"
_OLD_ID = r"[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7}"
_ID_RE = re.compile(rf"^(?P<base>{_NEW_ID}|{_OLD_ID})(?:v(?P<version>\d+))?$")
_ABS_RE = re.compile(r"/abs/(?P<id>.+)$")
# Characters XML 1.0 cannot carry at all (used to sanitise echoed ids).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def is_valid_arxiv_id(arxiv_id: str) -> bool:
    """True if ``arxiv_id`` is well-formed the way arXiv's ``id_list`` checks it."""
    return _ID_RE.match(arxiv_id) is not None


def _split_id(arxiv_id: str) -> tuple[str, int | None]:
    """``"1707.08567v2"`` -> ``("1707.08567", 2)``; bare ids give ``None``."""
    m = _ID_RE.match(arxiv_id)
    if m is None:
        raise ValueError(f"malformed arXiv id: {arxiv_id!r}")
    version = m.group("version")
    return m.group("base"), int(version) if version is not None else None


def _utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_ts(value: str) -> datetime:
    """Parse an Atom timestamp (``...Z`` or ``...+hh:mm``) into aware UTC."""
    dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


# --------------------------------------------------------------------------- #
# Data records
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class _Entry:
    """One indexed paper version: its raw ``<entry>`` XML plus search metadata."""

    versioned_id: str
    base_id: str
    version: int
    xml: str
    title: str
    summary: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    published: datetime
    updated: datetime
    source: str  # fixture file name, or "synthetic"


@dataclass(frozen=True)
class Fault(fake_server.Fault):
    """A scripted misbehaviour for one request (see `FakeArxiv.fail`): the
    faults every fake plays (`fake_server.Fault`; a ``status`` of 400 and up
    without ``body`` answers a proxy's plain-text error page), and spoilt feeds.

    * ``empty=True``: a valid 200 feed with ``totalResults`` 0 and no entries.
    * ``truncate=True`` / ``"incomplete"``: declare the full ``Content-Length``,
      send half of the body and close: ``requests`` raises
      ``ChunkedEncodingError`` (urllib3 ``IncompleteRead``).
      ``truncate="cut"``: a complete HTTP 200 whose (correctly declared)
      body is the first half of the feed: garbled XML.
    * ``close=True``: ``requests`` raises ``ConnectionError``.
    """

    empty: bool = False
    truncate: bool | Literal["incomplete", "cut"] = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.truncate not in (False, True, "incomplete", "cut"):
            raise ValueError("truncate must be a bool, 'incomplete' or 'cut'")
        if self.empty and self.body is not None:
            raise ValueError("empty and body are mutually exclusive")

    @property
    def truncate_mode(self) -> Literal["incomplete", "cut"] | None:
        if not self.truncate:
            return None
        return "incomplete" if self.truncate is True else self.truncate


@dataclass
class RecordedRequest:
    """One request seen by the fake, appended when it is *received*.

    ``status`` is filled in before the first response byte is written (so a
    client that got an answer always sees it set); it stays ``None`` when the
    connection was closed without an HTTP answer.
    """

    method: str
    path: str  # raw request target, including the query string
    params: dict[str, str]  # first value of every query parameter
    id_list: list[str]  # ``id_list`` split on commas, empty items dropped
    received_at: float  # time.monotonic() when the request line was parsed
    headers: dict[str, str] = field(default_factory=dict)
    fault: Fault | None = None
    status: int | None = None


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes
    content_type: str = ATOM_CONTENT_TYPE
    headers: tuple[tuple[str, str], ...] = ()


class _BadRequest(Exception):
    """Raised while handling a query to answer with arXiv's 400 error feed."""

    def __init__(self, fragment: str, summary: str) -> None:
        super().__init__(summary)
        self.fragment = fragment
        self.summary = summary


# --------------------------------------------------------------------------- #
# Fixture loading
# --------------------------------------------------------------------------- #


def _entry_from_element(elem: Any, source: str) -> _Entry | None:
    """Index an lxml ``<entry>``; ``None`` for error entries or odd ids."""
    raw_id = (elem.findtext(_A + "id") or "").strip()
    m = _ABS_RE.search(raw_id)
    if m is None:  # e.g. https://arxiv.org/api/errors#incorrect_id_format_for_abc
        return None
    versioned_id = m.group("id")
    base, version = _split_id(versioned_id) if is_valid_arxiv_id(versioned_id) else ("", None)
    if version is None:  # arXiv always versions entry ids; skip anything else
        return None
    standalone = copy.deepcopy(elem)
    standalone.tail = None
    etree.cleanup_namespaces(standalone)  # drop the unused opensearch declaration
    return _Entry(
        versioned_id=versioned_id,
        base_id=base,
        version=version,
        xml=etree.tostring(standalone, encoding="unicode", with_tail=False),
        title=elem.findtext(_A + "title") or "",
        summary=elem.findtext(_A + "summary") or "",
        authors=tuple(a.findtext(_A + "name") or "" for a in elem.iterfind(_A + "author")),
        categories=tuple(c.get("term", "") for c in elem.iterfind(_A + "category")),
        published=_parse_ts(elem.findtext(_A + "published") or "1970-01-01T00:00:00Z"),
        updated=_parse_ts(elem.findtext(_A + "updated") or "1970-01-01T00:00:00Z"),
        source=source,
    )


def _load_fixture_entries(folder: Path) -> list[_Entry]:
    """All entries of all fixtures; current-format files come before legacy ones."""
    files = sorted(folder.glob("*.xml"), key=lambda p: (p.name.startswith("legacy_"), p.name))
    entries: list[_Entry] = []
    for path in files:
        root = etree.parse(str(path)).getroot()
        for elem in root.iterfind(_A + "entry"):
            entry = _entry_from_element(elem, path.name)
            if entry is not None:
                entries.append(entry)
    return entries


# --------------------------------------------------------------------------- #
# Synthetic papers
# --------------------------------------------------------------------------- #

_ADJECTIVES = (
    "Scalable",
    "Robust",
    "Sparse",
    "Adaptive",
    "Quantum",
    "Stochastic",
    "Efficient",
    "Causal",
    "Latent",
    "Bayesian",
    "Nonlinear",
    "Topological",
    "Federated",
    "Lattice",
)
_NOUNS = (
    "Transformers",
    "Gradient Flows",
    "Spin Chains",
    "Graph Networks",
    "Dark Matter Halos",
    "Language Models",
    "Diffusion Processes",
    "Error Correction",
    "Black Holes",
    "Optimal Transport",
    "Random Matrices",
    "Superconductors",
    "Code Generation",
)
_SENTENCES = (
    "We study {topic} in the regime where classical assumptions break down.",
    "Our main result is a {adj} bound that is tight up to logarithmic factors.",
    "Experiments on three benchmarks show consistent improvements over strong baselines.",
    "The analysis relies on a new decomposition that may be of independent interest.",
    "We further show that the approach extends to {topic} with minor modifications.",
    "Code and data are released to support reproducibility.",
    "Numerical simulations confirm the predicted scaling with system size.",
    "This resolves an open question raised in earlier work on {topic}.",
)
_FIRST = (
    "Ana",
    "Bo",
    "Chiara",
    "Dmitri",
    "Élodie",
    "Farid",
    "Grace",
    "Hiroshi",
    "Ines",
    "Jürgen",
    "Kwame",
    "Léa",
    "Mateo",
    "Nadia",
    "Øystein",
    "Priya",
    "Zoë",
)
_LAST = (
    "Abadi",
    "Bianchi",
    "Chen",
    "Dubois",
    "Eriksson",
    "García",
    "Huang",
    "Ivanova",
    "Kowalski",
    "Müller",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Schmidt",
    "Tanaka",
    "Van Dyk",
)
_CATEGORIES = (
    "cs.LG",
    "cs.CL",
    "cs.AI",
    "math.PR",
    "stat.ML",
    "hep-th",
    "quant-ph",
    "astro-ph.GA",
    "cond-mat.str-el",
    "physics.comp-ph",
)

_SYNTHETIC_TEMPLATE = """\
<entry xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
    <id>http://arxiv.org/abs/{vid}</id>
    <title>{title}</title>
    <updated>{updated}</updated>
    <link href="https://arxiv.org/abs/{vid}" rel="alternate" type="text/html"/>
    <link href="https://arxiv.org/pdf/{vid}" rel="related" type="application/pdf" title="pdf"/>
    <summary>{summary}</summary>
{categories}
    <published>{published}</published>
    <arxiv:comment>{comment}</arxiv:comment>{extra}
    <arxiv:primary_category term={primary}/>
{authors}
  </entry>"""


def _synthetic_entry(base: str, version: int, **texts: Any) -> _Entry:
    """Deterministic, plausible metadata for ``base`` + ``vN`` (seeded by the id);
    ``texts`` (title, summary, authors, comment) replaces what would be made up;
    ``doi`` and ``journal_ref`` add those elements."""
    vid = f"{base}v{version}"
    rng = random.Random(hashlib.sha256(base.encode()).digest())
    # The id encodes year and month of the first version: YYMM.NNNNN or arch/YYMMNNN.
    yymm = base.split("/")[-1][:4]
    yy, mm = int(yymm[:2]), min(max(int(yymm[2:]), 1), 12)
    year = 2000 + yy if yy < 91 else 1900 + yy
    published = datetime(
        year, mm, rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59), tzinfo=timezone.utc
    )
    updated = published + timedelta(days=sum(rng.randint(3, 90) for _ in range(version - 1)))

    topic = f"{rng.choice(_ADJECTIVES).lower()} {rng.choice(_NOUNS).lower()}"
    title = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} for {rng.choice(_NOUNS)}"
    summary = " ".join(
        s.format(topic=topic, adj=rng.choice(_ADJECTIVES).lower()) for s in rng.sample(_SENTENCES, rng.randint(3, 5))
    )
    authors = tuple(f"{rng.choice(_FIRST)} {rng.choice(_LAST)}" for _ in range(rng.randint(1, 5)))
    comment = f"{rng.randint(4, 40)} pages, {rng.randint(1, 12)} figures"
    title, summary = texts.get("title", title), texts.get("summary", summary)
    authors, comment = tuple(texts.get("authors", authors)), texts.get("comment", comment)
    # Old-style ids name their archive (and subject class): hep-th/9901001, math.GT/...
    primary = base.split("/")[0] if "/" in base else rng.choice(_CATEGORIES)
    categories = (primary, *[c for c in rng.sample(_CATEGORIES, 2) if c != primary])

    fmt = "%Y-%m-%dT%H:%M:%SZ"
    xml = _SYNTHETIC_TEMPLATE.format(
        vid=escape(vid),
        title=escape(title),
        updated=updated.strftime(fmt),
        published=published.strftime(fmt),
        summary=escape(summary),
        comment=escape(comment),
        extra="".join(
            f"\n    <arxiv:{tag}>{escape(texts[key])}</arxiv:{tag}>"
            for key, tag in (("doi", "doi"), ("journal_ref", "journal_ref"))
            if texts.get(key)
        ),
        primary=quoteattr(primary),
        categories="\n".join(f'    <category term={quoteattr(c)} scheme="{ARXIV_NS}"/>' for c in categories),
        authors="\n".join(f"    <author>\n      <name>{escape(a)}</name>\n    </author>" for a in authors),
    )
    return _Entry(vid, base, version, xml, title, summary, authors, categories, published, updated, "synthetic")


# --------------------------------------------------------------------------- #
# Query evaluation (pure functions of the index)
# --------------------------------------------------------------------------- #

# A tiny subset of arXiv's search_query syntax: ``field:value`` terms joined by
# (implicit or explicit) AND; ``value`` may be a "quoted phrase". Anything else
# is answered with a 400 so tests never get silently wrong results.
_TERM_RE = re.compile(r'^(?P<field>ti|au|abs|cat|all|id):(?P<value>"[^"]*"|\S+)$')
_TOKEN_RE = re.compile(r'\S+:"[^"]*"|\S+')


def _parse_search(query: str) -> list[tuple[str, str]]:
    terms: list[tuple[str, str]] = []
    for token in _TOKEN_RE.findall(query):
        if token == "AND":
            continue
        m = _TERM_RE.match(token)
        if m is None:
            raise _BadRequest(
                "fake_arxiv_unsupported_search_query",
                f"fake arXiv only supports field:value terms joined by AND, got {token}",
            )
        value = m.group("value").strip('"').replace("_", " ").lower()
        terms.append((m.group("field"), value))
    return terms


def _matches(entry: _Entry, terms: list[tuple[str, str]]) -> bool:
    def norm(text: str) -> str:
        return " ".join(text.split()).lower()

    for fld, value in terms:
        if fld == "ti":
            hay = norm(entry.title)
        elif fld == "abs":
            hay = norm(entry.summary)
        elif fld == "au":
            hay = norm(" | ".join(entry.authors))
        elif fld == "cat":  # exact category, or a prefix ending in "*" (cs.*)
            cats = [c.lower() for c in entry.categories]
            if value.endswith("*"):
                if not any(c.startswith(value[:-1]) for c in cats):
                    return False
            elif value not in cats:
                return False
            continue
        elif fld == "id":
            if value not in (entry.base_id.lower(), entry.versioned_id.lower()):
                return False
            continue
        else:  # all
            hay = norm(" | ".join((entry.title, entry.summary, *entry.authors, *entry.categories)))
        if value not in hay:
            return False
    return True


def _relevance_key(entry: _Entry) -> str:
    # A stable pseudo-random order: deterministic, but unrelated to the request.
    return hashlib.sha1(entry.versioned_id.encode()).hexdigest()


# --------------------------------------------------------------------------- #
# HTTP plumbing
# --------------------------------------------------------------------------- #


# Errors that only mean "the client went away"; never worth reporting.
class _Handler(BaseHTTPRequestHandler):
    server: Any
    protocol_version = "HTTP/1.1"  # keep-alive, like the real service
    server_version = "FakeArxiv/1.0"
    timeout = 15  # idle keep-alive connections are dropped after this many seconds
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self.server.fake._serve(self, self.path, urlsplit(self.path).query)

    def do_POST(self) -> None:  # arXiv also accepts form-encoded POSTs
        length = int(self.headers.get("Content-Length") or 0)
        form = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        query = urlsplit(self.path).query
        self.server.fake._serve(self, self.path, "&".join(q for q in (query, form) if q))


# --------------------------------------------------------------------------- #
# The fake
# --------------------------------------------------------------------------- #


class FakeArxiv(LocalServer["Fault", "RecordedRequest"]):
    """A fake arXiv ``/api/query`` endpoint on ``127.0.0.1`` (see module docstring).

    Args:
        latency: seconds slept before answering each request (changeable later
            through the ``latency`` attribute).
        load_fixtures: index the recorded entries of ``tests/fixtures/arxiv-api``;
            ``False`` starts empty (e.g. for purely synthetic benchmarks).
        host, port: where to listen; port 0 picks a free ephemeral port.
    """

    name = "fake-arxiv"
    handler = _Handler
    fault_kind = Fault

    def __init__(
        self,
        *,
        latency: float = 0.0,
        load_fixtures: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host, port)
        self.latency = latency
        # base id -> {version -> entry}
        self._index: dict[str, dict[int, _Entry]] = {}
        self._error_template = (FIXTURES_DIR / ERROR_FIXTURE).read_bytes()
        if load_fixtures:
            for entry in _load_fixture_entries(FIXTURES_DIR):
                self._add(entry)  # the first file wins for repeated ids

    @property
    def url(self) -> str:
        """The query endpoint, e.g. ``http://127.0.0.1:PORT/api/query``."""
        return f"http://{self._address[0]}:{self.port}{QUERY_PATH}"

    # -- inspection and control -------------------------------------------- #

    @property
    def known_ids(self) -> list[str]:
        """All indexed versioned ids, sorted."""
        with self._lock:
            return sorted(e.versioned_id for versions in self._index.values() for e in versions.values())

    def entry_xml(self, arxiv_id: str) -> str | None:
        """The raw ``<entry>`` served for ``arxiv_id`` (bare or versioned), if any."""
        with self._lock:
            entry = self._resolve(arxiv_id)
        return entry.xml if entry is not None else None

    def reset(self) -> None:
        """Clear the request log and the fault queue (indexed papers stay)."""
        with self._lock:
            self._requests.clear()
            self._faults.clear()

    def add_synthetic(self, ids: Iterable[str]) -> list[str]:
        """Index synthetic papers for well-formed ids; returns their versioned ids.

        A bare id becomes ``v1``; ``XvN`` creates exactly version N. Papers
        already known (fixtures or earlier calls) keep their entry: a bare id of
        a known paper returns its highest known version, unchanged.
        """
        ids = list(ids)
        bad = [i for i in ids if not is_valid_arxiv_id(i)]
        if bad:
            raise ValueError(f"malformed arXiv ids: {bad[:5]}")
        # Build outside the lock: 10k entries take about a second.
        fresh = {i: _synthetic_entry(*self._synthetic_key(i)) for i in dict.fromkeys(ids)}
        added: list[str] = []
        with self._lock:
            for arxiv_id in ids:
                base, version = _split_id(arxiv_id)
                versions = self._index.setdefault(base, {})
                if version is None and versions:
                    added.append(versions[max(versions)].versioned_id)
                    continue
                entry = versions.setdefault(fresh[arxiv_id].version, fresh[arxiv_id])
                added.append(entry.versioned_id)
        return added

    def add_paper(self, arxiv_id: str, **texts: Any) -> str:
        """Index one paper whose title, summary, authors or comment are given
        (the rest made up as for synthetic papers), replacing that version if
        known; returns its versioned id."""
        entry = _synthetic_entry(*self._synthetic_key(arxiv_id), **texts)
        with self._lock:
            self._index.setdefault(entry.base_id, {})[entry.version] = entry
        return entry.versioned_id

    @staticmethod
    def _synthetic_key(arxiv_id: str) -> tuple[str, int]:
        base, version = _split_id(arxiv_id)
        return base, version or 1

    # -- index ---------------------------------------------------------------- #

    def _add(self, entry: _Entry) -> None:
        """Index ``entry`` unless that exact version is already known."""
        with self._lock:
            self._index.setdefault(entry.base_id, {}).setdefault(entry.version, entry)

    def _resolve(self, arxiv_id: str) -> _Entry | None:
        """Bare id -> highest known version; ``XvN`` -> exactly that; else None."""
        if not is_valid_arxiv_id(arxiv_id):
            return None
        base, version = _split_id(arxiv_id)
        versions = self._index.get(base)
        if not versions:
            return None
        if version is None:
            return versions[max(versions)]
        return versions.get(version)

    # -- request handling --------------------------------------------------- #

    def _serve(self, handler: _Handler, path: str, query: str) -> None:
        """Entry point of every HTTP request (runs in a handler thread)."""
        raw = parse_qs(query, keep_blank_values=True)
        params = {k: v[0] for k, v in raw.items()}
        record = RecordedRequest(
            method=handler.command,
            path=path,
            params=params,
            id_list=[i for i in params.get("id_list", "").split(",") if i],
            received_at=time.monotonic(),
            headers=dict(handler.headers.items()),
        )
        with self._lock:
            record.fault = self._next_fault()
            self._requests.append(record)
        fault = record.fault

        if self._held(handler, fault, self.latency):
            return

        if urlsplit(path).path.rstrip("/") != QUERY_PATH:
            response = _Response(404, b"Not Found\n", "text/plain; charset=utf-8")
        else:
            try:
                response = self._answer(params, empty=fault is not None and fault.empty)
            except _BadRequest as err:
                response = _Response(400, self._error_feed(err.fragment, err.summary))
        if fault is not None:
            response = self._apply_fault(response, fault)
        record.status = response.status  # set before the client can see the answer
        if fault is not None and fault.truncate_mode is not None:
            return self._truncated(handler, response, fault)
        headers = [("Content-Type", response.content_type), *response.headers]
        self._send_answer(handler, response.status, headers, response.body, fault)

    @staticmethod
    def _apply_fault(response: _Response, fault: Fault) -> _Response:
        status, body, ctype = response.status, response.body, response.content_type
        if fault.body is not None:
            body, ctype = fault.body, ATOM_CONTENT_TYPE
        if fault.status is not None:
            status = fault.status
            if fault.body is None and not fault.empty and status >= 400:
                # An upstream/proxy style error page rather than a feed.
                reason = BaseHTTPRequestHandler.responses.get(status, ("Error",))[0]
                body, ctype = f"{status} {reason}\n".encode(), "text/plain; charset=utf-8"
        return _Response(status, body, ctype, response.headers)

    @staticmethod
    def _truncated(handler: _Handler, response: _Response, fault: Fault) -> None:
        """Half the body: declared whole and the connection closed
        (``incomplete``), or declared as it is (``cut``)."""
        truncate = fault.truncate_mode
        body = response.body[: len(response.body) // 2]
        handler.send_response(response.status)
        handler.send_header("Content-Type", response.content_type)
        handler.send_header("Content-Length", str(len(body) if truncate == "cut" else len(response.body)))
        for name, value in [*response.headers, *fault.answer_headers]:
            handler.send_header(name, value)
        if truncate == "incomplete":
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        handler.wfile.write(body)

    def _answer(self, params: Mapping[str, str], *, empty: bool) -> _Response:
        """Evaluate an API query into an Atom feed (raises `_BadRequest`)."""
        id_list = [i for i in params.get("id_list", "").split(",") if i]
        for arxiv_id in id_list if not empty else ():  # one bad id fails the request
            if not is_valid_arxiv_id(arxiv_id):
                raise _BadRequest(f"incorrect_id_format_for_{arxiv_id}", f"incorrect id format for {arxiv_id}")
        start = self._int_param(params, "start", 0)
        max_results = self._int_param(params, "max_results", 10)
        search = params.get("search_query", "").strip()
        terms = _parse_search(search) if search else []

        results: list[_Entry] = []
        if not empty:
            with self._lock:
                if id_list:
                    seen: set[str] = set()
                    for arxiv_id in id_list:
                        entry = self._resolve(arxiv_id)
                        if entry is not None and entry.versioned_id not in seen:
                            seen.add(entry.versioned_id)
                            results.append(entry)
                elif terms:  # a search over the latest version of every paper
                    results = [versions[max(versions)] for versions in self._index.values()]
            if terms:
                results = [e for e in results if _matches(e, terms)]
            results = self._order(results, params.get("sortBy", "relevance"), params.get("sortOrder", "descending"))

        page = results[start : start + max_results]
        return _Response(200, self._feed(params, page, total=len(results), start=start, max_results=max_results))

    @staticmethod
    def _int_param(params: Mapping[str, str], name: str, default: int) -> int:
        raw = params.get(name, "")
        if raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise _BadRequest(f"{name}_must_be_an_integer", f"{name} must be an integer") from None
        if value < 0:
            raise _BadRequest(f"{name}_must_be_non-negative", f"{name} must be non-negative")
        return value

    @staticmethod
    def _order(results: list[_Entry], sort_by: str, sort_order: str) -> list[_Entry]:
        """Date sorts are honoured; "relevance" is a stable order unrelated to the request."""
        if sort_by in ("lastUpdatedDate", "submittedDate"):
            attr = "updated" if sort_by == "lastUpdatedDate" else "published"
            return sorted(results, key=lambda e: (getattr(e, attr), e.versioned_id), reverse=sort_order != "ascending")
        ordered = sorted(results, key=_relevance_key)
        if len(ordered) > 1 and all(a is b for a, b in zip(ordered, results, strict=True)):
            ordered = ordered[1:] + ordered[:1]  # never echo the request order
        return ordered

    def _feed(
        self, params: Mapping[str, str], entries: list[_Entry], *, total: int, start: int, max_results: int
    ) -> bytes:
        """The Atom envelope of the current backend around raw entries."""
        echo = {
            "search_query": params.get("search_query", ""),
            "id_list": params.get("id_list", ""),
            "start": str(start),
            "max_results": str(max_results),
        }
        title = "arXiv Query: " + "&".join(f"{k}={v}" for k, v in echo.items())
        link_args = {k: echo[k] for k in ("search_query", "start", "max_results", "id_list")}
        link = "https://arxiv.org/api/query?" + urlencode(link_args, safe=":,/")
        digest = hashlib.sha1(title.encode()).digest()
        feed_id = "https://arxiv.org/api/" + base64.b64encode(digest).decode().rstrip("=")
        head = (
            "<?xml version='1.0' encoding='UTF-8'?>\n"
            f'<feed xmlns:opensearch="{OPENSEARCH_NS}" xmlns:arxiv="{ARXIV_NS}" '
            f'xmlns="{ATOM_NS}">\n'
            f"  <id>{escape(feed_id)}</id>\n"
            f"  <title>{escape(_XML_ILLEGAL.sub('?', title))}</title>\n"
            f"  <updated>{_utc_now()}</updated>\n"
            f"  <link href={quoteattr(_XML_ILLEGAL.sub('?', link))} "
            'type="application/atom+xml"/>\n'
            f"  <opensearch:itemsPerPage>{max_results}</opensearch:itemsPerPage>\n"
            f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
            f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
        )
        parts = [head]
        parts.extend(f"  {e.xml}\n" for e in entries)
        parts.append("</feed>\n")
        return "".join(parts).encode("utf-8")

    def _error_feed(self, fragment: str, summary: str) -> bytes:
        """The recorded ``id_abc`` error feed with its ``abc`` details replaced."""
        fragment = _XML_ILLEGAL.sub("?", fragment)
        summary = _XML_ILLEGAL.sub("?", summary)
        root = etree.fromstring(self._error_template)
        now = _utc_now()
        root.find(_A + "updated").text = now
        entry = root.find(_A + "entry")
        entry.find(_A + "updated").text = now
        id_elem = entry.find(_A + "id")
        id_elem.text = id_elem.text.split("#", 1)[0] + "#" + fragment
        link = entry.find(_A + "link")
        link.set("href", link.get("href", "").split("#", 1)[0] + "#" + fragment)
        entry.find(_A + "summary").text = summary
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8")) + b"\n"
