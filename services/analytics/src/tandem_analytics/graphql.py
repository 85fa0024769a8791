"""The analytics subgraph (Apollo Federation 2): one Query merged from the modules' query types."""

import strawberry

from tandem_analytics.business_kpi.graphql import BusinessKpiMutation, BusinessKpiQuery
from tandem_analytics.kpi.graphql import KpiMutation, KpiQuery, KpiSnapshot, KpiValue


@strawberry.type
class Query(KpiQuery, BusinessKpiQuery):
    pass


@strawberry.type
class Mutation(BusinessKpiMutation, KpiMutation):
    pass


schema = strawberry.federation.Schema(
    query=Query, mutation=Mutation, types=[KpiValue, KpiSnapshot], federation_version="2.7"
)
