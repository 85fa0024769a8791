import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from tandem_consent.models import DataSubjectRequest
from tandem_kit.testing import TestKeys, sessionmaker_of

URL = "/api/v1/consent/data-subject-requests"
OTHERS = ["matching", "scheduling", "analytics", "gateway"]
Decide = Callable[..., Awaitable[httpx.Response]]
AsPerson = Callable[..., dict[str, str]]
Outbox = Callable[..., Awaitable[list[dict[str, Any]]]]


def machine(keys: TestKeys, client_id: str = "matching") -> dict[str, str]:
    return keys.headers(
        "consent:read", "consent:write", "consent:receipt", sub=client_id, client_name=client_id
    )


async def open_request(
    client: httpx.AsyncClient, headers: dict[str, str], person: uuid.UUID, kind: str
) -> httpx.Response:
    return await client.post(URL, json={"person_id": str(person), "kind": kind}, headers=headers)


async def answer(
    client: httpx.AsyncClient, keys: TestKeys, request_id: str, service: str, **body: Any
) -> httpx.Response:
    payload = {"service": service, "outcome": "nothing_held", "records": 0, **body}
    return await client.post(f"{URL}/{request_id}/receipts", json=payload, headers=machine(keys, service))


async def test_anonymous(client: httpx.AsyncClient) -> None:
    assert (await client.get(URL)).status_code == 401


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await open_request(client, keys.headers("consent:read"), uuid.uuid4(), "access")
    assert resp.status_code == 403


async def test_person_opens_own_access_request(
    client: httpx.AsyncClient, grant: Decide, as_person: AsPerson, outbox: Outbox
) -> None:
    me = uuid.uuid4()
    await grant(me, headers=as_person(me))
    resp = await open_request(client, as_person(me), me, "access")
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert (body["status"], body["missing_services"], body["overdue"]) == ("open", OTHERS, False)
    assert [(r["service"], r["outcome"], r["records"]) for r in body["receipts"]] == [
        ("consent", "completed", 2)
    ]
    due = datetime.fromisoformat(body["due_at"]) - datetime.fromisoformat(body["created_at"])
    assert due == timedelta(days=30)
    events = await outbox("DataSubjectRequestOpened", request_id=body["id"])
    assert [(e["kind"], e["services"]) for e in events] == [("access", ["consent", *OTHERS])]


async def test_repeated_request_joins_the_open_one(client: httpx.AsyncClient, as_person: AsPerson) -> None:
    me = uuid.uuid4()
    first = await open_request(client, as_person(me), me, "erasure")
    again = await open_request(client, as_person(me), me, "erasure")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]


async def test_person_cannot_open_for_someone_else(client: httpx.AsyncClient, as_person: AsPerson) -> None:
    resp = await open_request(client, as_person(uuid.uuid4()), uuid.uuid4(), "access")
    assert resp.status_code == 404
    assert resp.json()["pointer"] == "#/person_id"


async def test_other_persons_request_not_found(
    client: httpx.AsyncClient, keys: TestKeys, as_person: AsPerson
) -> None:
    opened = await open_request(client, machine(keys, "hris"), uuid.uuid4(), "access")
    resp = await client.get(f"{URL}/{opened.json()['id']}", headers=as_person(uuid.uuid4()))
    assert resp.status_code == 404


async def test_erasure_withdraws_consents_and_scrubs_evidence(
    client: httpx.AsyncClient, grant: Decide, keys: TestKeys, outbox: Outbox
) -> None:
    person = uuid.uuid4()
    await grant(person, "matching", evidence={"ip": "10.1.2.3"}, evidence_reference="form-77")
    await grant(person, "analytics")
    manager = keys.headers(
        "consent:read", "consent:write", sub="pm-1", person_id=str(uuid.uuid4()), roles=["program_manager"]
    )
    resp = await open_request(client, manager, person, "erasure")
    assert resp.status_code == 201
    receipt = resp.json()["receipts"][0]
    assert (receipt["service"], receipt["outcome"], receipt["records"]) == ("consent", "completed", 4)
    assert receipt["detail"].startswith("Withdrew 2 consent(s)")
    check = await client.post(
        "/api/v1/consent/checks",
        json={"person_ids": [str(person)], "purpose": "matching"},
        headers=keys.headers("consent:read"),
    )
    assert check.json()["results"][0]["granted"] is False
    ledger = await client.get(
        f"/api/v1/consent/people/{person}/consent-records", headers=keys.headers("consent:read")
    )
    records = ledger.json()["items"]
    assert [(r["action"], r["method"]) for r in records[-2:]] == [("withdrawn", "erasure_request")] * 2
    assert all(r["evidence"] == {} and r["evidence_reference"] is None for r in records)
    assert sorted(e["purpose"] for e in await outbox("ConsentWithdrawn", person_id=str(person))) == [
        "analytics",
        "matching",
    ]


