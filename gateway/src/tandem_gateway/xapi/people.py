"""An xAPI actor as a directory person, and a person as an xAPI actor.

- `mbox` (`mailto:` + e-mail): the person with that work e-mail (case-insensitive).
- `account`: when its `homePage` is listed in `GATEWAY_XAPI__ACCOUNT_HOME_PAGES`, `account.name` is
  the person's directory `externalId` (the id the HRIS and the LMS share); other homePages are nobody.
- `mbox_sha1sum`: SHA-1 of `mailto:` + the e-mail in lower case, compared with the same hash of each
  directory e-mail (computed on the fly: the directory keeps no hashes, and a miss costs one pass over
  the e-mails, only for batches that use this form).
- `openid`, and Groups: nobody (Tandem never learns OpenIDs).
Only active people count; anyone else's statements are answered and not kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.directory.service import find_person
from tandem_gateway.models import Person
from tandem_gateway.settings import Settings
from tandem_gateway.xapi import domain


async def resolve(
    session: AsyncSession, settings: Settings, agents: Sequence[dict[str, Any]]
) -> dict[str, UUID]:
    """Each agent's identifier (`domain.actor_ifi`) -> the active directory person it names."""
    found: dict[str, UUID] = {}
    hashed: dict[str, str] = {}
    for agent in agents:
        ifi = domain.actor_ifi(agent)
        if ifi in found or ifi in hashed.values():
            continue
        person: Person | None = None
        if "mbox" in agent:
            person = await find_person(session, email=str(agent["mbox"]).removeprefix("mailto:"))
        elif "account" in agent and agent["account"]["homePage"] in settings.xapi.account_home_pages:
            person = await find_person(session, external_id=str(agent["account"]["name"]))
        elif "mbox_sha1sum" in agent:
            hashed[str(agent["mbox_sha1sum"]).lower()] = ifi
        if person is not None and person.active:
            found[ifi] = person.id
    if hashed:
        rows = await session.execute(
            select(Person.id, Person.email).where(Person.email.is_not(None), Person.active.is_(True))
        )
        for person_id, email in rows:
            named = hashed.get(domain.mbox_sha1sum(email))
            if named is not None and named not in found:
                found[named] = person_id
    return found


async def actor_for(session: AsyncSession, settings: Settings, person_id: UUID) -> dict[str, Any]:
    """The person as the customer's LRS knows them: their work e-mail, else an account named by the
    person id on Tandem's own homePage."""
    email = await session.scalar(select(Person.email).where(Person.id == person_id))
    if email:
        return {"objectType": "Agent", "mbox": f"mailto:{email}"}
    return {"objectType": "Agent", "account": {"homePage": settings.issuer, "name": str(person_id)}}
