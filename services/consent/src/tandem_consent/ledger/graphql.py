from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from tandem_consent.ledger import schemas, service
from tandem_consent.ledger.schemas import ConsentGrant, ConsentWithdrawal
from tandem_consent.ledger.service import PersonConsent
from tandem_kit.auth import Principal
from tandem_kit.graphql import exclusive_session, field, loader, parse_id, require_scope


@strawberry.enum
class CaptureMethod(Enum):
    WEB_FORM = "web_form"
    MOBILE_APP = "mobile_app"
    EMAIL = "email"
    PAPER_FORM = "paper_form"
    HRIS_IMPORT = "hris_import"
    API = "api"


@strawberry.federation.type(keys=["id"], description="A person's standing for one purpose.")
class ConsentState:
    id: strawberry.ID = strawberry.field(description="`<person id>/<purpose key>`.")
    person_id: strawberry.ID
    purpose: str = strawberry.field(description="Purpose key, e.g. `matching`.")
    granted: bool
    notice_version: int | None = strawberry.field(description="Notice version of the standing grant.")
    current_notice_version: int
    fields: list[str] = strawberry.field(description="Fields the standing grant covers.")
    granted_at: datetime | None
    withdrawn_at: datetime | None
    sequence: int = strawberry.field(description="Decisions on record (0: never asked).")

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> "ConsentState | None":
        require_scope(info, "consent:read")
        person, _, purpose = id.partition("/")
        person_id = parse_id(person)
        if person_id is None:
            return None
        for standing in await consents_loader(info).load(person_id):
            if standing.purpose.key == purpose:
                return to_graphql(standing)
        return None


@strawberry.federation.type(keys=["id"], description="A person from the HRIS directory.")
class Person:
    id: strawberry.ID

    @field(description="The person's standing for every purpose (empty for people the caller may not see).")
    async def consents(self, info: Info) -> list[ConsentState]:
        require_scope(info, "consent:read")
        person_id = parse_id(self.id)
        if person_id is None:
            return []
        return [to_graphql(s) for s in await consents_loader(info).load(person_id)]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "Person":
        return Person(id=id)


def consents_loader(info: Info[Any, Any]) -> DataLoader[UUID, list[PersonConsent]]:
    return loader(info, "consents_by_person", _consents_by_person)


async def _consents_by_person(
    session: AsyncSession, principal: Principal, person_ids: Sequence[UUID]
) -> list[list[PersonConsent]]:
    by_person = await service.consents_of(session, principal, person_ids)
    return [by_person[p] for p in person_ids]


def to_graphql(standing: PersonConsent) -> ConsentState:
    view = schemas.ConsentState.of(standing)
    return ConsentState(
        id=strawberry.ID(f"{view.person_id}/{view.purpose}"),
        person_id=strawberry.ID(str(view.person_id)),
        **view.model_dump(exclude={"person_id"}),
    )


@strawberry.type
class LedgerQuery:
    @field(description="A person's standing for every purpose (404 error for people the caller may not see).")
    async def person_consents(self, info: Info, person_id: UUID) -> list[ConsentState]:
        principal = require_scope(info, "consent:read")
        async with exclusive_session(info) as session:
            return [to_graphql(s) for s in await service.person_consents(session, principal, person_id)]


@strawberry.type
class LedgerMutation:
    @field(description="Record that the person granted a purpose, for the notice version they were shown.")
    async def grant_consent(
        self,
        info: Info,
        person_id: UUID,
        purpose: str,
        notice_version: int,
        fields: list[str] | None = None,
        method: CaptureMethod = CaptureMethod.WEB_FORM,
    ) -> ConsentState:
        principal = require_scope(info, "consent:write")
        data = ConsentGrant(notice_version=notice_version, fields=fields, method=method.value)
        async with exclusive_session(info) as session:
            standing, _ = await service.grant(session, principal, person_id, purpose, data)
        return to_graphql(standing)

    @field(description="Record that the person withdrew a purpose.")
    async def withdraw_consent(
        self,
        info: Info,
        person_id: UUID,
        purpose: str,
        reason: str | None = None,
        method: CaptureMethod = CaptureMethod.WEB_FORM,
    ) -> ConsentState:
        principal = require_scope(info, "consent:write")
        data = ConsentWithdrawal(reason=reason, method=method.value)
        async with exclusive_session(info) as session:
            standing, _ = await service.withdraw(session, principal, person_id, purpose, data)
        return to_graphql(standing)