async def test_receipts_complete_the_request(
    client: httpx.AsyncClient, keys: TestKeys, outbox: Outbox
) -> None:
    opened = (await open_request(client, machine(keys, "hris"), uuid.uuid4(), "erasure")).json()
    for service in OTHERS[:-1]:
        resp = await answer(
            client, keys, opened["id"], service, outcome="completed", records=3, detail="Deleted."
        )
        assert resp.status_code == 201, resp.text
        assert resp.json()["status"] == "open"
    last = await answer(client, keys, opened["id"], OTHERS[-1])
    body = last.json()
    assert (body["status"], body["missing_services"]) == ("completed", [])
    assert body["completed_at"] is not None
    assert [r["service"] for r in body["receipts"]] == sorted(["consent", *OTHERS])
    events = await outbox("DataSubjectRequestCompleted", request_id=opened["id"])
    assert [e["kind"] for e in events] == ["erasure"]


async def test_identical_receipt_is_accepted_once(client: httpx.AsyncClient, keys: TestKeys) -> None:
    opened = (await open_request(client, machine(keys, "hris"), uuid.uuid4(), "erasure")).json()
    first = await answer(client, keys, opened["id"], "matching", outcome="completed", records=2)
    again = await answer(client, keys, opened["id"], "matching", outcome="completed", records=2)
    different = await answer(client, keys, opened["id"], "matching", outcome="completed", records=5)
    assert (first.status_code, again.status_code, different.status_code) == (201, 200, 409)
    assert len(again.json()["receipts"]) == 2


async def test_unexpected_service_names_field(client: httpx.AsyncClient, keys: TestKeys) -> None:
    opened = (await open_request(client, machine(keys, "hris"), uuid.uuid4(), "erasure")).json()
    resp = await answer(client, keys, opened["id"], "billing")
    assert resp.status_code == 422
    assert resp.json()["pointer"] == "#/service"


async def test_erasure_receipt_must_not_carry_data(client: httpx.AsyncClient, keys: TestKeys) -> None:
    opened = (await open_request(client, machine(keys, "hris"), uuid.uuid4(), "erasure")).json()
    resp = await answer(
        client, keys, opened["id"], "scheduling", outcome="completed", records=1, export={"notes": ["x"]}
    )
    assert resp.status_code == 422
    assert resp.json()["pointer"] == "#/export"


async def test_receipt_from_a_person_forbidden(client: httpx.AsyncClient, as_person: AsPerson) -> None:
    me = uuid.uuid4()
    opened = (await open_request(client, as_person(me), me, "erasure")).json()
    resp = await client.post(
        f"{URL}/{opened['id']}/receipts",
        json={"service": "matching", "outcome": "nothing_held", "records": 0},
        headers=as_person(me),
    )
    assert resp.status_code == 403


async def test_receipt_only_from_the_services_own_client(client: httpx.AsyncClient, keys: TestKeys) -> None:
    opened = (await open_request(client, machine(keys, "hris"), uuid.uuid4(), "erasure")).json()
    body = {"service": "analytics", "outcome": "completed", "records": 3}
    url = f"{URL}/{opened['id']}/receipts"
    forged = await client.post(url, json=body, headers=machine(keys, "hris"))
    unnamed = await client.post(url, json=body, headers=keys.headers("consent:receipt", sub="tc_123"))
    assert (forged.status_code, unnamed.status_code) == (403, 403)
    assert forged.json()["pointer"] == "#/service"
    assert "'analytics'" in forged.json()["detail"]
    state = (await client.get(f"{URL}/{opened['id']}", headers=machine(keys, "hris"))).json()
    assert "analytics" in state["missing_services"]
    own = await client.post(url, json=body, headers=machine(keys, "analytics"))
    assert own.status_code == 201


