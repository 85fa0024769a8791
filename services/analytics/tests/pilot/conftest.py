import uuid
from typing import Any

import httpx
import pytest

from tandem_kit.testing import TestKeys

URL = "/api/v1/analytics/pilots"


def charter(cohort: list[uuid.UUID], **changes: Any) -> dict[str, Any]:
    return {
        "program_id": str(uuid.uuid4()),
        "sponsor_id": str(uuid.uuid4()),
        "start_date": "2026-01-05",
        "cohort": [str(p) for p in cohort],
        "linked_kpis": [{"name": "csat"}],
        **changes,
    }


@pytest.fixture
def manager(keys: TestKeys) -> dict[str, str]:
    """A program manager acting through a front end, with read and write."""
    return keys.headers(
        "analytics:read", "analytics:write", person_id=str(uuid.uuid4()), roles=["program_manager"]
    )


async def create(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    resp = await client.post(URL, json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    created: dict[str, Any] = resp.json()
    return created
