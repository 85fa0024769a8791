"""The gateway application: OAuth server, admin API, REST routing, federated GraphQL."""

from __future__ import annotations

import asyncio
import functools
from datetime import timedelta

import httpx
from fastapi import FastAPI

from tandem_gateway.admin import endpoints as admin_endpoints
from tandem_gateway.calendars import consumers as calendar_consumers
from tandem_gateway.calendars import endpoints as calendar_endpoints
from tandem_gateway.calendars import privacy as calendar_privacy
from tandem_gateway.calendars.runtime import Calendars
from tandem_gateway.calendars.tasks import keep_channels
from tandem_gateway.connections import endpoints as connection_endpoints
from tandem_gateway.connections import people as connection_people
from tandem_gateway.directory import endpoints as directory_endpoints
from tandem_gateway.directory import privacy as directory_privacy
from tandem_gateway.directory import service as directory_service
from tandem_gateway.graphql import schema as gateway_schema
from tandem_gateway.integrations.hris import endpoints as hris_endpoints
from tandem_gateway.integrations.hris import privacy as hris_privacy
from tandem_gateway.integrations.hris.tasks import scheduler as hris_scheduler
from tandem_gateway.integrations.scim import endpoints as scim_endpoints
from tandem_gateway.oauth import endpoints as oauth_endpoints
from tandem_gateway.oauth.keys import KeyCipher, KeyStore
from tandem_gateway.oauth.user_tokens import UserTokenEdge, UserTokens
from tandem_gateway.oauth.verifier import GatewayTokenVerifier
from tandem_gateway.privacy import consumers as privacy_consumers
from tandem_gateway.privacy.registry import PersonalData
from tandem_gateway.routing import endpoints as routing_endpoints
from tandem_gateway.routing import graphql as graphql_endpoints
from tandem_gateway.routing.domain import BULK_ROUTES
from tandem_gateway.routing.fast import FastForward
from tandem_gateway.routing.graphql import LOCAL_PATH, Graph
from tandem_gateway.routing.proxy import Upstreams
from tandem_gateway.settings import Settings
from tandem_gateway.xapi import consumers as xapi_consumers
from tandem_gateway.xapi import endpoints as xapi_endpoints
from tandem_gateway.xapi import privacy as xapi_privacy
from tandem_gateway.xapi.lrs import Outbound
from tandem_kit.app import create_app as create_service_app
from tandem_kit.app import graphql_router
from tandem_kit.auth import TokenVerifier
from tandem_kit.graphql import GraphQLLimits
from tandem_kit.tasks import background, cancel_and_wait

DESCRIPTION = (
    "Tandem's edge: OAuth 2.0 authorization server for machine clients, the admin API, REST routing "
    "to the services under /api/v1/<service>/ and federated GraphQL at /graphql."
)


def build_keystore(settings: Settings) -> KeyStore:
    return KeyStore(
        KeyCipher(settings.internal_secret.get_secret_value()),
        token_ttl=timedelta(seconds=settings.access_token_ttl_seconds),
        publish_delay=timedelta(seconds=settings.key_publish_delay_seconds),
        refresh_seconds=settings.jwks_refresh_seconds,
    )