async def test_receipt_scope_is_needed_and_is_all_it_opens(
    client: httpx.AsyncClient, keys: TestKeys, grant: Decide
) -> None:
    """A service's own client holds consent:receipt only: it cannot grant consent or open requests,
    and consent:write (a front end's scope) cannot post a service's receipt."""
    service = keys.headers("consent:receipt", sub="analytics", client_name="analytics")
    person = uuid.uuid4()
    opened = (await open_request(client, machine(keys, "hris"), person, "erasure")).json()
    by_writer = await client.post(
        f"{URL}/{opened['id']}/receipts",
        json={"service": "analytics", "outcome": "completed", "records": 3},
        headers=keys.headers("consent:write", sub="analytics", client_name="analytics"),
    )
    granted = await grant(person, headers=service)
    another = await open_request(client, service, uuid.uuid4(), "erasure")
    assert (by_writer.status_code, granted.status_code, another.status_code) == (403, 403, 403)
    assert by_writer.json()["missing_scopes"] == ["consent:receipt"]
    assert granted.json()["missing_scopes"] == ["consent:write"]


async def test_access_export_gathers_every_service(
    client: httpx.AsyncClient, grant: Decide, keys: TestKeys, as_person: AsPerson
) -> None:
    me = uuid.uuid4()
    await grant(me, "vendor_sharing", headers=as_person(me))
    opened = (await open_request(client, as_person(me), me, "access")).json()
    resp = await answer(
        client,
        keys,
        opened["id"],
        "scheduling",
        outcome="completed",
        records=1,
        export={"sessions": [{"id": "s1"}]},
    )
    assert resp.status_code == 201
    export = (await client.get(f"{URL}/{opened['id']}/export", headers=as_person(me))).json()
    assert (export["complete"], export["missing_services"]) == (False, ["matching", "analytics", "gateway"])
    assert export["services"]["scheduling"] == {"sessions": [{"id": "s1"}]}
    consent = export["services"]["consent"]
    assert [c["purpose"] for c in consent["consents"]] == ["vendor_sharing"]
    assert [r["action"] for r in consent["records"]] == ["granted"]


async def test_erasure_has_no_export(client: httpx.AsyncClient, keys: TestKeys) -> None:
    opened = (await open_request(client, machine(keys, "hris"), uuid.uuid4(), "erasure")).json()
    resp = await client.get(f"{URL}/{opened['id']}/export", headers=keys.headers("consent:read"))
    assert resp.status_code == 409


async def test_list_filters_and_hides_others(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, as_person: AsPerson
) -> None:
    me, other = uuid.uuid4(), uuid.uuid4()
    mine = (await open_request(client, as_person(me), me, "access")).json()
    theirs = (await open_request(client, machine(keys, "hris"), other, "erasure")).json()
    async with sessionmaker_of(app)() as session:
        await session.execute(
            update(DataSubjectRequest)
            .where(DataSubjectRequest.id == uuid.UUID(theirs["id"]))
            .values(due_at=datetime.now(UTC) - timedelta(days=1))
        )
        await session.commit()
    own = await client.get(URL, headers=as_person(me))
    assert [r["id"] for r in own.json()["items"]] == [mine["id"]]
    overdue = await client.get(f"{URL}?overdue=true", headers=keys.headers("consent:read"))
    assert theirs["id"] in [r["id"] for r in overdue.json()["items"]]
    assert mine["id"] not in [r["id"] for r in overdue.json()["items"]]
    assert next(r for r in overdue.json()["items"] if r["id"] == theirs["id"])["overdue"] is True
    by_person = await client.get(f"{URL}?person_id={other}&status=open", headers=keys.headers("consent:read"))
    assert (by_person.json()["total"], by_person.json()["items"][0]["kind"]) == (1, "erasure")


async def stall(app: FastAPI, request_id: str) -> None:
    """As if the request event went out two days ago and some service never answered."""
    async with sessionmaker_of(app)() as session:
        await session.execute(
            update(DataSubjectRequest)
            .where(DataSubjectRequest.id == uuid.UUID(request_id))
            .values(dispatched_at=datetime.now(UTC) - timedelta(days=2))
        )
        await session.commit()


