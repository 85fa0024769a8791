"""A fake Learning Record Store (xAPI 1.0.3 / 2.0), served over real HTTP in tests and by devstack.

Behaves as an LRS does at the edges Tandem meets: `X-Experience-API-Version` required (400), HTTP Basic
or OAuth 2.0 client-credentials bearer tokens (401 when missing, wrong or expired), statement ids as
the idempotency key (PUT with a known id and the same content: 204, other content: 409), GET by
`statementId` (404 when unknown), and faults on demand: `fail_next(429, retry_after=1)` answers the
next request so; `store=True` stores the statement first and then fails (a lost answer).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

VERSION = "2.0.0"
UNCOMPARED = ("id", "stored", "authority", "version")


@dataclass
class Fault:
    status: int
    retry_after: float | None = None
    store: bool = False


@dataclass
class FakeLrs:
    username: str = "tandem"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    token_ttl: int = 3600
    statements: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, int]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[
                Route("/xapi/about", self._about, methods=["GET"]),
                Route("/xapi/statements", self._statements, methods=["GET", "PUT", "POST"]),
                Route("/oauth/token", self._token, methods=["POST"]),
            ]
        )

    def fail_next(self, status: int, *, retry_after: float | None = None, store: bool = False) -> None:
        self.faults.append(Fault(status, retry_after, store))

    def expire_tokens(self) -> None:
        """Every issued token is refused from now on (401), as after a key rotation at the LRS."""
        self.tokens.clear()

    @staticmethod
    def _hash(statement: dict[str, Any]) -> str:
        compared = {k: v for k, v in statement.items() if k not in UNCOMPARED}
        return hashlib.sha256(json.dumps(compared, sort_keys=True).encode()).hexdigest()

    def _basic_ok(self, header: str) -> bool:
        try:
            user, password = base64.b64decode(header[6:]).decode().split(":", 1)
        except (ValueError, UnicodeDecodeError):
            return False
        return secrets.compare_digest(user, self.username) and secrets.compare_digest(password, self.password)

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if header[:6].lower() == "basic ":
            return self._basic_ok(header)
        if header[:7].lower() == "bearer ":
            expires = self.tokens.get(header[7:])
            return expires is not None and expires > time.time()
        return False

    @staticmethod
    def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(
            {"error": message},
            status_code=status,
            headers={"X-Experience-API-Version": VERSION, **(headers or {})},
        )

    async def _about(self, _request: Request) -> JSONResponse:
        return JSONResponse({"version": ["1.0.3", VERSION]}, headers={"X-Experience-API-Version": VERSION})

    async def _token(self, request: Request) -> JSONResponse:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        header = request.headers.get("authorization", "")
        ok = (
            self._basic_ok(header)
            if header[:6].lower() == "basic "
            else (form.get("client_id") == self.username and form.get("client_secret") == self.password)
        )
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if not ok:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        token = secrets.token_urlsafe(24)
        self.tokens[token] = time.time() + self.token_ttl
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl})

    def _store(self, statement: dict[str, Any]) -> bool | None:
        """True: stored now; False: the same statement was there; None: the id holds other content."""
        known = self.statements.get(statement["id"])
        if known is None:
            self.statements[statement["id"]] = statement
            return True
        return False if self._hash(known) == self._hash(statement) else None

    async def _statements(self, request: Request) -> Response:
        response = await self._answer(request)
        self.requests.append(
            (request.method, request.query_params.get("statementId", ""), response.status_code)
        )
        return response

    async def _answer(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._error(401, "authentication required", {"WWW-Authenticate": 'Basic realm="lrs"'})
        if "x-experience-api-version" not in request.headers:
            return self._error(400, "X-Experience-API-Version header required")
        if request.method == "GET":
            found = self.statements.get(request.query_params.get("statementId", ""))
            if found is None:
                return self._error(404, "no such statement")
            return JSONResponse(found, headers={"X-Experience-API-Version": VERSION})
        try:
            body = json.loads(await request.body())
        except ValueError:
            return self._error(400, "body is not JSON")
        fault = self.faults.pop(0) if self.faults else None
        statements = body if isinstance(body, list) else [body]
        if request.method == "PUT":
            given = request.query_params.get("statementId")
            if given is None or isinstance(body, list):
                return self._error(400, "PUT needs statementId and one statement")
            statements = [{**body, "id": given}]
        else:
            statements = [{**s, "id": s.get("id") or str(uuid.uuid4())} for s in statements]
        if fault is not None and not fault.store:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            return self._error(fault.status, "fault injected", headers)
        outcomes = [self._store(s) for s in statements]
        if fault is not None:
            return self._error(fault.status, "fault injected after storing")
        if any(o is None for o in outcomes):
            return self._error(409, "a statement with this id holds other content")
        if request.method == "PUT":
            return Response(status_code=204, headers={"X-Experience-API-Version": VERSION})
        return JSONResponse([s["id"] for s in statements], headers={"X-Experience-API-Version": VERSION})
