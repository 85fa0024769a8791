"""Consumers of matching, scheduling and gateway (HR) events: each event becomes (or updates) a fact
row; consent's events decide whose HR facts are kept (`people.py`).

Applied once per event id by the kit (processed_events); the upserts are idempotent as well, so a
replay with a new id is harmless too. Each payload is validated by the kit (`typed`): one that does
not fit its model is parked at once in `dead_letters`, never retried. Each subscription reads its events in stream order, yet the
facts do not depend on it: a cancellation or a match's end applied before the booking or approval
it refers to leaves a row that the later event completes, keeping the end.
"""

from collections.abc import Awaitable, Callable

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.fact import consent, operations, people, repository, schemas
from tandem_kit.events import EventEnvelope, Subscription, typed

log = structlog.get_logger("tandem.analytics.fact")


async def on_provider_registered(
    session: AsyncSession, envelope: EventEnvelope, data: schemas.ProviderRegistered
) -> None:
    await repository.upsert_provider(session, {**data.model_dump(), "registered_at": envelope.occurred_at})


async def on_match_approved(
    session: AsyncSession, _envelope: EventEnvelope, data: schemas.MatchApproved
) -> None:
    await repository.upsert_match(session, data.model_dump())


async def on_match_ended(session: AsyncSession, _envelope: EventEnvelope, data: schemas.MatchEnded) -> None:
    values = data.model_dump(exclude={"reason"})
    await repository.mark_match_ended(session, {**values, "end_reason": data.reason})


async def on_engagement_created(
    session: AsyncSession, envelope: EventEnvelope, data: schemas.EngagementCreated
) -> None:
    await repository.upsert_engagement(session, {**data.model_dump(), "created_at": envelope.occurred_at})


async def on_session_booked(
    session: AsyncSession, envelope: EventEnvelope, data: schemas.SessionBooked
) -> None:
    await repository.upsert_booked_session(session, {**data.model_dump(), "booked_at": envelope.occurred_at})


async def on_session_cancelled(
    session: AsyncSession, envelope: EventEnvelope, data: schemas.SessionCancelled
) -> None:
    await repository.mark_session_cancelled(
        session,
        session_id=data.session_id,
        engagement_id=data.engagement_id,
        cancelled_at=envelope.occurred_at,
    )


async def on_sla_breached(session: AsyncSession, _envelope: EventEnvelope, data: schemas.SlaBreached) -> None:
    await repository.upsert_sla_breach(session, data.model_dump(exclude={"program_id", "layer"}))
    await operations.record_sla_outcome(
        session, {**data.model_dump(exclude={"breached_at"}), "met": False, "ended_at": data.breached_at}
    )


async def on_person_provisioned(
    session: AsyncSession, envelope: EventEnvelope, data: schemas.PersonProvisioned
) -> None:
    if not await people.consented(session, data.person_id):
        return
    at = data.occurred_at or envelope.occurred_at
    await people.record_employment(
        session, data.person_id, active=data.active, since=at, hire_date=data.hire_date
    )
    await people.record_job(
        session, data.person_id, schemas.Job.model_validate(data.model_dump()), valid_from=at
    )


async def on_person_job_changed(
    session: AsyncSession, _envelope: EventEnvelope, data: schemas.PersonJobChanged
) -> None:
    if not await people.consented(session, data.person_id):
        return
    await people.record_job(session, data.person_id, data.new, valid_from=data.effective_at)
    if data.promotion:
        await people.record_promotion(
            session, data.person_id, at=data.effective_at, old=data.old, new=data.new
        )


async def on_person_deactivated(
    session: AsyncSession, _envelope: EventEnvelope, data: schemas.PersonDeactivated
) -> None:
    if await people.consented(session, data.person_id):
        await people.record_employment(session, data.person_id, active=False, since=data.deactivated_at)


async def on_person_reactivated(
    session: AsyncSession, _envelope: EventEnvelope, data: schemas.PersonReactivated
) -> None:
    if await people.consented(session, data.person_id):
        await people.record_employment(session, data.person_id, active=True, since=data.reactivated_at)


