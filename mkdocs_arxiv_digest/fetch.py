"""The arXiv API, through the `arxiv` package, and arXiv's announcement feeds:
batched, polite, retried, and bounded in time. Imported only when a build has
papers or a listing to fetch."""

from __future__ import annotations

import logging
import random
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeAlias, TypeVar
from urllib.parse import urljoin, urlsplit

import arxiv
import requests
import requests.adapters
import urllib3
import urllib3.connection

from . import __version__
from .deadline import Deadline
from .ids import ArxivId, parse_id
from .records import Paper, Texts

# The arxiv package logs skipped error entries and retries through its own
# loggers; what matters to users is reported by this plugin instead.
logging.getLogger("arxiv").setLevel(logging.ERROR)

_T = TypeVar("_T")

MAX_RETRY_AFTER = 60.0
"""The longest wait a `Retry-After` header can impose, in seconds."""

MAX_ANSWER_BYTES = 20_000_000
"""The most bytes of one API answer read: arXiv's recorded answers (the
test fixtures) come to about 2.3 KB a paper, so a batch of 2,000, arXiv's
most, is about 5 MB. Past it the answer is not read further: a batch is
asked for again in halves, and a paper whose record alone is larger is not
fetched."""


def backoff_sleep(seconds: float, until: threading.Event | None = None) -> None:
    """The wait between two tries of a request, cut short when `until` is set
    (the client closed); tests put a recorder in its place."""
    if until is None:
        time.sleep(seconds)
    else:
        until.wait(seconds)


class FetchError(Exception):
    """A batch could not be fetched: the network or the API failed after all retries."""


class Stopped(FetchError):
    """The client was closed (`mkdocs serve` stopping): its request under way
    was ended, and it sends no more. Not tried again."""

    def __init__(self) -> None:
        super().__init__("stopped: the plugin was closing")


class _Garbled(requests.RequestException):
    """A 200 answer that is not a whole Atom or RSS feed (cut off, or not XML)."""


class FeedRefused(Exception):
    """The feed service refused the request and said why (an unknown category)."""


class _TooLarge(requests.RequestException):
    """A 200 answer larger than the bytes allowed; `content` is what was read of it."""

    def __init__(self, content: bytes, response: requests.Response) -> None:
        super().__init__(f"the answer was larger than {len(content):,} bytes", response=response)
        self.content = content


@dataclass
class Batch:
    """The outcome of asking arXiv for some IDs."""

    requested: list[ArxivId]
    found: dict[ArxivId, Paper] = field(default_factory=dict)
    unknown: list[ArxivId] = field(default_factory=list)
    """Well-formed IDs arXiv has no paper for (or rejected one by one)."""
    error: str = ""
    """Why the IDs not in `found` or `unknown` were not fetched."""
    refused: dict[ArxivId, str] = field(default_factory=dict)
    """IDs whose record could not be read, and why (an answer too large to read)."""
    cut: list[str] = field(default_factory=list)
    """The papers whose text was cut to `MAX_TEXT` characters, and which of it (see `Texts`)."""
    requests: int = 0


def paper_from_result(result: arxiv.Result, cut: list[str] | None = None) -> Paper:
    """Our record of an API result; its text fields cut to `MAX_TEXT`
    characters, noted in `cut` (see `Texts`)."""
    arxiv_id = parse_id(result.get_short_id())
    text = Texts()
    paper = Paper(
        id=arxiv_id.base,
        version=arxiv_id.version or 1,
        title=text(result.title, "title"),
        abstract=text(result.summary, "abstract"),
        authors=tuple(text(author.name, "author name") for author in result.authors),
        comment=text(result.comment, "comment"),
        primary_category=text(result.primary_category, "category", as_is=True),
        categories=tuple(text(category, "category", as_is=True) for category in result.categories),
        published=result.published.date().isoformat(),
        updated=result.updated.date().isoformat(),
        doi=text(result.doi, "DOI", as_is=True),
        journal_ref=text(result.journal_ref, "journal reference"),
    )
    if cut is not None:
        text.note(paper.versioned_id, cut)
    return paper


def match_results(requested: Iterable[ArxivId], papers: Iterable[Paper]) -> dict[ArxivId, Paper]:
    """Pair results with the IDs asked for, by ID: arXiv answers in its own order.

    A bare ID gets the newest version returned for it, a versioned ID its own version.
    """
    by_base: dict[str, dict[int, Paper]] = {}
    for paper in papers:
        by_base.setdefault(paper.id, {})[paper.version] = paper
    found: dict[ArxivId, Paper] = {}
    for arxiv_id in requested:
        versions = by_base.get(arxiv_id.base)
        if not versions:
            continue
        if arxiv_id.version is None:
            found[arxiv_id] = versions[max(versions)]
        elif arxiv_id.version in versions:
            found[arxiv_id] = versions[arxiv_id.version]
    return found


