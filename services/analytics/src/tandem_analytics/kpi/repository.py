"""Aggregate queries behind the KPIs: each returns counts, never rows about people.

Every person-keyed fact counts only when the person's `analytics` consent covers it: a consent period
that began at or before the fact's time and is still open at the time of computation (`consented`).
A withdrawal closes the period, so everything about the person leaves the next computation. A scope
is a program (or all programs) and optionally a cohort: the calendar quarter of the participant's
first match approval in the program (`2026-Q4`).
"""

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    Text,
    and_,
    cast,
    distinct,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.kpi.domain import Measure, median_of_counts
from tandem_analytics.models import (
    AttendanceFact,
    BusinessKpiValue,
    CoachingAdoptionReport,
    ConsentPeriod,
    EngagementFact,
    KpiProgram,
    KpiPublication,
    KpiTarget,
    MatchFact,
    NpsResponse,
    PromotionFact,
    ProviderFact,
    SessionFact,
    SlaOutcomeFact,
    SponsorActionFact,
    VendorSessionOutcome,
)
from tandem_kit.db import side_transaction

LAYERS = ("coaching", "mentoring", "network")
PROMOTION_WINDOW = timedelta(days=365)
DEFAULT_BUSINESS_KPI = "csat"


@dataclass(frozen=True)
class Scope:
    program_id: UUID | None = None
    cohort: str | None = None


# Per KPI, the people of each part of a whole: a program id (all programs) or a cohort label (a program).
Populations = dict[str, dict[Any, int]]


def fingerprint(*key: Any) -> Any:
    """Who a population is, as one number: the sum of the distinct 64-bit hashes of its members' keys.
    The same members give the same sum, other members of the same count another (but for a hash
    collision). Not reversible, never published: the differencing rule compares it (`guard_change`)."""
    text = cast(key[0], Text) if len(key) == 1 else func.concat_ws("/", *(cast(k, Text) for k in key))
    return func.sum(distinct(func.hashtextextended(text, 0)))


def _members(value: Any) -> int | None:
    return None if value is None else int(value) % 2**63


def consented(person: Any, at: Any, now: datetime) -> ColumnElement[bool]:
    """The person's `analytics` consent was granted at `at` and has not been withdrawn since (by `now`)."""
    p = ConsentPeriod
    return exists().where(
        p.person_id == person, p.granted_from <= at, or_(p.granted_until.is_(None), p.granted_until > now)
    )


def cohort_label(at: Any) -> Any:
    return func.to_char(func.timezone("UTC", at), literal('YYYY-"Q"Q'))


def _cohorts(program_id: UUID) -> Any:
    """Each participant of the program and their cohort: the same rule as `_in_scope`'s."""
    m = MatchFact
    return (
        select(m.participant_id, cohort_label(func.min(m.approved_at)).label("cohort"))
        .where(m.program_id == program_id, m.approved_at.is_not(None))
        .group_by(m.participant_id)
        .subquery()
    )


def _in_scope(program: Any, person: Any, scope: Scope) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if scope.program_id is not None:
        conditions.append(program == scope.program_id)
    if scope.cohort is not None:
        m = MatchFact
        members = (
            select(m.participant_id)
            .where(m.program_id == scope.program_id, m.approved_at.is_not(None))
            .group_by(m.participant_id)
            .having(cohort_label(func.min(m.approved_at)) == scope.cohort)
        )
        conditions.append(person.in_(members))
    return and_(true(), *conditions)


def active_match(now: datetime) -> ColumnElement[bool]:
    """Active from its approval until its end. An end applied before the approval is already ended."""
    m = MatchFact
    return and_(m.approved_at <= now, or_(m.ended_at.is_(None), m.ended_at > now))


