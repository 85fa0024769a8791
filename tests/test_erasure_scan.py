"""After an erasure, a scan of every table of every database (and of PostgreSQL's server log) finds
the person's id, name and e-mail address only where docs/architecture.md ("Nothing left after
erasure") says they stay."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tandem_devstack.slice import DSR, Slice, expect_status
from tandem_devstack.stack import PARTS, Stack

NAME, EMAIL = "Ada Quennell-Lovelace", "ada.quennell@example.org"
# The copies docs/architecture.md lists, as (database, table, column[:event subject]).
KEPT = {
    ("consent", "consent_states", "person_id"),
    ("consent", "consent_records", "person_id"),
    ("consent", "data_subject_requests", "person_id"),
    ("consent", "outbox_messages", "payload:tandem.consent.DataSubjectRequestOpened"),
    ("consent", "outbox_messages", "payload:tandem.consent.DataSubjectRequestCompleted"),
}

Finding = tuple[str, str, str, str]


@pytest.fixture
async def engines(stack: Stack) -> AsyncIterator[dict[str, AsyncEngine]]:
    assert stack.postgres is not None
    made = {p.name: create_async_engine(stack.postgres.url(p.name)) for p in PARTS}
    yield made
    for engine in made.values():
        await engine.dispose()


async def scan(engines: dict[str, AsyncEngine], needles: dict[str, str]) -> set[Finding]:
    """(database, table, column, which needle) for every value holding one of the needles."""
    found: set[Finding] = set()
    for database, engine in engines.items():
        async with engine.connect() as conn:
            tables = (
                await conn.execute(
                    text(
                        "SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
                    )
                )
            ).scalars()
            for table in list(tables):
                rows = (
                    await conn.execute(
                        text(f'SELECT * FROM "{table}" AS r WHERE r::text ILIKE ANY(:patterns)'),
                        {"patterns": [f"%{n}%" for n in needles.values()]},
                    )
                ).mappings()
                for row in rows:
                    for column, value in row.items():
                        for kind, needle in needles.items():
                            if needle.lower() in str(value).lower():
                                where = column
                                if table == "outbox_messages" and column == "payload":
                                    where = f"payload:{row['subject']}"
                                found.add((database, table, where, kind))
    return found


async def answered(flow: Slice, person: str, kind: str, note: str) -> dict[str, Any]:
    opened = expect_status(
        await flow.call("POST", DSR, json={"person_id": person, "kind": kind, "note": note}),
        201,
        f"{kind} request",
    )

    async def probe() -> dict[str, Any] | None:
        body: dict[str, Any] = expect_status(await flow.call("GET", f"{DSR}/{opened['id']}"), 200, kind)
        return body if body["status"] == "completed" else None

    done: dict[str, Any] = await flow.eventually(probe, f"the {kind} request answered", 30)
    return done


async def test_erasure_leaves_only_what_the_docs_list(
    program_slice: Slice, stack: Stack, engines: dict[str, AsyncEngine]
) -> None:
    flow, s = program_slice, program_slice.state
    person = s.participant_id
    for name, step in flow.steps():
        if name == "personal data":
            continue
        if step == flow.match_ended:
            # Free text naming the person wherever the API takes some: a cancel reason, consent
            # evidence, and (below) the operators' notes on the requests.
            expect_status(
                await flow.call(
                    "POST",
                    f"/api/v1/scheduling/engagements/{s.engagement['id']}/sessions/{s.session['id']}/cancel",
                    json={"reason": f"{NAME} <{EMAIL}> is ill"},
                ),
                200,
                "cancel with a reason",
            )
        await step()
    purpose = expect_status(await flow.call("GET", "/api/v1/consent/purposes/matching"), 200, "purpose")
    granted = await flow.call(
        "POST",
        f"/api/v1/consent/people/{person}/consents/matching/grants",
        json={
            "notice_version": purpose["notice_version"],
            "method": "email",
            "evidence": {"from": f"{NAME} <{EMAIL}>"},
            "evidence_reference": f"mailto:{EMAIL}",
        },
    )
    assert granted.status_code in (200, 201), granted.text
    needles = {"id": person, "name": NAME, "email": EMAIL}
    access = await answered(flow, person, "access", f"{NAME} asked by mail from {EMAIL}")
    before = await scan(engines, needles)
    assert {f[:3] for f in before if f[3] == "id"} > KEPT  # the person was everywhere, and findable

    await answered(flow, person, "erasure", f"{NAME} <{EMAIL}> asked to be forgotten")

    async def only_the_listed_copies() -> set[Finding] | None:
        # Receipts reach consent just before each service commits its erasure; allow it to land.
        left = await scan(engines, needles)
        return left if {f[:3] for f in left} <= KEPT else None

    try:
        left = await flow.eventually(only_the_listed_copies, "a clean scan", 15)
    except Exception:
        left = await scan(engines, needles)
    assert sorted(left) == sorted((*kept, "id") for kept in KEPT)
    export = expect_status(await flow.call("GET", f"{DSR}/{access['id']}/export"), 200, "export")
    assert (export["erased"], set(export["services"].values())) == (True, {None})
    assert stack.postgres is not None
    assert person not in stack.postgres.log.read_text(errors="replace")
