"""The analytics service application."""

from fastapi import FastAPI

from tandem_analytics.fact.consumers import SUBSCRIPTIONS
from tandem_analytics.graphql import schema
from tandem_analytics.kpi import endpoints as kpi_endpoints
from tandem_analytics.settings import Settings
from tandem_analytics.telemetry import endpoints as telemetry_endpoints
from tandem_analytics.vendor import endpoints as vendor_endpoints
from tandem_kit.app import create_app as create_service_app
from tandem_kit.auth import TokenVerifier

ROUTERS = [vendor_endpoints.router, telemetry_endpoints.router, kpi_endpoints.router]


def create_app(settings: Settings | None = None, *, token_verifier: TokenVerifier | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_service_app(
        name="analytics",
        settings=settings,
        routers=ROUTERS,
        graphql_schema=schema,
        subscriptions=SUBSCRIPTIONS,
        token_verifier=token_verifier,
    )
    app.state.settings = settings
    return app
