"""The scheduling subgraph (Apollo Federation 2): engagements, sessions, and `Match.engagement`."""

import strawberry

from tandem_scheduling.lifecycle.graphql import Engagement, EngagementQuery, Match
from tandem_scheduling.session.graphql import Session


@strawberry.type
class Query(EngagementQuery):
    pass


schema = strawberry.federation.Schema(
    query=Query, types=[Engagement, Match, Session], federation_version="2.7"
)
