"""The gateway's own subgraph (Apollo Federation 2), composed into `/graphql` with the services': what
the gateway owns that front ends act on (calendar connections). Served at `/graphql/gateway`."""

import strawberry

from tandem_gateway.connections.graphql import ConnectionsMutation, ConnectionsQuery, Person


@strawberry.type
class Query(ConnectionsQuery):
    pass


@strawberry.type
class Mutation(ConnectionsMutation):
    pass


schema = strawberry.federation.Schema(
    query=Query, mutation=Mutation, types=[Person], federation_version="2.7"
)
