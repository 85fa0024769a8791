import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from tandem_kit.events import outbox_messages
from tandem_kit.testing import TestKeys, sessionmaker_of

from .conftest import URL, charter, create


async def test_anonymous(client: httpx.AsyncClient) -> None:
    resp = await client.get(URL)

    assert resp.status_code == 401


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    cohort = [uuid.uuid4() for _ in range(20)]

    resp = await client.post(URL, json=charter(cohort), headers=keys.headers("analytics:read"))

    assert resp.status_code == 403


async def test_a_cohort_outside_20_to_40_is_refused_naming_the_field(
    client: httpx.AsyncClient, manager: dict[str, str]
) -> None:
    for size in (19, 41):
        resp = await client.post(URL, json=charter([uuid.uuid4() for _ in range(size)]), headers=manager)

        assert resp.status_code == 422
        assert resp.headers["content-type"] == "application/problem+json"
        assert resp.json()["errors"][0]["pointer"] == "#/cohort"


async def test_a_person_twice_in_the_cohort_is_refused(
    client: httpx.AsyncClient, manager: dict[str, str]
) -> None:
    cohort = [uuid.uuid4() for _ in range(19)]

    resp = await client.post(URL, json=charter([*cohort, cohort[0]]), headers=manager)

    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/cohort"


async def test_valid_charter_has_its_timeline(client: httpx.AsyncClient, manager: dict[str, str]) -> None:
    cohort = [uuid.uuid4() for _ in range(20)]

    pilot = await create(client, manager, charter(cohort))

    assert pilot["cohort_size"] == 20
    assert pilot["end_date"] == "2026-06-22"
    assert pilot["linked_kpis"] == [
        {"name": "csat", "better": "higher", "segment_kind": "program", "segment": ""}
    ]
    gates = {g["gate"]: g["due_on"] for g in pilot["timeline"]}
    assert gates["week_2"] == "2026-01-19"
    assert gates["week_12"] == "2026-03-30"
    assert gates["week_24"] == "2026-06-22"
    fetched = await client.get(f"{URL}/{pilot['id']}", headers=manager)
    assert fetched.json() == pilot


async def test_a_member_sees_the_pilot_and_someone_else_does_not(
    client: httpx.AsyncClient, keys: TestKeys, manager: dict[str, str]
) -> None:
    cohort = [uuid.uuid4() for _ in range(20)]
    pilot = await create(client, manager, charter(cohort))
    member = keys.headers("analytics:read", person_id=str(cohort[3]), roles=["participant"])
    stranger = keys.headers("analytics:read", person_id=str(uuid.uuid4()), roles=["participant"])

    assert (await client.get(f"{URL}/{pilot['id']}", headers=member)).status_code == 200
    assert (await client.get(f"{URL}/{pilot['id']}", headers=stranger)).status_code == 404
    listed = await client.get(URL, params={"program_id": pilot["program_id"]}, headers=stranger)
    assert listed.json()["total"] == 0


async def test_list_is_paged(client: httpx.AsyncClient, manager: dict[str, str]) -> None:
    program = str(uuid.uuid4())
    for start in ("2026-01-05", "2026-02-02", "2026-03-02"):
        await create(
            client, manager, charter([uuid.uuid4() for _ in range(20)], program_id=program, start_date=start)
        )

    resp = await client.get(URL, params={"program_id": program, "limit": 2, "offset": 1}, headers=manager)

    body = resp.json()
    assert body["total"] == 3
    assert [p["start_date"] for p in body["items"]] == ["2026-02-02", "2026-01-05"]


async def test_a_gate_is_not_evaluated_before_its_date(
    client: httpx.AsyncClient, manager: dict[str, str]
) -> None:
    pilot = await create(client, manager, charter([uuid.uuid4() for _ in range(20)]))

    resp = await client.post(
        f"{URL}/{pilot['id']}/gates/week_12/evaluate", json={"as_of": "2026-03-29"}, headers=manager
    )

    assert resp.status_code == 409
    assert resp.json()["due_on"] == "2026-03-30"


async def test_an_unknown_gate_is_not_found(client: httpx.AsyncClient, manager: dict[str, str]) -> None:
    pilot = await create(client, manager, charter([uuid.uuid4() for _ in range(20)]))

    resp = await client.post(f"{URL}/{pilot['id']}/gates/week_3/evaluate", json={}, headers=manager)

    assert resp.status_code == 404


async def test_a_participant_may_not_record_a_decision(
    client: httpx.AsyncClient, keys: TestKeys, manager: dict[str, str]
) -> None:
    cohort = [uuid.uuid4() for _ in range(20)]
    pilot = await create(client, manager, charter(cohort))
    member = keys.headers("analytics:write", person_id=str(cohort[0]), roles=["participant"])

    resp = await client.post(
        f"{URL}/{pilot['id']}/decisions",
        json={"gate": "week_12", "decision": "go", "rationale": "on track"},
        headers=member,
    )

    assert resp.status_code == 403


async def test_a_decision_records_who_when_and_why(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys
) -> None:
    person = str(uuid.uuid4())
    manager = keys.headers("analytics:read", "analytics:write", person_id=person, roles=["program_manager"])
    pilot = await create(client, manager, charter([uuid.uuid4() for _ in range(20)]))

    resp = await client.post(
        f"{URL}/{pilot['id']}/decisions",
        json={
            "gate": "week_12",
            "decision": "go_with_mitigations",
            "rationale": "attendance dipped in week 5",
        },
        headers=manager,
    )

    assert resp.status_code == 201, resp.text
    decision = resp.json()
    assert (decision["decided_by"], decision["decision"]) == (person, "go_with_mitigations")
    listed = await client.get(f"{URL}/{pilot['id']}/decisions", headers=manager)
    assert [d["rationale"] for d in listed.json()["items"]] == ["attendance dipped in week 5"]
    async with sessionmaker_of(app)() as session:
        payloads = (
            await session.scalars(
                select(outbox_messages.c.payload).where(
                    outbox_messages.c.subject == "tandem.analytics.PilotDecisionRecorded"
                )
            )
        ).all()
    sent = [p["data"] for p in payloads if p["data"]["decision_id"] == decision["id"]]
    assert sent == [
        {
            "decision_id": decision["id"],
            "pilot_id": pilot["id"],
            "program_id": pilot["program_id"],
            "gate": "week_12",
            "decision": "go_with_mitigations",
            "decided_by": person,
            "decided_at": sent[0]["decided_at"],
        }
    ]
    assert "rationale" not in sent[0]


async def test_a_decision_on_another_gates_evaluation_is_refused(
    client: httpx.AsyncClient, manager: dict[str, str]
) -> None:
    pilot = await create(client, manager, charter([uuid.uuid4() for _ in range(20)]))

    resp = await client.post(
        f"{URL}/{pilot['id']}/decisions",
        json={"gate": "week_12", "decision": "go", "rationale": "x", "evaluation_id": str(uuid.uuid4())},
        headers=manager,
    )

    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/evaluation_id"
