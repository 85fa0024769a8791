"""A Workday-shaped HRIS over HTTP (tests, `make run`, `make demo`).

Shaped like Workday's REST API for one tenant: OAuth 2.0 authorization code at `/{tenant}/authorize`
and `/ccx/oauth2/{tenant}/token` (access tokens expire, refresh tokens rotate, a spent or revoked one is
`invalid_grant`), and `GET /ccx/api/v1/{tenant}/workers` paged by `limit` (at most 100) / `offset` with a
`total`, filtered the way a RaaS "changed workers" report is prompted (`Updated_From`, `Updated_Through`,
ISO 8601). A worker carries its primary job (business title, management level, supervisory
organisation, location, cost center, manager) and its status (`Active` or `Terminated`).
Knobs: `/_fake/workers` (POST a worker to add or change it), `/_fake/expire-tokens`,
`/_fake/revoke-refresh-tokens`, `/_fake/throttle`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tandem_devstack.fakes._hris_common import FakeOAuth

MAX_LIMIT = 100


@dataclass
class Worker:
    employee_id: str
    first_name: str
    last_name: str
    email: str
    title: str
    level: str | None = None
    organization: str | None = None
    location: str | None = None
    cost_center: str | None = None
    manager: str | None = None  # the manager's employee id
    hire_date: date | None = None
    terminated: bool = False
    id: str = field(default_factory=lambda: secrets.token_hex(16))  # Workday ID (WID)
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))


class FakeWorkday:
    def __init__(self, tenant: str = "acme", *, oauth: FakeOAuth | None = None) -> None:
        self.tenant = tenant
        self.oauth = oauth or FakeOAuth(client_id="workday-client", client_secret="workday-secret")
        self.workers: dict[str, Worker] = {}  # by employee id
        self.data_calls = 0
        self.app = Starlette(
            routes=[
                Route(f"/{tenant}/authorize", self.oauth.authorize),
                Route(f"/ccx/oauth2/{tenant}/token", self.oauth.token, methods=["POST"]),
                Route(f"/ccx/api/v1/{tenant}/workers", self.list_workers),
                Route(f"/ccx/api/v1/{tenant}/workers/{{wid}}", self.get_worker),
                Route("/_fake/workers", self.knob_worker, methods=["POST"]),
                Route("/_fake/{action}", self.oauth.knob, methods=["POST"]),
            ]
        )

    def put(self, worker: Worker) -> Worker:
        """Add a worker or change one (its `updated` time becomes now)."""
        old = self.workers.get(worker.employee_id)
        if old is not None:
            worker.id = old.id
        worker.updated = datetime.now(UTC)
        self.workers[worker.employee_id] = worker
        return worker

    def change(self, employee_id: str, **changes: Any) -> Worker:
        worker = self.workers[employee_id]
        for name, value in changes.items():
            setattr(worker, name, value)
        worker.updated = datetime.now(UTC)
        return worker

    def _ref(self, employee_id: str | None) -> dict[str, str] | None:
        manager = self.workers.get(employee_id) if employee_id else None
        if manager is None:
            return None
        return {"id": manager.id, "descriptor": f"{manager.first_name} {manager.last_name}"}

    def as_json(self, w: Worker) -> dict[str, Any]:
        def descriptor(value: str | None) -> dict[str, str] | None:
            return None if value is None else {"id": f"ref-{value}", "descriptor": value}

        return {
            "id": w.id,
            "descriptor": f"{w.first_name} {w.last_name}",
            "href": f"/ccx/api/v1/{self.tenant}/workers/{w.id}",
            "employeeID": w.employee_id,
            "person": {"legalName": {"firstName": w.first_name, "lastName": w.last_name}},
            "primaryWorkEmail": w.email,
            "businessTitle": w.title,
            "primaryJob": {
                "businessTitle": w.title,
                "managementLevel": descriptor(w.level),
                "supervisoryOrganization": descriptor(w.organization),
                "location": descriptor(w.location),
                "costCenter": descriptor(w.cost_center),
                "manager": self._ref(w.manager),
            },
            "workerStatus": {
                "descriptor": "Terminated" if w.terminated else "Active",
                "active": not w.terminated,
                "hireDate": w.hire_date.isoformat() if w.hire_date else None,
            },
            "lastUpdated": w.updated.isoformat(),
        }

    async def list_workers(self, request: Request) -> Response:
        refused = self.oauth.check(request)
        if refused is not None:
            return refused
        self.data_calls += 1
        query = request.query_params
        try:
            limit = min(int(query.get("limit", "20")), MAX_LIMIT)
            offset = int(query.get("offset", "0"))
            since = datetime.fromisoformat(query["Updated_From"]) if "Updated_From" in query else None
            through = datetime.fromisoformat(query["Updated_Through"]) if "Updated_Through" in query else None
        except ValueError:
            return JSONResponse(
                {"error": "Invalid request", "errors": [{"error": "invalid query parameter"}]},
                status_code=400,
            )
        # Oldest change first, ties by id: a stable order, so offsets page through one consistent list.
        chosen = sorted(
            (
                w
                for w in self.workers.values()
                if (since is None or w.updated > since) and (through is None or w.updated <= through)
            ),
            key=lambda w: (w.updated, w.id),
        )
        page = chosen[offset : offset + limit]
        return JSONResponse({"total": len(chosen), "data": [self.as_json(w) for w in page]})

    async def get_worker(self, request: Request) -> Response:
        refused = self.oauth.check(request)
        if refused is not None:
            return refused
        for w in self.workers.values():
            if w.id == request.path_params["wid"]:
                return JSONResponse(self.as_json(w))
        return JSONResponse({"error": "Resource not found."}, status_code=404)

    async def knob_worker(self, request: Request) -> Response:
        body = await request.json()
        if body.get("hire_date"):
            body["hire_date"] = date.fromisoformat(body["hire_date"])
        employee_id = body.pop("employee_id")
        if employee_id in self.workers:
            worker = self.change(employee_id, **body)
        else:
            worker = self.put(Worker(employee_id, **body))
        return JSONResponse(self.as_json(worker))


def seeded(tenant: str = "acme") -> FakeWorkday:
    """A small company: a CEO, two directors reporting to her, and their reports (hired in reverse, so the
    HRIS lists reports before their managers, as real exports often do)."""
    fake = FakeWorkday(tenant)
    for w in reversed(
        (
            Worker(
                "1001",
                "Grace",
                "Hopper",
                "grace.hopper@acme.test",
                "Chief Executive",
                "executive",
                "Executive",
            ),
            Worker(
                "1002",
                "Alan",
                "Turing",
                "alan.turing@acme.test",
                "Director of Engineering",
                "director",
                "Engineering",
                manager="1001",
            ),
            Worker(
                "1003",
                "Ada",
                "Lovelace",
                "ada.lovelace@acme.test",
                "Director of Research",
                "director",
                "Research",
                manager="1001",
            ),
            Worker(
                "1004",
                "Edsger",
                "Dijkstra",
                "edsger.dijkstra@acme.test",
                "Senior Engineer",
                "senior",
                "Engineering",
                manager="1002",
                location="Amsterdam",
                cost_center="CC-200",
                hire_date=date(2019, 4, 1),
            ),
            Worker(
                "1005",
                "Barbara",
                "Liskov",
                "barbara.liskov@acme.test",
                "Engineer",
                "professional",
                "Engineering",
                manager="1002",
                location="Boston",
                cost_center="CC-200",
                hire_date=date(2021, 9, 15),
            ),
            Worker(
                "1006",
                "Donald",
                "Knuth",
                "donald.knuth@acme.test",
                "Researcher",
                "professional",
                "Research",
                manager="1003",
                location="Stanford",
                cost_center="CC-300",
                hire_date=date(2020, 1, 6),
            ),
        )
    ):
        fake.put(w)
    return fake


def create_app() -> Starlette:
    """`uvicorn tandem_devstack.fakes.workday:create_app --factory`: the seeded fake (as devstack runs fakes)."""
    return seeded().app


if __name__ == "__main__":
    from tandem_devstack.fakes._hris_common import serve_forever

    serve_forever(seeded().app, 8101)