async def on_consent_changed(
    session: AsyncSession, envelope: EventEnvelope, data: schemas.ConsentChanged
) -> None:
    if data.purpose != people.ANALYTICS:
        return
    granted = envelope.type == "ConsentGranted"
    at = (data.granted_at if granted else data.withdrawn_at) or envelope.occurred_at
    await consent.record_change(session, data.person_id, granted=granted, at=at)
    if await people.set_consent(session, data.person_id, granted=granted, at=at) and not granted:
        counts = await people.forget(session, data.person_id)
        log.info("analytics.people.forgotten_on_withdrawal", **counts)


# Program operations (issue 15): attendance ledger, SLAs per layer, escalations, sponsor actions,
# capacity, program status, agreements, intake (proposals), group seats.


async def on_session_attended(
    session: AsyncSession, _envelope: EventEnvelope, data: schemas.SessionAttended
) -> None:
    values = data.model_dump(exclude={"attended_at"})
    await operations.record_attendance(
        session, {**values, "held": True, "outcome": "attended", "recorded_at": data.attended_at}
    )


async def on_session_missed(
    session: AsyncSession, _envelope: EventEnvelope, data: schemas.SessionMissed
) -> None:
    await operations.record_attendance(session, {**data.model_dump(), "held": False})


async def on_sla_met(session: AsyncSession, _envelope: EventEnvelope, data: schemas.SlaMet) -> None:
    await operations.record_sla_outcome(
        session, {**data.model_dump(exclude={"met_at"}), "met": True, "ended_at": data.met_at}
    )


async def on_escalation_opened(
    session: AsyncSession, _envelope: EventEnvelope, data: schemas.EscalationOpened
) -> None:
    await operations.open_escalation(session, data.model_dump())


async def on_escalation_resolved(
    session: AsyncSession, _envelope: EventEnvelope, data: schemas.EscalationResolved
) -> None:
    await operations.resolve_escalation(session, data.model_dump())


async def on_sponsor_action_logged(
    session: AsyncSession, _envelope: EventEnvelope, data: schemas.SponsorActionLogged
) -> None:
    await operations.log_sponsor_action(session, data.model_dump())


async def on_sponsor_action_retracted(
    session: AsyncSession, _envelope: EventEnvelope, data: schemas.SponsorActionRetracted
) -> None:
    await operations.retract_sponsor_action(session, data.model_dump())


async def on_program_status_changed(
    session: AsyncSession, _envelope: EventEnvelope, data: schemas.ProgramStatusChanged
) -> None:
    await operations.record_program_status(session, data.model_dump())


async def on_provider_capacity_changed(
    session: AsyncSession, _envelope: EventEnvelope, data: schemas.ProviderCapacityChanged
) -> None:
    await operations.change_capacity(
        session, data.model_dump(exclude={"changed_at"}), changed_at=data.changed_at
    )


async def on_working_agreement_signed(
    session: AsyncSession, _envelope: EventEnvelope, data: schemas.WorkingAgreementSigned
) -> None:
    await operations.record_agreement(session, data.model_dump())


async def on_proposal_created(
    session: AsyncSession, envelope: EventEnvelope, data: schemas.ProposalCreated
) -> None:
    await operations.record_proposal(session, {**data.model_dump(), "created_at": envelope.occurred_at})


async def on_group_seat_booked(
    session: AsyncSession, _envelope: EventEnvelope, data: schemas.GroupSeatBooked
) -> None:
    await operations.book_seat(session, data.model_dump())


async def on_group_seat_released(
    session: AsyncSession, _envelope: EventEnvelope, data: schemas.GroupSeatReleased
) -> None:
    values = data.model_dump(exclude={"reason_code"})
    await operations.release_seat(session, {**values, "release_reason": data.reason_code})


Handler = Callable[[AsyncSession, EventEnvelope], Awaitable[None]]


