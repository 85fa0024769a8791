"""Adapters from stored rows to the scorer's profiles (pure): the only place they meet."""

from collections.abc import Collection, Mapping, Sequence
from typing import Any
from uuid import UUID

from tandem_matching import models
from tandem_matching.consent_client.domain import consented_signals
from tandem_matching.consent_client.gate import ConsentDecision
from tandem_matching.eligibility import eligibility
from tandem_matching.scoring.domain import (
    ParticipantProfile,
    ProviderKind,
    ProviderProfile,
    Signal,
    WorkingHours,
)

NEEDED_MINUTES = {ProviderKind.COACH: 60, ProviderKind.MENTOR: 60}
"""Shared weekly minutes a track needs before more overlap adds nothing (a weekly 60-minute slot)."""


def minutes(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


def hhmm(total: int) -> str:
    return f"{total // 60:02d}:{total % 60:02d}"


def working_hours(blocks: Sequence[Mapping[str, Any]]) -> WorkingHours:
    return tuple((int(b["weekday"]), minutes(str(b["start"])), minutes(str(b["end"]))) for b in blocks)


def provider_profile(provider: models.Provider, consent: ConsentDecision) -> ProviderProfile:
    """Keyed by the provider's *person* id, so the scorer's conflict checks see the org chart.

    ``consent`` is the provider's own `matching` decision: without it the profile is hard-filtered
    (``matching_consent``); data behind a signal the provider did not consent to is left out, as
    for the participant. Eligibility and capacity are program gates, read from the row as stored.
    """
    signals = consented_signals(consent.fields) if consent.granted else frozenset[Signal]()
    return ProviderProfile(
        id=provider.person_id,
        kind=ProviderKind(provider.kind),
        timezone=provider.timezone if Signal.AVAILABILITY_OVERLAP in signals else "UTC",
        languages=frozenset(provider.languages),
        working_hours=working_hours(provider.working_hours) if Signal.AVAILABILITY_OVERLAP in signals else (),
        skills=dict(provider.skills) if Signal.TECHNICAL_SKILLS in signals else {},
        behavioural_focus=(
            frozenset(provider.behavioural_focus) if Signal.BEHAVIOURAL_GOALS in signals else frozenset()
        ),
        sponsorship_actions=provider.sponsorship_actions if Signal.SPONSORSHIP_HISTORY in signals else 0,
        promotions_sponsored=provider.promotions_sponsored if Signal.SPONSORSHIP_HISTORY in signals else 0,
        ratings=tuple(provider.ratings) if Signal.PAST_SUCCESS in signals else (),
        sessions_completed=provider.sessions_completed if Signal.PAST_SUCCESS in signals else 0,
        sessions_scheduled=provider.sessions_scheduled if Signal.PAST_SUCCESS in signals else 0,
        manager_chain=tuple(UUID(m) for m in provider.manager_chain),
        capacity=provider.capacity,
        active_load=provider.active_load,
        eligibility=eligibility(provider),
        matching_consent=consent.granted,
        consented_signals=signals,
    )


def participant_profile(
    intake: models.Intake, consented: Collection[Signal], *, kind: ProviderKind
) -> ParticipantProfile:
    """The participant as the scorer may see them: data behind an unconsented signal is left out,
    so no excluded value can leak into a score even by accident."""
    return ParticipantProfile(
        id=intake.person_id,
        timezone=intake.timezone if Signal.AVAILABILITY_OVERLAP in consented else "UTC",
        languages=frozenset(intake.languages),
        working_hours=working_hours(intake.working_hours) if Signal.AVAILABILITY_OVERLAP in consented else (),
        wanted_skills=dict(intake.wanted_skills) if Signal.TECHNICAL_SKILLS in consented else {},
        behavioural_goals=(
            frozenset(intake.behavioural_goals) if Signal.BEHAVIOURAL_GOALS in consented else frozenset()
        ),
        manager_chain=tuple(UUID(m) for m in intake.manager_chain),
        promotion_related=intake.promotion_related,
        needed_minutes_per_week=NEEDED_MINUTES[kind],
    )
