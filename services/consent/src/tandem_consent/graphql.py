"""The consent subgraph (Apollo Federation 2): one Query and one Mutation merged from the modules."""

import strawberry

from tandem_consent.inventory.graphql import InventoryQuery
from tandem_consent.ledger.graphql import ConsentState, LedgerMutation, LedgerQuery, Person
from tandem_consent.purpose.graphql import PurposeQuery
from tandem_consent.request.graphql import RequestMutation


@strawberry.type
class Query(PurposeQuery, InventoryQuery, LedgerQuery):
    pass


@strawberry.type
class Mutation(LedgerMutation, RequestMutation):
    pass


schema = strawberry.federation.Schema(
    query=Query, mutation=Mutation, types=[Person, ConsentState], federation_version="2.7"
)
