"""The API's input boundary, before any route parses anything (issue 13).

An ASGI middleware that, for every request:

- refuses a NUL in the path (400) or the query string (422): PostgreSQL cannot compare one;
- applies the public declaration rate limit before the body is read (429), so a flood of bodies
  costs the server no parsing;
- refuses a body over ``max_body`` bytes (413), by its Content-Length before reading, or as soon
  as the bytes read pass the limit (the CSV upload has its own, larger limit);
- checks a JSON body before the route parses it: UTF-8, nested at most ``max_depth`` deep, at
  most ``MAX_KEYS`` keys per object and ``MAX_ITEMS`` items per list, no NaN or Infinity, no
  NUL and no lone surrogate in any string or key (422).

Errors answer ``{"detail": ...}`` like the rest of the API, and never echo the input.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Collection
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 64 * 1024
MAX_DEPTH = 32
# No request of this API has objects or lists near these sizes; validating 5,000 unknown keys
# (5,000 errors) would cost the event loop tens of milliseconds.
MAX_KEYS = 100
MAX_ITEMS = 1000
# A limit check per request: None to let it through, else the seconds to wait (429); with the
# plural noun of what is limited, for the message.
RateCheck = Callable[[Scope], float | None]
RateLimit = tuple[RateCheck, str]

_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS"})
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class Refused(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


class InputGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int = MAX_BODY_BYTES,
        max_depth: int = MAX_DEPTH,
        unlimited_paths: Collection[str] = (),
        rate_limits: dict[tuple[str, str], RateLimit] | None = None,
    ) -> None:
        """``unlimited_paths``: paths whose body is not checked here (an upload with its own
        limit); ``rate_limits``: by (method, path), a check run before the body is read."""
        self.app = app
        self.max_body = max_body
        self.max_depth = max_depth
        self.unlimited_paths = frozenset(unlimited_paths)
        self.rate_limits = rate_limits or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            _check_target(scope)
            limit = self.rate_limits.get((scope["method"], scope["path"]))
            if limit is not None:
                check, what = limit
                wait = check(scope)
                if wait is not None:
                    raise Refused(
                        429,
                        f"too many {what} from this address; try again in {wait:.0f} s",
                        {"Retry-After": str(max(1, round(wait)))},
                    )
            if (
                scope["method"] in ("GET", "HEAD", "OPTIONS")
                or scope["path"] in self.unlimited_paths
            ):
                await self.app(scope, receive, send)
                return
            body = await self._read_body(scope, receive)
            if body and _is_json(scope):
                _check_json(body, self.max_depth)
        except Refused as refused:
            await _answer(send, refused)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                if int(declared) > self.max_body:
                    raise _too_large(self.max_body)
            except ValueError:
                raise Refused(400, "bad Content-Length") from None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise Refused(400, "client went away")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise _too_large(self.max_body)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def client_address(scope: Scope, trust_forwarded_for: bool, proxies: Collection[str]) -> str:
    """The client's address: the peer's, or with ``trust_forwarded_for`` and a peer among the
    trusted ``proxies``, the last X-Forwarded-For hop that is not one of them (earlier hops are
    whatever the client wrote)."""
    client = scope.get("client")
    peer = client[0] if client else "unknown"
    if not trust_forwarded_for or peer not in proxies:
        return peer
    hops = [h.strip() for h in (_header(scope, b"x-forwarded-for") or "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in proxies:
            return hop
    return peer


def _check_target(scope: Scope) -> None:
    if "\x00" in scope["path"]:
        raise Refused(400, "NUL characters are not accepted in a path")
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        raise Refused(422, "NUL characters are not accepted in query parameters")


def _check_json(body: bytes, max_depth: int) -> None:
    brackets = body.translate(None, _NOT_BRACKETS)
    if len(brackets) > max_depth:  # else it cannot be deeper
        depth = 0
        for byte in brackets:
            depth += 1 if byte in b"[{" else -1
            if depth > max_depth:
                raise Refused(422, f"JSON nested deeper than {max_depth}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(422, "body is not UTF-8") from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except Refused:
        raise
    except (ValueError, RecursionError):
        return  # not JSON: the route's parser says so in its own words
    _check_tree(data)


def _no_constant(name: str) -> Any:
    raise Refused(422, f"{name} is not a JSON number")


def _check_tree(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _BAD_CHARS.search(item):
                raise Refused(422, "NUL characters and lone surrogates are not accepted in strings")
        elif isinstance(item, dict):
            if len(item) > MAX_KEYS:
                raise Refused(422, f"a JSON object with more than {MAX_KEYS} keys")
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            if len(item) > MAX_ITEMS:
                raise Refused(422, f"a JSON list with more than {MAX_ITEMS} items")
            stack.extend(item)


def _is_json(scope: Scope) -> bool:
    content_type = (_header(scope, b"content-type") or "").lower()
    return not content_type or "json" in content_type


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _too_large(limit: int) -> Refused:
    return Refused(413, f"body larger than {limit} bytes")


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body already read, then the client's own messages (a disconnect, eventually)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _answer(send: Send, refused: Refused) -> None:
    payload = json.dumps({"detail": refused.detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in refused.headers.items()),
    ]
    await send({"type": "http.response.start", "status": refused.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


# -- validation errors: where and what, with at most a short excerpt of the input --

MAX_ERRORS = 20
EXCERPT = 60


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 for a request that failed validation; unlike FastAPI's default it never echoes the
    whole input (a 2 MB body once came back as a 36 MB answer) and never fails to serialise it
    (a NaN or a lone surrogate in the input gave a 500)."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = []
    for err in errors[:MAX_ERRORS]:
        item: dict[str, Any] = {
            "type": err.get("type"),
            "loc": [_short(p) if isinstance(p, str) else p for p in err.get("loc", ())],
            "msg": _short(str(err.get("msg", "")), 300),
        }
        shown = _excerpt(err.get("input"))
        if shown is not None:
            item["input"] = shown
        detail.append(item)
    body: dict[str, Any] = {"detail": detail}
    if len(errors) > MAX_ERRORS:
        body["more_errors"] = len(errors) - MAX_ERRORS
    return JSONResponse(body, status_code=422)


def _excerpt(value: Any) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _short(value.encode("utf-8", "replace").decode("utf-8"))
    return None  # objects and lists: the location says enough


def _short(text: str, limit: int = EXCERPT) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


# -- security headers on every response --

# What every answer carries unless the route set its own (the pages set a CSP that allows their
# scripts): JSON and images need no script, no frame and no sniffing.
SECURITY_HEADERS = {
    b"content-security-policy": b"default-src 'none'; frame-ancestors 'none'",
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"no-referrer",
    b"cross-origin-resource-policy": b"same-origin",
}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS.items() if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
