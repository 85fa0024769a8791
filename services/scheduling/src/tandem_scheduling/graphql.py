"""The scheduling subgraph (Apollo Federation 2): one Query and one Mutation merged from the modules."""

import strawberry

from tandem_scheduling.agreement.graphql import AgreementMutation
from tandem_scheduling.attendance.graphql import AttendanceMutation, AttendanceQuery
from tandem_scheduling.group.graphql import GroupMutation, GroupQuery, GroupSession
from tandem_scheduling.lifecycle.graphql import Engagement, EngagementQuery, Match
from tandem_scheduling.session.graphql import Session, SessionMutation


@strawberry.type
class Query(EngagementQuery, AttendanceQuery, GroupQuery):
    pass


@strawberry.type
class Mutation(SessionMutation, AgreementMutation, AttendanceMutation, GroupMutation):
    pass


schema = strawberry.federation.Schema(
    query=Query, mutation=Mutation, types=[Engagement, GroupSession, Match, Session], federation_version="2.7"
)
