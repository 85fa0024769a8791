"""GraphQL for marking the session that stands for a checkpoint: the same service call as REST."""

from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from pydantic import BaseModel
from strawberry.types import Info

from tandem_kit.graphql import field, graphql_input, mutation_session, require_scope
from tandem_scheduling import models
from tandem_scheduling.progress import service
from tandem_scheduling.progress.schemas import CheckpointSession


@strawberry.type(
    description="A cadence item due on an engagement: a coaching review or a mentoring milestone."
)
class Checkpoint:
    id: strawberry.ID
    engagement_id: strawberry.ID
    seq: int
    kind: str
    due_at: datetime
    announced_at: datetime | None
    held_at: datetime | None
    session_id: strawberry.ID | None


class CheckpointRef(BaseModel):
    engagement_id: UUID
    checkpoint_id: UUID


def to_graphql(c: models.Checkpoint) -> Checkpoint:
    return Checkpoint(
        id=strawberry.ID(str(c.id)),
        engagement_id=strawberry.ID(str(c.engagement_id)),
        seq=c.seq,
        kind=c.kind,
        due_at=c.due_at,
        announced_at=c.announced_at,
        held_at=c.held_at,
        session_id=strawberry.ID(str(c.session_id)) if c.session_id else None,
    )


@strawberry.type
class ProgressMutation:
    @field(
        description="Mark a session as the checkpoint: once it is recorded attended, the checkpoint is held."
    )
    async def mark_checkpoint_session(
        self,
        info: Info[Any, Any],
        engagement_id: strawberry.ID,
        checkpoint_id: strawberry.ID,
        session_id: strawberry.ID,
    ) -> Checkpoint:
        principal = require_scope(info, "scheduling:write")
        ref = graphql_input(
            CheckpointRef, "input", {"engagement_id": engagement_id, "checkpoint_id": checkpoint_id}
        )
        data = graphql_input(CheckpointSession, "input", {"session_id": session_id})
        async with mutation_session(info) as session:
            found = await service.mark_checkpoint_session(
                session, principal, ref.engagement_id, ref.checkpoint_id, data
            )
        return to_graphql(found)