def latest_outcomes_statement(now: datetime, *, resolve_program: bool = True) -> Select[Any]:
    """The latest vendor outcome per vendor session that was due, with its program resolved.

    The latest outcomes are kept at ingest (`vendor_session_outcomes`); the program comes from the
    Tandem ids the vendor sent: session -> engagement -> match. All programs need no program (and
    skip the three joins per outcome): `program_id` is then null.
    """
    o, s, e, m = VendorSessionOutcome, SessionFact, EngagementFact, MatchFact
    columns = (o.type, o.participant_id, o.session_id, o.started_at, o.rating)
    if not resolve_program:
        return select(*columns, null().label("program_id")).where(o.started_at <= now)
    return (
        select(*columns, func.coalesce(e.program_id, m.program_id).label("program_id"))
        .select_from(o)
        .outerjoin(s, s.session_id == o.session_id)
        .outerjoin(e, e.engagement_id == func.coalesce(o.engagement_id, s.engagement_id))
        .outerjoin(m, m.match_id == func.coalesce(o.match_id, s.match_id, e.match_id))
        .where(o.started_at <= now)
    )


async def _coaching(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Measure]:
    m = MatchFact
    coaches, coachees, matches, members = (
        await session.execute(
            select(
                func.count(distinct(m.provider_id)),
                func.count(distinct(m.participant_id)),
                func.count(),
                fingerprint(m.participant_id),
            )
            .where(
                m.provider_kind == "coach",
                active_match(now),
                _in_scope(m.program_id, m.participant_id, scope),
            )
            .where(consented(m.participant_id, m.approved_at, now))
        )
    ).one()
    p = ProviderFact
    program = p.program_id == scope.program_id if scope.program_id is not None else true()
    capacity = await session.scalar(
        select(func.coalesce(func.sum(p.capacity), 0)).where(p.kind == "coach", program)
    )
    return {
        "coach_to_coachee_ratio": Measure(coachees, coaches, coachees, members=_members(members)),
        "coach_utilization": Measure(matches, int(capacity or 0), coachees, members=_members(members)),
    }


PER_SCOPE = 8  # the columns `_vendor_outcomes` reads per scope


async def _vendor_outcomes(
    session: AsyncSession, scopes: Sequence[Scope], now: datetime, parts_of: Sequence[UUID | None] = ()
) -> tuple[list[dict[str, Measure]], list[Populations]]:
    """Completion and rating median for several scopes (a part and the wholes it is compared with),
    and the people of every part of the wholes `parts_of` (`_populations`), in one pass over the
    outcomes: each outcome is resolved to its program once."""
    resolve = bool(parts_of) or any(scope.program_id is not None for scope in scopes)
    latest = latest_outcomes_statement(now, resolve_program=resolve).subquery()
    inside = [
        _in_scope(latest.c.program_id, latest.c.participant_id, scope).label(f"in_{i}")
        for i, scope in enumerate(scopes)
    ]
    # Counted per participant, outcome and rating first (a few groups per person), then summed per
    # scope: distinct people and the rating median come from those groups, not from sorting every
    # outcome.
    program = [latest.c.program_id] if parts_of else []
    grouped = (
        select(
            latest.c.participant_id,
            latest.c.type,
            latest.c.rating,
            *program,
            *inside,
            func.count().label("n"),
        )
        .where(consented(latest.c.participant_id, latest.c.started_at, now))
        .group_by(
            latest.c.participant_id,
            latest.c.type,
            latest.c.rating,
            *program,
            # All programs is the constant true, which PostgreSQL refuses in GROUP BY.
            *(member for member, scope in zip(inside, scopes, strict=True) if scope.program_id is not None),
        )
        .cte("grouped")
    )
    g = grouped.c
    completed = g.type == "session.completed"
    rated = and_(completed, g.rating.is_not(None))
    columns: list[Any] = []
    for i in range(len(scopes)):
        member = g[f"in_{i}"]
        by_rating = (
            select(g.rating, func.sum(g.n).label("n")).where(member, rated).group_by(g.rating).subquery()
        )
        columns += [
            func.coalesce(func.sum(g.n).filter(member, completed), 0),
            func.coalesce(func.sum(g.n).filter(member, g.type == "session.no_show"), 0),
            func.count(distinct(g.participant_id)).filter(member),
            func.coalesce(func.sum(g.n).filter(member, rated), 0),
            func.count(distinct(g.participant_id)).filter(member, rated),
            select(func.jsonb_object_agg(by_rating.c.rating, by_rating.c.n)).scalar_subquery(),
            fingerprint(g.participant_id).filter(member),
            fingerprint(g.participant_id).filter(member, rated),
        ]
    for program_id in parts_of:
        if program_id is None:
            part: Any = g.program_id
            per_part = select(cast(part, Text).label("part"), g.participant_id, g.type, g.rating)
            per_part = per_part.where(part.is_not(None))
        else:
            c = _cohorts(program_id)
            per_part = (
                select(c.c.cohort.label("part"), g.participant_id, g.type, g.rating)
                .join(c, c.c.participant_id == g.participant_id)
                .where(g.program_id == program_id)
            )
        p = per_part.subquery()
        counts = (
            select(
                p.c.part,
                func.count(distinct(p.c.participant_id)).label("people"),
                func.count(distinct(p.c.participant_id))
                .filter(p.c.type == "session.completed", p.c.rating.is_not(None))
                .label("raters"),
            )
            .group_by(p.c.part)
            .subquery()
        )
        columns.append(
            select(
                func.jsonb_object_agg(counts.c.part, func.jsonb_build_array(counts.c.people, counts.c.raters))
            ).scalar_subquery()
        )
    row = (await session.execute(select(*columns).select_from(grouped))).one()
    parts: list[Populations] = []
    for j, program_id in enumerate(parts_of):
        with_outcome: dict[Any, int] = {}
        with_rating: dict[Any, int] = {}
        for key, (n, rated) in (row[PER_SCOPE * len(scopes) + j] or {}).items():
            part = UUID(key) if program_id is None else key
            with_outcome[part] = n
            if rated:
                with_rating[part] = rated
        parts.append({"session_completion_rate": with_outcome, "participant_rating_median": with_rating})
    found = []
    for i in range(len(scopes)):
        at = PER_SCOPE * i
        done, no_show, people, ratings, raters = (int(v) for v in row[at : at + 5])
        median = median_of_counts({int(r): int(n) for r, n in (row[at + 5] or {}).items()})
        found.append(
            {
                "session_completion_rate": Measure(
                    done, done + no_show, people, members=_members(row[at + 6])
                ),
                "participant_rating_median": Measure(
                    ratings,
                    ratings,
                    raters,
                    value=None if median is None else round(median, 4),
                    members=_members(row[at + 7]),
                ),
            }
        )
    return found, parts


