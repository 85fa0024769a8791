"""Access and erasure reach the pilots (membership, sponsorship, authorship) and complexity bands."""

import uuid

import httpx
from fastapi import FastAPI

from tandem_analytics.privacy.service import erase_person, export_person
from tandem_kit.testing import TestKeys, sessionmaker_of

from .conftest import URL, charter, create


async def test_access_and_erasure(app: FastAPI, client: httpx.AsyncClient, keys: TestKeys) -> None:
    cohort = [uuid.uuid4() for _ in range(20)]
    person, manager_id = cohort[4], uuid.uuid4()
    manager = keys.headers(
        "analytics:read", "analytics:write", person_id=str(manager_id), roles=["program_manager"]
    )
    pilot = await create(client, manager, charter(cohort, sponsor_id=str(person)))
    await client.put(
        f"/api/v1/analytics/programs/{pilot['program_id']}/complexity-bands",
        json={"bands": [{"person_id": str(person), "band": "high"}]},
        headers=keys.headers("analytics:write"),
    )

    async with sessionmaker_of(app)() as session, session.begin():
        exported = await export_person(session, person)
        erased = await erase_person(session, person)
        by_manager = await erase_person(session, manager_id)
        after = await export_person(session, person)

    assert exported.export is not None
    assert exported.export["pilots"] == [
        {"pilot_id": pilot["id"], "program_id": pilot["program_id"], "role": "member"},
        {"pilot_id": pilot["id"], "program_id": pilot["program_id"], "role": "sponsor"},
    ]
    assert exported.export["complexity_bands"] == [{"program_id": pilot["program_id"], "band": "high"}]
    assert erased.records >= 3
    assert by_manager.records >= 1
    assert after.records == 0
    kept = (await client.get(f"{URL}/{pilot['id']}", headers=keys.headers("analytics:read"))).json()
    assert kept["cohort_size"] == 20
    assert str(person) not in kept["cohort"]
    assert kept["sponsor_id"] != str(person)
    assert kept["created_by"] not in (str(manager_id), str(person))
