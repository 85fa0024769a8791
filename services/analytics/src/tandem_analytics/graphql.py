"""The analytics subgraph (Apollo Federation 2): one Query merged from the modules' query types."""

import strawberry

from tandem_analytics.business_kpi.graphql import BusinessKpiMutation, BusinessKpiQuery
from tandem_analytics.kpi.graphql import KpiQuery, KpiValue


@strawberry.type
class Query(KpiQuery, BusinessKpiQuery):
    pass


@strawberry.type
class Mutation(BusinessKpiMutation):
    pass


schema = strawberry.federation.Schema(
    query=Query, mutation=Mutation, types=[KpiValue], federation_version="2.7"
)
