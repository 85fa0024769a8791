"""Program reads for the subgraph: the weights type and the per-request loaders the entity uses.

The `Program` entity itself is declared in `match.graphql`: its list edge is a program's matches, and
the match module sits above the program module."""

from collections.abc import Sequence
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_matching import models
from tandem_matching.program import repository


@strawberry.type
class WeightSet:
    version: int
    technical_skills: int
    behavioural_goals: int
    sponsorship_history: int
    availability_overlap: int
    past_success: int


def weights_to_graphql(w: models.WeightSetVersion) -> WeightSet:
    return WeightSet(version=w.version, **w.weights)


async def load_programs(
    session: AsyncSession, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, models.Program]:
    return {p.id: p for p in await repository.get_programs(session, ids)}


async def load_weights(
    session: AsyncSession, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, models.WeightSetVersion]:
    return {w.program_id: w for w in await repository.current_weights_many(session, ids)}
