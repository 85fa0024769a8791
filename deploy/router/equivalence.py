"""Proves that Hive Gateway on the composed supergraph answers like the Tandem gateway's own /graphql.

Starts the real stack (as tests/conftest.py does: embedded PostgreSQL and NATS, five processes on free
ports), seeds it with the program slice up to a match ended, composes a supergraph for the local
subgraph URLs, starts Hive Gateway on it (gateway.config.ts, verifying tokens against the stack's
JWKS), then sends every query below to both with the same bearer token and compares: data equal,
errors at the same paths. Needs node and `npm ci` in this folder; not part of `make test`.

    cd deploy/router && npm ci && cd ../.. && .venv/bin/python deploy/router/equivalence.py
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tandem_devstack.slice import Slice
from tandem_devstack.stack import PARTS, Stack, StackConfig
from tandem_kit.embedded import free_port

HERE = Path(__file__).resolve().parent
SUBGRAPHS = ("matching", "scheduling", "consent", "analytics")
# The slice's steps up to and including "a match ends"; the personal-data steps erase the participant.
SEED_UNTIL = "match_ended"


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@dataclass
class Case:
    name: str
    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    operation_name: str | None = None


MATCH_FIELDS = """
  fragment Party on Person { id consents { purpose granted noticeVersion fields } }
  fragment Schedule on Engagement {
    id status cadence sessionMinutes endedAt
    sessions { id kind status startsAt endsAt cancelledAt }
  }
