import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tandem_kit.testing import TestKeys, recorded_statements

MATCH_ENGAGEMENT = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Match { id engagement { id matchId cadence sessions { id kind startsAt } } }
  }
}
"""


async def gql(
    client: httpx.AsyncClient, headers: dict[str, str], query: str, **variables: Any
) -> dict[str, Any]:
    resp = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        "/graphql", json={"query": "{ engagements { total } }"}, headers=keys.headers("x:read")
    )
    assert resp.status_code == 403


async def test_match_engagement_with_sessions_batched(
    client: httpx.AsyncClient,
    keys: TestKeys,
    make_engagement: Any,
    monday: datetime,
    app: FastAPI,
) -> None:
    engagements = [await make_engagement() for _ in range(3)]
    booked = await client.post(
        f"/api/v1/scheduling/engagements/{engagements[0].id}/sessions",
        json={"starts_at": monday.isoformat(), "kind": "kickoff"},
        headers=keys.headers("scheduling:write"),
    )
    assert booked.status_code == 201
    unknown = str(uuid.uuid4())
    with recorded_statements(app) as statements:
        body = await gql(
            client,
            keys.headers("scheduling:read"),
            MATCH_ENGAGEMENT,
            representations=[{"__typename": "Match", "id": str(e.match_id)} for e in engagements]
            + [{"__typename": "Match", "id": unknown}],
        )
    entities = body["data"]["_entities"]
    assert [m["id"] for m in entities] == [*(str(e.match_id) for e in engagements), unknown]
    assert [m["engagement"]["id"] if m["engagement"] else None for m in entities] == [
        *(str(e.id) for e in engagements),
        None,
    ]
    first = entities[0]["engagement"]
    assert (first["matchId"], first["cadence"]) == (str(engagements[0].match_id), "weekly")
    assert [(s["id"], s["kind"]) for s in first["sessions"]] == [(booked.json()["id"], "kickoff")]
    assert entities[1]["engagement"]["sessions"] == []
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # One query for the engagements of all matches, one for the sessions of all engagements.
    assert len(selects) == 2


async def test_engagement_and_session_entities(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    booked = await client.post(
        f"/api/v1/scheduling/engagements/{engagement.id}/sessions",
        json={"starts_at": monday.isoformat()},
        headers=keys.headers("scheduling:write"),
    )
    query = """
    query ($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on Engagement { id providerKind }
        ... on Session { id engagementId endsAt }
      }
    }
    """
    body = await gql(
        client,
        keys.headers("scheduling:read"),
        query,
        representations=[
            {"__typename": "Engagement", "id": str(engagement.id)},
            {"__typename": "Session", "id": booked.json()["id"]},
        ],
    )
    assert body["data"]["_entities"] == [
        {"id": str(engagement.id), "providerKind": "coach"},
        {
            "id": booked.json()["id"],
            "engagementId": str(engagement.id),
            "endsAt": booked.json()["ends_at"].replace("Z", "+00:00"),
        },
    ]


async def test_queries_respect_who_may_see(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    mine = await make_engagement()
    theirs = await make_engagement()
    person = keys.headers("scheduling:read", person_id=str(mine.participant_id), roles=["participant"])
    query = """
    query ($mine: ID!, $theirs: ID!, $me: ID!) {
      mine: engagement(id: $mine) { id }
      theirs: engagement(id: $theirs) { id }
      engagements(participantId: $me) { items { id participantId } total limit offset }
    }
    """
    body = await gql(
        client, person, query, mine=str(mine.id), theirs=str(theirs.id), me=str(mine.participant_id)
    )
    assert body["data"] == {
        "mine": {"id": str(mine.id)},
        "theirs": None,
        "engagements": {
            "items": [{"id": str(mine.id), "participantId": str(mine.participant_id)}],
            "total": 1,
            "limit": 100,
            "offset": 0,
        },
    }


async def test_other_persons_match_has_no_engagement(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    engagement = await make_engagement()
    stranger = keys.headers("scheduling:read", person_id=str(uuid.uuid4()))
    body = await gql(
        client,
        stranger,
        MATCH_ENGAGEMENT,
        representations=[{"__typename": "Match", "id": str(engagement.match_id)}],
    )
    assert body["data"]["_entities"] == [{"id": str(engagement.match_id), "engagement": None}]


@pytest.mark.parametrize("limit", [0, 501])
async def test_engagements_limit_out_of_range_is_an_error(
    client: httpx.AsyncClient, keys: TestKeys, limit: int
) -> None:
    body = await gql(
        client,
        keys.headers("scheduling:read"),
        "query ($n: Int!) { engagements(limit: $n) { total } }",
        n=limit,
    )
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["path"] == ["engagements"]
    assert error["extensions"]["status"] == 422
    assert error["extensions"]["errors"][0]["parameter"] == "limit"
