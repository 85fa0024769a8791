"""All SQL of the xAPI integration."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.models import (
    CurriculumMapping,
    LrsConnection,
    Person,
    TrainingEvidence,
    XapiCredential,
    XapiStatement,
)


async def get_credential_by_key(session: AsyncSession, key: str) -> XapiCredential | None:
    result: XapiCredential | None = await session.scalar(
        select(XapiCredential).where(XapiCredential.key == key)
    )
    return result


async def get_credential(session: AsyncSession, credential_id: UUID) -> XapiCredential | None:
    return await session.get(XapiCredential, credential_id)


async def get_credential_by_name(session: AsyncSession, name: str) -> XapiCredential | None:
    result: XapiCredential | None = await session.scalar(
        select(XapiCredential).where(XapiCredential.name == name)
    )
    return result


async def list_credentials(session: AsyncSession) -> Sequence[XapiCredential]:
    return (await session.scalars(select(XapiCredential).order_by(XapiCredential.created_at))).all()


async def existing_hashes(session: AsyncSession, ids: Sequence[UUID]) -> dict[UUID, str]:
    rows = await session.execute(
        select(XapiStatement.id, XapiStatement.content_hash).where(XapiStatement.id.in_(ids))
    )
    return {row.id: row.content_hash for row in rows}


async def insert_statements(session: AsyncSession, rows: list[dict[str, Any]]) -> set[UUID]:
    """Insert the rows; the ids actually inserted (a concurrent writer may have won one)."""
    if not rows:
        return set()
    inserted = await session.scalars(
        pg_insert(XapiStatement).values(rows).on_conflict_do_nothing().returning(XapiStatement.id)
    )
    return set(inserted.all())


async def kept_for_voiding(session: AsyncSession, ids: Sequence[UUID]) -> dict[UUID, XapiStatement]:
    found = await session.scalars(select(XapiStatement).where(XapiStatement.id.in_(ids)).with_for_update())
    return {s.id: s for s in found.all()}


async def mappings_for(session: AsyncSession, activity_ids: Sequence[str]) -> Sequence[CurriculumMapping]:
    if not activity_ids:
        return []
    return (
        await session.scalars(
            select(CurriculumMapping).where(CurriculumMapping.activity_id.in_(activity_ids))
        )
    ).all()


async def insert_evidence(session: AsyncSession, rows: list[dict[str, Any]]) -> set[UUID]:
    if not rows:
        return set()
    inserted = await session.scalars(
        pg_insert(TrainingEvidence).values(rows).on_conflict_do_nothing().returning(TrainingEvidence.id)
    )
    return set(inserted.all())


async def retract_evidence(
    session: AsyncSession, statement_id: UUID, *, voided_by: UUID, at: datetime
) -> Sequence[TrainingEvidence]:
    retracted = await session.scalars(
        update(TrainingEvidence)
        .where(TrainingEvidence.statement_id == statement_id, TrainingEvidence.retracted_at.is_(None))
        .values(retracted_at=at, voided_by=voided_by)
        .returning(TrainingEvidence)
    )
    return retracted.all()


def readable_statements(writer: str) -> Select[tuple[XapiStatement]]:
    """An LMS reads back the statements it wrote, never another LMS's."""
    return select(XapiStatement).where(XapiStatement.writer == writer)


async def get_statement(session: AsyncSession, writer: str, statement_id: UUID) -> XapiStatement | None:
    result: XapiStatement | None = await session.scalar(
        readable_statements(writer).where(XapiStatement.id == statement_id)
    )
    return result


async def find_statements(
    session: AsyncSession,
    writer: str,
    *,
    actor_ifi: str | None,
    verb: str | None,
    activity: str | None,
    registration: UUID | None,
    since: datetime | None,
    until: datetime | None,
    after_seq: int | None,
    ascending: bool,
    limit: int,
) -> Sequence[XapiStatement]:
    statement = readable_statements(writer).where(XapiStatement.voided_by.is_(None))
    if actor_ifi is not None:
        statement = statement.where(XapiStatement.actor_ifi == actor_ifi)
    if verb is not None:
        statement = statement.where(XapiStatement.verb_id == verb)
    if activity is not None:
        statement = statement.where(XapiStatement.activity_id == activity)
    if registration is not None:
        statement = statement.where(XapiStatement.registration == registration)
    if since is not None:
        statement = statement.where(XapiStatement.stored_at > since)
    if until is not None:
        statement = statement.where(XapiStatement.stored_at <= until)
    if after_seq is not None:
        statement = statement.where(
            XapiStatement.seq > after_seq if ascending else XapiStatement.seq < after_seq
        )
    order = XapiStatement.seq.asc() if ascending else XapiStatement.seq.desc()
    return (await session.scalars(statement.order_by(order).limit(limit))).all()


