"""The analytics subgraph (Apollo Federation 2): one Query and one Mutation merged from the modules."""

import strawberry

from tandem_analytics.business_kpi.graphql import BusinessKpiMutation, BusinessKpiQuery
from tandem_analytics.comparison.graphql import ComparisonMutation, ComparisonQuery
from tandem_analytics.kpi.graphql import KpiMutation, KpiQuery, KpiSnapshot, KpiValue
from tandem_analytics.pilot.graphql import GateEvaluation, Pilot, PilotMutation, PilotQuery


@strawberry.type
class Query(KpiQuery, BusinessKpiQuery, PilotQuery, ComparisonQuery):
    pass


@strawberry.type
class Mutation(BusinessKpiMutation, KpiMutation, PilotMutation, ComparisonMutation):
    pass


schema = strawberry.federation.Schema(
    query=Query,
    mutation=Mutation,
    types=[KpiValue, KpiSnapshot, Pilot, GateEvaluation],
    federation_version="2.7",
)
