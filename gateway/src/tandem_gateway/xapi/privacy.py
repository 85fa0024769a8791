"""The xAPI part of a person's data in the gateway: the statements kept about them and their evidence.
Registered with the gateway's privacy registry (`privacy/registry.py`) in app.py."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.xapi import repository


async def export_person(session: AsyncSession, person_id: UUID) -> dict[str, Any] | None:
    statements = await repository.person_statements(session, person_id)
    evidence = await repository.list_evidence(session, person_id)
    if not statements and not evidence:
        return None
    return {
        "statements": [s.statement for s in statements],
        "evidence": [
            {
                "evidence_id": str(e.id),
                "program_id": str(e.program_id),
                "item": e.item,
                "statement_id": str(e.statement_id),
                "verb": e.verb,
                "counts": e.counts,
                "score_scaled": e.score_scaled,
                "achieved_at": e.achieved_at.isoformat(),
                "retracted_at": e.retracted_at.isoformat() if e.retracted_at else None,
            }
            for e in evidence
        ],
    }


async def erase_person(session: AsyncSession, person_id: UUID) -> int:
    """Delete the person's statements and evidence (the LRS's copies of statements out are the
    organisation's, reached through its own LRS)."""
    return await repository.delete_person(session, person_id)
