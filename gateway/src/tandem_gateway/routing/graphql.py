"""`/graphql`: the supergraph composed from the subgraphs at start-up, executed with the caller's token."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import strawberry
import structlog
from fastapi import APIRouter, Request, Security
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from strawberry.http.ides import get_graphql_ide_html

from tandem_gateway.federation import CompositionError, FederatedExecutor, Fetch, Supergraph, compose
from tandem_gateway.oauth.domain import READ_SCOPES
from tandem_gateway.oauth.keys import KeyStore
from tandem_gateway.oauth.service import sign_access_token
from tandem_gateway.routing.proxy import Upstreams, request_id
from tandem_gateway.settings import Settings
from tandem_kit.auth import Authenticator, bearer_scheme
from tandem_kit.errors import BadRequest, ContentTooLarge, Forbidden, LengthRequired, ServiceUnavailable
from tandem_kit.graphql import check_body_length, decode_json_body, refuse_nul_in_operation
from tandem_kit.openapi import problems

log = structlog.get_logger("tandem.gateway.graphql")

router = APIRouter(tags=["graphql"])

SDL_QUERY = "query SubgraphSdl { _service { sdl } }"
# The gateway's own subgraph (calendar connections), served at LOCAL_PATH and called in-process.
LOCAL_SUBGRAPH = "gateway"
LOCAL_PATH = "/graphql/gateway"


class SubgraphUnavailable(Exception):
    pass


class SupergraphNotReady(ServiceUnavailable):
    code, title = "supergraph-not-ready", "GraphQL is not ready"


class Graph:
    """Holds the composed supergraph; composition retries in the background while subgraphs are down."""

    def __init__(
        self,
        settings: Settings,
        upstreams: Upstreams,
        keystore: KeyStore,
        *,
        local: httpx.AsyncClient | None = None,
        local_schema: strawberry.Schema | None = None,
    ) -> None:
        self.settings = settings
        self.upstreams = upstreams
        self.keystore = keystore
        # The gateway's own subgraph, reached through the app itself (same token checks, no socket).
        self.local = local
        self.local_schema = local_schema
        self.supergraph: Supergraph | None = None
        self.composition_error: str | None = None

    def ready(self) -> bool:
        """Whether /graphql can answer (composed, or no subgraphs configured)."""
        return self.supergraph is not None or not self.settings.graphql_subgraphs

    def _gateway_token(self) -> str:
        token, _ = sign_access_token(
            self.keystore,
            issuer=self.settings.issuer,
            subject="gateway",
            client_id="gateway",
            client_name="gateway",
            audience="tandem",
            scopes=READ_SCOPES,
            ttl=timedelta(seconds=60),
        )
        return token

    async def _post(self, subgraph: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        if subgraph == LOCAL_SUBGRAPH and self.local is not None:
            return await self.local.post(LOCAL_PATH, json=body, headers=headers)
        return await self.upstreams.http.post(
            self.upstreams.url(subgraph, "/graphql"), json=body, headers=headers
        )

    async def _sdl(self, service: str) -> str:
        if service == LOCAL_SUBGRAPH and self.local_schema is not None:
            answer = await self.local_schema.execute(SDL_QUERY)
            assert answer.data is not None, answer.errors
            return str(answer.data["_service"]["sdl"])
        headers = {"Authorization": f"Bearer {self._gateway_token()}"}
        try:
            response = await self._post(service, {"query": SDL_QUERY}, headers)
            response.raise_for_status()
            sdl = response.json()["data"]["_service"]["sdl"]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise SubgraphUnavailable(f"{service}: {type(exc).__name__}: {exc}") from exc
        return str(sdl)

    async def compose_until_ready(self) -> None:
        services = self.settings.graphql_subgraphs
        if not services:
            return
        while True:
            try:
                sdls = dict(
                    zip(services, await asyncio.gather(*(self._sdl(s) for s in services)), strict=True)
                )
            except SubgraphUnavailable as exc:
                log.warning("gateway.graphql.subgraph_unavailable", error=str(exc))
                await asyncio.sleep(self.settings.composition_retry_seconds)
                continue
            try:
                self.supergraph = compose(sdls)
            except CompositionError as exc:
                # A configuration error, not a transient one: say it loudly and keep answering 503.
                self.composition_error = str(exc)
                log.error("gateway.graphql.composition_failed", error=str(exc), subgraphs=list(services))
                return
            log.info("gateway.graphql.composed", subgraphs=list(services))
            return

    def fetcher(self, authorization: str) -> Fetch:
        """Subgraph calls carry the caller's own token: each subgraph authorizes the caller itself."""

        async def fetch(subgraph: str, query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
            headers = {"Authorization": authorization, "x-request-id": request_id()}
            body: dict[str, Any] = {"query": query}
            if variables:
                body["variables"] = variables
            response = await self._post(subgraph, body, headers)
            if response.status_code != 200:
                return {"errors": [_status_error(subgraph, response)]}
            result: dict[str, Any] = response.json()
            return result

        return fetch

    def executor(self, authorization: str) -> FederatedExecutor:
        if self.supergraph is None:
            detail = (
                f"The supergraph did not compose: {self.composition_error}"
                if self.composition_error
                else "The subgraphs are not all reachable yet; retry shortly."
            )
            raise SupergraphNotReady(detail, headers={"Retry-After": "5"})
        return FederatedExecutor(
            self.supergraph,
            self.fetcher(authorization),
            max_depth=self.settings.graphql_max_depth,
            max_cost=self.settings.graphql_max_cost,
            limits=self.settings.graphql_limits,
        )


def _status_error(subgraph: str, response: httpx.Response) -> dict[str, Any]:
    try:
        detail = str(response.json().get("detail", ""))
    except ValueError:
        detail = ""
    message = f"The {subgraph} subgraph refused the request ({response.status_code})" + (
        f": {detail}" if detail else "."
    )
    return {
        "message": message,
        "extensions": {"code": f"SUBGRAPH_HTTP_{response.status_code}", "subgraph": subgraph},
    }


def _graph(request: Request) -> Graph:
    graph: Graph = request.app.state.graph
    return graph


async def _authorize(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str:
    """Any read scope opens the endpoint; each subgraph then checks its own scope."""
    principal = await Authenticator()(request, credentials)
    if not principal.scopes & set(READ_SCOPES):
        raise Forbidden(
            f"The access token needs one of the scopes {' '.join(READ_SCOPES)}.",
            missing_scopes=list(READ_SCOPES),
        )
    return request.headers["authorization"]


@router.post(
    "/graphql",
    summary="Federated GraphQL",
    responses=problems(BadRequest, Forbidden, LengthRequired, ContentTooLarge),
)
async def post_graphql(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Security(bearer_scheme)
) -> JSONResponse:
    """Execute a GraphQL operation across the subgraphs."""
    authorization = await _authorize(request, credentials)
    settings: Settings = request.app.state.settings
    check_body_length(request, settings.graphql_limits)
    body = decode_json_body(await request.body())
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        raise BadRequest("The GraphQL request needs a `query` string.", pointer="#/query")
    variables = body.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise BadRequest("`variables` must be an object.", pointer="#/variables")
    refuse_nul_in_operation(body["query"], variables, "body")
    result = (
        await _graph(request)
        .executor(authorization)
        .execute(body["query"], variables, body.get("operationName"))
    )
    return JSONResponse(result)


@router.get(
    "/graphql",
    summary="Federated GraphQL (queries) or the GraphiQL page",
    responses={
        200: {
            "content": {"text/html": {}},
            "description": "The result, or GraphiQL (development, browsers).",
        },
        **problems(BadRequest, Forbidden),
    },
)
async def get_graphql(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Security(bearer_scheme)
) -> Response:
    """GraphiQL in development for browsers; otherwise a query from the `query` parameter."""
    settings: Settings = request.app.state.settings
    if settings.environment == "development" and "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(get_graphql_ide_html())
    authorization = await _authorize(request, credentials)
    query = request.query_params.get("query")
    if not query:
        raise BadRequest("The `query` parameter is required.", parameter="query")
    try:
        variables = json.loads(request.query_params.get("variables") or "null")
    except (ValueError, RecursionError) as exc:
        raise BadRequest("`variables` must be JSON.", parameter="variables") from exc
    refuse_nul_in_operation(query, variables, "query")
    executor = _graph(request).executor(authorization)
    if query.lstrip().startswith("mutation"):
        raise BadRequest("Mutations need POST.", parameter="query")
    result = await executor.execute(query, variables, request.query_params.get("operationName"))
    return JSONResponse(result)