def _ledger(now: datetime, scope: Scope) -> ColumnElement[bool]:
    a = AttendanceFact
    return and_(
        a.starts_at <= now,
        _in_scope(a.program_id, a.participant_id, scope),
        consented(a.participant_id, a.starts_at, now),
    )


def _without_ledger(now: datetime, scope: Scope) -> ColumnElement[bool]:
    """Booked sessions already started, not cancelled, that the attendance ledger has no word on."""
    s, e = SessionFact, EngagementFact
    return and_(
        s.cancelled_at.is_(None),
        s.starts_at.is_not(None),
        s.starts_at <= now,
        ~exists().where(AttendanceFact.session_id == s.session_id),
        _in_scope(e.program_id, s.participant_id, scope),
        consented(s.participant_id, s.starts_at, now),
    )


async def _attendance(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Measure]:
    a, s, e = AttendanceFact, SessionFact, EngagementFact
    held, due = (
        await session.execute(
            select(func.count().filter(a.held), func.count().filter(a.outcome != "rescheduled")).where(
                _ledger(now, scope)
            )
        )
    ).one()
    # Sessions the ledger has no word on count by their latest vendor outcome, found by its Tandem
    # session id (the booked session carries the program): no program to resolve per outcome.
    latest = latest_outcomes_statement(now, resolve_program=False).subquery()
    completed = (
        select(latest.c.session_id)
        .where(latest.c.type == "session.completed", latest.c.session_id.is_not(None))
        .distinct()
        .subquery()
    )
    vendor_held, vendor_due = (
        await session.execute(
            select(func.count(completed.c.session_id), func.count())
            .select_from(s)
            .join(e, e.engagement_id == s.engagement_id)
            .outerjoin(completed, completed.c.session_id == s.session_id)
            .where(_without_ledger(now, scope))
        )
    ).one()
    people = (
        select(a.participant_id.label("person"))
        .where(_ledger(now, scope))
        .union(
            select(s.participant_id.label("person"))
            .join(e, e.engagement_id == s.engagement_id)
            .where(_without_ledger(now, scope))
        )
        .subquery()
    )
    population, members = (
        await session.execute(select(func.count(distinct(people.c.person)), fingerprint(people.c.person)))
    ).one()
    return {
        "attendance_rate": Measure(
            held + vendor_held, due + vendor_due, int(population or 0), members=_members(members)
        )
    }


