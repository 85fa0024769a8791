"""ORM models of the scheduling service: its own database, its own tables."""

from sqlalchemy.orm import DeclarativeBase

from tandem_kit.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


from tandem_scheduling.models.agreement import WorkingAgreement  # noqa: E402
from tandem_scheduling.models.attendance import (  # noqa: E402
    AttendanceConflict,
    AttendanceMark,
    AttendanceStanding,
    AttendanceVendorReport,
)
from tandem_scheduling.models.engagement import EndedMatch, Engagement, SlaClock  # noqa: E402
from tandem_scheduling.models.group import GroupSeat, GroupSession, GroupWaitlistEntry  # noqa: E402
from tandem_scheduling.models.person import PersonStatus  # noqa: E402
from tandem_scheduling.models.session import (  # noqa: E402
    CalendarLink,
    Session,
    SessionAttendee,
    SessionConflict,
)
from tandem_scheduling.models.sla import Checkpoint, Escalation, SlaPolicy  # noqa: E402

__all__ = [
    "AttendanceConflict",
    "AttendanceMark",
    "AttendanceStanding",
    "AttendanceVendorReport",
    "Base",
    "CalendarLink",
    "Checkpoint",
    "EndedMatch",
    "Engagement",
    "Escalation",
    "GroupSeat",
    "GroupSession",
    "GroupWaitlistEntry",
    "PersonStatus",
    "Session",
    "SessionAttendee",
    "SessionConflict",
    "SlaClock",
    "SlaPolicy",
    "WorkingAgreement",
]
