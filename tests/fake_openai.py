"""A local fake of an OpenAI-compatible chat-completions API for tests and benchmarks.

It listens on ``127.0.0.1`` (real sockets, port 0 by default) and answers
``POST /v1/chat/completions``, ``POST /v1/embeddings`` and ``GET /v1/models``
well enough for the official ``openai`` SDK. The default answer is a JSON summary derived from the
``arXiv ID:`` / ``Title:`` / ``Language:`` lines of the prompt, so a test can
check that every summary landed on its own paper::

    with FakeOpenAI(json_schema=False) as server:
        server.fail(status=429, retry_after=1)
        client = openai.OpenAI(base_url=server.url, api_key="k", max_retries=1)
        ...
        assert [r.status for r in server.requests] == [429, 200]

Like ``fake_arxiv`` it records requests, adds latency, counts concurrent
requests and replays a queue of scripted faults. Standard library only.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

import fake_server
from fake_server import LocalServer

__all__ = [
    "FakeOpenAI",
    "Fault",
    "RecordedRequest",
    "default_content",
    "default_embedding",
    "default_summary",
    "paper_of",
]

CHAT_PATH = "/v1/chat/completions"
EMBEDDINGS_PATH = "/v1/embeddings"
EMBEDDING_DIMENSIONS = 32
MODELS_PATH = "/v1/models"
STRUCTURED_FIELDS = ("background", "prior_work", "method", "results", "conclusion")
Responder = Callable[[dict[str, Any]], "str | dict[str, Any]"]
Embedder = Callable[[str], list[float]]

_LINE_RES = {
    "id": re.compile(r"^\s*arXiv ID:\s*(.+?)\s*$", re.MULTILINE),
    "title": re.compile(r"^\s*Title:\s*(.+?)\s*$", re.MULTILINE),
    "lang": re.compile(r"^\s*Language:\s*(.+?)\s*$", re.MULTILINE),
}


def default_embedding(text: str) -> list[float]:
    """A text's words hashed into `EMBEDDING_DIMENSIONS` counts: alike texts get alike vectors."""
    vector = [0.0] * EMBEDDING_DIMENSIONS
    for word in re.findall(r"[a-z]{4,}", text.lower()):
        vector[zlib.crc32(word.encode()) % EMBEDDING_DIMENSIONS] += 1.0
    return vector


def _prompt_text(request_json: Mapping[str, Any]) -> str:
    parts: list[str] = []
    for message in request_json.get("messages") or []:
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):  # content parts: [{"type": "text", "text": ...}]
            parts.extend(p.get("text", "") for p in content if isinstance(p, Mapping))
    return "\n".join(parts)


def paper_of(request_json: Mapping[str, Any]) -> dict[str, str]:
    """``{"id", "title", "lang"}`` named by the prompt (last match wins; defaults if absent)."""
    text = _prompt_text(request_json)
    found = {key: (rx.findall(text) or [""])[-1] for key, rx in _LINE_RES.items()}
    return {"id": found["id"] or "unknown", "title": found["title"], "lang": found["lang"] or "en"}


def default_summary(request_json: Mapping[str, Any]) -> dict[str, Any]:
    """The deterministic summary object answered for the paper named in the prompt."""
    p = paper_of(request_json)
    pid, title, lang = p["id"], p["title"], p["lang"]
    return {
        "id": pid,
        "title": f"[{lang}] {title}",
        "tldr": f"TLDR of {pid}: {title}",
        "tldr_en": f"TLDR of {pid}",
        "abstract": f"[{lang}] abstract of {pid}",
        "takeaways": [f"Takeaway {i} of {pid}" for i in (1, 2, 3)],
        "structured": {name: f"{name} of {pid}" for name in STRUCTURED_FIELDS},
        "keywords": ["fake", f"kw-{pid}", lang],
    }


def default_content(request_json: Mapping[str, Any]) -> str:
    return json.dumps(default_summary(request_json), ensure_ascii=False)


@dataclass(frozen=True)
class Fault(fake_server.Fault):
    """A scripted misbehaviour for one request (see `FakeOpenAI.fail`): the
    faults every fake plays (`fake_server.Fault`), and spoilt completions.

    * ``content="..."``: a normal 200 completion carrying that content
      (``finish_reason`` defaults to "stop"); ``cut=True``: the first half of
      the normal answer with ``finish_reason="length"``.
    * ``body=b"..."`` is sent as ``content_type``. The SDK lets
      ``json.JSONDecodeError`` escape for a non-JSON body sent as
      ``application/json``, and returns the body as a plain ``str`` from
      ``create()`` for any other content type.
    """

    content: str | None = None
    finish_reason: str | None = None
    cut: bool = False
    content_type: str = "application/json"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.cut and self.content is not None:
            raise ValueError("cut=True makes its own content")
        if self.body is not None and (self.content is not None or self.cut or self.finish_reason):
            raise ValueError("body replaces the whole answer; it excludes content/cut/finish_reason")


