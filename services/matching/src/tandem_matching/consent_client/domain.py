"""Which consented data-inventory fields each match signal reads (pure).

A signal may be used only when the participant's `matching` consent covers every field it reads;
otherwise it is excluded and its weight redistributed (see scoring.domain.score).
"""

from collections.abc import Iterable, Mapping

from tandem_matching.scoring.domain import ALL_SIGNALS, Signal

SIGNAL_FIELDS: Mapping[Signal, frozenset[str]] = {
    Signal.TECHNICAL_SKILLS: frozenset({"skills"}),
    Signal.BEHAVIOURAL_GOALS: frozenset({"behavioural_goals"}),
    Signal.SPONSORSHIP_HISTORY: frozenset({"sponsorship_history"}),
    Signal.AVAILABILITY_OVERLAP: frozenset({"working_hours", "timezone"}),
    Signal.PAST_SUCCESS: frozenset({"mentee_outcomes"}),
}
"""Inventory fields (consent service, purpose `matching`) each signal needs."""


def consented_signals(fields: Iterable[str]) -> frozenset[Signal]:
    """The signals whose every field is among the consented `fields`."""
    allowed = frozenset(fields)
    return frozenset(s for s in ALL_SIGNALS if SIGNAL_FIELDS[s] <= allowed)


def missing_fields(fields: Iterable[str]) -> dict[Signal, list[str]]:
    """For each excluded signal, the fields the person did not consent to (for the explanation)."""
    allowed = frozenset(fields)
    return {s: sorted(SIGNAL_FIELDS[s] - allowed) for s in ALL_SIGNALS if not SIGNAL_FIELDS[s] <= allowed}
