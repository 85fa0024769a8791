"""Consent-aware ranking: the bridge between stored rows, the consent decision and the pure scorer."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.errors import Conflict
from tandem_matching import models
from tandem_matching.consent_client.domain import SIGNAL_FIELDS, consented_signals, missing_fields
from tandem_matching.consent_client.gate import ConsentDecision, ConsentGate
from tandem_matching.directory import service as directory
from tandem_matching.directory.domain import EMPTY, OrgView
from tandem_matching.intake.domain import CASE_TEXT, needs_external_coach
from tandem_matching.program import repository as program_repository
from tandem_matching.ranking import profiles
from tandem_matching.scoring import domain
from tandem_matching.scoring.domain import (
    ProviderKind,
    ScoreBreakdown,
    Signal,
    WeightSet,
    effective_weights,
)
from tandem_matching.scoring.index import ProviderIndex, RankedCandidate, top_k
from tandem_matching.sponsor import service as sponsor


class ConsentRequired(Conflict):
    code, title = "consent-required", "Consent required"


class ProviderConsentRequired(Conflict):
    code, title = "provider-consent-required", "Provider consent required"


@dataclass(frozen=True)
class Ranked:
    provider: models.Provider
    rank: int
    breakdown: ScoreBreakdown


@dataclass(frozen=True)
class WeightSummary:
    """How the weights were applied: nominal shares, shares used after redistribution, exclusions."""

    version: int
    used: dict[str, float]
    excluded: list[dict[str, Any]]
    redistributed: float
    promotion_rule_applied: bool


@dataclass(frozen=True)
class Ranking:
    consent: ConsentDecision
    consented: frozenset[Signal]
    weights: WeightSet
    summary: WeightSummary
    candidates: list[Ranked]
    directory_left_out: list[dict[str, str]]
    external_only_cases: list[str]


EXTERNAL_COACH_REQUIRED = "external_coach_required"
"""Hard-filter reason: an internal coach for a case the seed routes to external coaches."""


def external_only(intake: models.Intake, kind: ProviderKind) -> list[str]:
    """The intake's cases that limit a coach ranking to external coaches (empty: every coach)."""
    if kind is not ProviderKind.COACH or not needs_external_coach(intake.case_flags):
        return []
    return [f for f in intake.case_flags if f in CASE_TEXT]


def sourced_pool(
    pool: Sequence[models.Provider], intake: models.Intake, kind: ProviderKind
) -> Sequence[models.Provider]:
    """The pool the intake may be ranked against: external coaches only for the seed's cases."""
    if not external_only(intake, kind):
        return pool
    return [p for p in pool if p.sourcing == "external"]


def today() -> datetime:
    return datetime.now(UTC)


async def require_consent(gate: ConsentGate, intake: models.Intake) -> ConsentDecision:
    decision = await gate.one(intake.person_id)
    if not decision.granted:
        raise ConsentRequired(
            "The participant has not consented to the `matching` purpose; no match can be proposed "
            "or approved until they do.",
            person_id=str(intake.person_id),
            purpose="matching",
        )
    return decision


async def require_provider_consent(gate: ConsentGate, provider: models.Provider) -> ConsentDecision:
    """The provider's own `matching` decision; 409 naming the provider when it is not granted."""
    decision = await gate.one(provider.person_id)
    if not decision.granted:
        raise ProviderConsentRequired(
            f"The {provider.kind} has not consented to the `matching` purpose; they cannot be "
            "proposed, approved, overridden to or reassigned to until they do.",
            provider_id=str(provider.id),
            person_id=str(provider.person_id),
            purpose="matching",
            pointer="#/provider_id",
        )
    return decision


async def provider_consents(
    gate: ConsentGate, pool: Sequence[models.Provider]
) -> dict[UUID, ConsentDecision]:
    """Every pool member's own decision, keyed by person id: one batched, cached call."""
    return await gate.check([p.person_id for p in pool])


