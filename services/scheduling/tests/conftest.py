import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_consent.testing import consent_client, running_consent
from tandem_devstack.fakes import google_calendar, microsoft_graph
from tandem_devstack.fakes.google_calendar import FakeGoogleCalendar
from tandem_devstack.fakes.microsoft_graph import FakeMicrosoftGraph
from tandem_gateway.app import create_app as create_gateway_app
from tandem_gateway.calendars.settings import CalendarSyncSettings
from tandem_gateway.connections import service as connections
from tandem_gateway.connections.domain import OAuthProviderConfig, Owner
from tandem_gateway.connections.settings import (
    CalendarOAuthSettings,
    GoogleOAuthSettings,
    MicrosoftOAuthSettings,
)
from tandem_gateway.models import CalendarWatch
from tandem_gateway.testing import create_oauth_client, gateway_settings, serve
from tandem_kit.embedded import free_port
from tandem_kit.events import outbox_messages
from tandem_kit.oauth_client import ClientCredentials, ServiceClient
from tandem_kit.testing import Infra, eventually, rollback_client, running, sessionmaker_of
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


REDIRECT_URI = "https://app.tandem.test/calendar/callback"


def calendar_oauth(google_url: str, microsoft_url: str) -> CalendarOAuthSettings:
    """The gateway's OAuth app registrations at the two fakes."""
    tenant = f"{microsoft_url}/{microsoft_graph.TENANT}/oauth2/v2.0"
    return CalendarOAuthSettings(
        google=GoogleOAuthSettings(
            client_id=google_calendar.CLIENT_ID,
            client_secret=SecretStr(google_calendar.CLIENT_SECRET),
            redirect_uri=REDIRECT_URI,
            authorize_url=f"{google_url}/o/oauth2/v2/auth",
            token_url=f"{google_url}/token",
            revoke_url=f"{google_url}/revoke",
        ),
        microsoft=MicrosoftOAuthSettings(
            client_id=microsoft_graph.CLIENT_ID,
            client_secret=SecretStr(microsoft_graph.CLIENT_SECRET),
            redirect_uri=REDIRECT_URI,
            authorize_url=f"{tenant}/authorize",
            token_url=f"{tenant}/token",
        ),
    )


@dataclass
class Calendars:
    """The real gateway (its free/busy API, connections and webhooks) over HTTP, with the Google and
    Microsoft fakes it reads; people connect through the real authorization-code flow."""

    gateway: FastAPI
    url: str
    google: FakeGoogleCalendar
    microsoft: FakeMicrosoftGraph
    oauth: dict[str, OAuthProviderConfig]

    async def connect(self, provider: str, person_id: uuid.UUID, login: str) -> None:
        owner, maker = Owner(person_id=person_id), self.gateway.state.database.sessionmaker
        async with maker() as session, session.begin():
            url = await connections.begin_authorization(session, owner, oauth=self.oauth[provider])
        async with httpx.AsyncClient() as browser:
            answer = await browser.get(f"{url}&{urlencode({'login_hint': login})}")
        back = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}
        async with maker() as session, session.begin():
            connection = await connections.complete_authorization(
                session, owner, state=back["state"], code=back["code"], providers=self.oauth
            )

        async def watched() -> bool:
            # The gateway opens its change-notification channel on `CalendarConnected`.
            async with maker() as session:
                found = await session.scalar(
                    select(func.count()).where(CalendarWatch.connection_id == connection.id)
                )
                return bool(found)

        assert await eventually(watched, timeout=15) is True

    def busy(self, provider: str, login: str, start: datetime, end: datetime) -> None:
        """A meeting in the person's calendar at the fake (which notifies the gateway's webhook)."""
        if provider == "google":
            self.google.put_event(
                login,
                {
                    "summary": "Board meeting",
                    "start": {"dateTime": iso(start)},
                    "end": {"dateTime": iso(end)},
                },
            )
        else:
            self.microsoft.put_event(
                login,
                {
                    "subject": "Board meeting",
                    "showAs": "busy",
                    "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
                    "end": {"dateTime": end.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
                },
            )


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="session")
async def calendars(infra: Infra) -> AsyncIterator[Calendars]:
    google, microsoft = FakeGoogleCalendar(), FakeMicrosoftGraph()
    async with serve(google.app) as google_url, serve(microsoft.app) as microsoft_url:
        port = free_port()
        settings = gateway_settings(
            infra,
            calendar_sync=CalendarSyncSettings(
                google_api_url=google_url,
                graph_api_url=microsoft_url,
                webhook_base_url=f"http://127.0.0.1:{port}",
                read_timeout_seconds=1.0,
            ),
            calendar_oauth=calendar_oauth(google_url, microsoft_url),
            outbox_poll_seconds=0.1,
        )
        gateway = create_gateway_app(settings)
        async with serve(gateway, port=port) as url:
            yield Calendars(gateway, url, google, microsoft, gateway.state.calendar_providers)
            await google.drain()
            await microsoft.drain()


async def gateway_client(calendars: Calendars) -> ServiceClient:
    """Scheduling's client of the real gateway: its own client-credentials token with
    `calendars:freebusy`, from the gateway's token endpoint."""
    creds = await create_oauth_client(calendars.gateway, "calendars:freebusy", name="scheduling")
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
