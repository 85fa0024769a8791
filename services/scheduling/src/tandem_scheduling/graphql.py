"""The scheduling subgraph (Apollo Federation 2): engagements, sessions, escalations, and
`Match.engagement`."""

import strawberry

from tandem_scheduling.escalation.graphql import Escalation, EscalationMutation, EscalationQuery
from tandem_scheduling.lifecycle.graphql import Engagement, EngagementQuery, Match
from tandem_scheduling.session.graphql import Session


@strawberry.type
class Query(EngagementQuery, EscalationQuery):
    pass


@strawberry.type
class Mutation(EscalationMutation):
    pass


schema = strawberry.federation.Schema(
    query=Query, mutation=Mutation, types=[Engagement, Match, Session, Escalation], federation_version="2.7"
)
