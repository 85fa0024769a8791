"""The directory's read API for the services (docs/contracts.md): a person's facts and manager chain."""

from uuid import UUID

from fastapi import APIRouter

from tandem_gateway.directory import service
from tandem_gateway.directory.auth import DirectoryRead
from tandem_gateway.directory.schemas import DirectoryPerson, PeopleFound, PeopleLookup
from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems

router = APIRouter(prefix="/api/v1/directory", tags=["directory"])


@router.get("/people/{person_id}", response_model=DirectoryPerson, responses=problems(service.PersonNotFound))
async def get_directory_person(
    person_id: UUID, principal: DirectoryRead, session: SessionDep
) -> DirectoryPerson:
    """A person's current directory facts and manager chain."""
    return await service.facts(session, person_id)


@router.post("/people:lookup", response_model=PeopleFound)
async def lookup_directory_people(
    data: PeopleLookup, principal: DirectoryRead, session: SessionDep
) -> PeopleFound:
    """The people with these work e-mails or externalIds."""
    return PeopleFound(
        people=await service.lookup(session, emails=data.emails, external_ids=data.external_ids)
    )
