from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from tandem_scheduling.attendance import domain

outcomes = st.lists(st.sampled_from(domain.OUTCOMES), max_size=40)


@given(outcomes, st.integers(min_value=1, max_value=10))
def test_rescheduled_never_counts_and_the_rate_is_attended_over_due(
    seen: list[str], min_outcomes: int
) -> None:
    standing = domain.standing(seen, floor=0.8, min_outcomes=min_outcomes)
    counted = [o for o in seen if o != "rescheduled"]
    assert standing.due == len(counted)
    assert standing.attended == counted.count("attended")
    assert standing.rate == (counted.count("attended") / len(counted) if counted else None)
    assert domain.standing([*seen, "rescheduled"], floor=0.8, min_outcomes=min_outcomes) == standing


@given(outcomes, st.integers(min_value=1, max_value=10))
def test_flagged_exactly_under_the_floor_with_enough_outcomes(seen: list[str], min_outcomes: int) -> None:
    standing = domain.standing(seen, floor=0.8, min_outcomes=min_outcomes)
    assert standing.flagged == (
        standing.due >= min_outcomes and standing.rate is not None and standing.rate < 0.8
    )


def test_the_floor_edges() -> None:
    # 4 of 5 is exactly 80 %: on the floor, not under it (no float rounding: compared as counts).
    assert not domain.standing(["attended"] * 4 + ["no_show_participant"], floor=0.8, min_outcomes=3).flagged
    assert domain.standing(["attended"] * 3 + ["cancelled_late"], floor=0.8, min_outcomes=3).flagged
    # Too few outcomes to say anything, however bad.
    assert not domain.standing(["no_show_provider"] * 2, floor=0.8, min_outcomes=3).flagged
    assert domain.standing(["no_show_provider"] * 3, floor=0.8, min_outcomes=3).flagged


def test_who_marks_in_which_role() -> None:
    participant, provider, other = uuid4(), uuid4(), uuid4()
    people = {"participant_id": participant, "provider_person_id": provider}
    assert domain.role_of(None, supervises=False, **people) == "client"
    assert domain.role_of(participant, supervises=False, **people) == "participant"
    assert domain.role_of(provider, supervises=True, **people) == "provider"
    assert domain.role_of(other, supervises=True, **people) == "program_manager"
    assert domain.role_of(other, supervises=False, **people) is None


def test_vendor_outcomes_against_the_ledger() -> None:
    assert [o for o in domain.OUTCOMES if domain.agrees("completed", o)] == ["attended"]
    assert [o for o in domain.OUTCOMES if domain.agrees("no_show", o)] == [
        "no_show_participant",
        "no_show_provider",
    ]
    assert not domain.agrees("completed", None)
    assert (domain.vendor_mark("completed"), domain.vendor_mark("no_show")) == (
        "attended",
        "no_show_participant",
    )
    assert [o for o in domain.OUTCOMES if domain.allowed_on_cancelled(o)] == ["cancelled_late", "rescheduled"]
