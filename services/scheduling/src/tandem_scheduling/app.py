"""The scheduling service application."""

from fastapi import APIRouter, FastAPI

from tandem_kit.app import create_app as create_service_app
from tandem_kit.auth import TokenVerifier
from tandem_kit.oauth_client import ServiceClient, own_or_given, service_client
from tandem_scheduling.agreement import endpoints as agreement_endpoints
from tandem_scheduling.attendance import endpoints as attendance_endpoints
from tandem_scheduling.attendance.consumers import vendor_session_reports
from tandem_scheduling.attendance.service import AttendancePolicy
from tandem_scheduling.availability import endpoints as availability_endpoints
from tandem_scheduling.conflict.consumers import CALENDAR_BUSY_CHANGED
from tandem_scheduling.engagement import endpoints as engagement_endpoints
from tandem_scheduling.escalation import endpoints as escalation_endpoints
from tandem_scheduling.gateway_client.calendars import CalendarGateway
from tandem_scheduling.gateway_client.links import CALENDAR_BROKEN, CALENDAR_CONNECTED
from tandem_scheduling.graphql import schema
from tandem_scheduling.group import endpoints as group_endpoints
from tandem_scheduling.lifecycle.consumers import (
    MATCH_APPROVED,
    MATCH_ENDED,
    PERSON_DEACTIVATED,
    PERSON_REACTIVATED,
)
from tandem_scheduling.privacy.consumers import data_subject_requests, retention_purges
from tandem_scheduling.progress import endpoints as progress_endpoints
from tandem_scheduling.session import endpoints as session_endpoints
from tandem_scheduling.settings import Settings
from tandem_scheduling.sla import endpoints as sla_endpoints
from tandem_scheduling.sla import tasks as sla_tasks

ROUTERS: list[APIRouter] = [
    engagement_endpoints.router,
    availability_endpoints.router,
    session_endpoints.router,
    sla_endpoints.router,
    agreement_endpoints.router,
    group_endpoints.router,
    attendance_endpoints.router,
    progress_endpoints.router,
    escalation_endpoints.router,
]


def consent_client(settings: Settings) -> ServiceClient:
    """The production consent client: data-subject request receipts, nothing else."""
    return service_client(settings, settings.consent_url, ["consent:receipt"])


def gateway_client(settings: Settings) -> ServiceClient:
    """The production gateway client: free/busy of both parties' calendars."""
    return service_client(settings, settings.gateway_url, ["calendars:freebusy"])


def attendance_policy(settings: Settings) -> AttendancePolicy:
    """The one attendance floor and minimum of outcomes: the ledger and the SLA clocks both count with it."""
    return AttendancePolicy(floor=settings.attendance_floor, min_outcomes=settings.attendance_min_outcomes)


def create_app(
    settings: Settings | None = None,
    *,
    token_verifier: TokenVerifier | None = None,
    consent: ServiceClient | None = None,
    gateway: ServiceClient | None = None,
) -> FastAPI:
    """`consent` and `gateway` replace the clients of those services (tests pass ones bound to the real
    apps)."""
    settings = settings or Settings()
    client, closing = own_or_given(consent, lambda: consent_client(settings))
    gateway_http, closing_gateway = own_or_given(gateway, lambda: gateway_client(settings))
    start_scan, stop_scan = sla_tasks.hooks(settings.sla_scan_seconds, batch=settings.sla_scan_batch)
    policy = attendance_policy(settings)
    app = create_service_app(
        name="scheduling",
        settings=settings,
        routers=ROUTERS,
        graphql_schema=schema,
        subscriptions=[
            MATCH_APPROVED,
            MATCH_ENDED,
            PERSON_DEACTIVATED,
            PERSON_REACTIVATED,
            CALENDAR_BUSY_CHANGED,
            CALENDAR_CONNECTED,
            CALENDAR_BROKEN,
            vendor_session_reports(policy),
            data_subject_requests(client, erasure_key=settings.internal_secret),
            retention_purges(),
        ],
        token_verifier=token_verifier,
        on_startup=[start_scan],
        on_shutdown=[stop_scan, *closing, *closing_gateway],
    )
    app.state.attendance_policy = policy
    app.state.calendars = CalendarGateway(gateway_http, budget=settings.calendar_budget_seconds)
    return app
