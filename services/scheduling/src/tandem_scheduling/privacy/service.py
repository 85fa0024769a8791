"""One person's data in scheduling: the access export and the erasure (GDPR articles 15 and 17).

Both run inside the consent event's transaction (`tandem_kit.privacy`); neither commits. What is
deleted, what is de-identified and why is written down in docs/scheduling.md ("Personal data").
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.privacy import Answer
from tandem_scheduling.escalation import repository as escalation_repository
from tandem_scheduling.group import service as group_service
from tandem_scheduling.lifecycle import ending as lifecycle_ending
from tandem_scheduling.models import (
    AttendanceMark,
    Engagement,
    Escalation,
    Session,
    SessionAttendee,
    SessionConflict,
    SlaClock,
    WorkingAgreement,
)
from tandem_scheduling.privacy import repository
from tandem_scheduling.session import repository as session_repository

log = structlog.get_logger("tandem.scheduling.privacy")

NOTHING_HELD = "Scheduling holds no data about this person."
# Placeholders for the erased party's columns, which are NOT NULL: a zone without working hours.
ERASED_TIMEZONE = "Etc/UTC"
ERASURE_REASON = "The engagement ended with a data-subject erasure."


@dataclass(frozen=True)
class PersonData:
    """Every row that is about the person: their engagements and what hangs off them, their holds."""

    engagements: Sequence[Engagement]
    sessions: Sequence[Session]
    holds: Sequence[SessionAttendee]
    agreements: Sequence[WorkingAgreement]
    clocks: Sequence[SlaClock]
    conflicts: Sequence[SessionConflict]
    escalations: Sequence[Escalation]
    marks: Sequence[AttendanceMark] = ()

    @property
    def records(self) -> int:
        kinds = (
            self.engagements,
            self.sessions,
            self.holds,
            self.agreements,
            self.clocks,
            self.conflicts,
            self.escalations,
        )
        return sum(map(len, kinds)) + len(self.marks)


async def find(session: AsyncSession, person_id: UUID, *, for_update: bool = False) -> PersonData:
    engagements = await repository.engagements_of(session, person_id, for_update=for_update)
    ids = [e.id for e in engagements]
    return PersonData(
        engagements=engagements,
        sessions=await session_repository.list_for_engagements(session, ids),
        holds=await repository.holds_of(session, person_id),
        agreements=await repository.agreements_of(session, ids),
        clocks=await repository.clocks_of(session, ids),
        conflicts=await repository.conflicts_of(session, person_id),
        marks=await repository.marks_of(session, ids),
        escalations=await _escalations_of(session, person_id, ids),
    )


async def _escalations_of(
    session: AsyncSession, person_id: UUID, engagement_ids: Sequence[UUID]
) -> list[Escalation]:
    """The escalations of the person's engagements, and those they handled as program operations."""
    found = {x.id: x for x in await escalation_repository.of_engagements(session, engagement_ids)}
    found.update({x.id: x for x in await escalation_repository.assigned_to(session, person_id)})
    return sorted(found.values(), key=lambda x: (x.opened_at, x.id))


async def export_person(session: AsyncSession, person_id: UUID) -> Answer:
    """Everything scheduling holds about the person, grouped by kind; nothing about the other party."""
    data = await find(session, person_id)
    group = await group_service.export_person(session, person_id)
    group_records = sum(map(len, group.values()))
    if not data.records and not group_records:
        return Answer(0, NOTHING_HELD)
    engagements = {e.id: e for e in data.engagements}
    export: dict[str, Any] = {
        "engagements": [_engagement(e, person_id) for e in data.engagements],
        "sessions": [_session(s, person_id) for s in data.sessions],
        "session_attendees": [_hold(h) for h in data.holds],
        "working_agreements": [
            _agreement(a, engagements[a.engagement_id], person_id) for a in data.agreements
        ],
        "sla_clocks": [_clock(c) for c in data.clocks],
    }
    detail = (
        f"{len(data.engagements)} engagement(s), {len(data.sessions)} session(s), "
        f"{len(data.holds)} calendar hold(s), {len(data.agreements)} working agreement(s), "
        f"{len(data.clocks)} SLA clock(s)."
    )
    if data.conflicts:
        # Busy times of the person's own calendar that collided with their sessions (never titles).
        export["session_conflicts"] = [_conflict(c) for c in data.conflicts]
        detail += f" {len(data.conflicts)} calendar conflict(s)."
    if data.marks:
        export["attendance_marks"] = [_mark(m, person_id) for m in data.marks]
        detail += f" {len(data.marks)} attendance mark(s)."
    if data.escalations:
        export["escalations"] = [_escalation(x) for x in data.escalations]
        detail += f" {len(data.escalations)} escalation(s)."
    if group_records:
        export.update(group)
        detail += f" {group_records} group seat(s), waitlist place(s) and hosted group session(s)."
    return Answer(data.records + group_records, detail, export)


