"""The scheduling subgraph (Apollo Federation 2): engagements, sessions, attendance, group sessions,
escalations, SLA policies, and `Match.engagement`; one Query and one Mutation merged from the modules."""

import strawberry

from tandem_scheduling.agreement.graphql import AgreementMutation
from tandem_scheduling.attendance.graphql import AttendanceMutation, AttendanceQuery
from tandem_scheduling.escalation.graphql import Escalation, EscalationMutation, EscalationQuery
from tandem_scheduling.group.graphql import GroupMutation, GroupQuery, GroupSession
from tandem_scheduling.lifecycle.graphql import Engagement, EngagementQuery, Match
from tandem_scheduling.progress.graphql import ProgressMutation
from tandem_scheduling.session.graphql import Session, SessionMutation
from tandem_scheduling.sla.graphql import SlaMutation, SlaQuery


@strawberry.type
class Query(EngagementQuery, AttendanceQuery, GroupQuery, EscalationQuery, SlaQuery):
    pass


@strawberry.type
class Mutation(
    SessionMutation,
    AgreementMutation,
    AttendanceMutation,
    GroupMutation,
    EscalationMutation,
    SlaMutation,
    ProgressMutation,
):
    pass


schema = strawberry.federation.Schema(
    query=Query,
    mutation=Mutation,
    types=[Engagement, Escalation, GroupSession, Match, Session],
    federation_version="2.7",
)
