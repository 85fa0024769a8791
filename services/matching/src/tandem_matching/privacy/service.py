"""Access export and erasure of one person's matching data, answered to the consent service.

A person appears here as a participant (intakes, proposals, matches) and/or as a provider (provider
profiles, the rankings they were placed in, matches). Erasure deletes what nothing else needs and
de-identifies what program statistics and other people's records need: the person's id there is
replaced by one fresh random id per request (the same in every row, so counts stay right) and their
personal columns are emptied. Both steps run in the event's transaction (`tandem_kit.privacy`).
"""

import functools
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, get_args
from uuid import UUID, uuid4

import structlog
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.events import Subscription
from tandem_kit.oauth_client import ServiceClient
from tandem_kit.privacy import Answer, person_data_subscription
from tandem_matching import models
from tandem_matching.eligibility import Policy
from tandem_matching.evidence import repository as evidence_repository
from tandem_matching.match import service as match_service
from tandem_matching.match.schemas import EndReason
from tandem_matching.privacy import dual, repository
from tandem_matching.provider import service as provider_service
from tandem_matching.ranking.service import PROVIDER_EXCLUDED

SERVICE = "matching"
NOTHING_HELD = "Matching holds no data about this person."
ERASED_TIMEZONE = repository.ERASED_TIMEZONE
END_REASONS: frozenset[str | None] = frozenset(get_args(EndReason))

log = structlog.get_logger("tandem.matching.privacy")

INTAKE_COLUMNS = (
    "id",
    "program_id",
    "cohort_id",
    "triggers",
    "track",
    "track_reason",
    "track_overridden",
    "promotion_related",
    "timezone",
    "working_hours",
    "languages",
    "wanted_skills",
    "behavioural_goals",
    "manager_chain",
    "political_risk_flags",
    "case_flags",
    "created_at",
)
EVIDENCE_COLUMNS = (
    "id",
    "program_id",
    "item",
    "statement_id",
    "verb",
    "counts",
    "score_scaled",
    "achieved_at",
    "retracted_at",
    "voided_by",
)
PROVIDER_COLUMNS = (
    "id",
    "program_id",
    "kind",
    "timezone",
    "working_hours",
    "languages",
    "skills",
    "behavioural_focus",
    "sponsorship_actions",
    "promotions_sponsored",
    "ratings",
    "sessions_completed",
    "sessions_scheduled",
    "manager_chain",
    "calibration",
    "commitment_signed",
    "eligible",
    "ineligible_reasons",
    "gates",
    "eligibility_override",
    "capacity",
    "active_load",
    "created_at",
    "updated_at",
)
# Staff token subjects (created_by, decided_by) are about the staff member, not the data subject.
PROPOSAL_COLUMNS = (
    "id",
    "program_id",
    "intake_id",
    "cohort_id",
    "provider_kind",
    "status",
    "source",
    "weight_set_version",
    "weights_used",
    "consented_fields",
    "consent_notice_version",
    "excluded_signals",
    "redistributed_weight",
    "promotion_rule_applied",
    "directory_left_out",
    "created_at",
    "decided_at",
    "decision_reason",
    "match_id",
)
# The counterpart's identifiers are left out of a shared row: each party gets their own side.
MATCH_COLUMNS = (
    "id",
    "program_id",
    "provider_kind",
    "track",
    "score",
    "status",
    "approved_at",
    "ended_at",
    "end_reason",
    "previous_match_id",
)
# The review flag is about the participant's job: their side only.
MATCH_SIDE_COLUMNS = {
    "participant": ("intake_id", "proposal_id", "review_reason", "flagged_at"),
    "provider": ("provider_id",),
}
DIRECTORY_COLUMNS = (
    "active",
    "level",
    "level_rank",
    "department",
    "manager_id",
    "hire_date",
    "job_at",
    "status_at",
)
OUTCOME_COLUMNS = (
    "provider_id",
    "program_id",
    "sessions_completed",
    "sessions_no_show",
    "completion_rate",
    "rating_median",
    "rating_count",
    "computed_at",
)
DECISION_COLUMNS = ("id", "program_id", "action", "proposal_id", "match_id", "score", "reason", "created_at")


