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

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.directory.service import find_person
from tandem_gateway.settings import Settings
from tandem_gateway.xapi import domain, repository


async def resolve(
    session: AsyncSession, settings: Settings, agents: Sequence[dict[str, Any]]
) -> dict[str, UUID]:
    """Each agent's identifier (`domain.actor_ifi`) -> the active directory person it names.

    One agent is looked up with the directory's `find_person`; a batch with one query per form
    (the same rule: e-mail case-insensitive, the oldest record when two people share one)."""
    emails: dict[str, str] = {}
    external_ids: dict[str, str] = {}
    hashed: dict[str, str] = {}
    for agent in agents:
        ifi = domain.actor_ifi(agent)
        if "mbox" in agent:
            emails[str(agent["mbox"]).removeprefix("mailto:").lower()] = ifi
        elif "account" in agent and agent["account"]["homePage"] in settings.xapi.account_home_pages:
            external_ids[str(agent["account"]["name"])] = ifi
        elif "mbox_sha1sum" in agent:
            hashed[str(agent["mbox_sha1sum"]).lower()] = ifi
    found: dict[str, UUID] = {}
    if len(emails) + len(external_ids) == 1:
        keyed = [({"email": k}, v) for k, v in emails.items()]
        keyed += [({"external_id": k}, v) for k, v in external_ids.items()]
        person = await find_person(session, **keyed[0][0])
        if person is not None and person.active:
            found[keyed[0][1]] = person.id
    else:
        for email, person_id in await repository.people_by_email(session, list(emails)):
            found.setdefault(emails[email], person_id)
        for external_id, person_id in await repository.people_by_external_id(session, list(external_ids)):
            found.setdefault(external_ids[external_id], person_id)
    if hashed:
        for person_id, email in await repository.people_emails(session):
            named = hashed.get(domain.mbox_sha1sum(email))
            if named is not None:
                found.setdefault(named, person_id)
    return found


async def actor_for(session: AsyncSession, settings: Settings, person_id: UUID) -> dict[str, Any]:
    """The person as the customer's LRS knows them: their work e-mail, else an account named by the
    person id on Tandem's own homePage."""
    email = await repository.person_email(session, person_id)
    if email:
        return {"objectType": "Agent", "mbox": f"mailto:{email}"}
    return {"objectType": "Agent", "account": {"homePage": settings.issuer, "name": str(person_id)}}