@dataclass
class RecordedRequest:
    """One request, logged on arrival; ``status`` is set before the answer is written."""

    method: str
    path: str
    json: Any  # parsed body, None without a body or when it is not JSON
    headers: dict[str, str]
    received_at: float  # time.monotonic()
    fault: Fault | None = None
    status: int | None = None  # stays None when the connection was dropped

    @property
    def authorization(self) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == "authorization"), None)

    @property
    def response_format(self) -> Any:
        return self.json.get("response_format") if isinstance(self.json, dict) else None

    @property
    def paper_id(self) -> str | None:
        return paper_of(self.json)["id"] if isinstance(self.json, dict) else None


def _error(message: str, type_: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


class _Handler(BaseHTTPRequestHandler):
    server: Any
    protocol_version = "HTTP/1.1"
    timeout = 15
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.fake._serve(self, b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.server.fake._serve(self, self.rfile.read(length) if length else b"")


class FakeOpenAI(LocalServer["Fault", "RecordedRequest"]):
    """A fake OpenAI-compatible endpoint; ``url`` is the SDK's ``base_url``.

    Args:
        latency: seconds slept before each answer (attribute, changeable while running).
        json_schema / json_object: whether ``response_format`` of that type is
            accepted; when off such a request is refused with ``refusal``.
        refusal: how a refused ``response_format`` is answered: 400 (OpenAI's
            error, ``param: response_format``), 422 (FastAPI's validation
            error, ``{"detail": [{"loc": ["body", "response_format", "type"], ...}]}``)
            or 500 (llama-cpp-python's server: pydantic's multi-line
            validation error as an internal server error).
        require_key: if set, any other bearer token gets HTTP 401.
        responder: ``(request_json) -> content str | full response dict``;
            default `default_content`.
        model: the id listed by ``GET /v1/models``.
        embedder: ``(text) -> vector``, the embedding of each input of
            ``POST /v1/embeddings``; default `default_embedding`.
        serial: answer one request at a time, as llama-cpp-python's server
            does: the others wait in its queue (their latency too), and a
            request whose client has hung up is still worked through.
        retry_after_ms: an error answer (status 400 and up) without a
            ``retry_after`` or ``headers`` of its fault carries
            ``retry-after-ms`` with this value, as OpenAI's API does, so a
            client tries again at once instead of backing off for real; None
            leaves it out, for a test of the client's own waits.
    """

    name = "fake-openai"
    handler = _Handler
    fault_kind = Fault

    def __init__(
        self,
        *,
        latency: float = 0.0,
        json_schema: bool = True,
        json_object: bool = True,
        refusal: int = 400,
        require_key: str | None = None,
        responder: Responder | None = None,
        embedder: Embedder | None = None,
        model: str = "fake-model",
        serial: bool = False,
        retry_after_ms: int | None = 1,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._defaults = {
            "latency": latency,
            "json_schema": json_schema,
            "json_object": json_object,
            "refusal": refusal,
            "require_key": require_key,
            "responder": responder,
            "embedder": embedder,
            "serial": serial,
            "retry_after_ms": retry_after_ms,
        }
        self.latency, self.json_schema, self.json_object = latency, json_schema, json_object
        self.refusal, self.serial, self.retry_after_ms = refusal, serial, retry_after_ms
        self._one_at_a_time = threading.Lock()
        self.require_key, self.responder, self.model = require_key, responder, model
        self.embedder = embedder
        super().__init__(host, port)
        self._ids = itertools.count(1)
        self.in_flight = self.max_in_flight = 0

    @property
    def url(self) -> str:
        return f"http://{self._address[0]}:{self.port}/v1"

    # -- inspection and control ----------------------------------------------- #

    @property
    def calls(self) -> int:
        """Number of chat-completion requests received."""
        with self._lock:
            return sum(1 for r in self._requests if r.path.split("?")[0].rstrip("/") == CHAT_PATH)

    @property
    def embedding_calls(self) -> int:
        """Number of embeddings requests received."""
        with self._lock:
            return sum(1 for r in self._requests if r.path.split("?")[0].rstrip("/") == EMBEDDINGS_PATH)

    @property
    def embedded(self) -> list[str]:
        """Every text the embeddings requests asked for, in order."""
        with self._lock:
            requests = [r for r in self._requests if r.path.split("?")[0].rstrip("/") == EMBEDDINGS_PATH]
        return [text for r in requests if isinstance(r.json, dict) for text in _inputs(r.json)]

    def reset(self) -> None:
        """Clear log, faults and concurrency stats; restore constructor settings."""
        with self._lock:
            self._requests.clear()
            self._faults.clear()
            self.max_in_flight = self.in_flight
            for name, value in self._defaults.items():
                setattr(self, name, value)

    # -- request handling ----------------------------------------------------- #

    def _serve(self, handler: _Handler, raw: bytes) -> None:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        record = RecordedRequest(handler.command, handler.path, body, dict(handler.headers.items()), time.monotonic())
        with self._lock:
            record.fault = self._next_fault()
            self._requests.append(record)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        serial = self.serial and handler.command == "POST"
        try:
            if serial:
                self._one_at_a_time.acquire()
            fault = record.fault or Fault()
            if self._held(handler, fault, self.latency):
                return
            try:
                status, obj = self._respond(handler, body, fault)
            except Exception as exc:  # a broken test responder: report it, answer 500
                with self._lock:
                    self._errors.append(exc)
                status, obj = 500, _error(f"fake responder failed: {exc!r}", "server_error")
            payload = json.dumps(obj, ensure_ascii=False).encode()
            if fault.body is not None:
                status, payload = fault.status or 200, fault.body
            record.status = status
            content_type = fault.content_type if fault.body is not None else "application/json"
            headers = [("Content-Type", content_type), ("x-request-id", f"req_fake_{next(self._ids)}")]
            if status >= 400 and self.retry_after_ms is not None and fault.retry_after is None and not fault.headers:
                headers.append(("retry-after-ms", str(self.retry_after_ms)))
            self._send_answer(handler, status, headers, payload, fault)
        finally:
            if serial:
                self._one_at_a_time.release()
            with self._lock:
                self.in_flight -= 1

    def _respond(self, handler: _Handler, body: Any, fault: Fault) -> tuple[int, dict[str, Any]]:
        if fault.status is not None and fault.status >= 400 and fault.body is None:
            kinds = {429: ("rate_limit_exceeded", "requests"), 401: ("invalid_api_key", "invalid_request_error")}
            code, type_ = kinds.get(
                fault.status, (None, "server_error" if fault.status >= 500 else "invalid_request_error")
            )
            return fault.status, _error(f"fake error {fault.status}", type_, code)
        path = handler.path.split("?")[0].rstrip("/")
        if self.require_key is not None:
            auth = handler.headers.get("Authorization") or ""
            if auth != f"Bearer {self.require_key}":
                return 401, _error("Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
        if handler.command == "GET" and path == MODELS_PATH:
            model = {"id": self.model, "object": "model", "created": 0, "owned_by": "fake-openai"}
            return 200, {"object": "list", "data": [model]}
        if handler.command == "POST" and path == EMBEDDINGS_PATH:
            return self._embeddings(body)
        if handler.command != "POST" or path != CHAT_PATH:
            return 404, _error(f"Unknown request URL: {handler.command} {path}", "invalid_request_error", "unknown_url")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return 400, _error("We could not parse the JSON body of your request.", "invalid_request_error")
        if body.get("stream"):
            return 400, _error("The fake does not stream.", "invalid_request_error", param="stream")
        rf = body.get("response_format")
        kind = rf.get("type") if isinstance(rf, dict) else None if rf is None else "?"
        allowed = {None: True, "text": True, "json_schema": self.json_schema, "json_object": self.json_object}
        if not allowed.get(kind, False):
            if self.refusal == 422:
                detail = {
                    "type": "literal_error",
                    "loc": ["body", "response_format", "type"],
                    "msg": "Input should be 'text' or 'json_object'",
                    "input": kind,
                }
                return 422, {"detail": [detail]}
            if self.refusal == 500:
                msg = (
                    "1 validation error for CreateChatCompletionRequest\nresponse_format.type\n"
                    f"  Input should be 'text' or 'json_object' [type=literal_error, input_value={kind!r}, "
                    "input_type=str]\n    For further information visit https://errors.pydantic.dev/2.12/v/literal_error"
                )
                return 500, _error(msg, "internal_server_error")
            msg = f"response_format type {kind!r} is not supported by this model."
            return 400, _error(msg, "invalid_request_error", "unsupported_response_format", "response_format")

        finish_reason = fault.finish_reason or ("length" if fault.cut else "stop")
        content = fault.content if fault.content is not None else (self.responder or default_content)(body)
        if fault.cut and isinstance(content, str):
            content = content[: len(content) // 2]
        if isinstance(content, dict):
            return fault.status or 200, content
        prompt_tokens, completion_tokens = len(_prompt_text(body)) // 4 + 1, len(content) // 4 + 1
        return fault.status or 200, {
            "id": f"chatcmpl-fake-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    def _embeddings(self, body: Any) -> tuple[int, dict[str, Any]]:
        """OpenAI's answer: a list of embeddings, each with its input's index."""
        if not isinstance(body, dict) or body.get("input") in (None, "", []):
            return 400, _error("'input' is a required property", "invalid_request_error", param="input")
        inputs = _inputs(body)
        embed = self.embedder or default_embedding
        data = [{"object": "embedding", "index": n, "embedding": embed(text)} for n, text in enumerate(inputs)]
        tokens = sum(len(text) // 4 + 1 for text in inputs)
        return 200, {
            "object": "list",
            "data": data,
            "model": body.get("model") or self.model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }


def _inputs(body: Mapping[str, Any]) -> list[str]:
    given = body.get("input")
    return [given] if isinstance(given, str) else [str(text) for text in given or ()]
