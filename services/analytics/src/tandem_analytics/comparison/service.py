"""The matched comparison of participants and non-participants, and the program's complexity bands."""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.comparison import domain, repository, schemas
from tandem_kit.auth import Principal
from tandem_kit.errors import Unprocessable
from tandem_kit.pagination import PageParams, fetch_page

COVARIATES = ["role_level", "department", "tenure_band", "complexity_band"]


class InvalidWindow(Unprocessable):
    code, title = "invalid-comparison", "Invalid comparison"


def _people(n: int, k: int) -> int | None:
    """A count of people is shown from k on (0 says nothing about anyone)."""
    return n if n == 0 or n >= k else None


def promotion_effect(rows: Sequence[Any], since: date, k: int) -> schemas.PromotionComparison:
    units = [
        domain.Unit(
            treated=joined_at is not None,
            stratum=(
                rank if rank is not None else level,
                department,
                domain.tenure_band(hire_date, since),
                band or domain.UNRATED,
            ),
            outcome=1.0 if promoted else 0.0,
        )
        for level, rank, department, hire_date, band, joined_at, promoted in rows
    ]
    matched = domain.coarsened_exact_match(units)
    participants = sum(1 for u in units if u.treated)
    shown = matched.treated >= k and matched.controls >= k
    status = (
        "ok"
        if shown
        else "insufficient_data"
        if not matched.treated or not matched.controls
        else "suppressed"
    )
    estimate = matched.estimate if shown else None
    return schemas.PromotionComparison(
        participants=_people(participants, k),
        comparison_pool=_people(len(units) - participants, k),
        matched_participants=_people(matched.treated, k),
        matched_comparisons=_people(matched.controls, k),
        strata=matched.strata,
        participant_value=matched.treated_mean if shown else None,
        comparison_value=matched.control_mean if shown else None,
        effect=estimate.effect if estimate else None,
        ci_low=estimate.low if estimate else None,
        ci_high=estimate.high if estimate else None,
        status=status,
    )


async def compare(
    session: AsyncSession,
    program_id: UUID,
    ask: schemas.ComparisonAsk,
    *,
    k: int,
    now: datetime | None = None,
) -> schemas.Comparison:
    """Participants of the program against matched non-participants over [since, until)."""
    since, until, kpi = ask.since, ask.until, ask.kpi
    if until <= since:
        raise InvalidWindow(
            "until must be after since.",
            errors=[{"detail": "after since", "code": "invalid", "pointer": "#/until"}],
        )
    rows = await repository.population(session, program_id, since, until, now or datetime.now(UTC))
    promotion = promotion_effect(rows, since, k)
    business = await kpi_effect(session, program_id, kpi) if kpi is not None else None
    return schemas.Comparison(
        program_id=program_id,
        since=since,
        until=until,
        method="coarsened_exact_matching",
        covariates=COVARIATES,
        k=k,
        promotion=promotion,
        business_kpi=business,
    )


async def kpi_effect(session: AsyncSession, program_id: UUID, ask: schemas.KpiAsk) -> schemas.KpiComparison:
    periods = (ask.baseline_period, ask.follow_up_period)
    values: dict[str, dict[str, float]] = {}
    for segment, period, value in await repository.kpi_values(
        session, program_id, ask.name, ask.segment_kind, periods
    ):
        values.setdefault(segment, {})[period] = value
    changes = {s: v[ask.follow_up_period] - v[ask.baseline_period] for s, v in values.items() if len(v) == 2}
    found = domain.segment_difference(changes, set(ask.participant_segments))
    estimate = found.estimate
    status = "ok" if estimate else "insufficient_data"
    return schemas.KpiComparison(
        name=ask.name,
        segment_kind=ask.segment_kind,
        baseline_period=ask.baseline_period,
        follow_up_period=ask.follow_up_period,
        participant_segments=found.treated_segments,
        comparison_segments=found.comparison_segments,
        participant_value=found.treated_change,
        comparison_value=found.comparison_change,
        effect=estimate.effect if estimate else None,
        ci_low=estimate.low if estimate else None,
        ci_high=estimate.high if estimate else None,
        status=status,
    )


async def set_bands(
    session: AsyncSession, program_id: UUID, data: schemas.ComplexityBandsPut
) -> schemas.BandsUpdated:
    updated = await repository.set_bands(session, program_id, [(b.person_id, b.band) for b in data.bands])
    return schemas.BandsUpdated(updated=updated)


async def list_bands(
    session: AsyncSession, principal: Principal, program_id: UUID, params: PageParams
) -> tuple[list[schemas.ComplexityBand], int]:
    rows, total = await fetch_page(session, repository.bands_statement(principal, program_id), params)
    return [schemas.ComplexityBand(person_id=r.person_id, band=r.band) for r in rows], total
