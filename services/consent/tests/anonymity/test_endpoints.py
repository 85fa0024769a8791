import httpx

from tandem_kit.testing import TestKeys

RULES = "/api/v1/consent/anonymity-rules"
CHECKS = "/api/v1/consent/anonymity-checks"
ADMIN = ("consent:read", "consent:write", "admin")


def cells(*rows: tuple[str, str, int]) -> list[dict[str, object]]:
    return [{"group": {"program": p, "job_level": lv}, "count": n} for p, lv, n in rows]


async def test_anonymous(client: httpx.AsyncClient) -> None:
    resp = await client.post(CHECKS, json={"purpose": "analytics", "cells": cells(("p", "L1", 9))})
    assert resp.status_code == 401


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(RULES, headers=keys.headers("analytics:read"))
    assert resp.status_code == 403


async def test_seeded_analytics_rule(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(f"{RULES}/analytics", headers=keys.headers("consent:read"))
    assert resp.status_code == 200
    assert (resp.json()["min_group_size"], "job_level" in resp.json()["quasi_identifiers"]) == (5, True)


async def test_purpose_without_rule_not_found(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(f"{RULES}/matching", headers=keys.headers("consent:read"))
    assert resp.status_code == 404


async def test_check_suppresses_small_cells_and_complements(
    client: httpx.AsyncClient, keys: TestKeys
) -> None:
    table = cells(("p1", "L1", 3), ("p1", "L2", 11), ("p2", "L1", 8), ("p2", "L2", 20))
    resp = await client.post(
        CHECKS, json={"purpose": "analytics", "cells": table}, headers=keys.headers("consent:read")
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["min_group_size"], body["suppressed"]) == (5, 4)
    assert body["cells"][0] == {
        "group": {"program": "p1", "job_level": "L1"},
        "count": None,
        "suppressed": True,
        "reason": "below_k",
    }
    assert [c["reason"] for c in body["cells"][1:]] == ["complementary"] * 3


async def test_check_publishes_safe_table(client: httpx.AsyncClient, keys: TestKeys) -> None:
    table = cells(("p1", "L1", 5), ("p1", "L2", 0), ("p2", "L1", 8))
    resp = await client.post(
        CHECKS, json={"purpose": "analytics", "cells": table}, headers=keys.headers("consent:read")
    )
    assert [c["count"] for c in resp.json()["cells"]] == [5, 0, 8]


async def test_dimension_outside_rule_names_it(client: httpx.AsyncClient, keys: TestKeys) -> None:
    table = [
        {"group": {"program": "p1"}, "count": 9},
        {"group": {"program": "p2", "gender": "f"}, "count": 9},
    ]
    resp = await client.post(
        CHECKS, json={"purpose": "analytics", "cells": table}, headers=keys.headers("consent:read")
    )
    assert resp.status_code == 422
    assert resp.json()["pointer"] == "#/cells/1/group/gender"


async def test_mixed_dimensions_rejected(client: httpx.AsyncClient, keys: TestKeys) -> None:
    table = [{"group": {"program": "p1"}, "count": 9}, {"group": {"job_level": "L2"}, "count": 9}]
    resp = await client.post(
        CHECKS, json={"purpose": "analytics", "cells": table}, headers=keys.headers("consent:read")
    )
    assert resp.status_code == 422
    assert resp.json()["pointer"] == "#/cells/1/group"


async def test_duplicate_group_rejected(client: httpx.AsyncClient, keys: TestKeys) -> None:
    table = cells(("p1", "L1", 9), ("p1", "L1", 9))
    resp = await client.post(
        CHECKS, json={"purpose": "analytics", "cells": table}, headers=keys.headers("consent:read")
    )
    assert resp.status_code == 422
    assert resp.json()["pointer"] == "#/cells/1"


async def test_purpose_without_rule_may_not_aggregate(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        CHECKS,
        json={"purpose": "matching", "cells": cells(("p", "L", 9))},
        headers=keys.headers("consent:read"),
    )
    assert resp.status_code == 422
    assert resp.json()["pointer"] == "#/purpose"


async def test_negative_count_names_field(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        CHECKS,
        json={"purpose": "analytics", "cells": cells(("p", "L", -1))},
        headers=keys.headers("consent:read"),
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/cells/0/count"


async def test_put_rule_needs_admin(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.put(
        f"{RULES}/vendor_sharing",
        json={"min_group_size": 3, "quasi_identifiers": ["program"]},
        headers=keys.headers("consent:write"),
    )
    assert resp.status_code == 403


async def test_put_rule_creates_then_replaces(client: httpx.AsyncClient, keys: TestKeys) -> None:
    headers = keys.headers(*ADMIN)
    created = await client.put(
        f"{RULES}/vendor_sharing",
        json={"min_group_size": 3, "quasi_identifiers": ["program"]},
        headers=headers,
    )
    assert created.status_code == 200, created.text
    assert created.json()["purpose"] == "vendor_sharing"
    replaced = await client.put(
        f"{RULES}/vendor_sharing",
        json={"min_group_size": 10, "quasi_identifiers": ["region", "program"]},
        headers=headers,
    )
    assert (replaced.json()["min_group_size"], replaced.json()["quasi_identifiers"]) == (
        10,
        ["program", "region"],
    )
    listed = await client.get(RULES, headers=headers)
    assert [r["purpose"] for r in listed.json()] == ["analytics", "vendor_sharing"]


async def test_put_rule_k_of_one_names_field(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.put(
        f"{RULES}/analytics",
        json={"min_group_size": 1, "quasi_identifiers": ["program"]},
        headers=keys.headers(*ADMIN),
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/min_group_size"
