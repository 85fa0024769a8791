"""Adapters from stored rows to the scorer's profiles (pure): the only place they meet."""

from collections.abc import Collection, Mapping, Sequence
from typing import Any
from uuid import UUID

from tandem_matching import models
from tandem_matching.consent_client.domain import consented_signals
from tandem_matching.consent_client.gate import ConsentDecision
from tandem_matching.directory.domain import OrgView
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


HR_FIELDS = {"level_rank": "job_level", "department": "reporting_line"}
"""The consent-inventory field (purpose `matching`) each directory fact needs before a rule reads it.
Tenure (`tenure`) is not in the `matching` notice, so hire dates never reach matching's rules."""


def hr_facts(org: OrgView, person_id: UUID, fields: Collection[str]) -> tuple[int | None, str | None]:
    """The person's (level_rank, department) as the rules may read them: None when not consented or
    not known to the directory."""
    facts = org.facts(person_id)
    if facts is None or not facts.known:
        return None, None
    return (
        facts.level_rank if HR_FIELDS["level_rank"] in fields else None,
        facts.department if HR_FIELDS["department"] in fields else None,
    )


def provider_profile(
    provider: models.Provider, consent: ConsentDecision, org: OrgView, logged: int | None = None
) -> ProviderProfile:
    """Keyed by the provider's *person* id, so the scorer's conflict checks see the org chart.

    ``consent`` is the provider's own `matching` decision: without it the profile is hard-filtered
    (``matching_consent``); data behind a signal the provider did not consent to is left out, as
    for the participant. Eligibility and capacity are program gates, read from the row as stored.
    The manager chain comes from the directory (`org`), the typed-in one only for someone it does
    not know; it is read without consent, for the conflict filter only (never for ranking).
    ``logged`` is the count of sponsor actions the mentor logged in the last 18 months (sponsor/), None
    when they have no log: only then does the typed-in `sponsorship_actions` stand in.
    """
    signals = consented_signals(consent.fields) if consent.granted else frozenset[Signal]()
    level_rank, department = hr_facts(org, provider.person_id, consent.fields if consent.granted else ())
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
        sponsorship_actions=(
            (provider.sponsorship_actions if logged is None else logged)
            if Signal.SPONSORSHIP_HISTORY in signals
            else 0
        ),
        promotions_sponsored=provider.promotions_sponsored if Signal.SPONSORSHIP_HISTORY in signals else 0,
        ratings=tuple(provider.ratings) if Signal.PAST_SUCCESS in signals else (),
        sessions_completed=provider.sessions_completed if Signal.PAST_SUCCESS in signals else 0,
        sessions_scheduled=provider.sessions_scheduled if Signal.PAST_SUCCESS in signals else 0,
        manager_chain=org.manager_chain(provider.person_id, provider.manager_chain),
        capacity=provider.capacity,
        active_load=provider.active_load,
        eligibility=eligibility(provider),
        matching_consent=consent.granted,
        consented_signals=signals,
        active=org.active(provider.person_id),
        level_rank=level_rank,
        department=department,
    )


def participant_profile(
    intake: models.Intake,
    consented: Collection[Signal],
    *,
    kind: ProviderKind,
    org: OrgView,
    fields: Collection[str] = (),
) -> ParticipantProfile:
    """The participant as the scorer may see them: data behind an unconsented signal is left out,
    so no excluded value can leak into a score even by accident. `fields` are the consented
    inventory fields, which decide the directory facts the HR rules may read (none by default)."""
    level_rank, department = hr_facts(org, intake.person_id, fields)
    return ParticipantProfile(
        id=intake.person_id,
        timezone=intake.timezone if Signal.AVAILABILITY_OVERLAP in consented else "UTC",
        languages=frozenset(intake.languages),
        working_hours=working_hours(intake.working_hours) if Signal.AVAILABILITY_OVERLAP in consented else (),
        wanted_skills=dict(intake.wanted_skills) if Signal.TECHNICAL_SKILLS in consented else {},
        behavioural_goals=(
            frozenset(intake.behavioural_goals) if Signal.BEHAVIOURAL_GOALS in consented else frozenset()
        ),
        manager_chain=org.manager_chain(intake.person_id, intake.manager_chain),
        promotion_related=intake.promotion_related,
        needed_minutes_per_week=NEEDED_MINUTES[kind],
        level_rank=level_rank,
        department=department,
    )
