from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tandem_kit.fields import Text
from tandem_scheduling.attendance.domain import Outcome, Role, VendorOutcome

OUTCOME_HELP = (
    "`attended`, `no_show_participant`, `no_show_provider`, `cancelled_late` or `rescheduled` "
    "(a cancelled session only `cancelled_late` or `rescheduled`)."
)


class AttendanceMarkCreate(BaseModel):
    """A mark, or a correction of the current one (then `reason` is required)."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome = Field(description=OUTCOME_HELP)
    reason: Text | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="Why the mark is corrected: required to change a recorded outcome, kept in scheduling.",
    )


class AttendanceMark(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    revision: int = Field(description="1 for the first mark; each correction adds one.")
    outcome: Outcome = Field(description=OUTCOME_HELP)
    recorded_by: str = Field(
        description="Subject of the token that recorded it (`vendor:<id>` for a vendor)."
    )
    recorded_by_role: Role = Field(
        description="`participant`, `provider`, `program_manager`, `client` (a machine client) or `vendor`."
    )
    reason: str | None = Field(description="Why this revision corrected the previous one.")
    recorded_at: datetime = Field(description="When it was recorded.")


class AttendanceConflict(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    vendor_outcome: VendorOutcome = Field(
        description="What the vendor platform reported: `completed`/`no_show`."
    )
    ledger_outcome: Outcome | None = Field(
        description="The ledger's outcome it disagrees with (null: the session is cancelled and unmarked)."
    )
    reported_at: datetime = Field(description="When analytics received the vendor's report.")
    opened_at: datetime = Field(description="When the disagreement was noticed.")


class Attendance(BaseModel):
    session_id: UUID = Field(description="The session.")
    engagement_id: UUID = Field(description="Its engagement.")
    mark: AttendanceMark | None = Field(description="The current mark (highest revision); null until marked.")
    conflict: AttendanceConflict | None = Field(
        description="An open disagreement with the vendor's report; a program manager resolves it by "
        "correcting or confirming the mark."
    )


class OpenConflict(AttendanceConflict):
    session_id: UUID = Field(description="The session.")
    engagement_id: UUID = Field(description="Its engagement.")


class EngagementAttendance(BaseModel):
    engagement_id: UUID = Field(description="The engagement.")
    attended: int = Field(description="Sessions whose current outcome is `attended`.")
    due: int = Field(description="Sessions with a recorded outcome other than `rescheduled`.")
    rate: float | None = Field(description="attended / due; null while nothing is due.")
    floor: float = Field(description="The attendance floor (seed 004: 0.8).")
    min_outcomes: int = Field(description="Outcomes needed before the engagement can be flagged.")
    flagged: bool = Field(description="Under the floor with at least `min_outcomes` outcomes due.")


class VendorSessionReported(BaseModel):
    """The `data` of analytics' `VendorSessionReported` (docs/contracts.md); other fields ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    telemetry_id: UUID
    vendor_id: UUID
    session_id: UUID
    outcome: Literal["completed", "no_show"]
    occurred_at: datetime
    received_at: datetime