"""


def cases(seed: dict[str, Any]) -> list[Case]:
    match_id, program_id, participant = seed["match_id"], seed["program_id"], seed["participant_id"]
    other_match = seed["other_match_id"]
    return [
        Case(
            "slice federated query",
            """query Slice($id: ID!) {
              match(id: $id) {
                id score
                participant { id consents { purpose granted } }
                engagement { id status sessions { id startsAt } }
              }
            }""",
            {"id": match_id},
        ),
        Case(
            "matches(programId) with participant consents and engagement sessions",
            """query ProgramMatches($programId: ID!) {
              matches(programId: $programId) {
                total
                items {
                  id status track providerKind endedAt endReason previousMatchId
                  participant { id consents { purpose granted fields } }
                  engagement { id status endedAt sessions { id kind status startsAt endsAt } }
                  provider { id kind timezone capacity activeLoad }
                }
              }
            }""",
            {"programId": program_id},
        ),
        Case(
            "named and inline fragments, __typename",
            MATCH_FIELDS
            + """query Fragments($id: ID!) {
              match(id: $id) {
                __typename id
                ... on Match { status program { __typename name tracks } }
                participant { ...Party }
                engagement { ...Schedule ... on Engagement { track providerKind } }
              }
            }""",
            {"id": match_id},
        ),
        Case(
            "aliases across subgraphs",
            """query Aliases($a: ID!, $b: ID!, $programId: ID!) {
              first: match(id: $a) { matchId: id who: participant { pid: id c: consents { p: purpose } } }
              second: match(id: $b) { matchId: id plan: engagement { state: status } }
              kpis: kpis(programId: $programId) { name value suppressed }
              everyone: engagements(limit: 5) { id matchId }
            }""",
            {"a": match_id, "b": other_match, "programId": program_id},
        ),
        Case(
            "variables with defaults, @include and @skip",
            """query Directives($id: ID!, $withSessions: Boolean = true, $lean: Boolean = false) {
              match(id: $id) {
                id
                score @skip(if: $lean)
                engagement {
                  id
                  sessions @include(if: $withSessions) { id status }
                  cadence @include(if: $lean)
                }
              }
            }""",
            {"id": match_id, "lean": True},
        ),
        Case(
            "operationName picks one of two operations",
            """query One($id: ID!) { match(id: $id) { id } }
               query Two($programId: ID!) { program(id: $programId) { id name weights { version technicalSkills sponsorshipHistory } matches { items { id } } } }""",
            {"programId": program_id},
            "Two",
        ),
        Case(
            "consent and analytics roots",
            """query Roots($programId: ID!) {
              purposes { key title noticeVersion fields notices { version fields } }
              kpi(name: "coach_utilization", programId: $programId) { name value numerator denominator status }
            }""",
            {"programId": program_id},
        ),
        Case(
            "one person's consents",
            """query Person($person: UUID!) { personConsents(personId: $person) { id purpose granted sequence } }""",
            {"person": participant},
        ),
        Case("one purpose by key", """{ purpose(key: "matching") { id key fields notices { version } } }"""),
        Case(
            "error: two root fields of one subgraph (consent answers 500)",
            """query Two($person: UUID!) {
              purpose(key: "matching") { id key fields }
              personConsents(personId: $person) { id purpose granted sequence }
            }""",
            {"person": participant},
        ),
        Case(
            "engagements of one participant",
            """query Engagements($participant: ID!) {
              engagements(participantId: $participant, limit: 10) { id matchId status sessions { id } }
            }""",
            {"participant": participant},
        ),
        Case(
            "unknown ids are null",
            """query Missing($id: ID!, $eid: ID!) { match(id: $id) { id } engagement(id: $eid) { id } }""",
            {"id": str(uuid.uuid4()), "eid": str(uuid.uuid4())},
        ),
        Case(
            "a person never seen: the default standings",
            """query Bad($person: UUID!) { personConsents(personId: $person) { id } }""",
            {"person": str(uuid.uuid4())},
        ),
        Case(
            "a malformed id is null, the rest answered",
            """query BadMatch($id: ID!) { match(id: $id) { id } program(id: "not-a-uuid") { id name } }""",
            {"id": match_id},
        ),
        Case(
            "error: engagements(limit: 0) beside another root field (out of range: an error at its path)",
            """query Limits($id: ID!) { match(id: $id) { id } engagements(limit: 0) { id } }""",
            {"id": match_id},
        ),
        Case("error: unknown field (validation)", "{ matches(programId: 1) { items { id nope } } }"),
        Case(
            "error: variable of the wrong type",
            "query V($person: UUID!) { personConsents(personId: $person) { id } }",
            {"person": 42},
        ),
    ]


def error_paths(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted((tuple(e.get("path") or ()) for e in body.get("errors") or ()), key=repr)


def key_order(value: Any) -> Any:
    """The value with every object replaced by its keys in order, to compare field order."""
    if isinstance(value, dict):
        return [(k, key_order(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [key_order(v) for v in value]
    return None


def compare(tandem: dict[str, Any], hive: dict[str, Any]) -> list[str]:
    # JSON numbers compare by value: 75.0 (Python) and 75 (JavaScript) are the same Float.
    differences = []
    if tandem.get("data") != hive.get("data"):
        differences.append("data differs")
    elif key_order(tandem.get("data")) != key_order(hive.get("data")):
        differences.append("same data, different field order")
    if bool(tandem.get("errors")) != bool(hive.get("errors")):
        differences.append("errors on one side only")
    elif error_paths(tandem) != error_paths(hive):
        differences.append(f"error paths differ: {error_paths(tandem)} vs {error_paths(hive)}")
    return differences


async def seed(flow: Slice) -> dict[str, Any]:
    for name, step in flow.steps():
        outcome = await step()
        say(f"  seed {name}: {outcome}")
        if step.__name__ == SEED_UNTIL:
            break
    s = flow.state
    ended = s.ended["match"]["id"]
    return {
        "match_id": s.match["id"],
        "program_id": s.program_id,
        "participant_id": s.participant_id,
        "other_match_id": ended,
    }


def compose_local(stack: Stack, out: Path) -> None:
    urls = [f"--url={n}={stack.config.url(n)}/graphql" for n in SUBGRAPHS]
    subprocess.run(["node", str(HERE / "compose.mjs"), *urls, f"--out={out}"], check=True, cwd=HERE)


def start_hive(stack: Stack, supergraph: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TANDEM_SUPERGRAPH": str(supergraph),
        "TANDEM_JWKS_URL": f"{stack.config.url('gateway')}/.well-known/jwks.json",
        "TANDEM_ISSUER": stack.config.url("gateway"),
        "PORT": str(port),
    }
    return subprocess.Popen(
        [str(HERE / "node_modules" / ".bin" / "hive-gateway"), "supergraph"],
        cwd=HERE,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_ready(url: str, child: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1.0) as http:
        while time.monotonic() < deadline:
            if child.poll() is not None:
                raise RuntimeError(f"hive-gateway exited with code {child.returncode}")
            try:
                if http.get(url).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    raise RuntimeError(f"hive-gateway not ready at {url} after {timeout:.0f}s")


async def run_cases(stack: Stack, hive_url: str, flow: Slice, seeded: dict[str, Any]) -> list[dict[str, Any]]:
    token = await flow.token()
    headers = {"Authorization": f"Bearer {token}"}
    results = []
    async with httpx.AsyncClient(timeout=30) as http:
        for case in cases(seeded):
            body: dict[str, Any] = {"query": case.query, "variables": case.variables}
            if case.operation_name:
                body["operationName"] = case.operation_name
            tandem = await http.post(f"{stack.config.url('gateway')}/graphql", json=body, headers=headers)
            hive = await http.post(f"{hive_url}/graphql", json=body, headers=headers)
            t, h = tandem.json(), hive.json()
            differences = compare(t, h)
            results.append(
                {
                    "case": case.name,
                    "equal": not differences,
                    "differences": differences,
                    "status": [tandem.status_code, hive.status_code],
                    "tandem": t,
                    "hive": h,
                }
            )
        # The edge: no token, a token that is not a JWT, a JWT whose claims were changed after signing.
        header, payload, signature = token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["scope"] = "admin"
        forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        forged = f"{header}.{forged_payload}.{signature}"
        query = {"query": "{ purposes { key } }"}
        edges = (
            ("no token", {}),
            ("not a JWT", {"Authorization": "Bearer x.y.z"}),
            ("JWT with forged claims", {"Authorization": f"Bearer {forged}"}),
        )
        for label, auth in edges:
            tandem = await http.post(f"{stack.config.url('gateway')}/graphql", json=query, headers=auth)
            hive = await http.post(f"{hive_url}/graphql", json=query, headers=auth)
            refused = tandem.status_code == 401 and hive.status_code == 401
            results.append(
                {
                    "case": f"refused: {label}",
                    "equal": refused,
                    "differences": [] if refused else ["not refused alike"],
                    "status": [tandem.status_code, hive.status_code],
                    "tandem": tandem.text[:300],
                    "hive": hive.text[:300],
                }
            )
    return results


def main() -> int:
    if shutil.which("node") is None or not (HERE / "node_modules" / ".bin" / "hive-gateway").exists():
        say("needs node and `npm ci` in deploy/router")
        return 2
    home = Path(tempfile.mkdtemp(prefix="tandem-equivalence-"))
    config = StackConfig(
        home=home,
        ports={p.name: free_port() for p in PARTS},
        postgres_port=free_port(),
        nats_port=free_port(),
        environment="development",
        fast_postgres=True,
    )
    stack = Stack(config)
    hive: subprocess.Popen[bytes] | None = None
    say(f"stack under {home}")
    stack.start()
    try:
        creds = json.loads((home / "dev-client.json").read_text())
        supergraph = home / "supergraph.local.graphql"
        compose_local(stack, supergraph)
        port = free_port()
        hive = start_hive(stack, supergraph, port, home / "logs" / "hive-gateway.log")
        hive_url = f"http://127.0.0.1:{port}"
        wait_ready(f"{hive_url}/readiness", hive)

        async def scenario() -> list[dict[str, Any]]:
            flow = Slice(stack.config.url("gateway"), creds["client_id"], creds["client_secret"])
            try:
                seeded = await seed(flow)
                return await run_cases(stack, hive_url, flow, seeded)
            finally:
                await flow.aclose()

        results = asyncio.run(scenario())
    finally:
        if hive is not None and hive.poll() is None:
            os.killpg(hive.pid, signal.SIGTERM)
            hive.wait(10)
        stack.stop()
    report = home / "equivalence.json"
    report.write_text(json.dumps(results, indent=2))
    for r in results:
        verdict = "equal" if r["equal"] else "DIFFERENT: " + "; ".join(r["differences"])
        say(f"{r['case']}: {verdict} (HTTP {r['status'][0]} / {r['status'][1]})")
    equal = sum(r["equal"] for r in results)
    say(f"{equal} equal, {len(results) - equal} different; both answers of every case in {report}")
    return 0 if equal == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
