"""The analytics service application."""

from fastapi import FastAPI
from tandem_kit.app import create_app as create_service_app
from tandem_kit.auth import TokenVerifier

from tandem_analytics.graphql import schema
from tandem_analytics.settings import Settings

ROUTERS: list = []
SUBSCRIPTIONS: list = []


def create_app(settings: Settings | None = None, *, token_verifier: TokenVerifier | None = None) -> FastAPI:
    return create_service_app(
        name="analytics",
        settings=settings or Settings(),
        routers=ROUTERS,
        graphql_schema=schema,
        subscriptions=SUBSCRIPTIONS,
        token_verifier=token_verifier,
    )
