"""KPIs of a scope (program or all, optionally a cohort) computed from the facts, a program's targets,
snapshots and their history. Aggregates only; the differencing rules apply to everything published."""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Literal
from uuid import UUID, uuid4

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.events import KpiSnapshotTaken, SnapshotKpi
from tandem_analytics.kpi import domain, repository
from tandem_analytics.kpi.repository import DEFAULT_BUSINESS_KPI, Scope
from tandem_analytics.kpi.schemas import (
    KpiHistoryPoint,
    KpiSnapshot,
    KpiSnapshotItem,
    KpiTargetOverride,
    KpiTargets,
    KpiTargetsUpdate,
    KpiValue,
)
from tandem_analytics.models import KpiProgram, KpiSnapshotValue, KpiTarget, MatchFact
from tandem_analytics.models import KpiSnapshot as SnapshotRow
from tandem_analytics.settings import Settings
from tandem_kit.errors import NotFound, Unprocessable
from tandem_kit.events import emit
from tandem_kit.pagination import PageParams, fetch_page


class KpiNotFound(NotFound):
    code, title = "kpi-not-found", "KPI not found"


class CohortNeedsProgram(Unprocessable):
    code, title = "cohort-needs-program", "A cohort needs a program"


def _check_scope(scope: Scope) -> None:
    if scope.cohort is not None and scope.program_id is None:
        raise CohortNeedsProgram("A cohort is a part of one program: give program_id.", parameter="cohort")


async def _settings_of(
    session: AsyncSession, program_id: UUID | None
) -> tuple[dict[str, domain.Targets], date | None, str]:
    """Targets in force per KPI, the program start and its business KPI (seed defaults for all programs)."""
    defaults = {name: domain.seed_targets(d) for name, d in domain.CATALOG.items()}
    if program_id is None:
        return defaults, None, DEFAULT_BUSINESS_KPI
    program = await repository.program_settings(session, program_id)
    overrides = await repository.program_targets(session, program_id)
    band = program.amber_band if program and program.amber_band is not None else domain.DEFAULT_AMBER_BAND
    targets: dict[str, domain.Targets] = {}
    for name, seed in defaults.items():
        o = overrides.get(name)
        targets[name] = domain.Targets(
            baseline=o.baseline if o and o.baseline is not None else seed.baseline,
            target_6m=o.target_6m if o and o.target_6m is not None else seed.target_6m,
            target_12m=o.target_12m if o and o.target_12m is not None else seed.target_12m,
            amber_band=o.amber_band if o and o.amber_band is not None else band,
        )
    started = program.started_on if program and program.started_on else None
    started = started or await repository.first_approval(session, program_id)
    business = program.business_kpi if program and program.business_kpi else DEFAULT_BUSINESS_KPI
    return targets, started, business


async def compute(
    session: AsyncSession, scope: Scope, *, now: datetime, settings: Settings
) -> list[domain.KpiOutcome]:
    """Every KPI of the scope as of `now`, with the k-anonymity and differencing rules applied."""
    _check_scope(scope)
    k = settings.kpi_min_population
    targets, started, business = await _settings_of(session, scope.program_id)
    months = domain.months_between(started, now) if started else None
    # The published wholes the scope is a part of: a cohort of its program, a program (and so its
    # cohorts) of all programs. Whole minus part must not describe 1..k-1 people.
    wholes = [Scope(scope.program_id)] if scope.cohort is not None else []
    if scope.program_id is not None:
        wholes.append(Scope())
    # The parts of those wholes (every program, and the program's cohorts for a cohort): all
    # programs are a part of nothing.
    parts_of = [None, scope.program_id] if scope.cohort is not None else [None] if wholes else []
    (measures, *whole_measures), parts = await repository.measures(
        session, [scope, *wholes], now=now, business_kpi=business, parts_of=parts_of
    )
    as_part = _suppressed_as_part(scope, k=k, wholes=whole_measures, parts=parts)
    outcomes = []
    for name, definition in domain.CATALOG.items():
        outcome = domain.evaluate(definition, measures[name], targets[name], k=k, months=months)
        for whole in whole_measures:
            outcome = domain.guard_complement(outcome, whole[name].population, k=k)
        if name in as_part and outcome.published:
            outcome = domain.suppressed(outcome)
        outcomes.append(outcome)
    # Two moments: every figure, live or snapshot, against every population its series was published with.
    async with repository.publication_ledger(session, scope) as ledger:
        published = await ledger.populations()
        outcomes = [domain.guard_change(o, published.get(o.definition.name, {}), k=k) for o in outcomes]
        await ledger.record(
            {
                o.definition.name: (o.population, o.members)
                for o in outcomes
                if o.published and o.population is not None
            },
            at=now,
        )
    return outcomes


