from dataclasses import replace
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from tandem_analytics.pilot import domain
from tandem_analytics.pilot.domain import Criterion, Evidence

START = date(2026, 1, 5)


def test_gate_dates_count_weeks_from_the_start() -> None:
    dates = {spec.gate: when for spec, when in domain.timeline(START)}

    assert dates["week_2"] == date(2026, 1, 19)
    assert dates["week_12"] == date(2026, 3, 30)
    assert dates["day_60"] == date(2026, 3, 6)
    assert dates["day_120"] == date(2026, 5, 5)
    assert dates["week_24"] == date(2026, 6, 22)
    assert [s.gate for s, _ in domain.timeline(START)][:4] == ["week_2", "week_4", "week_6", "day_60"]


def test_due_gates_are_those_whose_date_has_come() -> None:
    assert domain.due_gates(START, date(2026, 1, 18)) == []
    assert domain.due_gates(START, date(2026, 2, 2)) == ["week_2", "week_4"]


def healthy() -> Evidence:
    return Evidence(
        cohort_size=24,
        members_counted=24,
        intake_completed=23,
        matched=24,
        agreements_signed=24,
        sessions_due=100,
        sessions_attended=85,
        reassigned=1,
        mentees=12,
        mentees_with_sponsor_action=12,
        telemetry_people=22,
        behaviour_lift=0.4,
        kpis_improved=1,
        kpis_measured=1,
    )


def test_every_gate_is_green_on_healthy_evidence() -> None:
    verdicts = {gate: domain.evaluate(gate, healthy()).verdict for gate in domain.GATES}

    assert set(verdicts.values()) == {"green"}


def test_week_2_needs_90_percent_intake() -> None:
    short = replace(healthy(), intake_completed=21)  # 21 / 24 = 0.875

    outcome = domain.evaluate("week_2", short)

    assert outcome.verdict == "red"
    assert [(c.name, c.standing) for c in outcome.criteria] == [
        ("cohort_size", "met"),
        ("intake_rate", "partial"),
    ]


def test_partial_progress_with_a_mitigation_is_amber() -> None:
    low = replace(healthy(), sessions_attended=70, mitigations=1)  # 0.7: partial

    assert domain.evaluate("week_6", low).verdict == "amber"
    assert domain.evaluate("week_6", replace(low, mitigations=0)).verdict == "red"


def test_missing_evidence_is_red_whatever_the_mitigations() -> None:
    unmeasured = replace(healthy(), behaviour_lift=None, mitigations=3)

    outcome = domain.evaluate("week_24", unmeasured)

    assert outcome.verdict == "red"
    assert [c.standing for c in outcome.criteria] == ["met", "missing", "met"]


def test_go_no_go_needs_a_linked_kpi_improved() -> None:
    flat = replace(healthy(), kpis_improved=0)

    assert domain.evaluate("week_24", flat).verdict == "red"
    assert domain.evaluate("week_24", replace(flat, mitigations=1)).verdict == "amber"


def test_reassignment_must_stay_under_ten_percent() -> None:
    assert domain.evaluate("week_9", replace(healthy(), reassigned=2)).criteria[0].standing == "met"  # 0.083
    assert (
        domain.evaluate("week_9", replace(healthy(), reassigned=3)).criteria[0].standing == "partial"
    )  # 0.125
    assert (
        domain.evaluate("week_9", replace(healthy(), reassigned=5)).criteria[0].standing == "unmet"
    )  # 0.208


def test_suppression_hides_counts_below_k_and_their_rates() -> None:
    few = replace(healthy(), members_counted=4, matched=4, mentees=3, mentees_with_sponsor_action=3)

    hidden = domain.suppress(few, 5)

    assert hidden.cohort_size == 24
    assert hidden.members_counted is None
    assert hidden.matched is None
    assert hidden.mentees is None
    assert hidden.as_numbers()["sponsor_action_coverage"] is None
    assert hidden.as_numbers()["attendance_rate"] is None


def test_parts_follow_their_whole() -> None:
    evidence = replace(healthy(), mentees=8, mentees_with_sponsor_action=2)

    assert domain.suppress(evidence, 5).mentees_with_sponsor_action == 2
    assert domain.suppress(replace(evidence, mentees=4), 5).mentees_with_sponsor_action is None


standings = st.sampled_from(["met", "partial", "unmet", "missing"])


@given(st.lists(standings, min_size=1, max_size=4), st.integers(min_value=0, max_value=3))
def test_the_decision_rule(found: list[str], mitigations: int) -> None:
    criteria = [Criterion(f"c{i}", s, None, "") for i, s in enumerate(found)]  # type: ignore[arg-type]

    verdict = domain.decide(criteria, mitigations=mitigations)

    if all(s == "met" for s in found):
        assert verdict == "green"
    elif set(found) <= {"met", "partial"} and mitigations > 0:
        assert verdict == "amber"
    else:
        assert verdict == "red"


def test_business_kpi_periods() -> None:
    assert domain.period_start("2026-Q2") == date(2026, 4, 1)
    assert domain.period_end("2026-Q4") == date(2027, 1, 1)
    assert domain.period_end("2026-12") == date(2027, 1, 1)
    assert domain.period_end("2026-03") == date(2026, 4, 1)


def test_a_kpi_improves_against_the_last_period_before_the_start() -> None:
    csat = {"2025-Q3": 75.0, "2025-Q4": 72.0, "2026-Q1": 74.0, "2026-Q2": 78.0}

    assert domain.kpi_improved(csat, start=START, as_of=date(2026, 6, 22), better="higher") is True
    assert domain.kpi_improved(csat, start=START, as_of=date(2026, 6, 22), better="lower") is False
    # The quarter the pilot started in is neither the baseline nor (before it began) a result.
    assert domain.kpi_improved(csat, start=START, as_of=date(2026, 3, 31), better="higher") is None
    assert (
        domain.kpi_improved({"2026-Q2": 78.0}, start=START, as_of=date(2026, 6, 22), better="higher") is None
    )
