"""Access and erasure for one person (GDPR articles 15 and 17), answered to consent's requests.

Access exports every row that is about the person, grouped by kind, with their role in it and
without the other party's ids. Erasure keeps the facts the KPIs count but de-identifies them: the
person's id becomes one fresh random id per request, each of their provider records a fresh random
id of its own (so distinct counts of people and coaches stay right), and ratings they gave are
dropped. Nothing is deleted, so every KPI keeps its value. See docs/analytics.md, "Personal data".
"""

from datetime import datetime
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.comparison import repository as comparison_repository
from tandem_analytics.fact import consent, operations, people
from tandem_analytics.models import (
    AnalyticsConsent,
    CoachingAdoptionReport,
    EngagementFact,
    JobFact,
    MatchFact,
    NpsResponse,
    PersonFact,
    PromotionFact,
    ProviderFact,
    ProviderOutcome,
    SessionFact,
    SessionTelemetry,
    SlaFact,
    VendorSharingConsent,
)
from tandem_analytics.pilot import repository as pilot_repository
from tandem_analytics.privacy import repository
from tandem_analytics.privacy.domain import new_alias
from tandem_analytics.privacy.repository import Subject
from tandem_analytics.survey import repository as survey
from tandem_kit.privacy import Answer

log = structlog.get_logger("tandem.analytics.privacy")

NOTHING_HELD = "Analytics holds no data about this person."
KINDS = (
    "provider_records",
    "matches",
    "engagements",
    "sessions",
    "sla_breaches",
    "session_telemetry",
    "employment",
    "jobs",
    "promotions",
    "nps_responses",
    "coaching_adoption_reports",
    "pilots",
    "complexity_bands",
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _id(value: UUID | None) -> str | None:
    return str(value) if value is not None else None


def _role(who: Subject, participant_id: UUID | None, provider_id: UUID | None) -> str | None:
    if participant_id == who.person_id:
        return "participant"
    if provider_id == who.person_id or provider_id in who.provider_ids:
        return "provider"
    return None


def _own_provider_id(role: str | None, provider_id: UUID | None) -> dict[str, Any]:
    # A participant's coach or mentor is someone else: their id stays out of the export.
    return {"provider_id": _id(provider_id)} if role == "provider" else {}


def _provider(row: ProviderFact) -> dict[str, Any]:
    return {
        "provider_id": str(row.provider_id),
        "program_id": str(row.program_id),
        "kind": row.kind,
        "capacity": row.capacity,
        "registered_at": _iso(row.registered_at),
    }


def _match(who: Subject, row: MatchFact) -> dict[str, Any]:
    role = _role(who, row.participant_id, row.provider_id)
    return {
        "match_id": str(row.match_id),
        "program_id": str(row.program_id),
        "role": role,
        **_own_provider_id(role, row.provider_id),
        "provider_kind": row.provider_kind,
        "track": row.track,
        "approved_at": _iso(row.approved_at),
        "ended_at": _iso(row.ended_at),
        "end_reason": row.end_reason,
    }


def _engagement(who: Subject, row: EngagementFact) -> dict[str, Any]:
    role = _role(who, row.participant_id, row.provider_id)
    return {
        "engagement_id": str(row.engagement_id),
        "match_id": str(row.match_id),
        "program_id": str(row.program_id),
        "role": role,
        **_own_provider_id(role, row.provider_id),
        "kickoff_due_at": _iso(row.kickoff_due_at),
        "created_at": _iso(row.created_at),
    }


def _session(who: Subject, row: SessionFact, engagement_roles: dict[UUID, str | None]) -> dict[str, Any]:
    role = _role(who, row.participant_id, row.provider_id) or engagement_roles.get(row.engagement_id)
    return {
        "session_id": str(row.session_id),
        "engagement_id": str(row.engagement_id),
        "match_id": _id(row.match_id),
        "role": role,
        **_own_provider_id(role, row.provider_id),
        "kind": row.kind,
        "starts_at": _iso(row.starts_at),
        "ends_at": _iso(row.ends_at),
        "booked_at": _iso(row.booked_at),
        "cancelled_at": _iso(row.cancelled_at),
    }


def _sla_breach(row: SlaFact) -> dict[str, Any]:
    return {
        "engagement_id": str(row.engagement_id),
        "match_id": str(row.match_id),
        "sla": row.sla,
        "due_at": _iso(row.due_at),
        "breached_at": _iso(row.breached_at),
    }


def _telemetry(who: Subject, row: SessionTelemetry, vendor: str) -> dict[str, Any]:
    role = _role(who, row.participant_id, row.provider_id)
    return {
        "id": str(row.id),
        "vendor": vendor,
        "type": row.type,
        "occurred_at": _iso(row.occurred_at),
        "vendor_session_id": row.vendor_session_id,
        "session_id": _id(row.session_id),
        "engagement_id": _id(row.engagement_id),
        "match_id": _id(row.match_id),
        "role": role,
        **_own_provider_id(role, row.provider_id),
        "started_at": _iso(row.started_at),
        "duration_minutes": row.duration_minutes,
        # The rating is the participant's own words about their coach, so only theirs to see.
        **({"rating": row.rating} if role == "participant" else {}),
        "received_at": _iso(row.received_at),
    }


def _employment(row: PersonFact) -> dict[str, Any]:
    hire_date = row.hire_date.isoformat() if row.hire_date is not None else None
    return {"hire_date": hire_date, "active": row.active, "active_since": _iso(row.active_since)}


def _job(row: JobFact) -> dict[str, Any]:
    return {
        "valid_from": _iso(row.valid_from),
        "level": row.level,
        "level_rank": row.level_rank,
        "department": row.department,
        "manager_id": _id(row.manager_id),
    }


def _promotion(row: PromotionFact) -> dict[str, Any]:
    return {"promoted_at": _iso(row.promoted_at), "from_level": row.from_level, "to_level": row.to_level}


def _nps(row: NpsResponse) -> dict[str, Any]:
    return {
        "program_id": str(row.program_id),
        "cohort": row.cohort,
        "score": row.score,
        "responded_at": _iso(row.responded_at),
    }


def _adoption(row: CoachingAdoptionReport) -> dict[str, Any]:
    return {
        "program_id": str(row.program_id),
        "quarter": row.quarter,
        "adopted": row.adopted,
        "responded_at": _iso(row.responded_at),
    }


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items() if n)


