"""`Idempotency-Key` on POST (draft-ietf-httpapi-idempotency-key-header): a retry gets the stored answer.

Every POST under a service's `/api/v1/<service>/` that carries the header and a valid bearer token
goes through `IdempotencyMiddleware`; new endpoints inherit it without doing anything. Keys belong to
the caller (OAuth client and subject), so two callers never see each other's keys or answers.

- same key, same request (method, path, body) after a success: the stored answer again, with
  `Idempotency-Replayed: true`, and no second effect;
- same key, another request: 422 problem naming `Idempotency-Key`;
- same key while the first request is still running: 409 problem, `Retry-After: 1`;
- a malformed key (not an RFC 8941 sf-string or bare token, or longer than 255 characters): 400.

Only successful (2xx) answers are stored. A 4xx answer means nothing was accepted (the unit of
work is rolled back), so the caller may correct the request and retry with the same key; a 5xx
or a crash stores nothing either and the retry runs again.

The guarantee: the middleware opens the request's unit of work itself (`get_session` hands the
handler that session), takes a transaction-scoped advisory lock on the key, and writes the answer in
the same transaction as the handler's changes, before anything is sent. The change and its key
commit together or not at all; a failed commit is answered 500 and stores nothing. While a request
runs, its key is "in flight" only through that lock, which the database drops with the transaction,
so a crashed request never leaves a key stuck.

Stored answers keep their status, body and the headers in `STORED_HEADERS`; the body is sealed with
the part's `internal_secret` (answers can hold a one-time secret or personal data). They expire after
`KitSettings.idempotency_key_hours` (24 h by default): an expired key is free again, and a background
loop deletes expired rows.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from fastapi import FastAPI
from sqlalchemy import (
    Column,
    DateTime,
    Index,
    LargeBinary,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    delete,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tandem_kit.auth import TokenVerifier
from tandem_kit.db import UNIT_OF_WORK
from tandem_kit.errors import (
    BadRequest,
    Conflict,
    ProblemError,
    Unprocessable,
    problem_response,
    response_for,
)
from tandem_kit.events import kit_metadata
from tandem_kit.sealing import derive_key, fernet_for

log = structlog.get_logger("tandem.idempotency")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotency-Replayed"
MAX_KEY_LENGTH = 255
STORED_HEADERS = frozenset({"content-type", "location", "content-location", "etag", "preference-applied"})
PURGE_EVERY_SECONDS = 600.0
SEAL_INFO = b"tandem idempotency answers"
PSEUDONYM_INFO = b"tandem idempotency callers and paths"

idempotency_keys = Table(
    "idempotency_keys",
    kit_metadata,
    Column("client_id", String(200), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("key", String(MAX_KEY_LENGTH), nullable=False),
    Column("method", String(10), nullable=False),
    Column("path", String(2000), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", SmallInteger, nullable=False),
    Column("headers", JSONB, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("client_id", "subject", "key"),
    Index("ix_idempotency_keys_expires_at", "expires_at"),
)

_BARE_KEY = re.compile(r"[!#-\[\]-~]+")  # visible ASCII except '"' and '\'


class InvalidIdempotencyKey(BadRequest):
    code, title = "invalid-idempotency-key", "Invalid Idempotency-Key"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, errors=[{"detail": detail, "parameter": HEADER, "in": "header"}])


class IdempotencyKeyInUse(Conflict):
    code, title = "idempotency-key-in-use", "Idempotency-Key in use"


class IdempotencyKeyReused(Unprocessable):
    code, title = "idempotency-key-reused", "Idempotency-Key reused"


def parse_key(values: list[str]) -> str:
    """The key from the header's values: one RFC 8941 sf-string (`"abc"`) or, as many clients send
    it, a bare run of visible ASCII; 1 to 255 characters. `InvalidIdempotencyKey` otherwise."""
    if len(values) != 1:
        raise InvalidIdempotencyKey(f"Send one {HEADER} header, not {len(values)}.")
    text = values[0].strip(" \t")
    key = _sf_string(text) if text.startswith('"') else text
    if not text.startswith('"') and not _BARE_KEY.fullmatch(text):
        raise InvalidIdempotencyKey(f"{HEADER} must be a quoted string or visible ASCII characters.")
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise InvalidIdempotencyKey(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters long.")
    return key


def _sf_string(text: str) -> str:
    """RFC 8941 section 4.2.5: printable ASCII between quotes, `\\"` and `\\\\` escaped."""
    out: list[str] = []
    escaped = False
    for index, char in enumerate(text[1:], start=1):
        if escaped:
            if char not in '"\\':
                break
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            if index == len(text) - 1:
                return "".join(out)
            break
        elif " " <= char <= "~":
            out.append(char)
        else:
            break
    raise InvalidIdempotencyKey(f"{HEADER} is not a valid structured-field string.")


def fingerprint(body: bytes) -> str:
    """sha256 of the body; a JSON body is canonicalized first (key order and spacing don't count)."""
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


def lock_id(client_id: str, subject: str, key: str) -> int:
    """The advisory-lock id of one caller's key (64 bits of sha256; a collision only costs a 409)."""
    digest = hashlib.sha256(json.dumps(["idempotency", client_id, subject, key]).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@dataclass(frozen=True)
class Attempt:
    """One POST carrying a key: who sent it, which request it is."""

    client_id: str
    subject: str
    key: str
    method: str
    path: str
    fingerprint: str

    def owned(self) -> list[Any]:
        return [
            idempotency_keys.c.client_id == self.client_id,
            idempotency_keys.c.subject == self.subject,
            idempotency_keys.c.key == self.key,
        ]


async def purge_expired(maker: async_sessionmaker[AsyncSession]) -> int:
    """Delete expired keys and their answers; how many."""
    async with maker() as session, session.begin():
        result = await session.execute(
            delete(idempotency_keys).where(idempotency_keys.c.expires_at <= func.now())
        )
    return int(getattr(result, "rowcount", 0) or 0)


class IdempotencyMiddleware:
    """Honours `Idempotency-Key` on POST under `prefix` (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, prefix: str, ttl: timedelta, secret: str) -> None:
        self.app = app
        self.prefix = prefix
        self.ttl = ttl
        self.fernet = fernet_for(secret, info=SEAL_INFO)
        self.pseudonym_key = derive_key(secret, info=PSEUDONYM_INFO)

    def pseudonym(self, value: str) -> str:
        """A keyed digest of a value that can name a person (a user token's subject, a path with a
        person id): stored and compared instead of the value, so no erasure has to find it here."""
        return hmac.new(self.pseudonym_key, value.encode(), hashlib.sha256).hexdigest()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        values = [v.decode("latin-1") for n, v in scope["headers"] if n.lower() == b"idempotency-key"]
        if not values:
            await self.app(scope, receive, send)
            return
        try:
            key = parse_key(values)
        except InvalidIdempotencyKey as exc:
            await response_for(exc, scope["path"])(scope, receive, send)
            return
        caller = await self._caller(scope)
        if caller is None:
            # No valid token: the route answers 401 (or 403) itself and nothing is stored.
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        client_id, subject = caller
        attempt = Attempt(
            client_id, self.pseudonym(subject), key, scope["method"], scope["path"], fingerprint(body)
        )
        maker: async_sessionmaker[AsyncSession] = scope["app"].state.sessionmaker
        async with maker() as session:
            try:
                answer = await self._run(session, attempt, scope, _replay(body, receive))
            except BaseException:
                await session.rollback()
                raise
        await answer(scope, receive, send)

    async def _caller(self, scope: Scope) -> tuple[str, str] | None:
        authorization = next((v for n, v in scope["headers"] if n.lower() == b"authorization"), b"")
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        verifier: TokenVerifier = scope["app"].state.token_verifier
        try:
            principal = await verifier.verify(token.strip())
        except ProblemError:
            return None
        return principal.client_id, principal.subject

    async def _run(self, session: AsyncSession, attempt: Attempt, scope: Scope, receive: Receive) -> Response:
        """The answer to send: stored, refused, or the route's own (committed with its key first)."""
        locked = await session.scalar(
            select(func.pg_try_advisory_xact_lock(lock_id(attempt.client_id, attempt.subject, attempt.key)))
        )
        if not locked:
            await session.rollback()
            return response_for(
                IdempotencyKeyInUse(
                    f"A request with this {HEADER} is still being processed; retry shortly.",
                    headers={"Retry-After": "1"},
                ),
                attempt.path,
            )
        stored = (
            await session.execute(
                select(idempotency_keys).where(*attempt.owned(), idempotency_keys.c.expires_at > func.now())
            )
        ).one_or_none()
        if stored is not None:
            await session.rollback()
            return self._stored_answer(attempt, stored._mapping)

        scope.setdefault("state", {})[UNIT_OF_WORK] = session
        try:
            start, body = await _buffered(self.app, scope, receive)
        finally:
            scope["state"].pop(UNIT_OF_WORK, None)
        status: int = start["status"]
        headers: list[tuple[bytes, bytes]] = list(start.get("headers", []))
        if not 200 <= status < 300:
            await session.rollback()
            return _raw_response(status, headers, body)
        kept = [
            [n.decode("latin-1"), v.decode("latin-1")]
            for n, v in headers
            if n.lower().decode() in STORED_HEADERS
        ]
        row = {
            "client_id": attempt.client_id,
            "subject": attempt.subject,
            "key": attempt.key,
            "method": attempt.method,
            "path": self.pseudonym(attempt.path),
            "fingerprint": attempt.fingerprint,
            "status_code": status,
            "headers": kept,
            "body": self.fernet.encrypt(body),
            # The database's clock, the one expiry is checked and purged against.
            "created_at": func.now(),
            "expires_at": func.now() + self.ttl,
        }
        # An expired row of the same key may still be there (the purge runs every few minutes).
        statement = pg_insert(idempotency_keys).values(**row)
        statement = statement.on_conflict_do_update(
            constraint=idempotency_keys.primary_key,
            set_={k: v for k, v in row.items() if k not in ("client_id", "subject", "key")},
        )
        try:
            await session.execute(statement)
            await session.commit()
        except Exception as exc:
            log.error("http.idempotency.commit_failed", error_type=type(exc).__name__)
            await session.rollback()
            return problem_response(
                500, "Internal server error", code="internal-error", instance=attempt.path
            )
        return _raw_response(status, headers, body)

    def _stored_answer(self, attempt: Attempt, stored: Any) -> Response:
        same = (stored["method"], stored["path"], stored["fingerprint"]) == (
            attempt.method,
            self.pseudonym(attempt.path),
            attempt.fingerprint,
        )
        if not same:
            return response_for(
                IdempotencyKeyReused(
                    f"This {HEADER} was already used for a different request; send a new key.",
                    errors=[{"detail": "used for another request", "parameter": HEADER, "in": "header"}],
                ),
                attempt.path,
            )
        headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in stored["headers"]]
        headers.append((REPLAYED_HEADER.lower().encode(), b"true"))
        return _raw_response(stored["status_code"], headers, self.fernet.decrypt(stored["body"]))


def _raw_response(status: int, headers: Iterable[tuple[bytes, bytes]], body: bytes) -> Response:
    response = Response(body, status_code=status)
    response.raw_headers = [
        *((n, v) for n, v in headers if n.lower() != b"content-length"),
        (b"content-length", str(len(body)).encode()),
    ]
    return response


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body once more for the app, then whatever the server sends next (a disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _buffered(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[Message, bytes]:
    """Run the app and keep its answer: nothing reaches the caller before the key is committed."""
    start: Message = {"type": "http.response.start", "status": 500, "headers": []}
    chunks: list[bytes] = []

    async def keep(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, keep)
    return start, b"".join(chunks)


def document_header(app: FastAPI, prefix: str, *, hours: float) -> None:
    """Add the optional `Idempotency-Key` header to every POST under `prefix` in the OpenAPI document."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = build()
        parameters = document.setdefault("components", {}).setdefault("parameters", {})
        parameters["IdempotencyKey"] = {
            "name": HEADER,
            "in": "header",
            "required": False,
            "description": (
                "Makes a retry safe (draft-ietf-httpapi-idempotency-key-header): a request repeated with "
                f"the same key and body within {hours:g} h gets the first success again, marked "
                f"`{REPLAYED_HEADER}: true`; the same key with another body is 422, while the first is "
                "still running 409. Keys are per client; only 2xx answers are kept."
            ),
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
        }
        reference = {"$ref": "#/components/parameters/IdempotencyKey"}
        for path, operations in document.get("paths", {}).items():
            post = operations.get("post")
            if path.startswith(prefix) and post is not None and reference not in post.get("parameters", []):
                post.setdefault("parameters", []).append(reference)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
