"""The gateway answers consent's data-subject requests for the directory: access exports the person's
record and history; erasure pseudonymises the row (the id stays), deletes the history, and the same
worker cannot be provisioned again. Over the real broker, with the real consent service."""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.directory.schemas import PersonRecord
from tandem_gateway.directory.service import PersonErased, apply_person
from tandem_gateway.models import Person, PersonVersion
from tandem_gateway.privacy.registry import PersonalData
from tandem_gateway.testing import bearer, create_oauth_client, fetch_token, serve
from tandem_kit.embedded import EmbeddedNats, free_port
from tandem_kit.testing import eventually, sessionmaker_of

DSR = "/api/v1/consent/data-subject-requests"


async def ada(session: AsyncSession) -> Person:
    record = PersonRecord(
        user_name="ada@acme.test",
        external_id="W-100",
        given_name="Ada",
        email="ada@acme.test",
        title="Engineer",
        level="senior",
    )
    person = (await apply_person(session, record, person_id=None, source="workday", actor="sync")).person
    await apply_person(
        session,
        PersonRecord(user_name="ada@acme.test", title="Lead"),
        person_id=person.id,
        source="scim",
        actor="x",
    )
    return person


async def test_access_exports_record_and_history(app: FastAPI, session: AsyncSession) -> None:
    person = await ada(session)
    registry: PersonalData = app.state.personal_data

    answer = await registry.export_person(session, person.id)

    assert answer.export is not None
    exported = answer.export["directory"]
    assert (exported["person"]["person_id"], exported["person"]["title"]) == (str(person.id), "Lead")
    assert [v["values"]["title"] for v in exported["versions"]] == ["Engineer", "Lead"]
    assert answer.records == 1


async def test_erasure_pseudonymises_and_refuses_reprovisioning(app: FastAPI, session: AsyncSession) -> None:
    person = await ada(session)
    registry: PersonalData = app.state.personal_data

    report = (
        await apply_person(
            session,
            PersonRecord(user_name="bob@acme.test", manager_id=person.id),
            person_id=None,
            source="scim",
            actor="x",
        )
    ).person
    erased_id = person.id

    answer = await registry.erase_person(session, erased_id)

    assert answer.records == 3  # the row and its two versions
    assert await session.get(Person, erased_id) is None
    await session.refresh(report)
    assert report.manager_id not in (None, erased_id)
    person = await session.get(Person, report.manager_id)
    assert person is not None
    assert person.user_name.startswith("erased:")
    assert person.external_id is not None
    assert person.external_id.startswith("erased:")
    assert (person.given_name, person.email, person.title, person.level, person.active) == (
        None,
        None,
        None,
        None,
        False,
    )
    assert person.erased_at is not None
    history = (await session.execute(select(PersonVersion.values))).scalars().all()
    assert [v["manager_id"] for v in history] == [str(person.id)]  # the report's version, relinked
    assert (await registry.export_person(session, erased_id)).records == 0
    with pytest.raises(PersonErased):
        await apply_person(
            session, PersonRecord(user_name="ADA@acme.test"), person_id=None, source="scim", actor="entra"
        )
    with pytest.raises(PersonErased):
        await apply_person(
            session,
            PersonRecord(user_name="someone-else", external_id="W-100"),
            person_id=None,
            source="workday",
            actor="sync",
        )


async def test_erasure_request_answered_through_the_broker(
    fresh_gateway: Callable[..., FastAPI], consent_behind: Callable[..., FastAPI], tmp_path: Path
) -> None:
    gateway_port, consent_port = free_port(), free_port()
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    # A broker of their own: the session's gateway app (consent unreachable) would otherwise share the
    # durable consumer and take the request as often as this gateway does.
    nats = EmbeddedNats(tmp_path / "nats", free_port())
    nats.start()
    gateway = fresh_gateway(consent_url=f"http://127.0.0.1:{consent_port}", nats_url=nats.url)
    try:
        async with (
            serve(gateway, port=gateway_port),
            serve(consent_behind(gateway_url, nats_url=nats.url), port=consent_port) as consent,
        ):
            async with sessionmaker_of(gateway)() as session, session.begin():
                person = await ada(session)
            async with httpx.AsyncClient(base_url=gateway_url) as local:
                hris = await fetch_token(
                    local, await create_oauth_client(gateway, "consent:write", "consent:read")
                )
            async with httpx.AsyncClient(base_url=consent, headers=bearer(hris)) as http:
                opened = await http.post(DSR, json={"person_id": str(person.id), "kind": "erasure"})
                assert opened.status_code == 201, opened.text

                async def gateway_receipt() -> dict[str, object] | None:
                    request = (await http.get(f"{DSR}/{opened.json()['id']}")).json()
                    return next((r for r in request["receipts"] if r["service"] == "gateway"), None)

                receipt = await eventually(gateway_receipt, timeout=20)
    finally:
        nats.stop()

    assert (receipt["outcome"], receipt["records"]) == ("completed", 3)
    async with sessionmaker_of(gateway)() as session:
        gone = await session.get(Person, person.id)
        stand_ins = (
            (await session.execute(select(Person).where(Person.erased_at.is_not(None)))).scalars().all()
        )
    assert gone is None
    assert [(p.given_name, p.active) for p in stand_ins] == [(None, False)]
    assert stand_ins[0].erased_at is not None
    assert stand_ins[0].erased_at <= datetime.now(UTC)
