"""A local fake of an OpenAI-compatible chat-completions API for tests and benchmarks.

It listens on ``127.0.0.1`` (real sockets, port 0 by default) and answers
``POST /v1/chat/completions`` and ``GET /v1/models`` well enough for the
official ``openai`` SDK. The default answer is a JSON summary derived from the
``arXiv ID:`` / ``Title:`` / ``Language:`` lines of the prompt, so a test can
check that every summary landed on its own paper::

    with FakeOpenAI(json_schema=False) as server:
        server.fail(status=429, retry_after=1)
        client = openai.OpenAI(base_url=server.url, api_key="k", max_retries=1)
        ...
        assert [r.status for r in server.requests] == [429, 200]

A request with ``"stream": true`` is answered as llama.cpp's and
llama-cpp-python's servers do: ``text/event-stream`` in chunked transfer
encoding, one ``data: {chat.completion.chunk}`` event per token (here: per
few characters), the first with the role, the last with the finish reason
(and ``usage`` when ``stream_options.include_usage`` asks), then
``data: [DONE]``. Each event is written as it is made, ``pace`` seconds
apart, and the log says how many were sent before the client hung up.

Like ``fake_arxiv`` it records requests, adds latency, counts concurrent
requests and replays a queue of scripted faults. Standard library only.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from fake_server import LocalServer

__all__ = ["FakeOpenAI", "Fault", "RecordedRequest", "default_content", "default_summary", "paper_of"]

CHAT_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"
STRUCTURED_FIELDS = ("background", "prior_work", "method", "results", "conclusion")
Responder = Callable[[dict[str, Any]], "str | dict[str, Any]"]

_LINE_RES = {
    "id": re.compile(r"^\s*arXiv ID:\s*(.+?)\s*$", re.MULTILINE),
    "title": re.compile(r"^\s*Title:\s*(.+?)\s*$", re.MULTILINE),
    "lang": re.compile(r"^\s*Language:\s*(.+?)\s*$", re.MULTILINE),
}


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
class Fault:
    """A scripted misbehaviour for one request (see `FakeOpenAI.fail`)."""

    status: int | None = None
    retry_after: float | str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    content: str | None = None
    finish_reason: str | None = None
    cut: bool = False
    hang: float = 0.0
    body: bytes | None = None
    content_type: str = "application/json"
    close: bool = False
    trickle: tuple[int, float] | None = None
    loop: str | None = None
    pace: float = 0.0

    def __post_init__(self) -> None:
        if self.hang < 0:
            raise ValueError("hang must be >= 0")
        if self.trickle is not None and (self.trickle[0] < 1 or self.trickle[1] < 0):
            raise ValueError("trickle is (bytes >= 1, seconds >= 0)")
        if self.loop is not None and (not self.loop or self.content is not None or self.cut):
            raise ValueError("loop makes its own content from a non-empty span")
        if self.cut and self.content is not None:
            raise ValueError("cut=True makes its own content")
        if self.body is not None and (self.content is not None or self.cut or self.finish_reason):
            raise ValueError("body replaces the whole answer; it excludes content/cut/finish_reason")
        if self.close and (
            self.status or self.retry_after or self.headers or self.content or self.cut or self.body or self.trickle
        ):
            raise ValueError("close=True sends no answer; it only combines with hang")


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
    events: int = 0  # stream events written (each a token of content, or the role, finish or [DONE])
    hung_up: bool = False  # the client closed the stream before its end

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
        serial: answer one request at a time, as llama-cpp-python's server
            does: the others wait in its queue (their latency too), and a
            request whose client has hung up is still worked through.
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
        model: str = "fake-model",
        serial: bool = False,
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
            "serial": serial,
        }
        self.latency, self.json_schema, self.json_object = latency, json_schema, json_object
        self.refusal, self.serial = refusal, serial
        self._one_at_a_time = threading.Lock()
        self.require_key, self.responder, self.model = require_key, responder, model
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

    def reset(self) -> None:
        """Clear log, faults and concurrency stats; restore constructor settings."""
        with self._lock:
            self._requests.clear()
            self._faults.clear()
            self.max_in_flight = self.in_flight
            for name, value in self._defaults.items():
                setattr(self, name, value)

    def fail(
        self,
        status: int | None = None,
        *,
        times: int = 1,
        retry_after: float | str | None = None,
        headers: Mapping[str, str] | None = None,
        content: str | None = None,
        finish_reason: str | None = None,
        cut: bool = False,
        hang: float = 0.0,
        body: bytes | None = None,
        content_type: str = "application/json",
        close: bool = False,
        trickle: tuple[int, float] | None = None,
        loop: str | None = None,
        pace: float = 0.0,
    ) -> None:
        """Queue ``times`` copies of a fault; each request consumes one, in order.

        * ``status=429, retry_after=1`` — an OpenAI-style error (``headers`` adds more).
        * ``content="..."`` — a normal 200 completion carrying that content
          (``finish_reason`` defaults to "stop"); ``cut=True`` — the first half
          of the normal answer with ``finish_reason="length"``.
        * ``body=b"..."`` — that raw body (200 unless ``status``) as ``content_type``.
          The SDK lets ``json.JSONDecodeError`` escape for a non-JSON body sent
          as ``application/json``, and returns the body as a plain ``str`` from
          ``create()`` for any other content type.
        * ``hang=5`` — wait first (cut short by `stop`); ``close=True`` — drop the connection.
        * ``trickle=(8, 0.5)`` — send the whole answer (status line, headers and
          body) 8 bytes at a time, 0.5 s apart: every read succeeds, the whole
          takes long (until the client hangs up or the server stops).
        * ``loop="the model "`` — a model caught in a loop: the normal answer up
          to the middle of its ``tldr``, then that span over and over until
          ``max_tokens`` tokens (4 characters each), ``finish_reason="length"``.
        * ``pace=0.05`` — a streamed answer's events ``pace`` seconds apart
          (the headers at once): a slow model, or with a long answer, a trickle.
        """
        fault = Fault(
            status=status,
            retry_after=retry_after,
            headers=tuple((headers or {}).items()),
            content=content,
            finish_reason=finish_reason,
            cut=cut,
            hang=hang,
            body=body,
            content_type=content_type,
            close=close,
            trickle=trickle,
            loop=loop,
            pace=pace,
        )
        self._script(fault, times)

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
            stopped = (self.latency > 0 and self._stopping.wait(self.latency)) or (
                fault.hang > 0 and self._stopping.wait(fault.hang)
            )
            if stopped or fault.close:  # close without sending a byte
                handler.close_connection = True
                with contextlib.suppress(OSError):
                    handler.connection.shutdown(socket.SHUT_RDWR)
                return
            try:
                status, obj = self._respond(handler, body, fault)
            except Exception as exc:  # a broken test responder: report it, answer 500
                with self._lock:
                    self._errors.append(exc)
                status, obj = 500, _error(f"fake responder failed: {exc!r}", "server_error")
            payload = json.dumps(obj, ensure_ascii=False).encode()
            headers = list(fault.headers)
            if fault.retry_after is not None:
                headers.append(("Retry-After", str(fault.retry_after)))
            if fault.body is not None:
                status, payload = fault.status or 200, fault.body
            record.status = status
            content_type = fault.content_type if fault.body is not None else "application/json"
            headers[:0] = [("Content-Type", content_type), ("Content-Length", str(len(payload)))]
            headers.insert(2, ("x-request-id", f"req_fake_{next(self._ids)}"))
            streams = isinstance(body, dict) and body.get("stream") is True and fault.body is None
            if streams and status == 200 and "choices" in obj:
                events = [f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode() for event in _chunks(obj, body)]
                events.append(b"data: [DONE]\n\n")
                if fault.trickle is None:
                    return self._stream(handler, record, headers[2:], events, fault.pace)
                payload = b"".join(events)
                headers[:2] = [("Content-Type", "text/event-stream"), ("Content-Length", str(len(payload)))]
            if fault.trickle is not None:
                head = [f"HTTP/1.1 {status} {handler.responses.get(status, ('',))[0]}"]
                head += [f"{name}: {value}" for name, value in headers]
                return self._trickle(handler, head, payload, fault.trickle)
            handler.send_response(status)
            for name, value in headers:
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(payload)
        finally:
            if serial:
                self._one_at_a_time.release()
            with self._lock:
                self.in_flight -= 1

    def _stream(
        self,
        handler: _Handler,
        record: RecordedRequest,
        headers: list[tuple[str, str]],
        events: list[bytes],
        pace: float,
    ) -> None:
        """Send `events` as a server-sent event stream, each in a chunk of its own."""
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.send_header("Transfer-Encoding", "chunked")
        for name, value in headers:
            handler.send_header(name, value)
        handler.end_headers()
        handler.close_connection = True
        try:
            for index, event in enumerate(events):
                if index and pace and self._stopping.wait(pace):
                    break
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                handler.wfile.flush()
                with self._lock:
                    record.events += 1
            else:
                handler.wfile.write(b"0\r\n\r\n")
                handler.wfile.flush()
                return
        except OSError:  # the client hung up
            pass
        with self._lock:
            record.hung_up = True
        with contextlib.suppress(OSError):
            handler.connection.shutdown(socket.SHUT_RDWR)

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
        if handler.command != "POST" or path != CHAT_PATH:
            return 404, _error(f"Unknown request URL: {handler.command} {path}", "invalid_request_error", "unknown_url")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return 400, _error("We could not parse the JSON body of your request.", "invalid_request_error")
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
        if fault.loop is not None and isinstance(content, str):
            start = content.index('"tldr": "') + len('"tldr": "')
            room = 4 * int(body.get("max_tokens") or 4096) - start
            content, finish_reason = content[:start] + (fault.loop * (room // len(fault.loop) + 1))[:room], "length"
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


def _chunks(completion: dict[str, Any], request: dict[str, Any]) -> list[dict[str, Any]]:
    """A chat completion as the chunks a server streams it in: the role, then
    the content a token (here: up to 4 characters) at a time, then the finish
    reason, then the usage if asked for."""
    choice = completion["choices"][0]
    content = choice["message"]["content"] or ""
    base = {key: completion[key] for key in ("id", "created", "model")} | {"object": "chat.completion.chunk"}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": content[i : i + 4]}) for i in range(0, len(content), 4)]
    chunks.append(chunk({}, choice["finish_reason"]))
    options = request.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage"):
        chunks.append({**base, "choices": [], "usage": completion["usage"]})
    return chunks
