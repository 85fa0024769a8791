"""Aggregate queries behind the KPIs: they return counts, never rows about people."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, distinct, exists, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.kpi.domain import ProgramCounts
from tandem_analytics.models import (
    EngagementFact,
    MatchFact,
    ProviderFact,
    SessionFact,
    SessionTelemetry,
    SlaFact,
)

OUTCOMES = ("session.completed", "session.no_show")


def _in_program(column: Any, program_id: UUID | None) -> ColumnElement[bool]:
    # No program: every program's facts, and telemetry not yet linked to any program.
    return column == program_id if program_id is not None else true()


def latest_outcomes_statement(now: datetime) -> Select[Any]:
    """The latest vendor outcome per vendor session that was due, with its program resolved.

    The program comes from the Tandem ids the vendor sent: session -> engagement -> match.
    """
    t, s, e, m = SessionTelemetry, SessionFact, EngagementFact, MatchFact
    return (
        select(
            t.type,
            t.participant_id,
            t.session_id,
            func.coalesce(e.program_id, m.program_id).label("program_id"),
        )
        .select_from(t)
        .outerjoin(s, s.session_id == t.session_id)
        .outerjoin(e, e.engagement_id == func.coalesce(t.engagement_id, s.engagement_id))
        .outerjoin(m, m.match_id == func.coalesce(t.match_id, s.match_id, e.match_id))
        .where(t.type.in_(OUTCOMES), t.started_at <= now)
        .distinct(t.vendor_id, t.vendor_session_id)
        .order_by(t.vendor_id, t.vendor_session_id, t.occurred_at.desc(), t.received_at.desc())
    )


def active_match(now: datetime) -> ColumnElement[bool]:
    """Active from its approval until its end. An end applied before the approval is already ended."""
    m = MatchFact
    return and_(m.approved_at <= now, or_(m.ended_at.is_(None), m.ended_at > now))


async def _coaching(session: AsyncSession, program_id: UUID | None, now: datetime) -> dict[str, int]:
    m = MatchFact
    row = (
        await session.execute(
            select(
                func.count(distinct(m.provider_id)),
                func.count(distinct(m.participant_id)),
                func.count(),
            ).where(m.provider_kind == "coach", active_match(now), _in_program(m.program_id, program_id))
        )
    ).one()
    capacity = await session.scalar(
        select(func.coalesce(func.sum(ProviderFact.capacity), 0)).where(
            ProviderFact.kind == "coach", _in_program(ProviderFact.program_id, program_id)
        )
    )
    return {
        "active_coaches": row[0],
        "active_coachees": row[1],
        "active_coach_matches": row[2],
        "coach_capacity": int(capacity or 0),
    }


async def _outcomes(session: AsyncSession, program_id: UUID | None, now: datetime) -> dict[str, int]:
    latest = latest_outcomes_statement(now).subquery()
    row = (
        await session.execute(
            select(
                func.count().filter(latest.c.type == "session.completed"),
                func.count().filter(latest.c.type == "session.no_show"),
                func.count(distinct(latest.c.participant_id)),
            ).where(_in_program(latest.c.program_id, program_id))
        )
    ).one()
    return {"sessions_completed": row[0], "sessions_no_show": row[1], "session_participants": row[2]}


async def _attendance(session: AsyncSession, program_id: UUID | None, now: datetime) -> dict[str, int]:
    s, e = SessionFact, EngagementFact
    latest = latest_outcomes_statement(now).subquery()
    attended = exists().where(latest.c.session_id == s.session_id, latest.c.type == "session.completed")
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(attended),
                func.count(distinct(s.participant_id)),
            )
            .select_from(s)
            .join(e, e.engagement_id == s.engagement_id)
            .where(
                s.cancelled_at.is_(None),
                s.starts_at.is_not(None),
                s.starts_at <= now,
                _in_program(e.program_id, program_id),
            )
        )
    ).one()
    return {
        "due_sessions_booked": row[0],
        "due_sessions_attended": row[1],
        "due_session_participants": row[2],
    }


async def _sla(session: AsyncSession, program_id: UUID | None) -> dict[str, int]:
    e, s = EngagementFact, SessionFact
    breached = exists().where(SlaFact.engagement_id == e.engagement_id, SlaFact.sla == "kickoff")
    kickoff_on_time = exists().where(
        s.engagement_id == e.engagement_id,
        s.kind == "kickoff",
        s.cancelled_at.is_(None),
        s.booked_at <= e.kickoff_due_at,
    )
    met = and_(~breached, kickoff_on_time)
    row = (
        await session.execute(
            select(
                func.count().filter(met),
                func.count().filter(breached),
                func.count(distinct(e.participant_id)).filter(met | breached),
            ).where(_in_program(e.program_id, program_id))
        )
    ).one()
    return {"slas_met": row[0], "slas_breached": row[1], "sla_participants": row[2]}


async def _first_session(session: AsyncSession, program_id: UUID | None) -> dict[str, Any]:
    m, s = MatchFact, SessionFact
    first = (
        select(s.match_id, func.min(s.starts_at).label("first_start"))
        .where(s.cancelled_at.is_(None), s.starts_at.is_not(None), s.match_id.is_not(None))
        .group_by(s.match_id)
        .subquery()
    )
    days = func.extract("epoch", first.c.first_start - m.approved_at) / 86400
    row = (
        await session.execute(
            select(func.coalesce(func.sum(days), 0), func.count(), func.count(distinct(m.participant_id)))
            .select_from(m)
            .join(first, first.c.match_id == m.match_id)
            # Ended matches still count (their first session happened); one not yet approved cannot.
            .where(m.approved_at.is_not(None), _in_program(m.program_id, program_id))
        )
    ).one()
    return {
        "first_session_days_total": float(row[0]),
        "matches_with_first_session": row[1],
        "first_session_participants": row[2],
    }


async def program_counts(session: AsyncSession, program_id: UUID | None, *, now: datetime) -> ProgramCounts:
    return ProgramCounts(
        **await _coaching(session, program_id, now),
        **await _outcomes(session, program_id, now),
        **await _attendance(session, program_id, now),
        **await _sla(session, program_id),
        **await _first_session(session, program_id),
    )
