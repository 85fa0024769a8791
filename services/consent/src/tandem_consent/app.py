"""The consent service application."""

from fastapi import APIRouter, FastAPI

from tandem_consent.anonymity import endpoints as anonymity_endpoints
from tandem_consent.graphql import schema
from tandem_consent.inventory import endpoints as inventory_endpoints
from tandem_consent.ledger import endpoints as ledger_endpoints
from tandem_consent.purpose import endpoints as purpose_endpoints
from tandem_consent.request import endpoints as request_endpoints
from tandem_consent.retention import endpoints as retention_endpoints
from tandem_consent.retention import tasks as retention_tasks
from tandem_consent.settings import Settings
from tandem_kit.app import create_app as create_service_app
from tandem_kit.auth import TokenVerifier
from tandem_kit.events import Subscription

ROUTERS: list[APIRouter] = [
    purpose_endpoints.router,
    inventory_endpoints.router,
    ledger_endpoints.router,
    anonymity_endpoints.router,
    retention_endpoints.router,
    request_endpoints.router,
]
SUBSCRIPTIONS: list[Subscription] = []
# Data-subject receipts carry access exports (up to 5 MB of JSON): the bulk body limit.
BULK_ROUTES = [r"/api/v1/consent/data-subject-requests/[^/]+/receipts"]


def create_app(settings: Settings | None = None, *, token_verifier: TokenVerifier | None = None) -> FastAPI:
    settings = settings or Settings()
    start_retention, stop_retention = retention_tasks.hooks(settings.retention_interval_seconds)
    app = create_service_app(
        name="consent",
        settings=settings,
        routers=ROUTERS,
        graphql_schema=schema,
        subscriptions=SUBSCRIPTIONS,
        token_verifier=token_verifier,
        on_startup=[start_retention],
        on_shutdown=[stop_retention],
        bulk_routes=BULK_ROUTES,
    )
    app.state.settings = settings
    return app