async def _sla(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Measure]:
    o, m = SlaOutcomeFact, MatchFact
    program = func.coalesce(o.program_id, m.program_id)
    rows = (
        await session.execute(
            select(
                o.layer,
                func.count().filter(o.met),
                func.count(),
                func.count(distinct(m.participant_id)),
                fingerprint(m.participant_id),
            )
            .join(m, m.match_id == o.match_id)
            .where(o.ended_at <= now, _in_scope(program, m.participant_id, scope))
            .where(consented(m.participant_id, o.due_at, now))
            .group_by(o.layer)
        )
    ).all()
    total = (
        await session.execute(
            select(
                func.count().filter(o.met),
                func.count(),
                func.count(distinct(m.participant_id)),
                fingerprint(m.participant_id),
            )
            .join(m, m.match_id == o.match_id)
            .where(o.ended_at <= now, _in_scope(program, m.participant_id, scope))
            .where(consented(m.participant_id, o.due_at, now))
        )
    ).one()
    found = {"sla_adherence": Measure(total[0], total[1], total[2], members=_members(total[3]))}
    by_layer = {layer: (met, n, people, members) for layer, met, n, people, members in rows}
    for layer in LAYERS:
        met, n, people, members = by_layer.get(layer, (0, 0, 0, None))
        found[f"sla_adherence.{layer}"] = Measure(met, n, people, members=_members(members))
    return found


async def _first_session(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Measure]:
    m, s = MatchFact, SessionFact
    first = (
        select(s.match_id, func.min(s.starts_at).label("first_start"))
        .where(
            s.cancelled_at.is_(None), s.starts_at.is_not(None), s.starts_at <= now, s.match_id.is_not(None)
        )
        .group_by(s.match_id)
        .subquery()
    )
    days = func.extract("epoch", first.c.first_start - m.approved_at) / 86400
    total, matches, people, members = (
        await session.execute(
            select(
                func.coalesce(func.sum(days), 0),
                func.count(),
                func.count(distinct(m.participant_id)),
                fingerprint(m.participant_id),
            )
            .select_from(m)
            .join(first, first.c.match_id == m.match_id)
            # Ended matches still count (their first session happened); one not yet approved cannot.
            .where(m.approved_at <= now, _in_scope(m.program_id, m.participant_id, scope))
            .where(consented(m.participant_id, m.approved_at, now))
        )
    ).one()
    return {
        "time_to_first_session": Measure(round(float(total), 4), matches, people, members=_members(members))
    }


async def _matches(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Measure]:
    m = MatchFact
    in_scope = and_(
        m.approved_at <= now,
        _in_scope(m.program_id, m.participant_id, scope),
        consented(m.participant_id, m.approved_at, now),
    )
    reassigned = and_(m.end_reason == "reassigned", m.ended_at <= now)
    approved, ended, people, members = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(reassigned),
                func.count(distinct(m.participant_id)),
                fingerprint(m.participant_id),
            ).where(in_scope)
        )
    ).one()
    mentees = select(m.participant_id).where(in_scope, m.provider_kind == "mentor").distinct().subquery()
    a = SponsorActionFact
    actions = await session.scalar(
        select(func.count())
        .select_from(a)
        .join(mentees, mentees.c.participant_id == a.participant_id)
        .where(a.logged_at <= now, or_(a.retracted_at.is_(None), a.retracted_at > now))
        .where(
            _in_scope(a.program_id, a.participant_id, scope), consented(a.participant_id, a.logged_at, now)
        )
    )
    mentee_count, mentee_members = (
        await session.execute(select(func.count(), fingerprint(mentees.c.participant_id)))
    ).one()
    # Participants: first approval in scope; promoted within the window, after joining.
    joined = (
        select(m.participant_id, func.min(m.approved_at).label("joined_at"))
        .where(in_scope)
        .group_by(m.participant_id)
        .subquery()
    )
    p = PromotionFact
    promoted = exists().where(
        p.person_id == joined.c.participant_id,
        p.promoted_at >= joined.c.joined_at,
        p.promoted_at >= now - PROMOTION_WINDOW,
        p.promoted_at <= now,
        consented(p.person_id, p.promoted_at, now),
    )
    participants, promoted_count, participant_members = (
        await session.execute(
            select(func.count(), func.count().filter(promoted), fingerprint(joined.c.participant_id))
        )
    ).one()
    return {
        "reassignment_rate": Measure(ended, approved, people, members=_members(members)),
        "sponsor_actions_per_mentee": Measure(
            int(actions or 0), mentee_count, mentee_count, members=_members(mentee_members)
        ),
        "promotion_rate": Measure(
            promoted_count, participants, participants, members=_members(participant_members)
        ),
    }