def _excluded(
    missing: Mapping[Signal, list[str]], weights: WeightSet, *, promotion_related: bool
) -> list[dict[str, Any]]:
    """Left-out signals as stored and shown: the fields missing, the share of 100 points they had."""
    effective = effective_weights(weights, promotion_related=promotion_related).as_dict()
    everything = sum(effective.values())
    return [
        {"signal": s.value, "missing_fields": fields, "nominal_weight": 100.0 * effective[s] / everything}
        for s, fields in missing.items()
    ]


def summarise(weights: WeightSet, fields: frozenset[str], *, promotion_related: bool) -> WeightSummary:
    """Explain the weights for a participant who consented to `fields`."""
    consented = consented_signals(fields)
    # The scorer's own weight plan, so the summary can never disagree with the contributions.
    plan = domain.weight_plan(weights, consented, promotion_related=promotion_related)
    gaps = missing_fields(fields)
    return WeightSummary(
        version=weights.version,
        used={s.value: plan.used[s] for s in plan.included},
        excluded=_excluded(
            {s: gaps.get(s, []) for s in plan.excluded}, weights, promotion_related=promotion_related
        ),
        redistributed=plan.redistributed,
        promotion_rule_applied=plan.promotion_rule_applied,
    )


PROVIDER_EXCLUDED = "provider_excluded"
"""Key, next to the signals, of a candidate's stored provider-side exclusions."""


def provider_exclusions(
    breakdown: ScoreBreakdown, weights: WeightSet, *, promotion_related: bool
) -> list[dict[str, Any]]:
    """Signals the participant allowed but this provider's own consent did not, for the explanation."""
    return _excluded(
        {s: sorted(SIGNAL_FIELDS[s]) for s in breakdown.provider_excluded},
        weights,
        promotion_related=promotion_related,
    )


def signals_json(
    breakdown: ScoreBreakdown, weights: WeightSet | None = None, *, promotion_related: bool = False
) -> dict[str, Any]:
    stored: dict[str, Any] = {
        s.value: {
            "value": c.value,
            "nominal_weight": c.nominal_weight,
            "weight_used": c.weight_used,
            "contribution": c.contribution,
        }
        for s, c in breakdown.contributions.items()
    }
    if breakdown.provider_excluded and weights is not None:
        stored[PROVIDER_EXCLUDED] = provider_exclusions(
            breakdown, weights, promotion_related=promotion_related
        )
    return stored


async def org_view(
    session: AsyncSession, pool: Sequence[models.Provider], intakes: Sequence[models.Intake]
) -> OrgView:
    """The directory facts of everyone a ranking looks at, and of their managers."""
    return await directory.org_view(session, {p.person_id for p in pool} | {i.person_id for i in intakes})


async def sponsorship_logged(session: AsyncSession, providers: Sequence[models.Provider]) -> dict[UUID, int]:
    """Logged sponsor actions of the last 18 months per provider person who has a log."""
    return await sponsor.sponsorship_counts(session, [p.person_id for p in providers], today=today().date())


def build_index(
    pool: Sequence[models.Provider],
    consents: Mapping[UUID, ConsentDecision],
    org: OrgView,
    logged: Mapping[UUID, int] | None = None,
) -> tuple[ProviderIndex, dict[Any, models.Provider]]:
    """Index the pool under each provider's own consent (unconsented ones are hard-filtered);
    `logged`: `sponsorship_logged` of the pool."""
    by_person = {p.person_id: p for p in pool}
    counts = logged or {}
    index = ProviderIndex.build(
        [profiles.provider_profile(p, consents[p.person_id], org, counts.get(p.person_id)) for p in pool],
        week_of=today().date(),
    )
    return index, by_person


DIRECTORY_RULES = (("mentor_seniority", "level_rank"), ("cross_department", "department"))
"""The ranking rules that read directory facts (scoring.domain.hard_filter), with the fact each reads."""


