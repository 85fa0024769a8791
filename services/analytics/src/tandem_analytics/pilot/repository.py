"""Pilot rows, and the set-based queries that gather a gate's evidence (counts, never rows about people)."""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.models import (
    AgreementFact,
    AttendanceFact,
    BusinessKpiValue,
    ConsentPeriod,
    MatchFact,
    ProposalFact,
    SessionTelemetry,
    SponsorActionFact,
)
from tandem_analytics.models.pilot import (
    GateEvaluation,
    Pilot,
    PilotDecision,
    PilotMeasure,
    PilotMember,
    PilotMitigation,
)
from tandem_analytics.pilot import domain
from tandem_kit.auth import Principal


def end_of(day: date) -> datetime:
    """The first instant after `day` (UTC): facts strictly before it are "as of" the day."""
    return datetime.combine(day + timedelta(days=1), time(0), UTC)


# -- charters -------------------------------------------------------------------------------------


def readable_statement(principal: Principal) -> Select[tuple[Pilot]]:
    """Pilots the caller may see: all for machines and supervisors; a person sees the pilots they are
    in or sponsor."""
    statement = select(Pilot)
    if principal.sees_everything:
        return statement
    person = principal.person_uuid
    if person is None:
        return statement.where(false())
    member = exists().where(PilotMember.pilot_id == Pilot.id, PilotMember.person_id == person)
    return statement.where(or_(Pilot.sponsor_id == person, member))


async def get_readable(session: AsyncSession, principal: Principal, pilot_id: UUID) -> Pilot | None:
    result = await session.scalars(readable_statement(principal).where(Pilot.id == pilot_id))
    return result.one_or_none()


def list_statement(principal: Principal, *, program_id: UUID | None) -> Select[tuple[Pilot]]:
    statement = readable_statement(principal)
    if program_id is not None:
        statement = statement.where(Pilot.program_id == program_id)
    return statement.order_by(Pilot.start_date.desc(), Pilot.id)


async def cohorts(session: AsyncSession, pilot_ids: Sequence[UUID]) -> dict[UUID, list[UUID]]:
    found: dict[UUID, list[UUID]] = {p: [] for p in pilot_ids}
    rows = await session.execute(
        select(PilotMember.pilot_id, PilotMember.person_id).where(PilotMember.pilot_id.in_(pilot_ids))
    )
    for pilot_id, person_id in rows:
        found[pilot_id].append(person_id)
    return found


async def add_members(session: AsyncSession, pilot_id: UUID, people: Sequence[UUID]) -> None:
    session.add_all(PilotMember(pilot_id=pilot_id, person_id=p) for p in people)
    await session.flush()


def evaluations_statement(pilot_id: UUID, gate: str | None) -> Select[tuple[GateEvaluation]]:
    statement = select(GateEvaluation).where(GateEvaluation.pilot_id == pilot_id)
    if gate is not None:
        statement = statement.where(GateEvaluation.gate == gate)
    return statement.order_by(GateEvaluation.evaluated_at.desc(), GateEvaluation.id)


def decisions_statement(pilot_id: UUID) -> Select[tuple[PilotDecision]]:
    return (
        select(PilotDecision)
        .where(PilotDecision.pilot_id == pilot_id)
        .order_by(PilotDecision.decided_at.desc(), PilotDecision.id)
    )


def mitigations_statement(pilot_id: UUID) -> Select[tuple[PilotMitigation]]:
    return (
        select(PilotMitigation)
        .where(PilotMitigation.pilot_id == pilot_id)
        .order_by(PilotMitigation.recorded_on.desc(), PilotMitigation.id)
    )


def measures_statement(pilot_id: UUID) -> Select[tuple[PilotMeasure]]:
    return (
        select(PilotMeasure)
        .where(PilotMeasure.pilot_id == pilot_id)
        .order_by(PilotMeasure.measured_on.desc(), PilotMeasure.id)
    )


async def evaluation_of(session: AsyncSession, pilot_id: UUID, evaluation_id: UUID) -> GateEvaluation | None:
    result = await session.scalars(
        select(GateEvaluation).where(GateEvaluation.id == evaluation_id, GateEvaluation.pilot_id == pilot_id)
    )
    return result.one_or_none()


