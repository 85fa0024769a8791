"""The matching service application."""

from fastapi import FastAPI
from tandem_kit.app import create_app as create_service_app
from tandem_kit.auth import TokenVerifier

from tandem_matching.graphql import schema
from tandem_matching.settings import Settings

ROUTERS: list = []
SUBSCRIPTIONS: list = []


def create_app(settings: Settings | None = None, *, token_verifier: TokenVerifier | None = None) -> FastAPI:
    return create_service_app(
        name="matching",
        settings=settings or Settings(),
        routers=ROUTERS,
        graphql_schema=schema,
        subscriptions=SUBSCRIPTIONS,
        token_verifier=token_verifier,
    )
