from datetime import datetime
from uuid import UUID

from sqlalchemy import Boolean, DateTime, Float, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from tandem_matching.models import Base


class TrainingEvidence(Base):
    """One piece of training evidence from the gateway's xAPI intake, per person and program.

    Keyed by the gateway's evidence id, so a redelivered or replayed event updates its own row. A
    retraction is kept (`retracted_at`), and one that arrives before its evidence leaves a row without
    `verb`/`achieved_at`: the late `TrainingEvidenceRecorded` then fills it in and it stays retracted.
    """

    __tablename__ = "training_evidence"
    __table_args__ = (Index("ix_training_evidence_program_person", "program_id", "person_id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    person_id: Mapped[UUID]
    program_id: Mapped[UUID]
    item: Mapped[str] = mapped_column(String(64))
    statement_id: Mapped[str] = mapped_column(String(255))
    verb: Mapped[str | None] = mapped_column(String(32))
    counts: Mapped[bool] = mapped_column(Boolean, default=False)
    score_scaled: Mapped[float | None] = mapped_column(Float)
    achieved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retracted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voided_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