class _Late(requests.Timeout):
    """An answer that did not arrive whole before its deadline."""


_current = threading.local()
"""`deadline`: the `Deadline` of the request this thread is sending."""


def _watched(sock: socket.socket) -> socket.socket:
    """`sock`, just made for the request this thread is sending, shown to its deadline."""
    deadline: Deadline | None = getattr(_current, "deadline", None)
    if deadline is not None:
        deadline.watch(lambda: sock)
    return sock


class _Connection(urllib3.connection.HTTPConnection):
    """A connection whose socket the deadline holds from the moment it is
    made. Looking it up later (`conn.sock`) finds nothing once an answer that
    ends with its connection (`Connection: close`, HTTP/1.0) has its headers
    read: `http.client` then hands the socket over to the response."""

    def _new_conn(self) -> socket.socket:
        return _watched(super()._new_conn())


class _TLSConnection(urllib3.connection.HTTPSConnection):
    """`_Connection` under TLS: the plain socket is held (see `Deadline`)."""

    def _new_conn(self) -> socket.socket:
        return _watched(super()._new_conn())


class _Watched(urllib3.HTTPConnectionPool):
    """A pool that shows the request's deadline the socket it is sent on:
    a kept-alive one as it is taken, a new one as it is made."""

    ConnectionCls: Any = _Connection

    def _make_request(self, conn: Any, *args: Any, **kwargs: Any) -> Any:
        if conn.sock is not None:
            _watched(conn.sock)
        return super()._make_request(conn, *args, **kwargs)


