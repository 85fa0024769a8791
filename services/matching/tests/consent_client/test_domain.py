from hypothesis import given
from hypothesis import strategies as st

from tandem_matching.consent_client.domain import SIGNAL_FIELDS, consented_signals, missing_fields
from tandem_matching.scoring.domain import ALL_SIGNALS, Signal

FIELDS = sorted({f for fields in SIGNAL_FIELDS.values() for f in fields} | {"languages", "job_title"})


def test_everything_consented() -> None:
    assert consented_signals(FIELDS) == frozenset(ALL_SIGNALS)
    assert missing_fields(FIELDS) == {}


def test_availability_needs_both_hours_and_zone() -> None:
    assert Signal.AVAILABILITY_OVERLAP not in consented_signals(["working_hours"])
    assert missing_fields(["working_hours"])[Signal.AVAILABILITY_OVERLAP] == ["timezone"]


@given(st.sets(st.sampled_from(FIELDS)))
def test_signal_used_iff_all_its_fields_consented(fields: set[str]) -> None:
    used = consented_signals(fields)
    gaps = missing_fields(fields)
    for signal in ALL_SIGNALS:
        assert (signal in used) == SIGNAL_FIELDS[signal].issubset(fields)
        assert (signal in gaps) == (signal not in used)
