"""The analytics service application."""

from fastapi import FastAPI

from tandem_analytics.business_kpi import endpoints as business_kpi_endpoints
from tandem_analytics.comparison import endpoints as comparison_endpoints
from tandem_analytics.export import endpoints as export_endpoints
from tandem_analytics.fact.consumers import SUBSCRIPTIONS
from tandem_analytics.graphql import schema
from tandem_analytics.kpi import endpoints as kpi_endpoints
from tandem_analytics.kpi import tasks as kpi_tasks
from tandem_analytics.outcome import tasks as outcome_tasks
from tandem_analytics.pilot import endpoints as pilot_endpoints
from tandem_analytics.pilot import tasks as pilot_tasks
from tandem_analytics.privacy.consumers import data_subject_requests, retention_purges
from tandem_analytics.settings import Settings
from tandem_analytics.survey import endpoints as survey_endpoints
from tandem_analytics.telemetry import endpoints as telemetry_endpoints
from tandem_analytics.vendor_platform import endpoints as vendor_endpoints
from tandem_kit.app import create_app as create_service_app
from tandem_kit.auth import TokenVerifier
from tandem_kit.oauth_client import ServiceClient, own_or_given, service_client

ROUTERS = [
    vendor_endpoints.router,
    telemetry_endpoints.router,
    kpi_endpoints.router,
    survey_endpoints.router,
    business_kpi_endpoints.router,
    export_endpoints.router,
    pilot_endpoints.router,
    comparison_endpoints.router,
]
# Telemetry batches (up to `batch_max_items` events) get the bulk body limit; see docs/architecture.md.
BULK_ROUTES = [r"/api/v1/analytics/vendors/[^/]+/events:batch"]


def consent_client(settings: Settings) -> ServiceClient:
    """The production consent client: data-subject request receipts, nothing else."""
    return service_client(settings, settings.consent_url, ["consent:receipt"])


def create_app(
    settings: Settings | None = None,
    *,
    token_verifier: TokenVerifier | None = None,
    consent: ServiceClient | None = None,
) -> FastAPI:
    """`consent` replaces the consent service client (tests pass one bound to the real consent app)."""
    settings = settings or Settings()
    client, closing = own_or_given(consent, lambda: consent_client(settings))
    start_outcomes, stop_outcomes = outcome_tasks.hooks(settings.outcomes_every_seconds)
    start_snapshots, stop_snapshots = kpi_tasks.hooks(settings)
    start_gates, stop_gates = pilot_tasks.hooks(
        settings.pilot_gate_scan_seconds, k=settings.kpi_min_population
    )
    app = create_service_app(
        name="analytics",
        settings=settings,
        routers=ROUTERS,
        graphql_schema=schema,
        subscriptions=[
            *SUBSCRIPTIONS,
            data_subject_requests(client, erasure_key=settings.internal_secret),
            retention_purges(),
        ],
        token_verifier=token_verifier,
        on_startup=[start_outcomes, start_snapshots, start_gates],
        on_shutdown=[stop_gates, stop_snapshots, stop_outcomes, *closing],
        bulk_routes=BULK_ROUTES,
    )
    app.state.settings = settings
    return app
