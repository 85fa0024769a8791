"""The directory's part of a data-subject request (docs/hris.md, "Personal data").

Access: the person's current record, every version of it, their group memberships.

Erasure: the directory row stays as a stand-in that identifies nobody: it gets a fresh random id
(the person's reports follow it, ON UPDATE CASCADE, and their versions are relinked, so a manager
chain keeps its shape), names, e-mail, employee number, job facts, dates and places are cleared;
`userName` and `externalId` become keyed hashes (`erased:<hmac>`), so the HRIS pushing the same
worker again is recognised and refused (409 `person-erased`) instead of recreating them; the row is
inactive; the version history and group memberships are deleted. A rehire the person wants back comes
with a new userName and externalId and becomes a new person.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.directory import service
from tandem_gateway.directory.schemas import ATTRIBUTES, stored_values
from tandem_gateway.models import Group, GroupMember, Person, PersonVersion

CLEARED = tuple(name for name in ATTRIBUTES if name not in ("user_name", "external_id", "active"))


async def export_person(session: AsyncSession, person_id: UUID) -> dict[str, Any] | None:
    person = await session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        return None
    versions = (
        (
            await session.execute(
                select(PersonVersion).where(PersonVersion.person_id == person_id).order_by(PersonVersion.id)
            )
        )
        .scalars()
        .all()
    )
    groups = (
        await session.execute(
            select(Group.display_name)
            .join(GroupMember, GroupMember.group_id == Group.id)
            .where(GroupMember.person_id == person_id)
            .order_by(Group.display_name)
        )
    ).scalars()
    return {
        "person": {"person_id": str(person.id), **stored_values({n: getattr(person, n) for n in ATTRIBUTES})},
        "versions": [
            {
                "version": v.version,
                "source": v.source,
                "effective_at": v.effective_at.isoformat(),
                "changed": v.changed,
                "values": v.values,
            }
            for v in versions
        ],
        "groups": list(groups),
    }


async def erase_person(session: AsyncSession, person_id: UUID) -> int:
    person = await session.get(Person, person_id, with_for_update=True)
    if person is None or person.erased_at is not None:
        return 0
    versions = await session.execute(delete(PersonVersion).where(PersonVersion.person_id == person_id))
    memberships = await session.execute(delete(GroupMember).where(GroupMember.person_id == person_id))
    for name in CLEARED:
        setattr(person, name, None)
    person.user_name = service.erased_key(person.user_name)
    person.external_id = service.erased_key(person.external_id) if person.external_id else None
    person.active = False
    person.erased_at = person.updated_at = datetime.now(UTC)
    person.version += 1
    await session.flush()
    stand_in = uuid4()
    await session.execute(update(Person).where(Person.id == person_id).values(id=stand_in))
    # The reports' own history names their manager: it names the stand-in now.
    await session.execute(
        update(PersonVersion)
        .where(PersonVersion.values["manager_id"].astext == str(person_id))
        .values(values=PersonVersion.values.op("||")(func.jsonb_build_object("manager_id", str(stand_in))))
    )
    session.expunge(person)
    return 1 + int(versions.rowcount or 0) + int(memberships.rowcount or 0)  # type: ignore[attr-defined]
