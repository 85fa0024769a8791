"""The gates from evidence (pure): which gate each piece of evidence meets, and when it lapses."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from tandem_matching.eligibility import (
    COACH_GATES,
    CURRICULUM_WEEKS,
    MENTOR_GATES,
    Evidence,
    GateStatus,
    Override,
    Policy,
    Report,
    evaluate,
    lapsed,
)
from tandem_matching.scoring.domain import ProviderKind, RubricScore

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
PANEL = [RubricScore(4, 5, 4, 4, 4)] * 3
QUARTER, YEAR = timedelta(days=91), timedelta(days=365)


def fact(item: str, age: timedelta = timedelta(days=1), statement: str = "s") -> Evidence:
    return Evidence(item=item, evidence_id=uuid.uuid4(), statement_id=statement, achieved_at=NOW - age)


def coach(*evidence: Evidence, override: Override | None = None, now: datetime = NOW) -> Report:
    return evaluate(
        ProviderKind.COACH, evidence=evidence, calibration=PANEL, override=override, now=now, policy=Policy()
    )


def statuses(report: Report) -> dict[str, str]:
    return {g.name: g.status.value for g in report.gates}


CERTIFIED = (fact("coach_demo_review"), fact("coach_co_coaching_session"), fact("calibration_review"))


def test_mentor_eligible_with_every_item_and_the_commitment() -> None:
    evidence = [fact("bias_awareness_training"), *(fact(w) for w in CURRICULUM_WEEKS)]
    report = evaluate(ProviderKind.MENTOR, evidence=evidence, commitment_signed=True, now=NOW)
    assert (report.eligible, report.reasons) == (True, ())
    assert [g.name for g in report.gates] == list(MENTOR_GATES)
    assert {g.status for g in report.gates} == {GateStatus.MET}


def test_mentor_missing_week_three_and_commitment() -> None:
    evidence = [fact("bias_awareness_training"), *(fact(w) for w in CURRICULUM_WEEKS if not w.endswith("3"))]
    report = evaluate(ProviderKind.MENTOR, evidence=evidence, commitment_signed=False, now=NOW)
    assert report.reasons == ("mentor_curriculum_week_3_missing", "commitment_not_signed")


def test_coach_gates_in_order_and_initial_certification_dates_from_demo_and_co_coaching() -> None:
    report = coach(*CERTIFIED)
    assert [g.name for g in report.gates] == list(COACH_GATES)
    assert report.eligible
    [certification] = [g for g in report.gates if g.name == "recertification"]
    assert {e.item for e in certification.evidence} == {"coach_demo_review", "coach_co_coaching_session"}


def test_coach_without_evidence_lists_each_missing_gate() -> None:
    assert coach().reasons == (
        "coach_demo_review_missing",
        "coach_co_coaching_session_missing",
        "calibration_review_missing",
        "recertification_missing",
    )


def test_calibration_review_lapses_at_exactly_a_quarter() -> None:
    old = (fact("coach_demo_review"), fact("coach_co_coaching_session"), fact("calibration_review", QUARTER))
    assert coach(*old).reasons == ("calibration_review_lapsed",)
    fresh = (*old[:2], fact("calibration_review", QUARTER - timedelta(microseconds=1)))
    assert coach(*fresh).eligible


def test_latest_recertification_counts_and_lapses_at_a_year() -> None:
    evidence = (*CERTIFIED, fact("recertification", YEAR + timedelta(days=30)), fact("recertification", YEAR))
    report = coach(*evidence)
    assert report.reasons == ("recertification_lapsed",)
    renewed = coach(*evidence, fact("recertification", timedelta(days=2), statement="renewal"))
    [gate] = [g for g in renewed.gates if g.name == "recertification"]
    assert (gate.status, gate.evidence[0].statement_id) == (GateStatus.MET, "renewal")


def test_override_stands_in_for_evidence_gates_only() -> None:
    override = Override(
        gates=frozenset({"coach_demo_review", "calibration_review"}), by="person:pm", at=NOW, reason="r"
    )
    report = coach(fact("coach_co_coaching_session"), fact("recertification"), override=override)
    assert statuses(report)["coach_demo_review"] == "overridden"
    assert statuses(report)["calibration_review"] == "overridden"
    assert (report.eligible, report.overridden) == (True, True)
    weak = evaluate(
        ProviderKind.COACH,
        evidence=[fact("coach_co_coaching_session"), fact("recertification")],
        calibration=[RubricScore(3, 3, 3, 3, 3)],
        override=Override(gates=frozenset({"calibration_panel", *COACH_GATES}), by="x", at=NOW, reason="r"),
        now=NOW,
    )
    assert weak.reasons == ("calibration_median_below_4",)


def test_override_is_not_used_when_evidence_meets_the_gate() -> None:
    override = Override(gates=frozenset({"calibration_review"}), by="x", at=NOW, reason="r")
    report = coach(*CERTIFIED, override=override)
    assert (statuses(report)["calibration_review"], report.overridden) == ("met", False)


def test_calibration_panel_median_of_panelist_means_at_four_is_met() -> None:
    panel = [RubricScore(4, 4, 4, 4, 4), RubricScore(5, 5, 5, 5, 4), RubricScore(3, 3, 3, 4, 3)]
    report = evaluate(ProviderKind.COACH, evidence=CERTIFIED, calibration=panel, now=NOW)
    assert (report.eligible, statuses(report)["calibration_panel"]) == (True, "met")
    low = [RubricScore(4, 4, 4, 4, 3), RubricScore(5, 5, 5, 5, 5), RubricScore(3, 3, 3, 3, 3)]
    assert evaluate(ProviderKind.COACH, evidence=CERTIFIED, calibration=low, now=NOW).reasons == (
        "calibration_median_below_4",
    )
    assert evaluate(ProviderKind.COACH, evidence=CERTIFIED, now=NOW).reasons == ("no_calibration_panel",)


def test_continuing_gate_still_applies() -> None:
    report = evaluate(ProviderKind.COACH, evidence=CERTIFIED, calibration=PANEL, ratings=[3.0, 3.5], now=NOW)
    assert report.reasons == ("rating_median_below_4",)


zones = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@given(
    achieved=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=zones),
    max_days=st.sampled_from([91, 365]),
    offset=st.integers(min_value=-3 * 86_400_000_000, max_value=3 * 86_400_000_000),
    now_zone=zones,
)
def test_lapse_is_age_at_or_past_the_limit_in_any_zone(
    achieved: datetime, max_days: int, offset: int, now_zone: timezone
) -> None:
    """Near the edge (within three days of it, to the microsecond), written in any two offsets."""
    max_age = timedelta(days=max_days)
    now = (achieved + max_age + timedelta(microseconds=offset)).astimezone(now_zone)
    assert lapsed(achieved, now, max_age) is (offset >= 0)


@given(zone=zones, max_days=st.sampled_from([91, 365]))
def test_exactly_the_limit_has_lapsed_whatever_the_zones(zone: timezone, max_days: int) -> None:
    achieved = datetime(2027, 3, 26, 23, 30, tzinfo=zone)  # the night European clocks go forward
    now = (achieved + timedelta(days=max_days)).astimezone(UTC)
    assert lapsed(achieved, now, timedelta(days=max_days))
    assert not lapsed(achieved, now - timedelta(microseconds=1), timedelta(days=max_days))


@given(age_days=st.integers(min_value=0, max_value=800))
def test_calibration_review_and_recertification_lapse_independently(age_days: int) -> None:
    age = timedelta(days=age_days)
    report = coach(*CERTIFIED[:2], fact("calibration_review", age), fact("recertification", age))
    expected = [
        *(["calibration_review_lapsed"] if age >= QUARTER else []),
        *(["recertification_lapsed"] if age >= YEAR else []),
    ]
    assert list(report.reasons) == expected