async def unevaluated_due_gates(session: AsyncSession, today: date) -> list[tuple[Pilot, str]]:
    """Every (pilot, gate) whose date has come by `today` and that has no evaluation yet."""
    pilots = (await session.scalars(select(Pilot).where(Pilot.start_date <= today))).all()
    if not pilots:
        return []
    done = {
        (p, g)
        for p, g in await session.execute(
            select(GateEvaluation.pilot_id, GateEvaluation.gate).where(
                GateEvaluation.pilot_id.in_([p.id for p in pilots])
            )
        )
    }
    return [
        (pilot, gate)
        for pilot in pilots
        for gate in domain.due_gates(pilot.start_date, today)
        if (pilot.id, gate) not in done
    ]


# -- evidence -------------------------------------------------------------------------------------


def counted_members(pilot_id: UUID, cutoff: datetime) -> Select[Any]:
    """The cohort members whose `analytics` consent stood granted at `cutoff`: only they are counted."""
    period = ConsentPeriod
    consent = exists().where(
        period.person_id == PilotMember.person_id,
        period.granted_from < cutoff,
        or_(period.granted_until.is_(None), period.granted_until >= cutoff),
    )
    return select(PilotMember.person_id.label("person_id")).where(PilotMember.pilot_id == pilot_id, consent)


def _count(members: Any, *conditions: ColumnElement[bool]) -> Any:
    """How many counted members satisfy `conditions` (a correlated EXISTS per member)."""
    return select(func.count()).select_from(members).where(*conditions).scalar_subquery()


async def gather(
    session: AsyncSession, pilot: Pilot, as_of: date, *, cohort_size: int, k: int
) -> domain.Evidence:
    """A gate's raw evidence as of the end of `as_of`, in one statement; the caller suppresses."""
    cutoff, program = end_of(as_of), pilot.program_id
    members = counted_members(pilot.id, cutoff).cte("members")
    person = members.c.person_id
    m, a, s, t = MatchFact, AttendanceFact, SponsorActionFact, SessionTelemetry
    matched_in = and_(m.participant_id == person, m.program_id == program, m.approved_at < cutoff)
    intake = exists().where(
        ProposalFact.participant_id == person,
        ProposalFact.program_id == program,
        ProposalFact.created_at < cutoff,
    )
    signed = exists().where(
        matched_in,
        AgreementFact.match_id == m.match_id,
        AgreementFact.signed_at < cutoff,
    )
    action = exists().where(
        s.participant_id == person,
        s.program_id == program,
        s.logged_at < cutoff,
        or_(s.retracted_at.is_(None), s.retracted_at >= cutoff),
    )
    window = cutoff - timedelta(days=domain.TELEMETRY_WINDOW_DAYS)
    telemetry = exists().where(t.participant_id == person, t.received_at >= window, t.received_at < cutoff)
    # Sessions of counted members since the pilot began whose outcome was recorded; a rescheduled one
    # moved, it was not missed.
    sessions = (
        select(func.count().label("due"), func.count().filter(a.held).label("held"))
        .where(
            a.participant_id.in_(select(person)),
            a.program_id == program,
            a.starts_at >= datetime.combine(pilot.start_date, time(0), UTC),
            a.starts_at < cutoff,
            a.outcome != "rescheduled",
        )
        .subquery()
    )
    row = (
        await session.execute(
            select(
                _count(members, true()).label("counted"),
                _count(members, intake).label("intake"),
                _count(members, exists().where(matched_in)).label("matched"),
                _count(members, exists().where(matched_in), signed).label("signed"),
                _count(
                    members, exists().where(matched_in, m.end_reason == "reassigned", m.ended_at < cutoff)
                ).label("reassigned"),
                _count(members, exists().where(matched_in, m.provider_kind == "mentor")).label("mentees"),
                _count(members, exists().where(matched_in, m.provider_kind == "mentor"), action).label(
                    "actions"
                ),
                _count(members, telemetry).label("telemetry"),
                select(sessions.c.due).scalar_subquery().label("due"),
                select(sessions.c.held).scalar_subquery().label("held"),
                select(func.count())
                .where(PilotMitigation.pilot_id == pilot.id, PilotMitigation.recorded_on <= as_of)
                .scalar_subquery()
                .label("mitigations"),
            )
        )
    ).one()
    improved, measured = await linked_kpis(session, pilot, as_of)
    return domain.Evidence(
        cohort_size=cohort_size,
        members_counted=row.counted,
        intake_completed=row.intake,
        matched=row.matched,
        agreements_signed=row.signed,
        sessions_due=row.due,
        sessions_attended=row.held,
        reassigned=row.reassigned,
        mentees=row.mentees,
        mentees_with_sponsor_action=row.actions,
        telemetry_people=row.telemetry,
        behaviour_lift=await behaviour_lift(session, pilot.id, as_of, k=k),
        kpis_improved=improved,
        kpis_measured=measured,
        mitigations=row.mitigations,
    )


