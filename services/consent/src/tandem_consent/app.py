"""The consent service application."""

from fastapi import FastAPI

from tandem_consent.anonymity import endpoints as anonymity_endpoints
from tandem_consent.graphql import schema
from tandem_consent.inventory import endpoints as inventory_endpoints
from tandem_consent.ledger import endpoints as ledger_endpoints
from tandem_consent.purpose import endpoints as purpose_endpoints
from tandem_consent.settings import Settings
from tandem_kit.app import create_app as create_service_app
from tandem_kit.auth import TokenVerifier
from tandem_kit.events import Subscription

ROUTERS = [
    purpose_endpoints.router,
    inventory_endpoints.router,
    ledger_endpoints.router,
    anonymity_endpoints.router,
]
SUBSCRIPTIONS: list[Subscription] = []


def create_app(settings: Settings | None = None, *, token_verifier: TokenVerifier | None = None) -> FastAPI:
    return create_service_app(
        name="consent",
        settings=settings or Settings(),
        routers=ROUTERS,
        graphql_schema=schema,
        subscriptions=SUBSCRIPTIONS,
        token_verifier=token_verifier,
    )