def _suppressed_as_part(
    scope: Scope,
    *,
    k: int,
    wholes: Sequence[dict[str, domain.Measure]],
    parts: Sequence[repository.Populations],
) -> set[str]:
    """The KPIs whose figure for the scope goes so that no published whole minus its published parts
    describes 1..k-1 people (`domain.secondary_suppression`): a program among the programs of all
    programs; a cohort among its program's cohorts, or with its program. Every scope decides from the
    same populations of every part, so each reaches the same verdict whichever is asked first. All
    programs are a part of nothing: their figure goes only when it is that small itself (`evaluate`).
    """
    if scope.program_id is None:
        return set()
    *program, everyone = wholes
    by_program, *cohort_parts = parts
    by_cohort = cohort_parts[0] if cohort_parts else {}
    found = set()
    for name, definition in domain.CATALOG.items():
        t = domain.threshold(definition, k)
        whole = everyone[name].population
        if scope.program_id in domain.secondary_suppression(whole, by_program.get(name, {}), t).parts:
            found.add(name)  # and with the program, each of its cohorts
        elif program:
            cohorts: dict[str, int] = by_cohort.get(name, {})
            # A cohort whose rest of all programs is 1..t-1 people is withheld already (guard_complement).
            small_rest = {c for c, n in cohorts.items() if whole is not None and 0 < whole - n < t}
            within = domain.secondary_suppression(
                program[0][name].population, cohorts, t, withheld=small_rest
            )
            if scope.cohort in within.parts:
                found.add(name)
    return found


def _values(
    outcomes: Sequence[domain.KpiOutcome], scope: Scope, *, settings: Settings, at: datetime
) -> list[KpiValue]:
    k = settings.kpi_min_population
    return [
        KpiValue.of(
            o,
            program_id=scope.program_id,
            cohort=scope.cohort,
            k=domain.threshold(o.definition, k),
            computed_at=at,
        )
        for o in outcomes
    ]


async def program_kpis(
    session: AsyncSession,
    *,
    program_id: UUID | None,
    settings: Settings,
    cohort: str | None = None,
    now: datetime | None = None,
) -> list[KpiValue]:
    """Every KPI for one program (or all), computed now from the stored facts. Aggregates only."""
    now = now or datetime.now(UTC)
    scope = Scope(program_id, cohort)
    return _values(
        await compute(session, scope, now=now, settings=settings), scope, settings=settings, at=now
    )


def _known(name: str) -> None:
    if name not in domain.CATALOG:
        raise KpiNotFound(f"No KPI named {name!r}; known: {', '.join(domain.CATALOG)}.", parameter="name")


async def get_kpi(
    session: AsyncSession,
    name: str,
    *,
    program_id: UUID | None,
    settings: Settings,
    cohort: str | None = None,
) -> KpiValue:
    _known(name)
    values = await program_kpis(session, program_id=program_id, settings=settings, cohort=cohort)
    return next(v for v in values if v.name == name)


# Targets.


async def get_targets(session: AsyncSession, program_id: UUID) -> KpiTargets:
    targets, started, business = await _settings_of(session, program_id)
    program = await repository.program_settings(session, program_id)
    return KpiTargets(
        program_id=program_id,
        started_on=started,
        amber_band=program.amber_band
        if program and program.amber_band is not None
        else domain.DEFAULT_AMBER_BAND,
        business_kpi=business,
        targets=[
            KpiTargetOverride(
                name=name,
                baseline=t.baseline,
                target_6m=t.target_6m,
                target_12m=t.target_12m,
                amber_band=t.amber_band,
            )
            for name, t in targets.items()
        ],
    )


async def set_targets(
    session: AsyncSession, program_id: UUID, update: KpiTargetsUpdate, *, now: datetime | None = None
) -> KpiTargets:
    """Replace the program's overrides (PUT): what is not given falls back to the seed defaults."""
    program = await repository.program_settings(session, program_id)
    if program is None:
        program = KpiProgram(program_id=program_id)
        session.add(program)
    program.started_on = update.started_on
    program.amber_band = update.amber_band
    program.business_kpi = update.business_kpi
    program.updated_at = now or datetime.now(UTC)
    await session.execute(delete(KpiTarget).where(KpiTarget.program_id == program_id))
    if update.targets:
        await session.execute(
            insert(KpiTarget),
            [{"program_id": program_id, **t.model_dump()} for t in update.targets],
        )
    await session.flush()
    return await get_targets(session, program_id)


