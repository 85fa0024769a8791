"""The matching service application."""

from datetime import timedelta

from fastapi import APIRouter, FastAPI

from tandem_kit.app import create_app as create_service_app
from tandem_kit.auth import TokenVerifier
from tandem_kit.oauth_client import ServiceClient, own_or_given, service_client
from tandem_matching.cohort import endpoints as cohort_endpoints
from tandem_matching.consent_client.gate import ConsentGate, consent_subscription
from tandem_matching.directory import consumers as directory_consumers
from tandem_matching.eligibility import Policy
from tandem_matching.graphql import schema
from tandem_matching.handoff import consumers as handoff_consumers
from tandem_matching.handoff import endpoints as handoff_endpoints
from tandem_matching.handoff.service import PURPOSE as HANDOFF_PURPOSE
from tandem_matching.intake import endpoints as intake_endpoints
from tandem_matching.match import endpoints as match_endpoints
from tandem_matching.privacy import retention
from tandem_matching.privacy import service as privacy
from tandem_matching.program import endpoints as program_endpoints
from tandem_matching.proposal import endpoints as proposal_endpoints
from tandem_matching.provider import consumers as provider_consumers
from tandem_matching.provider import endpoints as provider_endpoints
from tandem_matching.provider import tasks as provider_tasks
from tandem_matching.readback import endpoints as readback_endpoints
from tandem_matching.readback.service import PURPOSE as READBACK_PURPOSE
from tandem_matching.review import consumers as review_consumers
from tandem_matching.review import endpoints as review_endpoints
from tandem_matching.settings import Settings
from tandem_matching.sponsor import endpoints as sponsor_endpoints

ROUTERS: list[APIRouter] = [
    program_endpoints.router,
    provider_endpoints.router,
    intake_endpoints.router,
    review_endpoints.proposing,
    proposal_endpoints.router,
    review_endpoints.router,
    match_endpoints.router,
    cohort_endpoints.router,
    readback_endpoints.router,
    sponsor_endpoints.router,
    handoff_endpoints.router,
]


def consent_client(settings: Settings) -> ServiceClient:
    """The production consent client: checks (read) and data-subject request receipts."""
    return service_client(settings, settings.consent_url, ["consent:read", "consent:receipt"])


def create_app(
    settings: Settings | None = None,
    *,
    token_verifier: TokenVerifier | None = None,
    consent: ServiceClient | None = None,
) -> FastAPI:
    """`consent` replaces the consent service client (tests pass one bound to the real consent app); it
    serves consent checks and the receipts of data-subject requests."""
    settings = settings or Settings()
    client, closing = own_or_given(consent, lambda: consent_client(settings))
    gate = ConsentGate(client, ttl=settings.consent_cache_seconds)
    # Handoff consent is asked fresh every time (ttl 0): a withdrawal hides goals and progress at once.
    handoff_gate = ConsentGate(client, ttl=0, purpose=HANDOFF_PURPOSE)
    policy = Policy(
        calibration_review_max_age=timedelta(days=settings.calibration_review_max_days),
        recertification_max_age=timedelta(days=settings.recertification_max_days),
    )
    start_scan, stop_scan = provider_tasks.hooks(settings.eligibility_scan_seconds, policy)
    app = create_service_app(
        name="matching",
        settings=settings,
        routers=ROUTERS,
        graphql_schema=schema,
        subscriptions=[
            consent_subscription(gate),
            privacy.subscription(client, erasure_key=settings.internal_secret),
            retention.subscription(),
            directory_consumers.PERSON_PROVISIONED,
            directory_consumers.PERSON_REACTIVATED,
            review_consumers.PERSON_DEACTIVATED,
            review_consumers.PERSON_JOB_CHANGED,
            *provider_consumers.subscriptions(policy),
            *handoff_consumers.subscriptions(gate, handoff_gate),
            provider_consumers.outcomes_subscription(policy, key=settings.internal_secret),
        ],
        token_verifier=token_verifier,
        on_startup=[start_scan],
        on_shutdown=[stop_scan, *closing],
    )
    app.state.consent_gate = gate
    app.state.settings = settings
    app.state.eligibility_policy = policy
    app.state.handoff_gate = handoff_gate
    # Read-back consent is asked fresh for every page (ttl 0): a withdrawal stops sharing at once.
    app.state.readback_gate = ConsentGate(client, ttl=0, purpose=READBACK_PURPOSE)
    return app
