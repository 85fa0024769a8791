"""Attendance rules, pure: who may mark, which marks a session allows, how a vendor's report compares
with the ledger, and the attendance rate of an engagement against the floor."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

Outcome = Literal["attended", "no_show_participant", "no_show_provider", "cancelled_late", "rescheduled"]
OUTCOMES: tuple[Outcome, ...] = (
    "attended",
    "no_show_participant",
    "no_show_provider",
    "cancelled_late",
    "rescheduled",
)
VendorOutcome = Literal["completed", "no_show"]
Role = Literal["participant", "provider", "program_manager", "client", "vendor"]

# A cancelled session was not held: it can only end as a late cancellation or a reschedule.
CANCELLED_ALLOWS: frozenset[str] = frozenset({"cancelled_late", "rescheduled"})
# Outcomes that neither count for nor against the engagement's attendance.
NOT_COUNTED: frozenset[str] = frozenset({"rescheduled"})


def role_of(
    person: UUID | None, *, supervises: bool, participant_id: UUID, provider_person_id: UUID
) -> Role | None:
    """The role a caller records a mark in; None when they may not (a person who is neither party
    nor a program manager). A machine client (no person) with `scheduling:write` is `client`."""
    if person is None:
        return "client"
    if person == participant_id:
        return "participant"
    if person == provider_person_id:
        return "provider"
    if supervises:
        return "program_manager"
    return None


def allowed_on_cancelled(outcome: str) -> bool:
    return outcome in CANCELLED_ALLOWS


def vendor_mark(outcome: VendorOutcome) -> Outcome:
    """The ledger outcome a vendor's report stands for when nobody marked the session. Vendor platforms
    report a no-show of the participant (their own coach's absence is not a telemetry event)."""
    return "attended" if outcome == "completed" else "no_show_participant"


def agrees(vendor: VendorOutcome, ledger: str | None) -> bool:
    """A vendor's `completed` agrees with `attended`; its `no_show` with either party's no-show."""
    if ledger is None:
        return False
    if vendor == "completed":
        return ledger == "attended"
    return ledger in ("no_show_participant", "no_show_provider")


@dataclass(frozen=True)
class AttendancePolicy:
    """The floor (seed 004 §3: attendance ≥ 80 %) and how many outcomes it takes to flag, from the
    settings (`SCHEDULING_ATTENDANCE_FLOOR`, `SCHEDULING_ATTENDANCE_MIN_OUTCOMES`)."""

    floor: float = 0.8
    min_outcomes: int = 3


@dataclass(frozen=True)
class Standing:
    """Attended sessions over the sessions whose outcome counts (recorded, and not `rescheduled`)."""

    attended: int
    due: int
    floor: float
    min_outcomes: int

    @property
    def rate(self) -> float | None:
        return self.attended / self.due if self.due else None

    @property
    def flagged(self) -> bool:
        """Under the floor, once at least `min_outcomes` outcomes count (fewer say too little)."""
        return self.due >= self.min_outcomes and self.attended < self.floor * self.due


def standing(outcomes: Iterable[str], *, floor: float, min_outcomes: int) -> Standing:
    """The standing from each session's current outcome."""
    counted = [o for o in outcomes if o not in NOT_COUNTED]
    return Standing(
        attended=sum(o == "attended" for o in counted),
        due=len(counted),
        floor=floor,
        min_outcomes=min_outcomes,
    )
