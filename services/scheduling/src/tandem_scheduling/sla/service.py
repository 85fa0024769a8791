"""Service levels per program and layer: clocks opened with the engagement and after each held session,
met as the promises are kept, breached (and escalated) by one set-based scan."""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.errors import Forbidden
from tandem_kit.events import emit_many
from tandem_scheduling.attendance import domain as attendance_domain
from tandem_scheduling.attendance import hooks as attendance_hooks
from tandem_scheduling.attendance import repository as attendance_repository
from tandem_scheduling.cadence import domain as cadence
from tandem_scheduling.cadence import repository as cadence_repository
from tandem_scheduling.events import CheckpointDue, EscalationOpened, SlaBreached, SlaMet
from tandem_scheduling.models import Engagement, Session, SlaClock
from tandem_scheduling.sla import domain, repository
from tandem_scheduling.sla.clocks import policy_for
from tandem_scheduling.sla.repository import Breach, Met
from tandem_scheduling.sla.schemas import SlaPolicy, SlaPolicyUpdate

log = structlog.get_logger("tandem.scheduling.sla")

# Clocks (and checkpoints) one pass of the scan takes at most: `SCHEDULING_SLA_SCAN_BATCH`.
SCAN_BATCH = 1000


class PolicyForbidden(Forbidden):
    code, title = "sla-policy-forbidden", "Only program managers set SLA policies"


def require_operations(principal: Principal) -> None:
    """Program operations: a machine client or a program manager (admin)."""
    if principal.person_id is not None and not principal.supervises:
        raise PolicyForbidden("SLA policies are read and set by program managers and machine clients.")


async def list_policies(session: AsyncSession, principal: Principal, program_id: UUID) -> list[SlaPolicy]:
    """The program's policy for every layer: the configured ones, the seed defaults for the rest."""
    require_operations(principal)
    stored = {p.layer: p for p in await repository.list_policies(session, program_id)}
    answer = []
    for layer in domain.LAYERS:
        row = stored.get(layer)
        if row is None:
            defaults = asdict(domain.DEFAULTS[layer])
            answer.append(SlaPolicy(program_id=program_id, layer=layer, configured=False, **defaults))
        else:
            answer.append(
                SlaPolicy(
                    program_id=program_id,
                    layer=layer,
                    configured=True,
                    kickoff_days=row.kickoff_days,
                    next_session_days=row.next_session_days,
                    checkpoint_grace_days=row.checkpoint_grace_days,
                    review_every_weeks=row.review_every_weeks,
                    attendance_floor=row.attendance_floor,
                    updated_by=row.updated_by,
                    updated_at=row.updated_at,
                )
            )
    return answer


async def set_policies(
    session: AsyncSession, principal: Principal, program_id: UUID, data: SlaPolicyUpdate, *, now: datetime
) -> list[SlaPolicy]:
    """Replace the given layers' policies; clocks opened from now on follow them (open ones keep the
    deadline they were given)."""
    require_operations(principal)
    rows = [
        {"program_id": program_id, **p.model_dump(), "updated_by": principal.subject, "updated_at": now}
        for p in data.policies
    ]
    await repository.upsert_policies(session, rows)
    log.info(
        "scheduling.sla.policies_set", program_id=str(program_id), layers=[p.layer for p in data.policies]
    )
    return await list_policies(session, principal, program_id)


async def _announce_met(session: AsyncSession, engagement: Engagement, met: Sequence[Met]) -> None:
    layer = domain.layer_of(engagement.provider_kind)
    await emit_many(
        session,
        [
            SlaMet(
                engagement_id=m.engagement_id,
                match_id=engagement.match_id,
                program_id=engagement.program_id,
                layer=layer,
                sla=m.kind,
                due_at=m.due_at,
                met_at=m.met_at,
            )
            for m in met
        ],
    )


async def session_booked(session: AsyncSession, engagement: Engagement, *, at: datetime) -> None:
    """A session was booked: the next-session promise is kept if still in time."""
    met = await repository.mark_met(session, engagement.id, domain.NEXT_SESSION_BOOKED, at)
    await _announce_met(session, engagement, met)


