"""The matching subgraph (Apollo Federation 2): Program, Proposal, Match and Provider entities.

Each module declares its types and queries in its `graphql.py`; this root only merges `Query`. Every
list goes through a DataLoader cached per request, and every object read goes through the same
readable statements as REST.
"""

import strawberry

from tandem_matching.handoff.graphql import HandoffMutation, HandoffQuery
from tandem_matching.match.graphql import Match, MatchQuery, Person, Program
from tandem_matching.proposal.graphql import Proposal, ProposalQuery
from tandem_matching.provider.graphql import Provider, ProviderQuery
from tandem_matching.sponsor.graphql import SponsorMutation


@strawberry.type
class Query(MatchQuery, ProposalQuery, ProviderQuery, HandoffQuery):
    pass


@strawberry.type
class Mutation(SponsorMutation, HandoffMutation):
    pass


schema = strawberry.federation.Schema(
    query=Query,
    mutation=Mutation,
    types=[Person, Program, Provider, Proposal, Match],
    federation_version="2.7",
)
