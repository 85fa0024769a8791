"""The audit trail: every decision (approve, reject, override, reassign, end, cohort run) is one row."""

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_matching import models


def record(
    session: AsyncSession,
    action: str,
    *,
    by: str,
    program_id: UUID,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    proposal_id: UUID | None = None,
    match_id: UUID | None = None,
    intake_id: UUID | None = None,
    provider_id: UUID | None = None,
    score: float | None = None,
) -> None:
    """Add the `Decision` row to the caller's transaction (the caller flushes)."""
    session.add(
        models.Decision(
            program_id=program_id,
            action=action,
            actor=by,
            proposal_id=proposal_id,
            match_id=match_id,
            intake_id=intake_id,
            provider_id=provider_id,
            score=score,
            reason=reason,
            details=details or {},
        )
    )


def about_match(
    session: AsyncSession,
    action: str,
    match: models.Match,
    *,
    by: str,
    reason: str | None,
    details: dict[str, Any],
    score: float | None = None,
    proposal_id: UUID | None = None,
) -> None:
    """A decision that opened or closed `match`: its program and parties come with it."""
    record(
        session,
        action,
        by=by,
        program_id=match.program_id,
        proposal_id=proposal_id,
        match_id=match.id,
        intake_id=match.intake_id,
        provider_id=match.provider_id,
        score=score,
        reason=reason,
        details=details,
    )