async def export_person(session: AsyncSession, person_id: UUID) -> Answer:
    """Every row about the person, grouped by kind (the same data gives the same export)."""
    who = await repository.subject(session, person_id)
    engagements = await repository.rows(session, repository.engagements_statement(who))
    engagement_roles = {e.engagement_id: _role(who, e.participant_id, e.provider_id) for e in engagements}
    export: dict[str, list[dict[str, Any]]] = {
        "provider_records": [
            _provider(r) for r in await repository.rows(session, repository.providers_statement(who))
        ],
        "matches": [
            _match(who, r) for r in await repository.rows(session, repository.matches_statement(who))
        ],
        "engagements": [_engagement(who, r) for r in engagements],
        "sessions": [
            _session(who, r, engagement_roles)
            for r in await repository.rows(session, repository.sessions_statement(who))
        ],
        "sla_breaches": [
            _sla_breach(r) for r in await repository.rows(session, repository.sla_breaches_statement(who))
        ],
        "session_telemetry": [_telemetry(who, r, v) for r, v in await repository.telemetry(session, who)],
        "employment": [
            _employment(r) for r in await repository.rows(session, repository.of_person(PersonFact, who))
        ],
        "jobs": [_job(r) for r in await repository.rows(session, repository.of_person(JobFact, who))],
        "promotions": [
            _promotion(r) for r in await repository.rows(session, repository.of_person(PromotionFact, who))
        ],
        "nps_responses": [
            _nps(r) for r in await repository.rows(session, survey.answers_statement(NpsResponse, person_id))
        ],
        "coaching_adoption_reports": [
            _adoption(r)
            for r in await repository.rows(
                session, survey.answers_statement(CoachingAdoptionReport, person_id)
            )
        ],
        "pilots": [
            {"pilot_id": str(p), "program_id": str(program), "role": role}
            for p, program, role in await pilot_repository.pilots_of(session, person_id)
        ],
        "complexity_bands": [
            {"program_id": str(program), "band": band}
            for program, band in await comparison_repository.bands_of(session, person_id)
        ],
    }
    counts = {kind: len(export[kind]) for kind in KINDS}
    records = sum(counts.values())
    if not records:
        return Answer(0, NOTHING_HELD)
    return Answer(records, f"Exported {records} row(s): {_counts(counts)}.", dict(export))


async def erase_person(session: AsyncSession, person_id: UUID) -> Answer:
    """De-identify every row about the person; runs in the caller's transaction (no commit here)."""
    who = await repository.subject(session, person_id)
    alias = new_alias()
    provider_aliases = {provider_id: new_alias() for provider_id in sorted(who.provider_ids)}
    counts = await repository.de_identify(session, who, alias=alias, provider_aliases=provider_aliases)
    # Directory facts are the person's own record, not a KPI's count: they go, with the consent they
    # were kept under.
    counts |= await people.forget(session, person_id)
    counts[AnalyticsConsent.__tablename__] = await repository.delete_consent(session, person_id)
    # Survey answers are kept under the alias, but no KPI counts them from now on: the alias has no
    # `analytics` consent period (erasure shows in the next snapshot, as a withdrawal does).
    counts |= await survey.rename_respondent(session, person_id, alias)
    # What was last sent to matching about their provider records: recomputed under the aliases.
    counts[ProviderOutcome.__tablename__] = await repository.delete_outcomes(session, who)
    counts[VendorSharingConsent.__tablename__] = await repository.delete_sharing_consent(session, person_id)
    # Without consent periods nothing about the person counts in a KPI any more; their operations
    # facts go too (issue 16: an erasure shows in the next snapshot).
    counts["analytics_consent_periods"] = await consent.forget(session, person_id)
    counts |= await operations.forget_person(session, person_id)
    # Pilots keep their cohort size and history under the alias; a complexity band is only about them.
    counts |= await pilot_repository.de_identify(session, person_id, alias=alias)
    counts["complexity_bands"] = await comparison_repository.forget_person(session, person_id)
    records = sum(counts.values())
    log.info("analytics.privacy.erased", person_id=str(person_id), **counts)
    if not records:
        return Answer(0, NOTHING_HELD)
    return Answer(
        records,
        f"De-identified {records} row(s) ({_counts(counts)}): the person's id and their provider ids "
        "replaced by random ids, ratings they gave removed, directory facts deleted; the program facts stay "
        "for the KPIs.",
    )
