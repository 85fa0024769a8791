"""The scheduling subgraph (Apollo Federation 2): engagements, sessions, and `Match.engagement`."""

import strawberry

from tandem_scheduling.group.graphql import GroupMutation, GroupQuery, GroupSession
from tandem_scheduling.lifecycle.graphql import Engagement, EngagementQuery, Match
from tandem_scheduling.session.graphql import Session


@strawberry.type
class Query(EngagementQuery, GroupQuery):
    pass


@strawberry.type
class Mutation(GroupMutation):
    pass


schema = strawberry.federation.Schema(
    query=Query, mutation=Mutation, types=[Engagement, GroupSession, Match, Session], federation_version="2.7"
)
