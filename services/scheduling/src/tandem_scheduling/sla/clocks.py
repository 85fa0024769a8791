"""Opening an engagement's clocks under its program's policy (imported by the engagement module, so
it builds on nothing above the models)."""

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_scheduling.cadence import domain as cadence
from tandem_scheduling.models import Checkpoint, Engagement, SlaClock
from tandem_scheduling.sla import domain, repository
from tandem_scheduling.sla.domain import Policy


async def policy_for(session: AsyncSession, program_id: UUID, layer: str) -> Policy:
    """The program's policy for the layer, else the seed defaults."""
    row = await repository.get_policy(session, program_id, layer)
    if row is None:
        return domain.DEFAULTS[layer]
    return Policy(
        kickoff_days=row.kickoff_days,
        next_session_days=row.next_session_days,
        checkpoint_grace_days=row.checkpoint_grace_days,
        review_every_weeks=row.review_every_weeks,
        attendance_floor=row.attendance_floor,
    )


async def open_engagement(session: AsyncSession, engagement: Engagement) -> SlaClock:
    """The clocks of a new engagement: its kickoff, and one per checkpoint of its cadence. Returns the
    kickoff clock."""
    layer = domain.layer_of(engagement.provider_kind)
    policy = await policy_for(session, engagement.program_id, layer)
    kickoff = SlaClock(
        engagement_id=engagement.id,
        kind=domain.KICKOFF_HELD,
        seq=0,
        due_at=domain.kickoff_due(engagement.approved_at, policy),
    )
    session.add(kickoff)
    every = cadence.checkpoint_every_weeks(
        engagement.provider_kind, engagement.review_every_weeks, policy.review_every_weeks
    )
    engagement.review_every_weeks = every
    dues = cadence.checkpoint_dues(
        engagement.approved_at,
        engagement.participant_timezone,
        every_weeks=every,
        planned_months=engagement.planned_months,
        grace_days=policy.checkpoint_grace_days,
    )
    kind = cadence.checkpoint_kind(engagement.provider_kind)
    for seq, due in enumerate(dues, start=1):
        checkpoint = Checkpoint(engagement_id=engagement.id, seq=seq, kind=kind, due_at=due)
        session.add(checkpoint)
        await session.flush()
        session.add(
            SlaClock(
                engagement_id=engagement.id,
                kind=domain.CHECKPOINT_HELD,
                seq=seq,
                due_at=due,
                checkpoint_id=checkpoint.id,
            )
        )
    await session.flush()
    return kickoff
