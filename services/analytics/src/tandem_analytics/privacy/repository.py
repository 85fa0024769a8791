"""Every row analytics holds about one person, and the statements that de-identify those rows.

A person appears as a participant (`participant_id`) or as a provider: through their provider
records (`provider_facts.person_id` -> `provider_id`, the id the other facts carry), or directly when
a vendor sent the person id as telemetry `provider_id`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Uuid,
    bindparam,
    case,
    cast,
    delete,
    false,
    func,
    null,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.models import (
    AnalyticsConsent,
    EngagementFact,
    MatchFact,
    ProviderFact,
    ProviderOutcome,
    SessionFact,
    SessionTelemetry,
    SlaFact,
    Vendor,
    VendorSessionOutcome,
    VendorSharingConsent,
)
from tandem_analytics.privacy.domain import ALIAS_VERSION, is_alias


@dataclass(frozen=True)
class Subject:
    """The person a request is about, with the provider records that stand for them in the facts."""

    person_id: UUID
    provider_ids: frozenset[UUID]


async def subject(session: AsyncSession, person_id: UUID) -> Subject:
    provider_ids = await session.scalars(
        select(ProviderFact.provider_id).where(ProviderFact.person_id == person_id)
    )
    return Subject(person_id, frozenset(provider_ids))


def _as_provider(column: Any, who: Subject) -> ColumnElement[bool]:
    return column.in_(who.provider_ids) if who.provider_ids else false()


def _involving(model: Any, who: Subject) -> ColumnElement[bool]:
    return or_(model.participant_id == who.person_id, _as_provider(model.provider_id, who))


# The latest outcome per vendor session is a copy of a telemetry row: whatever happens to telemetry
# happens to it, in the same statement shape (it is not counted separately in receipts).
TELEMETRY_TABLES: tuple[type[SessionTelemetry] | type[VendorSessionOutcome], ...] = (
    SessionTelemetry,
    VendorSessionOutcome,
)


def _telemetry_involving(who: Subject, t: Any = SessionTelemetry) -> ColumnElement[bool]:
    return or_(
        t.participant_id == who.person_id, t.provider_id == who.person_id, _as_provider(t.provider_id, who)
    )


# Statement builders


def providers_statement(who: Subject) -> Select[tuple[ProviderFact]]:
    return (
        select(ProviderFact)
        .where(ProviderFact.person_id == who.person_id)
        .order_by(ProviderFact.registered_at, ProviderFact.provider_id)
    )


def matches_statement(who: Subject) -> Select[tuple[MatchFact]]:
    return (
        select(MatchFact)
        .where(_involving(MatchFact, who))
        .order_by(MatchFact.approved_at, MatchFact.match_id)
    )


def engagements_statement(who: Subject) -> Select[tuple[EngagementFact]]:
    return (
        select(EngagementFact)
        .where(_involving(EngagementFact, who))
        .order_by(EngagementFact.created_at, EngagementFact.engagement_id)
    )


def sessions_statement(who: Subject) -> Select[tuple[SessionFact]]:
    # A cancellation applied before its booking leaves a row without people: it is theirs through
    # the engagement.
    engagements = select(EngagementFact.engagement_id).where(_involving(EngagementFact, who))
    return (
        select(SessionFact)
        .where(or_(_involving(SessionFact, who), SessionFact.engagement_id.in_(engagements)))
        .order_by(SessionFact.starts_at.nulls_last(), SessionFact.session_id)
    )


def sla_breaches_statement(who: Subject) -> Select[tuple[SlaFact]]:
    """Breaches carry no person column: they are the person's through their engagement or match."""
    engagements = select(EngagementFact.engagement_id).where(_involving(EngagementFact, who))
    matches = select(MatchFact.match_id).where(_involving(MatchFact, who))
    return (
        select(SlaFact)
        .where(or_(SlaFact.engagement_id.in_(engagements), SlaFact.match_id.in_(matches)))
        .order_by(SlaFact.breached_at, SlaFact.engagement_id, SlaFact.sla)
    )


def telemetry_statement(who: Subject) -> Select[tuple[SessionTelemetry, str]]:
    t = SessionTelemetry
    return (
        select(t, Vendor.name)
        .join(Vendor, Vendor.id == t.vendor_id)
        .where(_telemetry_involving(who))
        .order_by(t.occurred_at, t.received_at, t.id)
    )


def of_person(model: Any, who: Subject) -> Select[tuple[Any]]:
    """A directory fact table's rows about the person (job history, employment, promotions), oldest first."""
    order = list(model.__table__.primary_key.columns)
    return select(model).where(model.person_id == who.person_id).order_by(*order)


# Executors


async def rows(session: AsyncSession, statement: Select[tuple[Any]]) -> Sequence[Any]:
    return (await session.scalars(statement)).all()


async def telemetry(session: AsyncSession, who: Subject) -> Sequence[tuple[SessionTelemetry, str]]:
    return [(row, name) for row, name in (await session.execute(telemetry_statement(who))).tuples()]


def _swap(column: Any, aliases: Mapping[UUID, UUID]) -> Any:
    return case(aliases, value=column, else_=column) if aliases else column


