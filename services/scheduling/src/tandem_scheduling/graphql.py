"""The scheduling subgraph (Apollo Federation 2): engagements, sessions, escalations, and
`Match.engagement`."""

import strawberry

from tandem_scheduling.escalation.graphql import Escalation, EscalationMutation, EscalationQuery
from tandem_scheduling.lifecycle.graphql import Engagement, EngagementQuery, Match
from tandem_scheduling.progress.graphql import ProgressMutation
from tandem_scheduling.session.graphql import Session
from tandem_scheduling.sla.graphql import SlaMutation, SlaQuery


@strawberry.type
class Query(EngagementQuery, EscalationQuery, SlaQuery):
    pass


@strawberry.type
class Mutation(EscalationMutation, SlaMutation, ProgressMutation):
    pass


schema = strawberry.federation.Schema(
    query=Query, mutation=Mutation, types=[Engagement, Match, Session, Escalation], federation_version="2.7"
)