def create_app(
    settings: Settings | None = None,
    *,
    token_verifier: TokenVerifier | None = None,
    upstream_transport: httpx.AsyncBaseTransport | None = None,
    keystore: KeyStore | None = None,
    calendar_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    settings = settings or Settings()
    keystore = keystore or build_keystore(settings)
    verifier = token_verifier or GatewayTokenVerifier(
        keystore,
        issuer=settings.issuer,
        refresh_seconds=settings.jwks_refresh_seconds,
        max_stale_seconds=settings.revocation_max_stale_seconds,
    )

    user_tokens = UserTokens(settings, keystore)
    directory_service.configure(settings.directory, erasure_key=settings.internal_secret)
    calendar_providers = settings.calendar_oauth.configs(settings.internal_secret)
    calendars = Calendars(
        settings.calendar_sync,
        public_url=settings.issuer,
        oauth=calendar_providers,
        transport=calendar_transport,
    )
    # Statements out: one client for every LRS and for consent's checks, closed with the app.
    outbound = Outbound(settings, keystore, http=httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=2.0)))
    # What the gateway holds about people, part by part, for consent's access and erasure requests.
    personal_data = PersonalData()
    personal_data.register("hris", export=hris_privacy.export_person, erase=hris_privacy.erase_person)
    personal_data.register(
        "calendar_connections",
        export=connection_people.export_person,
        erase=functools.partial(connection_people.erase_person, providers=calendar_providers),
    )
    personal_data.register(
        calendar_privacy.PART, export=calendar_privacy.export_person, erase=calendar_privacy.erase_person
    )
    personal_data.register("xapi", export=xapi_privacy.export_person, erase=xapi_privacy.erase_person)
    # Last: the others find the person's records through the directory row it pseudonymises.
    personal_data.register(
        "directory", export=directory_privacy.export_person, erase=directory_privacy.erase_person
    )
    consent = privacy_consumers.consent_client(
        keystore, issuer=settings.issuer, consent_url=settings.service_url("consent")
    )
    start_channels, stop_channels = background("calendar_channels", keep_channels)
    start_hris, stop_hris = background(
        "hris_scheduler", hris_scheduler, enabled=settings.hris.scheduler_enabled
    )

    async def start_edge(app: FastAPI) -> None:
        keystore.bind(app.state.database.sessionmaker)
        async with app.state.database.sessionmaker() as session, session.begin():
            await keystore.ensure_signing_key(session)
        await keystore.load()
        if isinstance(verifier, GatewayTokenVerifier):
            await verifier.load_revoked()
        upstreams = Upstreams(settings, transport=upstream_transport)
        local = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.internal")
        graph = Graph(settings, upstreams, keystore, local=local, local_schema=gateway_schema)
        app.state.upstreams, app.state.graph = upstreams, graph
        # Ready only once /graphql can answer; without its database the gateway still forwards calls.
        app.state.ready_checks = {"graphql": graph.ready}
        app.state.degradable = frozenset({"database"})
        app.state.composing = asyncio.create_task(graph.compose_until_ready(), name="gateway-compose")
        calendars.bind(app.state.sessionmaker)

    async def stop_edge(app: FastAPI) -> None:
        await cancel_and_wait(app.state.composing)
        await app.state.upstreams.aclose()
        if app.state.graph.local is not None:
            await app.state.graph.local.aclose()
        await user_tokens.aclose()
        await calendars.aclose()
        await consent.aclose()
        await outbound.aclose()

    app = create_service_app(
        name="gateway",
        settings=settings,
        description=DESCRIPTION,
        token_verifier=verifier,
        subscriptions=[
            *calendar_consumers.subscriptions(calendars),
            *xapi_consumers.subscriptions(outbound, settings),
            privacy_consumers.data_subject_requests(
                personal_data, consent, erasure_key=settings.internal_secret
            ),
        ],
        on_startup=[start_edge, start_channels, start_hris],
        on_shutdown=[stop_hris, stop_channels, stop_edge],
        # Added last, so it runs first: FastForward and the routes only ever see Tandem tokens.
        middleware=[FastForward, *([UserTokenEdge] if user_tokens.enabled else [])],
        bulk_routes=BULK_ROUTES,
        # The OAuth endpoints take small forms, and answer before any client is authenticated.
        body_limits=[(r"/oauth/.*", settings.max_form_body_bytes)],
    )
    app.state.settings = settings
    app.state.keystore = keystore
    app.state.user_tokens = user_tokens
    app.state.calendar_providers = calendar_providers
    app.state.calendars = calendars
    app.state.xapi_outbound = outbound
    app.state.personal_data = personal_data
    # Root-level routes; the catch-all proxy route goes last so it never shadows the others.
    for router in (
        oauth_endpoints.router,
        admin_endpoints.router,
        directory_endpoints.router,
        scim_endpoints.router,
        scim_endpoints.admin_router,
        hris_endpoints.router,
        connection_endpoints.router,
        calendar_endpoints.router,
        xapi_endpoints.router,
        xapi_endpoints.admin_router,
        xapi_endpoints.assignments_router,
        graphql_endpoints.router,
    ):
        app.include_router(router)
    # The gateway's own subgraph: `calendars:read` enters (as `<service>:read` does a service's), each
    # field then requires its own scope.
    app.include_router(
        graphql_router(gateway_schema, scope="calendars:read", limits=GraphQLLimits()), prefix=LOCAL_PATH
    )
    for router in (routing_endpoints.docs_router, routing_endpoints.router):
        app.include_router(router)
    return app