def jsonable(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def row(obj: object, columns: Iterable[str], **extra: Any) -> dict[str, Any]:
    return {**{c: jsonable(getattr(obj, c)) for c in columns}, **extra}


def decision_row(
    decision: models.Decision, *, intake_ids: set[UUID], provider_ids: set[UUID]
) -> dict[str, Any]:
    """An audit entry as its subject sees it: what was decided about them, when, why; not by whom."""
    own: dict[str, Any] = {}
    if decision.intake_id in intake_ids:
        own["intake_id"] = str(decision.intake_id)
    if decision.provider_id in provider_ids:
        own["provider_id"] = str(decision.provider_id)
    details = {k: v for k, v in decision.details.items() if not k.endswith("provider_id")}
    return row(decision, DECISION_COLUMNS, **own, details=details)


def match_row(match: models.Match, person_id: UUID) -> dict[str, Any]:
    role = "participant" if match.participant_id == person_id else "provider"
    return row(match, MATCH_COLUMNS + MATCH_SIDE_COLUMNS[role], role=role)


async def export_person(session: AsyncSession, person_id: UUID) -> Answer:
    """Every row about the person, grouped by kind; nothing about anyone else."""
    intakes = await repository.intakes_of(session, person_id)
    providers = await repository.providers_of(session, person_id)
    proposals = await repository.proposals_of(session, person_id)
    matches = await repository.matches_of(session, person_id)
    intake_ids, provider_ids = {i.id for i in intakes}, {p.id for p in providers}
    ranked = await repository.candidates_in(session, [p.id for p in proposals])
    candidacies = await repository.candidacies_of(session, provider_ids)
    decisions = await repository.decisions_about(session, intake_ids, provider_ids)
    evidence = await evidence_repository.of_person(session, person_id)
    directory = await repository.directory_of(session, person_id)
    outcomes = await repository.outcomes_of(session, provider_ids)
    handoffs, sponsor_actions = await dual.export(session, person_id)

    ranking: dict[UUID, list[dict[str, Any]]] = {}
    for candidate in ranked:
        # A ranked provider's own consent gaps (`provider_excluded`) are about them, not the participant.
        signals = {k: v for k, v in candidate.signals.items() if k != PROVIDER_EXCLUDED}
        ranking.setdefault(candidate.proposal_id, []).append(
            row(candidate, ("rank", "score"), signals=signals)
        )
    export = {
        "intakes": [row(i, INTAKE_COLUMNS) for i in intakes],
        "providers": [row(p, PROVIDER_COLUMNS) for p in providers],
        "proposals": [row(p, PROPOSAL_COLUMNS, candidates=ranking.get(p.id, [])) for p in proposals],
        "candidacies": [
            row(c, ("id", "proposal_id", "provider_id", "rank", "score", "signals")) for c in candidacies
        ],
        "matches": [match_row(m, person_id) for m in matches],
        "decisions": [decision_row(d, intake_ids=intake_ids, provider_ids=provider_ids) for d in decisions],
        "training evidence": [row(e, EVIDENCE_COLUMNS) for e in evidence],
    }
    if directory is not None:
        export["directory facts"] = [row(directory, DIRECTORY_COLUMNS)]
    # Outcomes exist only for providers vendors reported sessions of: named when there are any.
    if outcomes:
        export["provider outcomes"] = [row(o, OUTCOME_COLUMNS) for o in outcomes]
    # Dual track and sponsor actions are named only when there are any (few people have them).
    if handoffs:
        export["handoffs"] = [row(h, dual.HANDOFF_COLUMNS, checklist=h.checklist) for h in handoffs]
    if sponsor_actions:
        export["sponsor actions"] = [
            row(
                a,
                dual.SPONSOR_COLUMNS,
                role="mentee" if a.participant_id == person_id else "mentor",
                retracted=a.retracted_at is not None,
            )
            for a in sponsor_actions
        ]
    counts = {kind: len(rows) for kind, rows in export.items()}
    counts["ranked candidates"] = len(ranked)
    records = sum(counts.values())
    if not records:
        return Answer(0, NOTHING_HELD)
    return Answer(records, f"Exported {records} record(s): {_summary(counts)}.", export)


async def erase_person(session: AsyncSession, person_id: UUID, *, key: SecretStr) -> Answer:
    """Delete what only served the person; de-identify what matches and statistics still need.
    `key` is the erased-people key: the stand-in is recorded there too (`repository.record_stand_in`)."""
    intakes = await repository.intakes_of(session, person_id)
    providers = await repository.providers_of(session, person_id)
    proposals = await repository.proposals_of(session, person_id)
    matches = await repository.matches_of(session, person_id)
    chain_intakes, chain_providers = await repository.chains_naming(session, person_id)
    evidence = await evidence_repository.of_person(session, person_id)
    directory = await repository.directory_of(session, person_id)
    reports = await repository.has_reports(session, person_id)
    held = bool(intakes or providers or proposals or matches or chain_intakes or chain_providers or evidence)
    held = held or await dual.held(session, person_id)
    if not (held or directory or reports):
        return Answer(0, NOTHING_HELD)

    pseudonym = uuid4()
    intake_ids, provider_ids = {i.id for i in intakes}, {p.id for p in providers}
    decisions = await repository.decisions_about(session, intake_ids, provider_ids)
    proposal_ids = {p.id for p in proposals}
    kept_proposals = await repository.matched_proposals(session, proposal_ids) | {
        p.id for p in proposals if p.match_id is not None
    }
    kept_intakes = await repository.matched_intakes(session, intake_ids)
    kept_providers = await repository.referenced_providers(session, provider_ids)

    # Rows that stay are changed through the ORM and flushed before any bulk delete runs.
    for decision in decisions:
        _deidentify_decision(decision)
    for proposal in proposals:
        if proposal.id in kept_proposals:
            _deidentify_proposal(proposal, pseudonym)
    for intake in intakes:
        if intake.id in kept_intakes:
            _deidentify_intake(intake, pseudonym)
    for provider in providers:
        if provider.id in kept_providers:
            _deidentify_provider(provider, pseudonym)
    for match in matches:
        _deidentify_match(match, person_id, pseudonym)
    # Someone else's manager is the person: the chain keeps one consistent stand-in, so conflict
    # checks between the remaining people still see who shares a manager.
    others = [i for i in chain_intakes if i.id not in intake_ids] + [
        p for p in chain_providers if p.id not in provider_ids
    ]
    for other in others:
        other.manager_chain = _replaced(other.manager_chain, person_id, pseudonym)
    await session.flush()
    # Before the gates are evaluated again: they would read the outcomes.
    deleted_outcomes = await repository.delete_outcomes(session, provider_ids)
    if kept_providers:
        await repository.record_stand_in(session, pseudonym, key=key)

    # An erased person takes no further part: their active matches end (reason `withdrawn`), which
    # frees the provider's place and tells scheduling and analytics through `MatchEnded`.
    withdrawn = await match_service.withdraw_for_erasure(session, [m.id for m in matches])
    for provider in providers:
        if provider.id in kept_providers:
            provider.capacity = provider.active_load  # its matches ended: full at zero, never proposed
            # Without evidence or credentials its gates fail: stored, and announced under the stand-in.
            await provider_service.reevaluate(session, provider, now=provider_service.now(), policy=Policy())
    await session.flush()

    # Before the proposals: a handoff points at the mentor proposal it opened.
    deleted_handoffs, deidentified_dual = await dual.erase(session, person_id, pseudonym)
    deleted_proposals, deleted_candidates = await repository.delete_proposals(
        session, proposal_ids - kept_proposals
    )
    deleted_intakes = await repository.delete_intakes(session, intake_ids - kept_intakes)
    deleted_providers = await repository.delete_providers(session, provider_ids - kept_providers)
    deleted_evidence = await evidence_repository.erase_person(session, person_id)
    # The directory projection: the person's facts go, their reports' links point at the stand-in.
    deleted_directory = await repository.delete_directory(session, person_id)
    relinked = await repository.replace_manager(session, person_id, pseudonym)

    deleted = {
        "intake(s)": deleted_intakes,
        "proposal(s)": deleted_proposals,
        "ranked candidate(s)": deleted_candidates,
        "provider profile(s)": deleted_providers,
        "training evidence": deleted_evidence,
    }
    deidentified = {
        "intake(s)": len(kept_intakes),
        "proposal(s)": len(kept_proposals),
        "provider profile(s)": len(kept_providers),
        "match(es)": len(matches),
        "audit entr(ies)": len(decisions),
        "other people's manager chain(s)": len(others),
    }
    # Directory counts are named only when there were any (most people have none in matching).
    if deleted_directory:
        deleted["directory fact row(s)"] = deleted_directory
    if relinked:
        deidentified["other people's directory manager link(s)"] = relinked
    if deleted_outcomes:
        deleted["provider outcome(s)"] = deleted_outcomes
    if deleted_handoffs:
        deleted["handoff(s)"] = deleted_handoffs
    if deidentified_dual:
        deidentified["sponsor action(s) and handoff link(s)"] = deidentified_dual
    records = sum(deleted.values()) + sum(deidentified.values())
    log.info("matching.privacy.erased", person_id=str(person_id), records=records, matches_ended=withdrawn)
    ended = f"; ended {withdrawn} active match(es)" if withdrawn else ""
    return Answer(records, f"Deleted {_summary(deleted)}; de-identified {_summary(deidentified)}{ended}.")


def subscription(consent: ServiceClient, *, erasure_key: SecretStr) -> Subscription:
    """The consumer that answers every data-subject request listing matching."""
    return person_data_subscription(
        service=SERVICE,
        consent=consent,
        export=export_person,
        erase=functools.partial(erase_person, key=erasure_key),
        erasure_key=erasure_key,
    )


def _summary(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "nothing"


def _replaced(chain: list[str], person_id: UUID, pseudonym: UUID) -> list[str]:
    return [str(pseudonym) if m == str(person_id) else m for m in chain]


def _deidentify_intake(intake: models.Intake, pseudonym: UUID) -> None:
    """Kept for its matches (reassignment rate, track mix); the person's answers are gone."""
    intake.person_id = pseudonym
    for column, empty in repository.empty_responses().items():
        setattr(intake, column, empty)


def _deidentify_proposal(proposal: models.Proposal, pseudonym: UUID) -> None:
    """Kept because a match was made from it; the person's consent choices and the reason go."""
    proposal.participant_id = pseudonym
    proposal.consented_fields = []
    proposal.excluded_signals = []
    proposal.consent_notice_version = None
    proposal.decision_reason = None


def _deidentify_provider(provider: models.Provider, pseudonym: UUID) -> None:
    """Kept for the matches and rankings that point at it. Without credentials the provider is
    ineligible and without free capacity, so it leaves the pool: it is never proposed again."""
    provider.person_id = pseudonym
    provider.timezone = ERASED_TIMEZONE
    provider.working_hours = []
    provider.languages = []
    provider.skills = {}
    provider.behavioural_focus = []
    provider.sponsorship_actions = 0
    provider.promotions_sponsored = 0
    provider.ratings = []
    provider.sessions_completed = 0
    provider.sessions_scheduled = 0
    provider.manager_chain = []
    provider.calibration = []
    provider.commitment_signed = False
    provider.eligibility_override = None
    provider.capacity = provider.active_load


def _deidentify_match(match: models.Match, person_id: UUID, pseudonym: UUID) -> None:
    """Kept for the other party and the reassignment rate; only the person's side is replaced.
    A reassignment's reason is free text and goes; an ended match's reason is a closed-list word."""
    if match.participant_id == person_id:
        match.participant_id = pseudonym
    if match.provider_person_id == person_id:
        match.provider_person_id = pseudonym
    if match.end_reason not in END_REASONS:
        match.end_reason = None


def _deidentify_decision(decision: models.Decision) -> None:
    """What someone wrote goes (a reason, an end note); what was picked from a list stays."""
    if decision.action != "ended":
        decision.reason = None
    decision.details = {k: v for k, v in decision.details.items() if k != "note"}
