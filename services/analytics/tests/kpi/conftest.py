import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from tandem_analytics.fact.sharing import set_consent
from tandem_analytics.kpi import service
from tandem_analytics.kpi.domain import KpiOutcome
from tandem_analytics.kpi.repository import Scope
from tandem_analytics.models import (
    ConsentPeriod,
    EngagementFact,
    MatchFact,
    SessionFact,
    SessionTelemetry,
    Vendor,
)
from tandem_analytics.settings import Settings
from tandem_analytics.telemetry.repository import COLUMNS, insert_new
from tandem_kit.testing import Infra

SERVICE_DIR = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SETTINGS = Settings(environment="test", kpi_snapshot_seconds=0)


@pytest.fixture
async def db(infra: Infra) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A fresh database of its own: KPIs over "all programs" see only this test's rows."""
    engine = create_async_engine(infra.fresh_database("analytics_kpi", SERVICE_DIR))
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def ingest(session: AsyncSession, rows: Iterable[SessionTelemetry]) -> None:
    """Store telemetry rows the way the vendor webhook does: the ingest statement, one batch per
    vendor, which also keeps the latest outcome per vendor session. `received_at` is the transaction's
    time (the statement sets it), whatever the row says."""
    batches: defaultdict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        names = ("webhook_id", "type", "occurred_at", *(name for name, _ in COLUMNS))
        batches[row.vendor_id].append({name: getattr(row, name) for name in names})
    for vendor_id, batch in batches.items():
        for person in {row["participant_id"] for row in batch}:
            await set_consent(session, person, granted=True, at=NOW - timedelta(days=400))
        assert len(await insert_new(session, vendor_id, batch)) == len(batch)


@dataclass
class Facts:
    """Hand-written fact rows for one program, committed by `save`."""

    db: async_sessionmaker[AsyncSession]
    program: uuid.UUID = field(default_factory=uuid.uuid4)
    rows: list[Any] = field(default_factory=list)

    def person(self, *, consent_from: datetime = NOW - timedelta(days=400)) -> uuid.UUID:
        person = uuid.uuid4()
        self.rows.append(ConsentPeriod(person_id=person, granted_from=consent_from))
        return person

    def match(
        self,
        participant: uuid.UUID,
        provider: uuid.UUID,
        *,
        kind: str = "coach",
        approved: datetime,
        **over: Any,
    ) -> uuid.UUID:
        match = uuid.uuid4()
        self.rows.append(
            MatchFact(
                match_id=match,
                program_id=over.pop("program_id", self.program),
                participant_id=participant,
                provider_id=provider,
                provider_kind=kind,
                track=kind,
                approved_at=approved,
                **over,
            )
        )
        return match

    def booked(self, match: uuid.UUID, participant: uuid.UUID, starts_at: datetime) -> uuid.UUID:
        engagement, session = uuid.uuid4(), uuid.uuid4()
        self.rows += [
            EngagementFact(
                engagement_id=engagement,
                match_id=match,
                program_id=self.program,
                participant_id=participant,
                provider_id=uuid.uuid4(),
                kickoff_due_at=starts_at,
                created_at=starts_at - timedelta(days=3),
            ),
            SessionFact(
                session_id=session,
                engagement_id=engagement,
                match_id=match,
                participant_id=participant,
                kind="regular",
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=1),
                booked_at=starts_at - timedelta(days=2),
            ),
        ]
        return session

    async def save(self) -> None:
        async with self.db() as session, session.begin():
            # Parents first: vendors before the rows that name them.
            session.add_all(r for r in self.rows if isinstance(r, Vendor))
            await session.flush()
            session.add_all(r for r in self.rows if not isinstance(r, Vendor | SessionTelemetry))
            await ingest(session, (r for r in self.rows if isinstance(r, SessionTelemetry)))
        self.rows = []


async def outcomes(
    db: async_sessionmaker[AsyncSession], scope: Scope, *, now: datetime = NOW
) -> dict[str, KpiOutcome]:
    async with db() as session:
        return {
            o.definition.name: o for o in await service.compute(session, scope, now=now, settings=SETTINGS)
        }


def figures(found: dict[str, KpiOutcome]) -> dict[str, tuple[str, float | None]]:
    return {name: (o.status, o.value) for name, o in found.items()}