def directory_left_out(
    org: OrgView, person_id: UUID, fields: frozenset[str], *, kind: ProviderKind
) -> list[dict[str, str]]:
    """The participant's directory rules left out of this ranking: `no_consent` when the `matching`
    consent does not list the field, `unknown` when the directory has no value."""
    if kind is not ProviderKind.MENTOR:
        return []
    facts = org.facts(person_id)
    left_out = []
    for rule, fact in DIRECTORY_RULES:
        field = profiles.HR_FIELDS[fact]
        if field not in fields:
            left_out.append({"rule": rule, "field": field, "why": "no_consent"})
        elif facts is None or not facts.known or getattr(facts, fact) is None:
            left_out.append({"rule": rule, "field": field, "why": "unknown"})
    return left_out


def rank_with(
    intake: models.Intake,
    consent: ConsentDecision,
    index: ProviderIndex,
    by_person: dict[Any, models.Provider],
    weights: WeightSet,
    *,
    kind: ProviderKind,
    k: int,
    org: OrgView,
) -> Ranking:
    consented = consented_signals(consent.fields)
    participant = profiles.participant_profile(intake, consented, kind=kind, org=org, fields=consent.fields)
    ranked: list[RankedCandidate] = top_k(participant, index, weights, consented=consented, k=k, kind=kind)
    return Ranking(
        consent=consent,
        consented=consented,
        weights=weights,
        summary=summarise(weights, consent.fields, promotion_related=intake.promotion_related),
        candidates=[Ranked(by_person[c.provider_id], c.rank, c.breakdown) for c in ranked],
        directory_left_out=directory_left_out(org, intake.person_id, consent.fields, kind=kind),
        external_only_cases=external_only(intake, kind),
    )


async def rank(
    session: AsyncSession,
    gate: ConsentGate,
    intake: models.Intake,
    weights: WeightSet,
    *,
    kind: ProviderKind,
    k: int,
) -> Ranking:
    """The top `k` admissible providers of `kind` for the intake; 409 without `matching` consent."""
    consent = await require_consent(gate, intake)
    pool = sourced_pool(await program_repository.pool(session, intake.program_id, kind.value), intake, kind)
    org = await org_view(session, pool, [intake])
    index, by_person = build_index(
        pool, await provider_consents(gate, pool), org, await sponsorship_logged(session, pool)
    )
    return rank_with(intake, consent, index, by_person, weights, kind=kind, k=k, org=org)


def score_pair(
    intake: models.Intake,
    provider: models.Provider,
    consent: ConsentDecision,
    weights: WeightSet,
    provider_consent: ConsentDecision,
    logged: int | None = None,
) -> ScoreBreakdown:
    consented = consented_signals(consent.fields)
    kind = ProviderKind(provider.kind)
    return domain.score(
        # Manager links and directory facts never change a score: they only filter.
        profiles.participant_profile(intake, consented, kind=kind, org=EMPTY),
        profiles.provider_profile(provider, provider_consent, EMPTY, logged),
        weights,
        consented=consented,
        week_of=today().date(),
    )


def admissibility(
    intake: models.Intake, provider: models.Provider, provider_consent: ConsentDecision, org: OrgView
) -> list[str]:
    """Hard-filter reasons for one pair (eligibility, capacity, conflicts from the directory's manager
    links, a deactivated provider, language, provider consent). The mentoring rules on directory facts
    rank; they do not bind a manager's explicit choice, so the participant's facts are left out here
    (no `fields`), which switches them off."""
    participant = profiles.participant_profile(intake, frozenset(), kind=ProviderKind(provider.kind), org=org)
    profile = profiles.provider_profile(provider, provider_consent, org)
    reasons = [str(r) for r in domain.hard_filter(participant, profile)]
    if external_only(intake, ProviderKind(provider.kind)) and provider.sourcing != "external":
        reasons.append(EXTERNAL_COACH_REQUIRED)
    return reasons