async def session_cancelled(session: AsyncSession, engagement: Engagement) -> None:
    """A session was cancelled: when it was what kept the current next-session promise (the latest
    `next_session_booked` clock is met, not breached, and no other live session starts after the held
    session the clock counts from, neither ahead nor already held), that clock is open again with its
    original `due_at`: a new booking in time meets it again, and past its due time the scan breaches
    it. Earlier clocks stay met: a session was held after each of them."""
    latest = await repository.latest_clock(session, engagement.id, domain.NEXT_SESSION_BOOKED)
    if latest is None or latest.met_at is None or latest.breached_at is not None:
        return
    if latest.opened_after is None or await cadence_repository.booked_after(
        session, engagement.id, latest.opened_after
    ):
        return
    latest.met_at = None
    await session.flush()
    log.info("scheduling.sla.reopened", engagement_id=str(engagement.id), sla=latest.kind, seq=latest.seq)


async def session_held(session: AsyncSession, engagement: Engagement, held: Session) -> None:
    """A session was recorded attended (it was held at its start): a kickoff keeps the kickoff promise,
    a `checkpoint` session (or the session marked as the checkpoint) holds its checkpoint, and the next
    session is now due within the layer's N days, unless one is already booked."""
    at = held.starts_at
    met: list[Met] = []
    if held.kind == "kickoff":
        met += await repository.mark_met(session, engagement.id, domain.KICKOFF_HELD, at)
    checkpoint = await cadence_repository.for_held_session(session, engagement.id, held.id)
    if (
        checkpoint is not None
        and checkpoint.held_at is None
        and (held.kind == "checkpoint" or checkpoint.session_id == held.id)
    ):
        checkpoint.held_at, checkpoint.session_id = at, held.id
        met += await repository.mark_met(
            session, engagement.id, domain.CHECKPOINT_HELD, at, checkpoint_id=checkpoint.id
        )
    policy = await policy_for(session, engagement.program_id, domain.layer_of(engagement.provider_kind))
    due = domain.next_session_due(held.ends_at, policy)
    outcomes = (await attendance_repository.current_outcomes(session, [engagement.id]))[engagement.id]
    planned = cadence.planned_sessions(engagement.provider_kind, engagement.track)
    # The plan's last session needs no next one; a repeated or out-of-order record (an earlier session
    # marked late) opens no second clock.
    if (
        engagement.status == "active"
        and sum(o == "attended" for o in outcomes) < planned.high
        and not await repository.has_clock_due_from(session, engagement.id, domain.NEXT_SESSION_BOOKED, due)
    ):
        session.add(
            SlaClock(
                engagement_id=engagement.id,
                kind=domain.NEXT_SESSION_BOOKED,
                seq=await repository.next_seq(session, engagement.id, domain.NEXT_SESSION_BOOKED),
                due_at=due,
                opened_after=held.ends_at,
            )
        )
        await session.flush()
        if await cadence_repository.booked_after(session, engagement.id, held.ends_at):
            met += await repository.mark_met(session, engagement.id, domain.NEXT_SESSION_BOOKED, held.ends_at)
    await session.flush()
    await _announce_met(session, engagement, met)


async def attendance_changed(
    session: AsyncSession, engagement: Engagement, *, at: datetime, min_outcomes: int
) -> None:
    """The engagement's attendance was recomputed: under the layer's floor opens an `attendance_floor`
    clock due at once (the next scan breaches and escalates it); back above it closes the episode.
    `min_outcomes` is the ledger's own (`SCHEDULING_ATTENDANCE_MIN_OUTCOMES`): fewer recorded outcomes
    say too little, on both sides."""
    policy = await policy_for(session, engagement.program_id, domain.layer_of(engagement.provider_kind))
    outcomes = (await attendance_repository.current_outcomes(session, [engagement.id]))[engagement.id]
    standing = attendance_domain.standing(outcomes, floor=policy.attendance_floor, min_outcomes=min_outcomes)
    latest = await repository.latest_clock(session, engagement.id, domain.ATTENDANCE_FLOOR)
    open_episode = latest is not None and latest.met_at is None
    if standing.flagged and not open_episode and engagement.status == "active":
        session.add(
            SlaClock(
                engagement_id=engagement.id,
                kind=domain.ATTENDANCE_FLOOR,
                seq=(latest.seq if latest is not None else 0) + 1,
                due_at=at,
            )
        )
        await session.flush()
    elif not standing.flagged and latest is not None and open_episode:
        # Back above the floor: the episode ends (a breach already escalated stays breached).
        latest.met_at = at
        await session.flush()