async def _surveys(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Measure]:
    n = NpsResponse
    program = n.program_id == scope.program_id if scope.program_id is not None else true()
    cohort = n.cohort == scope.cohort if scope.cohort is not None else true()
    answers, promoters, detractors, members = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(n.score >= 9),
                func.count().filter(n.score <= 6),
                fingerprint(n.program_id, n.cohort, n.respondent_id),  # one answer per key
            ).where(program, cohort, n.responded_at <= now, consented(n.respondent_id, n.responded_at, now))
        )
    ).one()
    found = {
        "participant_nps": Measure(
            promoters - detractors, answers, answers, scale=100.0, members=_members(members)
        )
    }
    if scope.cohort is not None:
        # Managers report per program and quarter, not per participant cohort.
        found["manager_coaching_adoption"] = Measure(None, 0, None)
        return found
    r = CoachingAdoptionReport
    counted = and_(
        r.program_id == scope.program_id if scope.program_id is not None else true(),
        r.responded_at <= now,
        consented(r.respondent_id, r.responded_at, now),
    )
    latest = select(func.max(r.quarter)).where(counted).scalar_subquery()
    reports, adopted, members = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(r.adopted),
                fingerprint(r.program_id, r.quarter, r.respondent_id),  # one report per key
            ).where(counted, r.quarter == latest)
        )
    ).one()
    found["manager_coaching_adoption"] = Measure(adopted, reports, reports, members=_members(members))
    return found


async def _business(session: AsyncSession, scope: Scope, now: datetime, kpi_name: str) -> dict[str, Measure]:
    if scope.program_id is None:
        return {"business_kpi": Measure(None, 0, None)}
    b = BusinessKpiValue
    kind, segment = ("cohort", scope.cohort) if scope.cohort is not None else ("program", "")
    value = await session.scalar(
        select(cast(b.value, Float))
        .where(
            b.program_id == scope.program_id,
            b.kpi_name == kpi_name,
            b.segment_kind == kind,
            b.segment == segment,
            b.imported_at <= now,
        )
        # `YYYY-MM` and `YYYY-Qn` sort within a year as months < quarters; the latest period wins.
        .order_by(b.period.desc(), b.imported_at.desc())
        .limit(1)
    )
    return {"business_kpi": Measure(None, 1 if value is not None else 0, None, value=value)}


async def measures(
    session: AsyncSession,
    scopes: Sequence[Scope],
    *,
    now: datetime,
    business_kpi: str,
    parts_of: Sequence[UUID | None] = (),
) -> tuple[list[dict[str, Measure]], list[Populations]]:
    """Every KPI's counts for each scope, as of `now`: one aggregate query per family of KPIs (per
    scope, but one for all scopes where it reads every vendor outcome); and the people of every part
    of each whole in `parts_of` (None: the programs of all programs; a program: its cohorts), under
    the figures' own rules (`_populations`)."""
    vendor, vendor_parts = await _vendor_outcomes(session, scopes, now, parts_of)
    parts = [
        await _populations(session, now=now, program_id=program_id) | found
        for program_id, found in zip(parts_of, vendor_parts, strict=True)
    ]
    return [
        {
            **await _coaching(session, scope, now),
            **vendor[i],
            **await _attendance(session, scope, now),
            **await _sla(session, scope, now),
            **await _first_session(session, scope, now),
            **await _matches(session, scope, now),
            **await _surveys(session, scope, now),
            **await _business(session, scope, now, business_kpi),
        }
        for i, scope in enumerate(scopes)
    ], parts