async def erase_person(session: AsyncSession, person_id: UUID, *, now: datetime | None = None) -> Answer:
    """End the person's engagements, cancel their future sessions, delete their personal content and
    put one fresh random id in place of theirs in the rows that statistics still need."""
    now = now or datetime.now(UTC)
    # Group seats first: their holds go with them, before the holds left below are re-keyed.
    group_records = await group_service.erase_person(session, person_id, now=now)
    data = await find(session, person_id, for_update=True)
    if not data.records:
        if group_records:
            return Answer(
                group_records,
                f"Deleted or de-identified {group_records} group seat(s), waitlist place(s) and hosted group session(s).",
            )
        return Answer(0, NOTHING_HELD)
    # The same end as a finished match's: future sessions cancelled (a user who asks to be forgotten
    # expects no more meetings), past ones kept, clocks not yet due dropped, overdue ones kept.
    ending = await lifecycle_ending.end_engagements(
        session, data.engagements, reason=ERASURE_REASON, code="erased", ended_at=now, now=now
    )
    future, moot = ending.cancelled, ending.moot_clocks

    alias = uuid4()
    cancelled = {s.id for s in future}
    for s in data.sessions:
        s.booked_by = s.booked_by.replace(str(person_id), str(alias))
        if s.id not in cancelled:
            s.cancel_reason = None  # free text, possibly about the person
    provider_aliases: dict[UUID, UUID] = {}
    for e in data.engagements:
        _deidentify(e, person_id, alias, provider_aliases)
    await session.flush()
    await repository.rekey_holds(session, person_id, alias)
    await repository.delete_agreements_of(session, [e.id for e in data.engagements])
    await repository.delete_conflicts_of(session, person_id)
    for m in data.marks:
        # Who marked and the outcome stay (attendance is a program statistic); the free text goes.
        m.recorded_by = str(alias) if m.recorded_by == str(person_id) else m.recorded_by
        m.reason = None
    await session.flush()
    # Resolution notes are free text about the engagement; a staff member's own trace goes too.
    notes = await escalation_repository.clear_notes(session, [e.id for e in data.engagements])
    await escalation_repository.forget_staff(session, person_id, alias=str(alias))
    # The alias is never logged: it would link the old id to the de-identified rows.
    log.info(
        "scheduling.privacy.erased",
        person_id=str(person_id),
        engagements=len(data.engagements),
        cancelled=len(future),
    )
    detail = (
        f"Ended and de-identified {len(data.engagements)} engagement(s) with their "
        f"{len(data.sessions)} session(s) ({len(future)} future one(s) cancelled) and "
        f"{len(data.clocks)} SLA clock(s) ({moot} not yet due deleted); de-identified "
        f"{len(data.holds)} calendar hold(s); deleted {len(data.agreements)} working agreement(s)."
    )
    if data.conflicts:
        detail += f" Deleted {len(data.conflicts)} calendar conflict(s)."
    if data.marks:
        detail += f" De-identified {len(data.marks)} attendance mark(s) and removed their reasons."
    if data.escalations:
        detail += f" Cleared {notes} escalation note(s) and the person's part in {len(data.escalations)} escalation(s)."
    if group_records:
        detail += f" Deleted or de-identified {group_records} group seat(s), waitlist place(s) and hosted group session(s)."
    return Answer(data.records + group_records, detail)


def _deidentify(e: Engagement, person_id: UUID, alias: UUID, provider_aliases: dict[UUID, UUID]) -> None:
    if e.participant_id == person_id:
        e.participant_id = alias
        e.participant_timezone, e.participant_working_hours = ERASED_TIMEZONE, []
    if e.provider_person_id == person_id:
        e.provider_person_id = alias
        # The matching provider record id names the person as surely as their person id does.
        e.provider_id = provider_aliases.setdefault(e.provider_id, uuid4())
        e.provider_timezone, e.provider_working_hours = ERASED_TIMEZONE, []


def _roles(e: Engagement, person_id: UUID) -> list[str]:
    return [
        role
        for role, who in (("participant", e.participant_id), ("provider", e.provider_person_id))
        if who == person_id
    ]


