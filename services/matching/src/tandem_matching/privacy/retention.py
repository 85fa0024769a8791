"""Retention purges of matching's data categories, asked for by consent's retention run.

Consent's policies (`RetentionPurgeRequested`) name two categories held here:

* `intake_responses`: intake forms and behavioural goals of participants whose engagement ended;
* `match_proposals`: ranked proposals with their score explanations, once the match ended.

The clocks: a match ends at its `ended_at` (ended or reassigned) or, never ended, with its program (the
day after `ends_on`, midnight UTC). An intake's engagement ends when the last of its matches ended; an
intake never matched has no engagement, so its clock never starts. A proposal's clock starts when
the match made from it ended; for one no match was made from (rejected, superseded) when its intake's
engagement ended; a pending proposal is still open and never expires. Only records whose clock
started before the cutoff are touched, and a repeated run touches nothing more.

Rows that matches and program statistics need stay in both actions: an intake is the required key of
its matches and proposals, a match feeds the reassignment rate. `delete` deletes what can go (the
intake's answers; proposals with their candidates); `anonymize` de-identifies as an erasure does: one
fresh stand-in per person and run replaces their id, their personal content is emptied.
"""

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.events import Subscription
from tandem_kit.privacy import Purge, retention_subscription
from tandem_matching.privacy import dual, repository

SERVICE = "matching"
INTAKE_RESPONSES = "intake_responses"
MATCH_PROPOSALS = "match_proposals"
DELETE, ANONYMIZE = "delete", "anonymize"


class UnknownRetentionAction(ValueError):
    """Consent's policies allow only `delete` and `anonymize`; anything else is a contract break."""


async def purge_intake_responses(session: AsyncSession, cutoff: datetime, action: str) -> int:
    """Empty the answers of intakes whose engagement ended before `cutoff` (triggers, track reason,
    time zone, working hours, languages, wanted skills, behavioural goals, manager chain, political-risk
    flags) and the track-override reasons the audit copied from them. The intake row stays: its
    matches and proposals point at it. `anonymize` also gives each person one stand-in in those
    intakes and in their proposals and matches. Returns the rows changed."""
    _check(action)
    expired = await repository.expired_intakes(session, cutoff)
    intakes, reasons = await repository.delete_responses(session, [intake for intake, _ in expired])
    # Handoffs carry copies of the goals: they go with the answers.
    intakes += await dual.purge_handoff_context(session, [intake for intake, _ in expired])
    if action == ANONYMIZE:
        return intakes + reasons + await repository.replace_participant(session, _by_person(expired))
    return intakes + reasons


async def purge_match_proposals(session: AsyncSession, cutoff: datetime, action: str) -> int:
    """Proposals whose match ended before `cutoff`. `anonymize`: the participant's id becomes their
    stand-in, consent choices and the decision reason are emptied, ranked candidates keep rank,
    provider and score but lose the per-signal explanation, audit entries keep action and score but
    lose the reason. `delete`: proposals and candidates are deleted, matches and audit entries lose
    the link and the reason. Either way matches, decisions per action and the reassignment rate stay
    as they were (and, anonymized, proposal counts and scores). Returns the rows changed."""
    _check(action)
    # A sponsor action's free text goes once its match ended, whichever the action (the row stays for counts).
    described = await dual.purge_sponsor_descriptions(session, cutoff)
    if action == DELETE:
        expired = await repository.expired_proposals(session, cutoff, identified_only=False)
        proposal_ids = [proposal for proposal, _ in expired]
        reasons = await repository.clear_decision_reasons(session, proposal_ids)
        await repository.unlink_matches(session, proposal_ids)
        proposals, candidates = await repository.delete_proposals(session, proposal_ids)
        return proposals + candidates + reasons + described
    expired = await repository.expired_proposals(session, cutoff, identified_only=True)
    return described + sum(await repository.anonymize_proposals(session, _by_person(expired)))


PURGES: dict[str, Purge] = {
    INTAKE_RESPONSES: purge_intake_responses,
    MATCH_PROPOSALS: purge_match_proposals,
}


def subscription() -> Subscription:
    """The consumer that purges matching's categories when consent's retention run asks."""
    return retention_subscription(service=SERVICE, purges=PURGES)


def _check(action: str) -> None:
    if action not in (DELETE, ANONYMIZE):
        raise UnknownRetentionAction(f"retention action {action!r} is neither delete nor anonymize")


def _by_person(rows: Iterable[tuple[UUID, UUID]]) -> dict[UUID, tuple[UUID, list[UUID]]]:
    """`{person_id: (stand_in, [row ids])}`: one fresh stand-in per person, so per-person counts hold."""
    grouped: dict[UUID, tuple[UUID, list[UUID]]] = {}
    for row_id, person_id in rows:
        grouped.setdefault(person_id, (uuid4(), []))[1].append(row_id)
    return grouped