# Populations of the parts of a whole, for the differencing rules (`domain.secondary_suppression`).


async def _people_per_part(
    session: AsyncSession, people: Select[Any], names: Sequence[str], program_id: UUID | None
) -> Populations:
    """Distinct people per part and KPI. `people` selects a program, a person and one flag per KPI
    (does the row count for it), with the KPIs' own time and consent conditions."""
    rows = people.distinct().subquery()
    person = rows.c.person
    counts = [func.count(distinct(person)).filter(rows.c[f"for_{i}"]) for i in range(len(names))]
    if program_id is None:
        statement = (
            select(rows.c.program, *counts).where(rows.c.program.is_not(None)).group_by(rows.c.program)
        )
    else:
        c = _cohorts(program_id)
        statement = (
            select(c.c.cohort, *counts)
            .select_from(rows)
            .join(c, c.c.participant_id == person)
            .where(rows.c.program == program_id)
            .group_by(c.c.cohort)
        )
    found: Populations = {name: {} for name in names}
    for part, *ns in (await session.execute(statement)).tuples():
        for name, n in zip(names, ns, strict=True):
            if n:
                found[name][part] = int(n)
    return found


def _people(program: Any, person: Any, *flags: Any) -> Select[Any]:
    return select(
        program.label("program"),
        person.label("person"),
        *(flag.label(f"for_{i}") for i, flag in enumerate(flags)),
    )


async def _survey_populations(session: AsyncSession, now: datetime, program_id: UUID | None) -> Populations:
    """Survey figures count answers, and NPS answers carry their own cohort label."""
    n = NpsResponse
    part = n.program_id if program_id is None else n.cohort
    program = n.program_id.is_not(None) if program_id is None else n.program_id == program_id
    nps = await session.execute(
        select(part, func.count())
        .where(program, n.responded_at <= now, consented(n.respondent_id, n.responded_at, now))
        .group_by(part)
    )
    found: Populations = {"participant_nps": dict(nps.tuples().all())}
    if program_id is not None:
        return found  # managers report per program, not per cohort
    # A program's figure is its own latest quarter: it is a part of all programs' figure only when
    # that is the same quarter.
    r = CoachingAdoptionReport
    counted = and_(r.responded_at <= now, consented(r.respondent_id, r.responded_at, now))
    latest = select(func.max(r.quarter)).where(counted).scalar_subquery()
    rows = await session.execute(
        select(r.program_id, func.count().filter(r.quarter == latest), func.max(r.quarter) == latest)
        .where(counted, r.program_id.is_not(None))
        .group_by(r.program_id)
    )
    found["manager_coaching_adoption"] = {p: n for p, n, same in rows.tuples() if same and n}
    return found