async def de_identify(
    session: AsyncSession, who: Subject, *, alias: UUID, provider_aliases: Mapping[UUID, UUID]
) -> dict[str, int]:
    """Replace the person's id by `alias` and each of their provider ids by its alias, everywhere;
    drop the ratings they gave. Returns the rows changed per table."""
    changed: dict[str, int] = {}
    result = await session.execute(
        update(ProviderFact)
        .where(ProviderFact.person_id == who.person_id)
        .values(person_id=alias, provider_id=_swap(ProviderFact.provider_id, provider_aliases))
        .returning(ProviderFact.provider_id)
        .execution_options(synchronize_session=False)
    )
    changed["provider_facts"] = len(result.all())
    for model in (MatchFact, EngagementFact, SessionFact):
        participant = case((model.participant_id == who.person_id, alias), else_=model.participant_id)
        result = await session.execute(
            update(model)
            .where(_involving(model, who))
            .values(participant_id=participant, provider_id=_swap(model.provider_id, provider_aliases))
            .returning(model.participant_id)
            .execution_options(synchronize_session=False)
        )
        changed[model.__tablename__] = len(result.all())
    for t in TELEMETRY_TABLES:
        as_participant = t.participant_id == who.person_id
        result = await session.execute(
            update(t)
            .where(_telemetry_involving(who, t))
            .values(
                participant_id=case((as_participant, alias), else_=t.participant_id),
                provider_id=_swap(t.provider_id, {**provider_aliases, who.person_id: alias}),
                rating=case((as_participant, null()), else_=t.rating),
            )
            .returning(t.vendor_id)
            .execution_options(synchronize_session=False)
        )
        if t is SessionTelemetry:
            changed["session_telemetry"] = len(result.all())
    return changed


async def delete_consent(session: AsyncSession, person_id: UUID) -> int:
    result = await session.execute(
        delete(AnalyticsConsent)
        .where(AnalyticsConsent.person_id == person_id)
        .returning(AnalyticsConsent.person_id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


async def delete_sharing_consent(session: AsyncSession, person_id: UUID) -> int:
    result = await session.execute(
        delete(VendorSharingConsent)
        .where(VendorSharingConsent.person_id == person_id)
        .returning(VendorSharingConsent.person_id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


async def delete_outcomes(session: AsyncSession, who: Subject) -> int:
    if not who.provider_ids:
        return 0
    result = await session.execute(
        delete(ProviderOutcome)
        .where(ProviderOutcome.provider_id.in_(who.provider_ids))
        .returning(ProviderOutcome.provider_id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


# Retention: session telemetry expires per vendor session, from the last message about it.


def expired_sessions_statement(cutoff: datetime) -> Select[tuple[UUID, str]]:
    """Vendor sessions whose last message occurred before `cutoff` (a session still reporting stays)."""
    t = SessionTelemetry
    return (
        select(t.vendor_id, t.vendor_session_id)
        .group_by(t.vendor_id, t.vendor_session_id)
        .having(func.max(t.occurred_at) < cutoff)
    )


def _expired(cutoff: datetime, t: Any = SessionTelemetry) -> ColumnElement[bool]:
    return tuple_(t.vendor_id, t.vendor_session_id).in_(expired_sessions_statement(cutoff))


def _is_alias(column: Any) -> ColumnElement[bool]:
    # The version digit of the canonical text form: xxxxxxxx-xxxx-Vxxx-...
    return func.substr(cast(column, String), 15, 1) == str(ALIAS_VERSION)


def _identified() -> ColumnElement[bool]:
    """The row still names someone: a real participant or provider id, or the participant's rating."""
    t = SessionTelemetry
    return or_(~_is_alias(t.participant_id), ~_is_alias(t.provider_id), t.rating.is_not(None))


async def expired_identities(session: AsyncSession, cutoff: datetime) -> set[UUID]:
    """The real ids (participants and providers) named in expired telemetry."""
    t = SessionTelemetry
    result = await session.execute(
        select(t.participant_id, t.provider_id).where(_expired(cutoff), _identified()).distinct()
    )
    return {value for row in result.tuples() for value in row if not is_alias(value)}


async def anonymize_expired_telemetry(
    session: AsyncSession, cutoff: datetime, aliases: Mapping[UUID, UUID]
) -> int:
    """Rename every id in `aliases` in the expired telemetry and drop the ratings; telemetry rows changed."""
    olds, news = list(aliases), list(aliases.values())
    changed: set[UUID] = set()
    for t in TELEMETRY_TABLES:
        key: Any = SessionTelemetry.id if t is SessionTelemetry else VendorSessionOutcome.telemetry_id
        for column in (t.participant_id, t.provider_id):
            # A join on the mapping (one round trip, two parameters) rather than a CASE per id.
            mapping = (
                func.unnest(
                    bindparam("olds", olds, type_=ARRAY(Uuid())), bindparam("news", news, type_=ARRAY(Uuid()))
                )
                .table_valued("old", "new")
                .render_derived(name="aliases")
            )
            result = await session.execute(
                update(t)
                .where(_expired(cutoff, t), column == mapping.c.old)
                .values({column.key: mapping.c.new})
                .returning(key)
                .execution_options(synchronize_session=False)
            )
            if t is SessionTelemetry:
                changed.update(result.scalars())
        result = await session.execute(
            update(t)
            .where(_expired(cutoff, t), t.rating.is_not(None))
            .values(rating=null())
            .returning(key)
            .execution_options(synchronize_session=False)
        )
        if t is SessionTelemetry:
            changed.update(result.scalars())
    return len(changed)


async def delete_expired_telemetry(session: AsyncSession, cutoff: datetime) -> int:
    # The kept outcomes first: which sessions expired is read from the telemetry.
    await session.execute(
        delete(VendorSessionOutcome)
        .where(_expired(cutoff, VendorSessionOutcome))
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(
        delete(SessionTelemetry)
        .where(_expired(cutoff))
        .returning(SessionTelemetry.id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())
