"""Consent-aware ranking: the bridge between stored rows, the consent decision and the pure scorer."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.errors import Conflict
from tandem_matching import models, profiles
from tandem_matching.consent.domain import consented_signals, missing_fields
from tandem_matching.consent.gate import ConsentDecision, ConsentGate
from tandem_matching.provider import repository as provider_repository
from tandem_matching.scoring import domain
from tandem_matching.scoring.domain import (
    ProviderKind,
    ScoreBreakdown,
    Signal,
    WeightSet,
    effective_weights,
)
from tandem_matching.scoring.ranking import ProviderIndex, RankedCandidate, top_k


class ConsentRequired(Conflict):
    code, title = "consent-required", "Consent required"


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
    summary: WeightSummary
    candidates: list[Ranked]


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


def summarise(weights: WeightSet, fields: frozenset[str], *, promotion_related: bool) -> WeightSummary:
    """Explain the weights for a participant who consented to `fields`."""
    consented = consented_signals(fields)
    # The scorer's own weight plan, so the summary can never disagree with the contributions.
    plan = domain.weight_plan(weights, consented, promotion_related=promotion_related)
    effective = effective_weights(weights, promotion_related=promotion_related).as_dict()
    everything = sum(effective.values())
    gaps = missing_fields(fields)
    excluded = [
        {
            "signal": s.value,
            "missing_fields": gaps.get(s, []),
            "nominal_weight": 100.0 * effective[s] / everything,
        }
        for s in plan.excluded
    ]
    return WeightSummary(
        version=weights.version,
        used={s.value: plan.used[s] for s in plan.included},
        excluded=excluded,
        redistributed=plan.redistributed,
        promotion_rule_applied=plan.promotion_rule_applied,
    )


def signals_json(breakdown: ScoreBreakdown) -> dict[str, Any]:
    return {
        s.value: {
            "value": c.value,
            "nominal_weight": c.nominal_weight,
            "weight_used": c.weight_used,
            "contribution": c.contribution,
        }
        for s, c in breakdown.contributions.items()
    }


def build_index(pool: Sequence[models.Provider]) -> tuple[ProviderIndex, dict[Any, models.Provider]]:
    by_person = {p.person_id: p for p in pool}
    index = ProviderIndex.build([profiles.provider_profile(p) for p in pool], week_of=today().date())
    return index, by_person


def rank_with(
    intake: models.Intake,
    consent: ConsentDecision,
    index: ProviderIndex,
    by_person: dict[Any, models.Provider],
    weights: WeightSet,
    *,
    kind: ProviderKind,
    k: int,
) -> Ranking:
    consented = consented_signals(consent.fields)
    participant = profiles.participant_profile(intake, consented, kind=kind)
    ranked: list[RankedCandidate] = top_k(participant, index, weights, consented=consented, k=k, kind=kind)
    return Ranking(
        consent=consent,
        consented=consented,
        summary=summarise(weights, consent.fields, promotion_related=intake.promotion_related),
        candidates=[Ranked(by_person[c.provider_id], c.rank, c.breakdown) for c in ranked],
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
    pool = await provider_repository.pool(session, intake.program_id, kind.value)
    index, by_person = build_index(pool)
    return rank_with(intake, consent, index, by_person, weights, kind=kind, k=k)


def score_pair(
    intake: models.Intake, provider: models.Provider, consent: ConsentDecision, weights: WeightSet
) -> ScoreBreakdown:
    consented = consented_signals(consent.fields)
    kind = ProviderKind(provider.kind)
    return domain.score(
        profiles.participant_profile(intake, consented, kind=kind),
        profiles.provider_profile(provider),
        weights,
        consented=consented,
        week_of=today().date(),
    )


def admissibility(intake: models.Intake, provider: models.Provider) -> list[str]:
    """Hard-filter reasons for one pair (eligibility, capacity, conflicts, language)."""
    participant = profiles.participant_profile(intake, frozenset(), kind=ProviderKind(provider.kind))
    return [str(r) for r in domain.hard_filter(participant, profiles.provider_profile(provider))]
