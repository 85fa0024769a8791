from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import DateTime, Float, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tandem_matching.models import Base


class Proposal(Base):
    """A ranked, explained set of candidates for one participant, waiting for human review."""

    __tablename__ = "proposals"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    program_id: Mapped[UUID] = mapped_column(ForeignKey("programs.id"), index=True)
    intake_id: Mapped[UUID] = mapped_column(ForeignKey("intakes.id"), index=True)
    cohort_id: Mapped[UUID | None] = mapped_column(ForeignKey("cohorts.id"))
    participant_id: Mapped[UUID] = mapped_column(index=True)
    provider_kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    source: Mapped[str] = mapped_column(String(32), default="request")
    weight_set_version: Mapped[int]
    weights_used: Mapped[dict[str, float]] = mapped_column(JSONB)
    consented_fields: Mapped[list[str]] = mapped_column(JSONB)
    consent_notice_version: Mapped[int | None]
    excluded_signals: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    redistributed_weight: Mapped[float] = mapped_column(Float)
    promotion_rule_applied: Mapped[bool]
    # HR rules (directory facts) left out for this participant: [{rule, field, why}].
    directory_left_out: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    # The intake's cases that limited the ranking to external coaches (seed 000), for the explanation.
    external_only_cases: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default="[]")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decision_reason: Mapped[str | None] = mapped_column(String(2000))
    match_id: Mapped[UUID | None]


class ProposalCandidate(Base):
    """One ranked candidate of a proposal with its per-signal explanation."""

    __tablename__ = "proposal_candidates"
    __table_args__ = (UniqueConstraint("proposal_id", "rank", name="uq_proposal_candidates_rank"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    proposal_id: Mapped[UUID] = mapped_column(ForeignKey("proposals.id"), index=True)
    rank: Mapped[int]
    provider_id: Mapped[UUID] = mapped_column(ForeignKey("providers.id"))
    score: Mapped[float] = mapped_column(Float)
    signals: Mapped[dict[str, Any]] = mapped_column(JSONB)
