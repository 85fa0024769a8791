"""The working agreement's eight clauses (seed 004, section 3) and who may sign it."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

Role = Literal["participant", "provider"]

# Clause key -> why the clause exists (the seed table's "Purpose" column).
CLAUSES: dict[str, str] = {
    "scope": "Scope of support: defined goals and out-of-scope items; sets expectations and limits.",
    "confidentiality": "What is shared, with whom, and exceptions; protects candid coaching while allowing "
    "sponsor escalations when consented.",
    "cadence": "Meeting cadence and format: frequency, duration, virtual or in person; prevents scheduling "
    "ambiguity and enforces SLAs.",
    "success_criteria": "Measurable outcomes and review dates; anchors both parties to observable milestones.",
    "escalation_path": "When to involve HR or program governance; a safe, traceable route for performance or "
    "ethical issues.",
    "data_usage_consent": "What program data is stored and who can see it; privacy and audit requirements.",
    "sponsor_actions": "Mentor commitments to introductions or advocacy; turns mentorship into network "
    "outcomes.",
    "termination": "How and when the engagement ends or renews; avoids open-ended relationships.",
}


def role_of(person_id: UUID | None, *, participant_id: UUID, provider_person_id: UUID) -> Role | None:
    """Which party `person_id` is in the engagement, if any (only the parties sign)."""
    if person_id == participant_id:
        return "participant"
    if person_id == provider_person_id:
        return "provider"
    return None