async def _populations(session: AsyncSession, *, now: datetime, program_id: UUID | None) -> Populations:
    """Per KPI, the population of every part of a whole as of `now`, under the figures' own rules:
    each program's (parts of all programs) or, given `program_id`, each of its cohorts'. One grouped
    query per family; only people, never figures. KPIs without people have no parts; the vendor
    outcomes' parts are counted in the same pass as their figures (`_vendor_outcomes`)."""
    m, a, s, e, o = MatchFact, AttendanceFact, SessionFact, EngagementFact, SlaOutcomeFact
    everyone = Scope()
    families: list[tuple[Select[Any], Sequence[str]]] = [
        (
            _people(m.program_id, m.participant_id, true(), true()).where(
                m.provider_kind == "coach", active_match(now), consented(m.participant_id, m.approved_at, now)
            ),
            ("coach_to_coachee_ratio", "coach_utilization"),
        ),
    ]
    attendance = (
        _people(a.program_id, a.participant_id, true())
        .where(_ledger(now, everyone))
        .union(
            _people(e.program_id, s.participant_id, true())
            .join(e, e.engagement_id == s.engagement_id)
            .where(_without_ledger(now, everyone))
        )
        .subquery()
    )
    families.append((select(attendance), ("attendance_rate",)))
    families.append(
        (
            _people(
                func.coalesce(o.program_id, m.program_id),
                m.participant_id,
                true(),
                *(o.layer == layer for layer in LAYERS),
            )
            .join(m, m.match_id == o.match_id)
            .where(o.ended_at <= now, consented(m.participant_id, o.due_at, now)),
            ("sla_adherence", *(f"sla_adherence.{layer}" for layer in LAYERS)),
        )
    )
    first = (
        select(s.match_id)
        .where(s.cancelled_at.is_(None), s.starts_at.is_not(None), s.starts_at <= now)
        .distinct()
        .subquery()
    )
    families.append(
        (
            _people(m.program_id, m.participant_id, true())
            .join(first, first.c.match_id == m.match_id)
            .where(m.approved_at <= now, consented(m.participant_id, m.approved_at, now)),
            ("time_to_first_session",),
        )
    )
    families.append(
        (
            _people(m.program_id, m.participant_id, true(), m.provider_kind == "mentor", true()).where(
                m.approved_at <= now, consented(m.participant_id, m.approved_at, now)
            ),
            ("reassignment_rate", "sponsor_actions_per_mentee", "promotion_rate"),
        )
    )
    found: Populations = {}
    for people, names in families:
        found |= await _people_per_part(session, people, names, program_id)
    return found | await _survey_populations(session, now, program_id)


# A program's KPI settings.


async def program_settings(session: AsyncSession, program_id: UUID) -> KpiProgram | None:
    found: KpiProgram | None = await session.get(KpiProgram, program_id)
    return found


async def program_targets(session: AsyncSession, program_id: UUID) -> dict[str, KpiTarget]:
    rows = await session.scalars(select(KpiTarget).where(KpiTarget.program_id == program_id))
    return {r.name: r for r in rows}


async def first_approval(session: AsyncSession, program_id: UUID) -> date | None:
    at = await session.scalar(
        select(func.min(MatchFact.approved_at)).where(MatchFact.program_id == program_id)
    )
    return at.date() if at is not None else None


@dataclass(frozen=True)
class Ledger:
    """The populations a KPI series has been published with, read and extended under its lock."""

    session: AsyncSession
    series: str

    async def populations(self) -> dict[str, dict[int, int | None]]:
        """Per KPI, every population published and its members' fingerprint."""
        p = KpiPublication
        rows = await self.session.execute(
            select(p.name, p.population, p.members).where(p.series == self.series)
        )
        found: dict[str, dict[int, int | None]] = {}
        for name, population, members in rows.tuples():
            found.setdefault(name, {})[population] = members
        return found

    async def record(self, published: Mapping[str, tuple[int, int | None]], *, at: datetime) -> None:
        """Add what was just published (population, fingerprint) per KPI; a population first recorded
        without a fingerprint takes this one."""
        if not published:
            return
        statement = pg_insert(KpiPublication).values(
            [
                {"series": self.series, "name": n, "population": p, "members": m, "first_published_at": at}
                for n, (p, m) in published.items()
            ]
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["series", "name", "population"],
                set_={"members": statement.excluded.members},
                where=KpiPublication.members.is_(None),
            )
        )


def series_of(scope: Scope) -> str:
    return f"{scope.program_id or 'all'}/{scope.cohort or ''}"


@asynccontextmanager
async def publication_ledger(session: AsyncSession, scope: Scope) -> AsyncIterator[Ledger]:
    """The scope's ledger in a short transaction of its own, under a lock per series: two reads of one
    series publish one after the other, so each is compared with what the other published. The lock is
    held for milliseconds, not for the caller's whole transaction, so a request that computes several
    scopes holds one such lock at a time (no lock order to keep). What is recorded stays even if the
    caller's transaction rolls back: a population recorded but never shown only makes the rule stricter."""
    series = series_of(scope)
    async with side_transaction(session) as own:
        await own.execute(
            select(func.pg_advisory_xact_lock(func.hashtextextended(f"kpi-series:{series}", 0)))
        )
        yield Ledger(own, series)