class _WatchedHTTPS(_Watched, urllib3.HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


_POOLS = {"http": _Watched, "https": _WatchedHTTPS}


class _Adapter(requests.adapters.HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager


class _Session(requests.Session):
    """A session that gives every answer a deadline and refuses cut-off feeds.

    `timeout` bounds the whole answer, from connecting to its last byte, not
    each read: at the deadline the request's socket is shut down, so an
    answer trickling in a few bytes at a time fails as a timeout instead of
    holding the build."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self.last: requests.Response | None = None
        self.count = 0
        self.closing = threading.Event()
        """Set by `close`: requests under way end, and new ones raise `Stopped`."""
        self._under_way: set[Deadline] = set()
        self._lock = threading.Lock()
        for prefix in ("https://", "http://"):
            self.mount(prefix, _Adapter())

    def close(self) -> None:
        """End the requests under way now (their sockets shut) and refuse new ones."""
        with self._lock:
            self.closing.set()
            under_way = list(self._under_way)
        for deadline in under_way:
            deadline.expire()
        super().close()

    def request(
        self, *args: Any, ending: bytes = b"</feed>", most: int | None = None, **kwargs: Any
    ) -> requests.Response:
        """`ending`: how a whole answer ends (`</rss>` for an announcement feed).
        At most `most` bytes of the answer are read (`MAX_ANSWER_BYTES` by
        default): a 200 answer with more raises `_TooLarge` with what was read."""
        kwargs.setdefault("timeout", self.timeout)
        kwargs["stream"] = True
        deadline = Deadline(self.timeout)
        with self._lock:
            if self.closing.is_set():
                deadline.cancel()
                raise Stopped
            self._under_way.add(deadline)
        self.count += 1
        _current.deadline = deadline
        cut = False
        try:
            response = super().request(*args, **kwargs)
            self.last = response
            try:
                response._content, cut = _read_whole(response, MAX_ANSWER_BYTES if most is None else most)
                response._content_consumed = True  # type: ignore[attr-defined]
            finally:
                response.close()  # back to the pool when read whole, else closed
        except requests.RequestException as error:
            if self.closing.is_set():
                raise Stopped from error
            if deadline.fired:
                raise _Late(f"no whole answer within {self.timeout:g} s") from error
            raise
        finally:
            deadline.cancel()
            _current.deadline = None
            with self._lock:
                self._under_way.discard(deadline)
        if deadline.fired:
            if self.closing.is_set():
                raise Stopped
            raise _Late(f"no whole answer within {self.timeout:g} s")
        if cut and response.status_code == 200:
            raise _TooLarge(response.content, response)
        if response.status_code == 200 and not response.content.rstrip().endswith(ending):
            kind = "Atom" if ending == b"</feed>" else "RSS"
            raise _Garbled(f"the answer was not a complete {kind} feed ({len(response.content)} bytes)")
        return response


def _read_whole(response: requests.Response, most: int) -> tuple[bytes, bool]:
    """The body of a streamed `response`, decoded, up to `most` bytes, and
    whether there was more (which is not read); urllib3's errors as `requests`
    raises them."""
    raw = response.raw
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := raw.read1(1 << 16, decode_content=True):
            if size + len(chunk) > most:
                chunks.append(chunk[: most - size])
                return b"".join(chunks), True
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks), False
    except urllib3.exceptions.ReadTimeoutError as error:
        raise requests.exceptions.ReadTimeout(error, response=response) from error
    except urllib3.exceptions.SSLError as error:
        raise requests.exceptions.SSLError(error, response=response) from error
    except urllib3.exceptions.DecodeError as error:
        raise requests.exceptions.ContentDecodingError(error, response=response) from error
    except (urllib3.exceptions.ProtocolError, OSError) as error:
        raise requests.exceptions.ChunkedEncodingError(error, response=response) from error


_Response: TypeAlias = requests.Response


class _Polite:
    """What the arXiv API's client and the feed client share: one session (a
    deadline for each whole answer, `timeout` seconds), and retries with
    growing waits after a 429, a 5xx, a timeout or a broken connection."""

    def __init__(
        self,
        delay_seconds: float,
        timeout: float,
        retries: int,
        sleep: Callable[[float], None] | None,
        on_retry: Callable[[str], None] | None,
    ) -> None:
        self.delay_seconds = delay_seconds
        self.on_retry = on_retry
        """Told why and how long before each retry (the `daily` command says it as it waits)."""
        self.retries = retries
        self._session = _Session(timeout)
        self._sleep = sleep or (lambda seconds: backoff_sleep(seconds, self._session.closing))
        self._last: float | None = None
        self._turn = threading.RLock()
        """Held while a request is paced and sent: one at a time, whatever the thread."""

    @property
    def requests(self) -> int:
        """How many HTTP requests this client has sent."""
        return self._session.count

    def close(self) -> None:
        """End the request under way and the waits before the next ones: each
        raises `Stopped` (under `mkdocs serve`, Ctrl-C does not wait for them)."""
        self._session.close()

    def _paced(self, url: str, **options: Any) -> _Response:
        """One GET, `delay_seconds` after this client's last request ended
        (`_Session.request`'s options; it raises `_TooLarge`)."""
        with self._turn:
            if self._last is not None:
                wait = self._last + self.delay_seconds - time.monotonic()
                if wait > 0 and self._session.closing.wait(wait):
                    raise Stopped
            try:
                return self._session.request("GET", url, **options)
            finally:
                self._last = time.monotonic()

    def _retrying(self, send: Callable[[], _T]) -> _T:
        """`send()`, tried again after a 429, a 5xx, a timeout or a broken
        connection, with growing waits; other HTTP errors are raised as they are."""
        attempt = 0
        while True:
            wait: float | None = None
            try:
                return send()
            except arxiv.HTTPError as error:
                if error.status != 429 and error.status < 500:
                    raise
                problem = f"HTTP {error.status}"
                wait = self._retry_after()
            except requests.Timeout:
                problem = f"no answer within {self._session.timeout:g} s"
            except _TooLarge:
                raise  # the same answer again
            except requests.RequestException as error:
                problem = _describe(error)
            if attempt >= self.retries:
                tries = "try" if attempt == 0 else "tries"
                raise FetchError(f"{problem} after {attempt + 1} {tries}")
            if wait is None:
                base = max(self.delay_seconds, 0.5)
                wait = base * 2**attempt * random.uniform(0.8, 1.2)
            attempt += 1
            if self.on_retry is not None:
                self.on_retry(f"{problem}; trying again in {wait:.0f} s (try {attempt + 1} of {self.retries + 1})")
            self._sleep(wait)

    def _retry_after(self) -> float | None:
        response = self._session.last
        value = response.headers.get("Retry-After") if response is not None else None
        if not value:
            return None
        try:
            seconds = float(value)
        except ValueError:
            try:
                seconds = (parsedate_to_datetime(value) - datetime.now().astimezone()).total_seconds()
            except (TypeError, ValueError):
                return None
        return min(max(seconds, 0.0), MAX_RETRY_AFTER)


class ArxivApi(_Polite):
    """The arXiv query API, asked politely: one connection, `delay_seconds`
    between requests, `timeout` seconds for each whole answer, retries with backoff."""

    def __init__(
        self,
        api_url: str,
        delay_seconds: float = 3.0,
        timeout: float = 30.0,
        retries: int = 3,
        sleep: Callable[[float], None] | None = None,
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(delay_seconds, timeout, retries, sleep, on_retry)
        self.url = api_url
        self._client = arxiv.Client(delay_seconds=delay_seconds, num_retries=0)
        self._client.query_url_format = api_url + "?{}"
        self._client._session.close()
        self._client._session = self._session  # the package has no parameter for it

    def fetch(self, ids: list[ArxivId], batch_size: int) -> Iterator[Batch]:
        """Ask for `ids` in batches, yielding each batch's outcome as it arrives.

        Once a batch has failed after all its retries, arXiv is taken to be
        unreachable: the batches left are reported failed without asking."""
        down = ""
        for start in range(0, len(ids), batch_size):
            batch = Batch(ids[start : start + batch_size])
            if down:
                batch.error = down
                yield batch
                continue
            before = self.requests
            try:
                self._fetch_into(batch, batch.requested, empty_retry=True)
            except FetchError as error:
                batch.error = str(error)
                down = f"{error}; not asked again in this build"
            batch.requests = self.requests - before
            yield batch

    def _fetch_into(self, batch: Batch, ids: list[ArxivId], empty_retry: bool) -> None:
        try:
            results = self._query(ids, batch.cut)
        except _TooLarge:
            # Not worth trying again as it is: in halves, until the paper is found.
            if len(ids) == 1:
                batch.refused[ids[0]] = (
                    f"arXiv's answer for it is larger than {MAX_ANSWER_BYTES / 1e6:g} MB, "
                    "far more than any paper's record; it was not read"
                )
                return
            middle = len(ids) // 2
            self._fetch_into(batch, ids[:middle], empty_retry)
            self._fetch_into(batch, ids[middle:], empty_retry)
            return
        except arxiv.HTTPError as error:
            if error.status != 400:
                raise FetchError(f"arXiv answered HTTP {error.status}") from error
            # One malformed ID fails the whole request: halve until it is found.
            if len(ids) == 1:
                batch.unknown.extend(ids)
                return
            middle = len(ids) // 2
            self._fetch_into(batch, ids[:middle], empty_retry)
            self._fetch_into(batch, ids[middle:], empty_retry)
            return
        if not results and empty_retry:
            # The API now and then answers an empty page for IDs it knows.
            self._fetch_into(batch, ids, empty_retry=False)
            return
        found = match_results(ids, results)
        batch.found.update(found)
        batch.unknown.extend(arxiv_id for arxiv_id in ids if arxiv_id not in found)

    def _query(self, ids: list[ArxivId], cut: list[str]) -> list[Paper]:
        """One request (plus retries) for `ids`; raises `arxiv.HTTPError` for a
        400 and `_TooLarge` for an answer larger than `MAX_ANSWER_BYTES`."""
        search = arxiv.Search(id_list=[str(i) for i in ids], max_results=len(ids))
        self._client.page_size = max(len(ids), 1)
        return self._retrying(lambda: _papers(self._client.results(search), cut))

    def search(self, query: str, most: int, cut: list[str] | None = None) -> list[Paper]:
        """The newest `most` papers of an API search (`search_query`), newest
        submission first, in one request (plus retries); the papers whose text
        was cut are noted in `cut` (see `Texts`). Raises `FetchError`, or
        `FeedRefused` when arXiv rejects the query."""
        search = arxiv.Search(
            query=query,
            max_results=most,
            sort_by=arxiv.SortCriterion.SubmittedDate,
            sort_order=arxiv.SortOrder.Descending,
        )
        self._client.page_size = most
        try:
            return self._retrying(lambda: _papers(self._client.results(search), cut))
        except arxiv.HTTPError as error:
            raise FeedRefused(f"arXiv refused the search (HTTP {error.status})") from None
        except _TooLarge:
            raise FetchError(f"arXiv's answer was larger than {MAX_ANSWER_BYTES / 1e6:g} MB") from None


class FeedClient(_Polite):
    """arXiv's announcement feeds (`listing:` pages), asked like the API: one
    connection, at most one request every `delay_seconds`, `timeout` seconds
    for each whole answer, retries with backoff."""

    def __init__(
        self,
        delay_seconds: float = 3.0,
        timeout: float = 30.0,
        retries: int = 3,
        sleep: Callable[[float], None] | None = None,
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(delay_seconds, timeout, retries, sleep, on_retry)

    def get(self, url: str, most: int) -> tuple[bytes, bool]:
        """The RSS document of one announcement feed: its first `most` bytes,
        and whether there were more (which are not read). Raises `FetchError`,
        or `FeedRefused` with the service's reason (an unknown category)."""

        def send() -> tuple[bytes, bool]:
            try:
                response = self._paced(url, ending=b"</rss>", most=most)
            except _TooLarge as error:
                return error.content, True
            if response.status_code != 200:
                raise arxiv.HTTPError(url, 0, response.status_code)
            return response.content, False

        try:
            return self._retrying(send)
        except arxiv.HTTPError as error:
            last = self._session.last
            raise FeedRefused(_feed_error(last.content if last is not None else b"", error.status)) from None


MAX_HTML_BYTES = 30_000_000
"""The most bytes of one paper's HTML page read; the parser refuses a larger one anyway."""

USER_AGENT = f"mkdocs-arxiv-digest/{__version__} (an MkDocs plugin that shows arXiv papers)"


class HtmlClient(_Polite):
    """Papers' HTML pages (`html_url`), asked like the API: one request at a
    time, at most one every `delay_seconds`, `timeout` seconds for each whole
    answer, retries with backoff after a 429 (its `Retry-After` followed), a
    5xx, a timeout or a broken connection; a User-Agent naming the plugin."""

    def __init__(
        self,
        delay_seconds: float = 15.0,
        timeout: float = 30.0,
        retries: int = 3,
        sleep: Callable[[float], None] | None = None,
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(delay_seconds, timeout, retries, sleep, on_retry)
        self._session.headers["User-Agent"] = USER_AGENT

    def get(self, url: str, most: int = MAX_HTML_BYTES) -> bytes | None:
        """The page (or image) at `url` (its first `most` bytes), or `None`
        when the host has none (404, 410). A redirect is followed on the same
        host only (each hop paced as a request): nothing is asked of another
        host. Raises `FetchError` for any other failure."""
        with self._turn:  # a page's redirects and retries, then the next page

            def send() -> bytes | None:
                target = url
                for _ in range(MAX_REDIRECTS + 1):
                    try:
                        response = self._paced(target, ending=b"", most=most, allow_redirects=False)
                    except _TooLarge as error:
                        return bytes(error.content)  # what was read of a page too large
                    if response.status_code in (404, 410):
                        return None
                    location = response.headers.get("Location")
                    if response.status_code in (301, 302, 303, 307, 308) and location:
                        moved = urljoin(target, location)
                        if _origin(moved) != _origin(url):
                            where = urlsplit(moved).netloc or moved[:100]
                            raise FetchError(f"the host sent it to another host ({where}), which is not asked")
                        target = moved
                        continue
                    if response.status_code != 200:
                        raise arxiv.HTTPError(url, 0, response.status_code)
                    return response.content
                raise FetchError(f"the host redirected it more than {MAX_REDIRECTS} times")

            try:
                return self._retrying(send)
            except arxiv.HTTPError as error:
                raise FetchError(f"the host answered HTTP {error.status}") from None


MAX_REDIRECTS = 5


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _papers(results: Iterable[arxiv.Result], cut: list[str] | None = None) -> list[Paper]:
    """The papers of an answer; what was cut of them is noted in `cut` once the
    answer is read whole (a try that fails notes nothing)."""
    papers: list[Paper] = []
    noted: list[str] = []
    for result in results:
        try:
            papers.append(paper_from_result(result, noted))
        except ValueError:  # an entry whose id is not a paper's, e.g. an error entry
            continue
    if cut is not None:
        cut.extend(noted)
    return papers


def _feed_error(body: bytes, status: int) -> str:
    """What the feed service said in its error document, on one line."""
    import xml.etree.ElementTree as ElementTree

    try:
        if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
            raise ElementTree.ParseError("a document type declaration")
        said = ElementTree.fromstring(body).findtext("channel/description") or ""
    except ElementTree.ParseError:
        said = ""
    said = " ".join(said.split())[:300]
    return f"the feed answered HTTP {status}" + (f": {said}" if said else "")


def _describe(error: requests.RequestException) -> str:
    if isinstance(error, _Garbled):
        return str(error)
    if isinstance(error, requests.ConnectionError):
        url = getattr(error.request, "url", None)
        return f"could not connect to {urlsplit(url).netloc if url else 'arXiv'}"
    return type(error).__name__