# Snapshots.


def _due(last: dict[str, datetime], now: datetime) -> set[str]:
    """KPIs whose frequency has come round since their last scheduled snapshot."""
    return {
        name
        for name, d in domain.CATALOG.items()
        if name not in last or (now - last[name]).days >= domain.FREQUENCY_DAYS[d.frequency]
    }


async def take_snapshot(
    session: AsyncSession,
    scope: Scope,
    *,
    settings: Settings,
    now: datetime | None = None,
    trigger: Literal["scheduled", "on_demand"] = "on_demand",
    only: set[str] | None = None,
) -> KpiSnapshot:
    """Compute, store and announce (`KpiSnapshotTaken`) the scope's KPIs (or `only` those)."""
    now = now or datetime.now(UTC)
    outcomes = [
        o
        for o in await compute(session, scope, now=now, settings=settings)
        if only is None or o.definition.name in only
    ]
    snapshot_id = uuid4()
    session.add(
        SnapshotRow(
            id=snapshot_id, program_id=scope.program_id, cohort=scope.cohort, taken_at=now, trigger=trigger
        )
    )
    await session.flush()
    await session.execute(
        insert(KpiSnapshotValue),
        [
            {
                "snapshot_id": snapshot_id,
                "name": o.definition.name,
                "program_id": scope.program_id,
                "cohort": scope.cohort,
                "taken_at": now,
                "value": o.value,
                "status": o.status,
                "target": o.target,
                "baseline": o.targets.baseline,
                "population": o.population if o.published else None,
            }
            for o in outcomes
        ],
    )
    items = [KpiSnapshotItem(name=o.definition.name, value=o.value, status=o.status) for o in outcomes]
    await emit(
        session,
        KpiSnapshotTaken(
            snapshot_id=snapshot_id,
            program_id=scope.program_id,
            cohort=scope.cohort,
            taken_at=now,
            kpis=[SnapshotKpi(name=i.name, value=i.value, status=i.status) for i in items],
        ),
    )
    return KpiSnapshot(
        id=snapshot_id,
        program_id=scope.program_id,
        cohort=scope.cohort,
        taken_at=now,
        trigger=trigger,
        kpis=items,
    )


async def scheduled_snapshots(session: AsyncSession, *, settings: Settings, now: datetime) -> int:
    """One scheduled snapshot per program (and one for all programs) of the KPIs whose frequency is due."""
    programs = set((await session.scalars(select(MatchFact.program_id).distinct())).all())
    programs |= set((await session.scalars(select(KpiProgram.program_id))).all())
    taken = 0
    for program_id in [None, *sorted(programs)]:
        v, s = KpiSnapshotValue, SnapshotRow
        same = v.program_id == program_id if program_id is not None else v.program_id.is_(None)
        rows = await session.execute(
            select(v.name, v.taken_at)
            .join(s, s.id == v.snapshot_id)
            .where(same, v.cohort.is_(None), s.trigger == "scheduled")
            .distinct(v.name)
            .order_by(v.name, v.taken_at.desc())
        )
        due = _due(dict(rows.tuples().all()), now)
        if due:
            await take_snapshot(
                session, Scope(program_id), settings=settings, now=now, trigger="scheduled", only=due
            )
            taken += 1
    return taken


async def history(
    session: AsyncSession,
    program_id: UUID | None,
    name: str,
    params: PageParams,
    *,
    cohort: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> tuple[list[KpiHistoryPoint], int]:
    """A KPI's snapshots for a program (and cohort), oldest first, in [start, end)."""
    _known(name)
    v = KpiSnapshotValue
    statement = select(v).where(
        v.name == name,
        v.program_id == program_id if program_id is not None else v.program_id.is_(None),
        v.cohort == cohort if cohort is not None else v.cohort.is_(None),
    )
    if start is not None:
        statement = statement.where(v.taken_at >= start)
    if end is not None:
        statement = statement.where(v.taken_at < end)
    rows, total = await fetch_page(session, statement.order_by(v.taken_at, v.snapshot_id), params)
    return [
        KpiHistoryPoint(
            snapshot_id=r.snapshot_id,
            name=r.name,
            program_id=r.program_id,
            cohort=r.cohort,
            taken_at=r.taken_at,
            value=r.value,
            status=r.status,
            target=r.target,
            baseline=r.baseline,
        )
        for r in rows
    ], total
