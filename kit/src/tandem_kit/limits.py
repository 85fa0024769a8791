"""Request body size limits, enforced before a body is read (413 problem+json above them).

Without a limit a caller can make a part read and parse a body of any size: memory grows with it and
stays grown. Each part sets a limit per kind of route (small for ordinary writes, larger for the
routes it declares bulk; docs/architecture.md lists them), and this pure ASGI middleware applies it
in front of everything else, the gateway's forwarding included.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tandem_kit.errors import ProblemError, response_for


class PayloadTooLarge(ProblemError):
    status, code, title = 413, "payload-too-large", "Payload too large"


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The request body is larger than {limit} bytes, the limit for this route.",
        # No `Connection: close`: the server then discards the rest of the body (without holding it)
        # and the caller, still sending, gets this answer instead of a reset connection.
        max_body_bytes=limit,
        errors=[{"detail": f"the body exceeds {limit} bytes", "code": "too_large", "pointer": "#/"}],
    )


def body_framing(scope: Scope) -> tuple[int | None, bool]:
    """The largest Content-Length the request declares (None without a usable one), and whether it
    is chunked (Transfer-Encoding). HTTP/1.1 with neither has no body."""
    lengths: list[int] = []
    chunked = False
    for name, value in scope.get("headers") or []:
        lowered = name.lower()
        if lowered == b"content-length" and value.isdigit():
            lengths.append(int(value))
        elif lowered == b"transfer-encoding":
            chunked = True
    return (max(lengths) if lengths else None), chunked


class BodyLimit:
    """Refuse a request body above its route's limit, before reading it.

    A declared Content-Length above the limit is refused without calling the app. A body of unknown
    length (chunked) is counted as the app reads it: the read that passes the limit fails, and
    whatever the app made of that failure, the caller gets the 413.
    """

    def __init__(self, app: ASGIApp, *, default: int, routes: Sequence[tuple[str, int]] = ()) -> None:
        self.app = app
        self.default = default
        self.routes = [(re.compile(pattern), limit) for pattern, limit in routes]

    def limit_for(self, path: str) -> int:
        """The limit of the first route pattern that matches the whole path, else the default."""
        return next((limit for pattern, limit in self.routes if pattern.fullmatch(path)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared, chunked = body_framing(scope)
        if declared is not None and declared > limit:
            await response_for(too_large(limit), scope["path"])(scope, receive, send)
            return
        if declared is not None or not chunked:
            # The server delivers no more than the declared length: nothing to count (the hot path).
            await self.app(scope, receive, send)
            return
        refusal = too_large(limit)
        received = 0
        overflowed = started = False

        async def counted_receive() -> Message:
            nonlocal received, overflowed
            if overflowed:
                raise refusal
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflowed = True
                    raise refusal
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if overflowed and not started:
                # The app's own answer to the failed read (often a 400 or a 500) is replaced.
                started = True
                await response_for(refusal, scope["path"])(scope, receive, send)
                return
            if overflowed:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not overflowed:
                raise
        if overflowed and not started:
            await response_for(refusal, scope["path"])(scope, receive, send)
