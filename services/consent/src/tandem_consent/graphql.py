"""The consent subgraph (Apollo Federation 2): one Query merged from the modules' query types."""

import strawberry

from tandem_consent.purpose.graphql import PurposeQuery


@strawberry.type
class Query(PurposeQuery):
    pass


schema = strawberry.federation.Schema(query=Query, federation_version="2.7")