async def test_stalled_request_is_listed_and_redispatched_to_the_missing_services(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, outbox: Outbox
) -> None:
    opened = (await open_request(client, machine(keys, "hris"), uuid.uuid4(), "erasure")).json()
    assert (opened["stalled"], opened["dispatches"]) == (False, 1)
    assert (await answer(client, keys, opened["id"], "matching")).status_code == 201
    await stall(app, opened["id"])

    stalled = await client.get(f"{URL}?stalled=true", headers=keys.headers("consent:read"))
    listed = next(r for r in stalled.json()["items"] if r["id"] == opened["id"])
    assert (listed["stalled"], listed["missing_services"]) == (True, ["scheduling", "analytics", "gateway"])

    resp = await client.post(
        f"{URL}/{opened['id']}/redispatch", headers=keys.headers("consent:write", "admin")
    )
    assert resp.status_code == 200, resp.text
    assert (resp.json()["stalled"], resp.json()["dispatches"]) == (False, 2)
    events = await outbox("DataSubjectRequestOpened", request_id=opened["id"])
    assert [e["services"] for e in events] == [["consent", *OTHERS], ["scheduling", "analytics", "gateway"]]
    again = await client.get(f"{URL}?stalled=true", headers=keys.headers("consent:read"))
    assert opened["id"] not in [r["id"] for r in again.json()["items"]]


async def test_redispatch_needs_admin(client: httpx.AsyncClient, keys: TestKeys) -> None:
    opened = (await open_request(client, machine(keys, "hris"), uuid.uuid4(), "access")).json()
    resp = await client.post(f"{URL}/{opened['id']}/redispatch", headers=keys.headers("consent:write"))
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["admin"]


async def test_redispatch_of_a_completed_request_conflicts(client: httpx.AsyncClient, keys: TestKeys) -> None:
    opened = (await open_request(client, machine(keys, "hris"), uuid.uuid4(), "erasure")).json()
    for service in OTHERS:
        assert (await answer(client, keys, opened["id"], service)).status_code == 201
    resp = await client.post(
        f"{URL}/{opened['id']}/redispatch", headers=keys.headers("consent:write", "admin")
    )
    assert resp.status_code == 409
    assert resp.json()["type"] == "https://tandem.dev/problems/data-subject-request-not-open"


async def test_erasure_empties_every_stored_access_export(
    client: httpx.AsyncClient, grant: Decide, keys: TestKeys, as_person: AsPerson
) -> None:
    me = uuid.uuid4()
    await grant(me, "vendor_sharing", headers=as_person(me))
    access = (await open_request(client, as_person(me), me, "access")).json()
    sessions = {"sessions": [{"id": "s1", "cancel_reason": "Ada Lovelace is ill"}]}
    await answer(client, keys, access["id"], "scheduling", outcome="completed", records=1, export=sessions)
    erasure = (await open_request(client, machine(keys, "hris"), me, "erasure")).json()
    # A service that exported before it erased answers after the erasure began: nothing is kept.
    late = await answer(
        client, keys, access["id"], "matching", outcome="completed", records=1, export={"intakes": [{}]}
    )
    assert late.status_code == 201, late.text
    export = (await client.get(f"{URL}/{access['id']}/export", headers=as_person(me))).json()
    assert export["erased"] is True
    assert export["services"] == {"consent": None, "matching": None, "scheduling": None}
    own = next(r for r in erasure["receipts"] if r["service"] == "consent")
    assert own["detail"].endswith("deleted 2 stored access export(s).")


async def test_access_export_before_any_erasure_is_not_erased(
    client: httpx.AsyncClient, grant: Decide, as_person: AsPerson
) -> None:
    me = uuid.uuid4()
    await grant(me, "vendor_sharing", headers=as_person(me))
    access = (await open_request(client, as_person(me), me, "access")).json()
    export = (await client.get(f"{URL}/{access['id']}/export", headers=as_person(me))).json()
    assert export["erased"] is False
    assert [c["purpose"] for c in export["services"]["consent"]["consents"]] == ["vendor_sharing"]


async def test_completed_erasure_drops_notes_and_the_persons_own_subject(
    client: httpx.AsyncClient, keys: TestKeys, as_person: AsPerson
) -> None:
    me = uuid.uuid4()
    note = {"note": "Ada Lovelace <ada@example.com> asked by e-mail"}
    headers = as_person(me)
    access = await client.post(URL, json={"person_id": str(me), "kind": "access", **note}, headers=headers)
    erasure = await client.post(URL, json={"person_id": str(me), "kind": "erasure", **note}, headers=headers)
    assert (access.json()["note"], access.json()["requested_by"]) == (note["note"], f"user-{me}")
    for service in OTHERS:
        await answer(client, keys, erasure.json()["id"], service)
    listed = (await client.get(URL, params={"person_id": str(me)}, headers=machine(keys, "hris"))).json()
    assert [(r["kind"], r["note"], r["requested_by"]) for r in listed["items"]] == [
        ("access", None, "data-subject"),
        ("erasure", None, "data-subject"),
    ]
