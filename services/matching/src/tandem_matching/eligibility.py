"""A provider's eligibility gates, computed from training evidence (pure).

Mentor: bias-awareness training, the four curriculum weeks and the signed commitment. Coach: the
calibration panel median >= 4/5, a demo review and a co-coaching session, a calibration review less
than a quarter old and a certification less than a year old. Then the continuing gate (rating median,
session completion) for both. A program manager's override stands in for missing or lapsed evidence
gates, never for the panel or the commitment (those are records, not training).

The result is stored on the provider row when evidence, the profile or the clock changes
(`provider.gates`); readers such as ranking take it from there (:func:`eligibility`).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from tandem_matching import models
from tandem_matching.scoring.domain import (
    CALIBRATION_THRESHOLD,
    Eligibility,
    ProviderKind,
    RubricScore,
    calibration_score,
    continuing_eligibility,
)

CALIBRATION_REVIEW_MAX_AGE = timedelta(days=91)
RECERTIFICATION_MAX_AGE = timedelta(days=365)

BIAS_AWARENESS = "bias_awareness_training"
CURRICULUM_WEEKS = tuple(f"mentor_curriculum_week_{n}" for n in range(1, 5))
DEMO_REVIEW = "coach_demo_review"
CO_COACHING = "coach_co_coaching_session"
CALIBRATION_REVIEW = "calibration_review"
RECERTIFICATION = "recertification"
CALIBRATION_PANEL = "calibration_panel"
COMMITMENT = "commitment_signed"

EVIDENCE_ITEMS = (
    BIAS_AWARENESS,
    *CURRICULUM_WEEKS,
    DEMO_REVIEW,
    CO_COACHING,
    CALIBRATION_REVIEW,
    RECERTIFICATION,
)
"""The items of the `TrainingEvidenceRecorded` contract; also the gates an override may stand in for."""
MENTOR_GATES = (BIAS_AWARENESS, *CURRICULUM_WEEKS, COMMITMENT)
COACH_GATES = (CALIBRATION_PANEL, DEMO_REVIEW, CO_COACHING, CALIBRATION_REVIEW, RECERTIFICATION)


class GateStatus(StrEnum):
    MET = "met"
    MISSING = "missing"
    LAPSED = "lapsed"
    OVERRIDDEN = "overridden"


@dataclass(frozen=True)
class Policy:
    """How old a calibration review and a certification may be (the program's clock)."""

    calibration_review_max_age: timedelta = CALIBRATION_REVIEW_MAX_AGE
    recertification_max_age: timedelta = RECERTIFICATION_MAX_AGE


@dataclass(frozen=True)
class Evidence:
    """One counting, not retracted piece of training evidence."""

    item: str
    evidence_id: UUID
    statement_id: str
    achieved_at: datetime


@dataclass(frozen=True)
class Override:
    """A program manager's audited decision that these gates count as met without evidence."""

    gates: frozenset[str]
    by: str
    at: datetime
    reason: str


@dataclass(frozen=True)
class Gate:
    """One gate: its status, the evidence behind it (latest first) and, unless met, the reason code."""

    name: str
    status: GateStatus
    evidence: tuple[Evidence, ...] = ()
    reason: str | None = None


@dataclass(frozen=True)
class Report:
    eligible: bool
    reasons: tuple[str, ...]
    gates: tuple[Gate, ...]
    overridden: bool = False


def lapsed(achieved_at: datetime, now: datetime, max_age: timedelta) -> bool:
    """Evidence is good for strictly less than `max_age`: at exactly 91 (or 365) days it has lapsed.
    Both instants are aware, so the comparison holds whatever zone either was written in."""
    return now - achieved_at >= max_age


def _latest(evidence: Iterable[Evidence], item: str) -> tuple[Evidence, ...]:
    return tuple(sorted((e for e in evidence if e.item == item), key=lambda e: e.achieved_at, reverse=True))


def _item_gate(name: str, found: tuple[Evidence, ...], now: datetime, max_age: timedelta | None) -> Gate:
    if not found:
        return Gate(name, GateStatus.MISSING, (), f"{name}_missing")
    if max_age is not None and lapsed(found[0].achieved_at, now, max_age):
        return Gate(name, GateStatus.LAPSED, found, f"{name}_lapsed")
    return Gate(name, GateStatus.MET, found)


def _certification_gate(evidence: Sequence[Evidence], now: datetime, policy: Policy) -> Gate:
    """Certification dates from the last re-certification; before the first one, from the initial
    certification, completed by the later of the demo review and the co-coaching session."""
    recertified = _latest(evidence, RECERTIFICATION)
    if recertified:
        return _item_gate(RECERTIFICATION, recertified, now, policy.recertification_max_age)
    demo, joint = _latest(evidence, DEMO_REVIEW), _latest(evidence, CO_COACHING)
    if not demo or not joint:
        return Gate(RECERTIFICATION, GateStatus.MISSING, (), f"{RECERTIFICATION}_missing")
    initial = tuple(sorted((demo[0], joint[0]), key=lambda e: e.achieved_at, reverse=True))
    return _item_gate(RECERTIFICATION, initial, now, policy.recertification_max_age)


def _apply_override(gate: Gate, override: Override | None) -> Gate:
    """Only an evidence gate may be overridden: the panel and the commitment are records of their own."""
    if (
        gate.status in (GateStatus.MISSING, GateStatus.LAPSED)
        and override
        and gate.name in override.gates
        and gate.name in EVIDENCE_ITEMS
    ):
        return Gate(gate.name, GateStatus.OVERRIDDEN, gate.evidence, gate.reason)
    return gate


def evaluate(
    kind: ProviderKind,
    *,
    evidence: Sequence[Evidence],
    calibration: Sequence[RubricScore] = (),
    commitment_signed: bool = False,
    ratings: Sequence[float] = (),
    sessions_completed: int = 0,
    sessions_scheduled: int = 0,
    override: Override | None = None,
    now: datetime,
    policy: Policy = Policy(),
) -> Report:
    """Each gate of `kind` at `now`, then the continuing gate; eligible when nothing is missing."""
    gates: list[Gate] = []
    if kind == ProviderKind.MENTOR:
        for item in (BIAS_AWARENESS, *CURRICULUM_WEEKS):
            gates.append(_item_gate(item, _latest(evidence, item), now, None))
        gates.append(
            Gate(COMMITMENT, GateStatus.MET)
            if commitment_signed
            else Gate(COMMITMENT, GateStatus.MISSING, (), "commitment_not_signed")
        )
    else:
        median = calibration_score(calibration)
        if median is None:
            gates.append(Gate(CALIBRATION_PANEL, GateStatus.MISSING, (), "no_calibration_panel"))
        elif median < CALIBRATION_THRESHOLD:
            gates.append(Gate(CALIBRATION_PANEL, GateStatus.MISSING, (), "calibration_median_below_4"))
        else:
            gates.append(Gate(CALIBRATION_PANEL, GateStatus.MET))
        gates.append(_item_gate(DEMO_REVIEW, _latest(evidence, DEMO_REVIEW), now, None))
        gates.append(_item_gate(CO_COACHING, _latest(evidence, CO_COACHING), now, None))
        gates.append(
            _item_gate(
                CALIBRATION_REVIEW,
                _latest(evidence, CALIBRATION_REVIEW),
                now,
                policy.calibration_review_max_age,
            )
        )
        gates.append(_certification_gate(evidence, now, policy))
    gates = [_apply_override(g, override) for g in gates]
    reasons = [g.reason for g in gates if g.status in (GateStatus.MISSING, GateStatus.LAPSED) and g.reason]
    continuing = continuing_eligibility(
        ratings, sessions_completed=sessions_completed, sessions_scheduled=sessions_scheduled
    )
    reasons.extend(continuing.reasons)
    return Report(
        eligible=not reasons,
        reasons=tuple(reasons),
        gates=tuple(gates),
        overridden=any(g.status == GateStatus.OVERRIDDEN for g in gates),
    )


@dataclass(frozen=True)
class ContinuingInputs:
    ratings: tuple[float, ...]
    sessions_completed: int
    sessions_scheduled: int


def continuing_inputs(
    provider: "models.Provider", outcome: "models.ProviderOutcome | None"
) -> ContinuingInputs:
    """What the continuing gate reads: the outcomes analytics computed from vendor telemetry
    (`ProviderOutcomesUpdated`) once there are any; the typed-in profile numbers only before that.

    Outcomes carry the rating median, not the ratings (null below k=5 ratings: no rating check yet);
    the median of that one value is the median itself. Sessions due are completed + no-shows.
    """
    if outcome is None:
        return ContinuingInputs(
            tuple(provider.ratings), provider.sessions_completed, provider.sessions_scheduled
        )
    ratings = () if outcome.rating_median is None else (outcome.rating_median,)
    due = outcome.sessions_completed + outcome.sessions_no_show
    return ContinuingInputs(ratings, outcome.sessions_completed, due)


def gates_json(report: Report) -> list[dict[str, Any]]:
    """The gates as stored on the provider row and shown by the eligibility answer."""
    return [
        {
            "name": g.name,
            "status": g.status.value,
            "reason": g.reason,
            "evidence": [
                {
                    "item": e.item,
                    "evidence_id": str(e.evidence_id),
                    "statement_id": e.statement_id,
                    "achieved_at": e.achieved_at.isoformat(),
                }
                for e in g.evidence
            ],
        }
        for g in report.gates
    ]


def override_of(stored: dict[str, Any] | None) -> Override | None:
    if not stored:
        return None
    return Override(
        gates=frozenset(stored["gates"]),
        by=stored["by"],
        at=datetime.fromisoformat(stored["at"]),
        reason=stored["reason"],
    )


def eligibility(provider: models.Provider) -> Eligibility:
    """The provider's eligibility as last evaluated (ranking applies it as a hard filter)."""
    return Eligibility(eligible=provider.eligible, reasons=tuple(provider.ineligible_reasons))