def _engagement(e: Engagement, person_id: UUID) -> dict[str, Any]:
    roles = _roles(e, person_id)
    row: dict[str, Any] = {
        "id": str(e.id),
        "roles": roles,
        "match_id": str(e.match_id),
        "program_id": str(e.program_id),
        "provider_kind": e.provider_kind,
        "track": e.track,
        "status": e.status,
        "cadence": e.cadence,
        "session_minutes": e.session_minutes,
        "planned_months": e.planned_months,
        "review_every_weeks": e.review_every_weeks,
        "approved_at": e.approved_at.isoformat(),
        "ended_at": e.ended_at.isoformat() if e.ended_at else None,
        "created_at": e.created_at.isoformat(),
    }
    # Only the person's own side: the other party's ids, zone and hours are theirs.
    if "participant" in roles:
        row["participant_timezone"] = e.participant_timezone
        row["participant_working_hours"] = e.participant_working_hours
    if "provider" in roles:
        row["provider_id"] = str(e.provider_id)
        row["provider_timezone"] = e.provider_timezone
        row["provider_working_hours"] = e.provider_working_hours
    return row


def _session(s: Session, person_id: UUID) -> dict[str, Any]:
    return {
        "id": str(s.id),
        "engagement_id": str(s.engagement_id),
        "kind": s.kind,
        "status": s.status,
        "starts_at": s.starts_at.isoformat(),
        "ends_at": s.ends_at.isoformat(),
        # Who booked is someone else's identifier unless it names the person.
        "booked_by": s.booked_by if str(person_id) in s.booked_by else None,
        "cancelled_at": s.cancelled_at.isoformat() if s.cancelled_at else None,
        "cancel_reason": s.cancel_reason,
        "created_at": s.created_at.isoformat(),
    }


def _hold(h: SessionAttendee) -> dict[str, Any]:
    return {
        "session_id": str(h.session_id) if h.session_id else None,
        "group_session_id": str(h.group_session_id) if h.group_session_id else None,
        "starts_at": h.during.lower.isoformat() if h.during.lower else None,
        "ends_at": h.during.upper.isoformat() if h.during.upper else None,
        "cancelled": h.cancelled,
    }


def _agreement(a: WorkingAgreement, e: Engagement, person_id: UUID) -> dict[str, Any]:
    roles = _roles(e, person_id)
    row: dict[str, Any] = {
        "engagement_id": str(a.engagement_id),
        "version": a.version,
        "clauses": a.clauses,
        "created_at": a.created_at.isoformat(),
        "updated_at": a.updated_at.isoformat(),
    }
    if "participant" in roles:
        row["participant_signed_at"] = (
            a.participant_signed_at.isoformat() if a.participant_signed_at else None
        )
    if "provider" in roles:
        row["provider_signed_at"] = a.provider_signed_at.isoformat() if a.provider_signed_at else None
    return row


def _clock(c: SlaClock) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "engagement_id": str(c.engagement_id),
        "kind": c.kind,
        "due_at": c.due_at.isoformat(),
        "met_at": c.met_at.isoformat() if c.met_at else None,
        "breached_at": c.breached_at.isoformat() if c.breached_at else None,
    }


def _conflict(c: SessionConflict) -> dict[str, Any]:
    return {
        "session_id": str(c.session_id),
        "busy_start": c.busy_start.isoformat(),
        "busy_end": c.busy_end.isoformat(),
        "detected_at": c.detected_at.isoformat(),
    }


def _mark(m: AttendanceMark, person_id: UUID) -> dict[str, Any]:
    return {
        "session_id": str(m.session_id),
        "engagement_id": str(m.engagement_id),
        "revision": m.revision,
        "outcome": m.outcome,
        "recorded_by_role": m.recorded_by_role,
        # Who recorded it is someone else's identifier unless it is the person.
        "recorded_by": m.recorded_by if m.recorded_by == str(person_id) else None,
        "reason": m.reason,
        "recorded_at": m.recorded_at.isoformat(),
    }


def _escalation(x: Escalation) -> dict[str, Any]:
    return {
        "id": str(x.id),
        "engagement_id": str(x.engagement_id),
        "sla": x.sla,
        "due_at": x.due_at.isoformat(),
        "opened_at": x.opened_at.isoformat(),
        "status": x.status,
        "assignee_id": str(x.assignee_id) if x.assignee_id else None,
        "acknowledged_by": x.acknowledged_by,
        "resolved_at": x.resolved_at.isoformat() if x.resolved_at else None,
        "resolved_by": x.resolved_by,
        "resolution_note": x.resolution_note,
    }
