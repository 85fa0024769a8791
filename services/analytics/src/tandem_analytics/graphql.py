"""The analytics subgraph (Apollo Federation 2): one Query merged from the modules' query types."""

import strawberry

from tandem_analytics.kpi.graphql import KpiQuery, KpiValue


@strawberry.type
class Query(KpiQuery):
    pass


schema = strawberry.federation.Schema(query=Query, types=[KpiValue], federation_version="2.7")