@attendance_hooks.register
async def on_attendance_recorded(
    session: AsyncSession,
    engagement_id: UUID,
    held: Session,
    outcome: str,
    at: datetime,
    ledger: attendance_domain.AttendancePolicy,
) -> None:
    engagement = await session.get(Engagement, engagement_id)
    if engagement is None:
        return
    if outcome == "attended":
        await session_held(session, engagement, held)
    await attendance_changed(session, engagement, at=at, min_outcomes=ledger.min_outcomes)


async def close(session: AsyncSession, engagement_ids: Sequence[UUID], *, now: datetime) -> int:
    """The engagements ended: open clocks not yet due are deleted (moot), overdue open ones stay for
    the scan to breach (without an escalation), met ones stay. Returns how many were deleted."""
    return await repository.delete_open_due_after(session, engagement_ids, now)


@dataclass(frozen=True)
class ScanPass:
    """What one pass of the scan did: its breaches, and how many checkpoints it announced."""

    breaches: list[Breach]
    announced: int


async def detect_breaches(
    session: AsyncSession, now: datetime | None = None, *, limit: int = SCAN_BATCH
) -> list[Breach]:
    """One pass of the scan, set-based and bounded: at most `limit` checkpoints entering their window
    are announced (`CheckpointDue`), at most `limit` clocks past due and unmet are breached
    (`SlaBreached`, once per clock), and each breach of an active engagement opens an escalation
    (`EscalationOpened`). Rows another transaction holds are skipped (the next pass takes them)."""
    return (await scan_pass(session, now, limit=limit)).breaches


async def scan_pass(
    session: AsyncSession, now: datetime | None = None, *, limit: int = SCAN_BATCH
) -> ScanPass:
    """`detect_breaches`, also saying how many checkpoints it announced (the scan goes on while a pass
    was full on either side)."""
    now = now or datetime.now(UTC)
    due = await cadence_repository.announce_due(session, now, limit=limit)
    breaches = await repository.breach_overdue(session, now, limit=limit)
    events: list[CheckpointDue | SlaBreached | EscalationOpened] = [
        CheckpointDue(
            checkpoint_id=c.checkpoint_id,
            engagement_id=c.engagement_id,
            match_id=c.match_id,
            program_id=c.program_id,
            layer=c.layer,
            kind=c.kind,
            due_at=c.due_at,
        )
        for c in due
    ]
    for b in breaches:
        events.append(
            SlaBreached(
                engagement_id=b.engagement_id,
                match_id=b.match_id,
                program_id=b.program_id,
                layer=b.layer,
                sla=b.kind,
                due_at=b.due_at,
                breached_at=b.breached_at,
            )
        )
        if b.escalation_id is not None:
            events.append(
                EscalationOpened(
                    escalation_id=b.escalation_id,
                    engagement_id=b.engagement_id,
                    match_id=b.match_id,
                    program_id=b.program_id,
                    layer=b.layer,
                    sla=b.kind,
                    due_at=b.due_at,
                    opened_at=b.breached_at,
                    rebreach=bool(b.rebreach),
                )
            )
    await emit_many(session, events)
    if breaches or due:
        log.warning(
            "scheduling.sla.scanned",
            breached=len(breaches),
            escalated=sum(1 for b in breaches if b.escalation_id is not None),
            checkpoints_due=len(due),
        )
    return ScanPass(breaches=breaches, announced=len(due))