def dispatcher(handlers: dict[str, Handler]) -> Handler:
    async def handle(session: AsyncSession, envelope: EventEnvelope) -> None:
        handler = handlers.get(envelope.type)
        if handler is None:
            log.warning("analytics.fact.unexpected_event", event_type=envelope.type)
            return
        await handler(session, envelope)

    return handle


MATCHING_HANDLERS: dict[str, Handler] = {
    "ProviderRegistered": typed(schemas.ProviderRegistered, on_provider_registered),
    "MatchApproved": typed(schemas.MatchApproved, on_match_approved),
    "MatchEnded": typed(schemas.MatchEnded, on_match_ended),
    "ProposalCreated": typed(schemas.ProposalCreated, on_proposal_created),
    "SponsorActionLogged": typed(schemas.SponsorActionLogged, on_sponsor_action_logged),
    "SponsorActionRetracted": typed(schemas.SponsorActionRetracted, on_sponsor_action_retracted),
    "ProgramStatusChanged": typed(schemas.ProgramStatusChanged, on_program_status_changed),
    "ProviderCapacityChanged": typed(schemas.ProviderCapacityChanged, on_provider_capacity_changed),
}
SCHEDULING_HANDLERS: dict[str, Handler] = {
    "EngagementCreated": typed(schemas.EngagementCreated, on_engagement_created),
    "SessionBooked": typed(schemas.SessionBooked, on_session_booked),
    "SessionCancelled": typed(schemas.SessionCancelled, on_session_cancelled),
    "SlaBreached": typed(schemas.SlaBreached, on_sla_breached),
    "SessionAttended": typed(schemas.SessionAttended, on_session_attended),
    "SessionMissed": typed(schemas.SessionMissed, on_session_missed),
    "SlaMet": typed(schemas.SlaMet, on_sla_met),
    "EscalationOpened": typed(schemas.EscalationOpened, on_escalation_opened),
    "EscalationResolved": typed(schemas.EscalationResolved, on_escalation_resolved),
    "WorkingAgreementSigned": typed(schemas.WorkingAgreementSigned, on_working_agreement_signed),
    "GroupSeatBooked": typed(schemas.GroupSeatBooked, on_group_seat_booked),
    "GroupSeatReleased": typed(schemas.GroupSeatReleased, on_group_seat_released),
}

DIRECTORY_HANDLERS: dict[str, Handler] = {
    "PersonProvisioned": typed(schemas.PersonProvisioned, on_person_provisioned),
    "PersonJobChanged": typed(schemas.PersonJobChanged, on_person_job_changed),
    "PersonDeactivated": typed(schemas.PersonDeactivated, on_person_deactivated),
    "PersonReactivated": typed(schemas.PersonReactivated, on_person_reactivated),
}
CONSENT_HANDLERS: dict[str, Handler] = {
    "ConsentGranted": typed(schemas.ConsentChanged, on_consent_changed),
    "ConsentWithdrawn": typed(schemas.ConsentChanged, on_consent_changed),
}

matching_facts = Subscription(
    name="analytics-matching-facts",
    subjects=[f"tandem.matching.{t}" for t in MATCHING_HANDLERS],
    handler=dispatcher(MATCHING_HANDLERS),
)
scheduling_facts = Subscription(
    name="analytics-scheduling-facts",
    subjects=[f"tandem.scheduling.{t}" for t in SCHEDULING_HANDLERS],
    handler=dispatcher(SCHEDULING_HANDLERS),
)
directory_facts = Subscription(
    name="analytics-directory-facts",
    subjects=[f"tandem.gateway.{t}" for t in DIRECTORY_HANDLERS],
    handler=dispatcher(DIRECTORY_HANDLERS),
)
# Consent events are ordered per person by the stream; the newest change wins regardless.
analytics_consent = Subscription(
    name="analytics-consent",
    subjects=[f"tandem.consent.{t}" for t in CONSENT_HANDLERS],
    handler=dispatcher(CONSENT_HANDLERS),
)
SUBSCRIPTIONS = [matching_facts, scheduling_facts, directory_facts, analytics_consent]
