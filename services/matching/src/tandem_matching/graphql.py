"""The matching subgraph (Apollo Federation 2): Program, Proposal, Match and Provider entities.

Each module declares its types, queries and mutations in its `graphql.py`; this root only merges
`Query` and `Mutation`. Every object read goes through the same readable statements as REST, and every
mutation calls the same service function as its REST route.
"""

import strawberry

from tandem_matching.cohort.graphql import CohortMutation
from tandem_matching.handoff.graphql import HandoffMutation, HandoffQuery
from tandem_matching.intake.graphql import IntakeMutation
from tandem_matching.match.graphql import Match, MatchMutation, MatchQuery, Person, Program, ProgramMutation
from tandem_matching.proposal.graphql import Proposal, ProposalQuery
from tandem_matching.provider.graphql import Provider, ProviderMutation, ProviderQuery
from tandem_matching.review.graphql import ReviewMutation
from tandem_matching.sponsor.graphql import SponsorMutation


@strawberry.type
class Query(MatchQuery, ProposalQuery, ProviderQuery, HandoffQuery):
    pass


@strawberry.type
class Mutation(
    ProgramMutation,
    ProviderMutation,
    IntakeMutation,
    ReviewMutation,
    MatchMutation,
    CohortMutation,
    SponsorMutation,
    HandoffMutation,
):
    pass


schema = strawberry.federation.Schema(
    query=Query,
    mutation=Mutation,
    types=[Person, Program, Provider, Proposal, Match],
    federation_version="2.7",
)