async def linked_kpis(session: AsyncSession, pilot: Pilot, as_of: date) -> tuple[int, int]:
    """(improved, measured) over the pilot's linked business KPIs, from the program's imports."""
    linked = pilot.linked_kpis
    if not linked:
        return 0, 0
    b = BusinessKpiValue
    rows = await session.execute(
        select(b.kpi_name, b.segment_kind, b.segment, b.period, b.value).where(
            b.program_id == pilot.program_id, b.kpi_name.in_([k["name"] for k in linked])
        )
    )
    series: dict[tuple[str, str, str], dict[str, float]] = {}
    for name, kind, segment, period, value in rows:
        series.setdefault((name, kind, segment), {})[period] = value
    moved = [
        domain.kpi_improved(
            series.get((k["name"], k["segment_kind"], k["segment"]), {}),
            start=pilot.start_date,
            as_of=as_of,
            better=k["better"],
        )
        for k in linked
    ]
    return sum(1 for x in moved if x), sum(1 for x in moved if x is not None)


async def behaviour_lift(session: AsyncSession, pilot_id: UUID, as_of: date, *, k: int) -> float | None:
    """The largest movement of any indicator: its latest follow-up mean minus its latest baseline, both
    measured by `as_of` over at least k respondents. None without such a pair."""
    latest = (
        select(PilotMeasure.indicator, PilotMeasure.phase, PilotMeasure.mean)
        .where(
            PilotMeasure.pilot_id == pilot_id,
            PilotMeasure.measured_on <= as_of,
            PilotMeasure.respondents >= k,
        )
        .distinct(PilotMeasure.indicator, PilotMeasure.phase)
        .order_by(
            PilotMeasure.indicator, PilotMeasure.phase, PilotMeasure.measured_on.desc(), PilotMeasure.id
        )
    )
    means: dict[str, dict[str, float]] = {}
    for indicator, phase, mean in await session.execute(latest):
        means.setdefault(indicator, {})[phase] = mean
    lifts = [p["follow_up"] - p["baseline"] for p in means.values() if {"baseline", "follow_up"} <= p.keys()]
    return max(lifts) if lifts else None


# -- personal data --------------------------------------------------------------------------------


async def pilots_of(session: AsyncSession, person_id: UUID) -> list[tuple[UUID, UUID, str]]:
    """(pilot, program, role) for every pilot the person is in or sponsors (access requests)."""
    member = select(Pilot.id, Pilot.program_id).join(PilotMember, PilotMember.pilot_id == Pilot.id)
    rows = await session.execute(member.where(PilotMember.person_id == person_id).order_by(Pilot.id))
    found = [(p, program, "member") for p, program in rows]
    sponsored = await session.execute(
        select(Pilot.id, Pilot.program_id).where(Pilot.sponsor_id == person_id).order_by(Pilot.id)
    )
    return found + [(p, program, "sponsor") for p, program in sponsored]


async def de_identify(session: AsyncSession, person_id: UUID, *, alias: UUID) -> dict[str, int]:
    """Erasure: the person's id becomes `alias` in cohorts (so cohort sizes stay), as sponsor, and as
    the author of charters, measures, mitigations, evaluations and decisions."""
    changed: dict[str, int] = {}
    member = await session.execute(
        update(PilotMember)
        .where(PilotMember.person_id == person_id)
        .values(person_id=alias)
        .returning(PilotMember.pilot_id)
    )
    changed[PilotMember.__tablename__] = len(member.all())
    sponsor = await session.execute(
        update(Pilot).where(Pilot.sponsor_id == person_id).values(sponsor_id=alias).returning(Pilot.id)
    )
    changed["pilot_sponsors"] = len(sponsor.all())
    who, to = str(person_id), str(alias)
    authored: list[tuple[Any, Any]] = [
        (Pilot, Pilot.created_by),
        (PilotMeasure, PilotMeasure.recorded_by),
        (PilotMitigation, PilotMitigation.recorded_by),
        (GateEvaluation, GateEvaluation.evaluated_by),
        (PilotDecision, PilotDecision.decided_by),
    ]
    for model, column in authored:
        result = await session.execute(
            update(model).where(column == who).values({column.key: to}).returning(column)
        )
        changed[f"{model.__tablename__}_authored"] = len(result.all())
    return changed
