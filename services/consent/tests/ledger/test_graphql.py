import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI

from tandem_kit.testing import TestKeys, recorded_statements

Decide = Callable[..., Awaitable[httpx.Response]]
AsPerson = Callable[..., dict[str, str]]

ENTITIES = """
query ($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on Person { id consents { id purpose granted noticeVersion fields } }
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


async def test_anonymous(client: httpx.AsyncClient) -> None:
    resp = await client.post("/graphql", json={"query": "{ purposes { key } }"})
    assert resp.status_code == 401


async def test_person_entity_lists_consents(client: httpx.AsyncClient, grant: Decide, keys: TestKeys) -> None:
    person = uuid.uuid4()
    await grant(person, fields=["skills"])
    body = await gql(
        client, keys.headers("consent:read"), ENTITIES, reps=[{"__typename": "Person", "id": str(person)}]
    )
    consents = body["data"]["_entities"][0]["consents"]
    by_purpose = {c["purpose"]: c for c in consents}
    assert len(consents) == 7  # every seeded purpose, granted or not
    assert by_purpose["matching"] == {
        "id": f"{person}/matching",
        "purpose": "matching",
        "granted": True,
        "noticeVersion": 1,
        "fields": ["skills"],
    }
    assert by_purpose["analytics"]["granted"] is False


async def test_many_people_take_the_same_queries_as_one(
    client: httpx.AsyncClient, keys: TestKeys, app: FastAPI
) -> None:
    headers = keys.headers("consent:read")
    with recorded_statements(app) as one:
        await gql(client, headers, ENTITIES, reps=[{"__typename": "Person", "id": str(uuid.uuid4())}])
    assert len(one) > 0
    reps = [{"__typename": "Person", "id": str(uuid.uuid4())} for _ in range(25)]
    with recorded_statements(app) as many:
        body = await gql(client, headers, ENTITIES, reps=reps)
    assert len(body["data"]["_entities"]) == 25
    assert len(many) == len(one)


async def test_other_persons_consents_are_hidden(
    client: httpx.AsyncClient, grant: Decide, as_person: AsPerson
) -> None:
    other = uuid.uuid4()
    await grant(other)
    body = await gql(
        client, as_person(uuid.uuid4()), ENTITIES, reps=[{"__typename": "Person", "id": str(other)}]
    )
    assert body["data"]["_entities"][0]["consents"] == []


async def test_consent_state_entity(client: httpx.AsyncClient, grant: Decide, keys: TestKeys) -> None:
    person = uuid.uuid4()
    await grant(person, "analytics")
    query = "query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on ConsentState { purpose granted } } }"
    reps = [
        {"__typename": "ConsentState", "id": f"{person}/analytics"},
        {"__typename": "ConsentState", "id": f"{person}/astrology"},
        {"__typename": "ConsentState", "id": "not-a-person/analytics"},
    ]
    body = await gql(client, keys.headers("consent:read"), query, reps=reps)
    assert body["data"]["_entities"] == [{"purpose": "analytics", "granted": True}, None, None]


async def test_purpose_entity(client: httpx.AsyncClient, keys: TestKeys) -> None:
    headers = keys.headers("consent:read")
    purposes = (await gql(client, headers, "{ purposes { id key } }"))["data"]["purposes"]
    matching = next(p for p in purposes if p["key"] == "matching")
    query = "query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Purpose { key fields notices { version } } } }"
    body = await gql(client, headers, query, reps=[{"__typename": "Purpose", "id": matching["id"]}])
    entity = body["data"]["_entities"][0]
    assert (entity["key"], entity["notices"]) == ("matching", [{"version": 1}])
    assert "skills" in entity["fields"]


async def test_grant_mutation(client: httpx.AsyncClient, as_person: AsPerson) -> None:
    me = uuid.uuid4()
    mutation = """
    mutation ($me: UUID!) {
      grantConsent(personId: $me, purpose: "vendor_sharing", noticeVersion: 1, fields: ["timezone"]) {
        granted fields sequence
      }
    }
    """
    body = await gql(client, as_person(me), mutation, me=str(me))
    assert body["data"]["grantConsent"] == {"granted": True, "fields": ["timezone"], "sequence": 1}
    withdraw = 'mutation ($me: UUID!) { withdrawConsent(personId: $me, purpose: "vendor_sharing") { granted sequence } }'
    body = await gql(client, as_person(me), withdraw, me=str(me))
    assert body["data"]["withdrawConsent"] == {"granted": False, "sequence": 2}


async def test_mutation_needs_write_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    mutation = 'mutation ($id: UUID!) { withdrawConsent(personId: $id, purpose: "matching") { granted } }'
    body = await gql(client, keys.headers("consent:read"), mutation, id=str(uuid.uuid4()))
    assert body["data"] is None
    assert "consent:write" in body["errors"][0]["message"]


async def test_person_consents_query_hides_others(client: httpx.AsyncClient, as_person: AsPerson) -> None:
    me = uuid.uuid4()
    query = "query ($id: UUID!) { personConsents(personId: $id) { purpose } }"
    own = await gql(client, as_person(me), query, id=str(me))
    assert len(own["data"]["personConsents"]) == 7
    other = await gql(client, as_person(me), query, id=str(uuid.uuid4()))
    assert other["data"] is None
    assert "No person" in other["errors"][0]["message"]


async def test_data_fields_query(client: httpx.AsyncClient, keys: TestKeys) -> None:
    body = await gql(client, keys.headers("consent:read"), "{ dataFields { key sensitivity } }")
    fields = {f["key"]: f["sensitivity"] for f in body["data"]["dataFields"]}
    assert fields["session_notes"] == "confidential"
