import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_consent.testing import consent_client, running_consent
from tandem_devstack.calendar_gateway import CalendarGateway, calendar_gateway
from tandem_gateway.calendars.settings import CalendarSyncSettings
from tandem_gateway.connections.settings import CalendarOAuthSettings
from tandem_gateway.settings import Settings as GatewaySettings
from tandem_gateway.testing import create_oauth_client, gateway_settings
from tandem_kit.events import outbox_messages
from tandem_kit.oauth_client import ClientCredentials, ServiceClient
from tandem_kit.testing import Infra, rollback_client, running, sessionmaker_of
from tandem_scheduling.agreement.domain import CLAUSES
from tandem_scheduling.app import create_app
from tandem_scheduling.engagement import service as engagement_service
from tandem_scheduling.engagement.schemas import MatchApproved
from tandem_scheduling.models import Engagement, WorkingAgreement
from tandem_scheduling.settings import Settings

SERVICE_DIR = Path(__file__).resolve().parents[1]

WEEKDAYS_9_TO_5 = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]


@pytest.fixture(scope="session")
async def consent_app(infra: Infra) -> AsyncIterator[FastAPI]:
    """The real consent service, in process with its own database; only it and scheduling answer
    data-subject requests here, so a request completes once scheduling has sent its receipt."""
    async with running_consent(infra, dsr_services=["consent", "scheduling"]) as started:
        yield started


Calendars = CalendarGateway


@pytest.fixture(scope="session")
async def calendars(infra: Infra) -> AsyncIterator[Calendars]:
    """The real gateway (its free/busy API, connections and webhooks) over HTTP, with the Google and
    Microsoft fakes it reads; people connect through the real authorization-code flow."""

    def settings(
        calendar_sync: CalendarSyncSettings, calendar_oauth: CalendarOAuthSettings
    ) -> GatewaySettings:
        return gateway_settings(
            infra, calendar_sync=calendar_sync, calendar_oauth=calendar_oauth, outbox_poll_seconds=0.1
        )

    async with calendar_gateway(settings, sync={"read_timeout_seconds": 1.0}) as gateway:
        yield gateway


async def gateway_client(calendars: Calendars) -> ServiceClient:
    """Scheduling's client of the real gateway: its own client-credentials token with
    `calendars:freebusy`, from the gateway's token endpoint."""
    creds = await create_oauth_client(calendars.app, "calendars:freebusy", name="scheduling")
    tokens = ClientCredentials(
        token_url=f"{calendars.url}/oauth/token",
        client_id=creds.client_id,
        client_secret=creds.secret,
        scopes=["calendars:freebusy"],
    )
    return ServiceClient(calendars.url, tokens)


@pytest.fixture(scope="session")
async def app(infra: Infra, consent_app: FastAPI, calendars: Calendars) -> AsyncIterator[FastAPI]:
    settings = Settings(
        environment="test",
        database_url=infra.database("scheduling", SERVICE_DIR),
        nats_url=infra.nats.url,
        sla_scan_seconds=0,
    )
    consent = consent_client(infra, consent_app, "scheduling", "consent:receipt")
    gateway = await gateway_client(calendars)
    scheduling = create_app(
        settings, token_verifier=infra.keys.verifier("scheduling"), consent=consent, gateway=gateway
    )
    async with running(scheduling) as started:
        yield started
    await consent.aclose()
    await gateway.aclose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Every request of one test in one outer transaction, rolled back afterwards."""
    async with rollback_client(app) as c:
        yield c


def winter_monday(hour: int = 14, minute: int = 0) -> datetime:
    """The second Monday of next January at hour:minute UTC: always ahead, always outside DST.

    New York (UTC-5) and Berlin (UTC+1) then share 14:00-16:00 UTC of their 09:00-17:00 days.
    """
    day = datetime(datetime.now(UTC).year + 1, 1, 8, hour, minute, tzinfo=UTC)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def match_approved(**overrides: Any) -> dict[str, Any]:
    """A `MatchApproved` payload (docs/contracts.md): a New York participant and a Berlin coach."""
    data: dict[str, Any] = {
        "match_id": str(uuid.uuid4()),
        "proposal_id": str(uuid.uuid4()),
        "program_id": str(uuid.uuid4()),
        "participant_id": str(uuid.uuid4()),
        "provider_id": str(uuid.uuid4()),
        "provider_person_id": str(uuid.uuid4()),
        "provider_kind": "coach",
        "track": "coach",
        "score": 81.5,
        "approved_at": datetime.now(UTC).isoformat(),
        "approved_by": "pm-1",
        "participant_timezone": "America/New_York",
        "participant_working_hours": WEEKDAYS_9_TO_5,
        "provider_timezone": "Europe/Berlin",
        "provider_working_hours": WEEKDAYS_9_TO_5,
    }
    data.update(overrides)
    return data


@pytest.fixture
def monday() -> datetime:
    """14:00 UTC on the second Monday of next January (see `winter_monday`)."""
    return winter_monday()


@pytest.fixture
def payload() -> Callable[..., dict[str, Any]]:
    """Factory of `MatchApproved` payloads with overrides."""
    return match_approved


MakeEngagement = Callable[..., Awaitable[Engagement]]


@pytest.fixture
def make_engagement(app: FastAPI, client: httpx.AsyncClient) -> MakeEngagement:
    """Create an engagement inside the test's rolled-back transaction (needs the `client` fixture).

    Its working agreement is signed by both parties unless `signed=False` (none is written then).
    """

    async def make(*, signed: bool = True, **overrides: Any) -> Engagement:
        async with sessionmaker_of(app)() as session:
            engagement = await engagement_service.create_from_match(
                session, MatchApproved.model_validate(match_approved(**overrides))
            )
            if signed:
                now = datetime.now(UTC)
                session.add(
                    WorkingAgreement(
                        engagement_id=engagement.id,
                        version=1,
                        clauses=dict.fromkeys(CLAUSES, "agreed"),
                        participant_signed_at=now,
                        provider_signed_at=now,
                        updated_by="test",
                    )
                )
            await session.commit()
            return engagement

    return make


async def outbox_count(session: AsyncSession, event_type: str, **data: str) -> int:
    statement = select(func.count()).where(outbox_messages.c.subject == f"tandem.scheduling.{event_type}")
    for key, value in data.items():
        statement = statement.where(outbox_messages.c.payload["data"][key].astext == value)
    return int(await session.scalar(statement) or 0)


@pytest.fixture
def outbox(app: FastAPI, client: httpx.AsyncClient) -> Callable[..., Awaitable[int]]:
    """Count outbox rows of one event type whose data match, as the test's transaction sees them."""

    async def count(event_type: str, **data: str) -> int:
        async with sessionmaker_of(app)() as session:
            return await outbox_count(session, event_type, **data)

    return count
