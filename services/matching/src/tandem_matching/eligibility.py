"""A provider's eligibility, read from the row as stored (pure): used by the provider and program
reads and by ranking, which applies it as a hard filter."""

from tandem_matching import models
from tandem_matching.scoring.domain import (
    Eligibility,
    ProviderKind,
    RubricScore,
    coach_eligibility,
    mentor_eligibility,
)


def eligibility(provider: models.Provider) -> Eligibility:
    """Initial and continuing eligibility from the provider's credentials and track record."""
    if provider.kind == ProviderKind.COACH:
        return coach_eligibility(
            [RubricScore(**panel) for panel in provider.calibration],
            ratings=provider.ratings,
            sessions_completed=provider.sessions_completed,
            sessions_scheduled=provider.sessions_scheduled,
        )
    return mentor_eligibility(
        bias_awareness_trained=provider.bias_awareness_trained,
        curriculum_weeks_completed=provider.curriculum_weeks_completed,
        commitment_signed=provider.commitment_signed,
        ratings=provider.ratings,
        sessions_completed=provider.sessions_completed,
        sessions_scheduled=provider.sessions_scheduled,
    )
