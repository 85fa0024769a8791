from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.errors import Conflict, NotFound, Unprocessable
from tandem_kit.pagination import PageParams
from tandem_matching.auth import actor, require_manager, require_program_staff
from tandem_matching.intake.domain import PLANS, Track, decide_track, is_high_political_risk, offers
from tandem_matching.intake.repository import find, get, list_for_program
from tandem_matching.intake.schemas import Intake as IntakeRead
from tandem_matching.intake.schemas import IntakeCreate, TrackOverride, TrackPlan
from tandem_matching.models import Decision, Intake, Program
from tandem_matching.program import service as program_service


class IntakeNotFound(NotFound):
    code, title = "intake-not-found", "Intake not found"


class IntakeExists(Conflict):
    code, title = "intake-exists", "Intake already submitted"


class CohortOfOtherProgram(Unprocessable):
    """The cohort belongs to another program."""

    code, title = "cohort-of-other-program", "Cohort belongs to another program"


class TrackNotOffered(Unprocessable):
    """The program does not run the track the intake needs (coaching, mentoring, dual_track)."""

    code, title = "track-not-offered", "Track not offered by the program"


def _offered(program: Program, track: Track, *, pointer: str) -> None:
    if not offers(program.tracks, track):
        raise TrackNotOffered(
            f"The program runs {', '.join(program.tracks)}; it does not offer the {track.value} track.",
            rule="track-not-offered",
            track=track.value,
            program_tracks=list(program.tracks),
            pointer=pointer,
        )


def to_read(intake: Intake) -> IntakeRead:
    plan = PLANS[Track(intake.track)]
    return IntakeRead.model_validate(
        {
            **{k: getattr(intake, k) for k in IntakeRead.model_fields if hasattr(intake, k)},
            "plan": TrackPlan(
                provider_kinds=[k.value for k in plan.provider_kinds],  # type: ignore[misc]
                outcome=plan.outcome,
                months=plan.months,
                sessions=plan.sessions,
                coaching_sprint_months=plan.coaching_sprint_months,
            ),
            "high_political_risk": is_high_political_risk(intake.political_risk_flags),
        }
    )


async def submit_intake(
    session: AsyncSession, principal: Principal, program_id: UUID, data: IntakeCreate
) -> Intake:
    """A manager submits anyone's intake; a participant may submit their own."""
    if principal.person_uuid != data.person_id:
        require_program_staff(principal)
    program = await program_service.require_open(session, program_id)
    if data.cohort_id is not None:
        cohort = await program_service.get_cohort(session, data.cohort_id)
        if cohort.program_id != program_id:
            raise CohortOfOtherProgram("The cohort belongs to another program.", pointer="#/cohort_id")
    if await find(session, program_id, data.person_id) is not None:
        raise IntakeExists("This participant already has an intake in the program.", pointer="#/person_id")
    decision = decide_track(data.triggers)
    _offered(program, decision.track, pointer="#/triggers")
    values = data.model_dump(mode="json")
    values.update(person_id=data.person_id, cohort_id=data.cohort_id)
    intake = Intake(
        program_id=program_id,
        track=decision.track.value,
        track_reason=decision.reason,
        track_overridden=False,
        promotion_related=decision.promotion_related,
        **values,
    )
    session.add(intake)
    await session.flush()
    return intake


async def get_intake(session: AsyncSession, principal: Principal, intake_id: UUID) -> Intake:
    intake = await get(session, principal, intake_id)
    if intake is None:
        raise IntakeNotFound(f"No intake with id {intake_id}.")
    return intake


async def list_intakes(
    session: AsyncSession, principal: Principal, program_id: UUID, page: PageParams
) -> tuple[Sequence[Intake], int]:
    await program_service.get_program(session, program_id)
    return await list_for_program(session, principal, program_id, page)


async def override_track(
    session: AsyncSession, principal: Principal, intake_id: UUID, data: TrackOverride
) -> Intake:
    require_manager(principal)
    intake = await get_intake(session, principal, intake_id)
    _offered(await program_service.get_program(session, intake.program_id), data.track, pointer="#/track")
    previous = intake.track
    intake.track = data.track.value
    intake.track_reason = data.reason
    intake.track_overridden = True
    session.add(
        Decision(
            program_id=intake.program_id,
            action="track_overridden",
            actor=actor(principal),
            intake_id=intake.id,
            reason=data.reason,
            details={"from": previous, "to": data.track.value},
        )
    )
    await session.flush()
    return intake