async def list_mappings(session: AsyncSession, program_id: UUID) -> Sequence[CurriculumMapping]:
    return (
        await session.scalars(
            select(CurriculumMapping)
            .where(CurriculumMapping.program_id == program_id)
            .order_by(CurriculumMapping.created_at, CurriculumMapping.id)
        )
    ).all()


async def get_mapping(session: AsyncSession, program_id: UUID, activity_id: str) -> CurriculumMapping | None:
    result: CurriculumMapping | None = await session.scalar(
        select(CurriculumMapping).where(
            CurriculumMapping.program_id == program_id, CurriculumMapping.activity_id == activity_id
        )
    )
    return result


async def get_mapping_by_id(
    session: AsyncSession, program_id: UUID, mapping_id: UUID
) -> CurriculumMapping | None:
    result: CurriculumMapping | None = await session.scalar(
        select(CurriculumMapping).where(
            CurriculumMapping.program_id == program_id, CurriculumMapping.id == mapping_id
        )
    )
    return result


async def list_evidence(session: AsyncSession, person_id: UUID) -> Sequence[TrainingEvidence]:
    return (
        await session.scalars(
            select(TrainingEvidence)
            .where(TrainingEvidence.person_id == person_id)
            .order_by(TrainingEvidence.achieved_at, TrainingEvidence.id)
        )
    ).all()


async def get_connection(session: AsyncSession, organisation: str) -> LrsConnection | None:
    result: LrsConnection | None = await session.scalar(
        select(LrsConnection).where(LrsConnection.organisation == organisation)
    )
    return result


async def enabled_connections(session: AsyncSession) -> Sequence[LrsConnection]:
    return (
        await session.scalars(
            select(LrsConnection).where(LrsConnection.enabled.is_(True)).order_by(LrsConnection.organisation)
        )
    ).all()


async def list_connections(session: AsyncSession) -> Sequence[LrsConnection]:
    return (await session.scalars(select(LrsConnection).order_by(LrsConnection.organisation))).all()


async def people_by_email(session: AsyncSession, emails: Sequence[str]) -> Sequence[tuple[str, UUID]]:
    """(lower-case e-mail, person id) of active people, oldest record first for a shared e-mail."""
    if not emails:
        return []
    rows = await session.execute(
        select(func.lower(Person.email), Person.id)
        .where(func.lower(Person.email).in_(emails), Person.active.is_(True))
        .order_by(Person.created_at, Person.id)
    )
    return [(row[0], row[1]) for row in rows]


async def people_by_external_id(
    session: AsyncSession, external_ids: Sequence[str]
) -> Sequence[tuple[str, UUID]]:
    if not external_ids:
        return []
    rows = await session.execute(
        select(Person.external_id, Person.id).where(
            Person.external_id.in_(external_ids), Person.active.is_(True)
        )
    )
    return [(str(row[0]), row[1]) for row in rows]


async def people_emails(session: AsyncSession) -> Sequence[tuple[UUID, str]]:
    rows = await session.execute(
        select(Person.id, Person.email).where(Person.email.is_not(None), Person.active.is_(True))
    )
    return [(row[0], str(row[1])) for row in rows]


async def person_email(session: AsyncSession, person_id: UUID) -> str | None:
    email: str | None = await session.scalar(select(Person.email).where(Person.id == person_id))
    return email


async def person_statements(session: AsyncSession, person_id: UUID) -> Sequence[XapiStatement]:
    return (
        await session.scalars(
            select(XapiStatement).where(XapiStatement.person_id == person_id).order_by(XapiStatement.seq)
        )
    ).all()


async def delete_person(session: AsyncSession, person_id: UUID) -> int:
    statements = await session.execute(delete(XapiStatement).where(XapiStatement.person_id == person_id))
    evidence = await session.execute(delete(TrainingEvidence).where(TrainingEvidence.person_id == person_id))
    return int(statements.rowcount or 0) + int(evidence.rowcount or 0)  # type: ignore[attr-defined]
