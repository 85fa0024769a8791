"""A BambooHR-shaped HRIS over HTTP (tests, `make run`, `make demo`).

Shaped like BambooHR's API for one company: OAuth 2.0 authorization code at `/authorize.php` and
`/token.php?request=token` (access tokens expire, refresh tokens rotate, a spent or revoked one is
`invalid_grant`); `GET /api/gateway.php/{company}/v1/employees/changed?since=...` (the "last changed"
API: `{"latest", "employees": {id: {"id", "action": Inserted|Updated|Deleted, "lastChanged"}}}`) and
`GET /api/gateway.php/{company}/v1/employees/{id}?fields=a,b` (only the asked fields, 404 for a deleted
employee). Status is `Active` or `Inactive`; `supervisorEId` is the supervisor's employee id; the job
level is a custom field (`customLevel` here). Knobs: `/_fake/employees` (POST one to add or change it,
`{"id", "deleted": true}` deletes), `/_fake/expire-tokens`, `/_fake/revoke-refresh-tokens`, `/_fake/throttle`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tandem_devstack.fakes._hris_common import FakeOAuth

# BambooHR field name -> attribute of `Employee`.
FIELDS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "displayName": "display_name",
    "workEmail": "work_email",
    "employeeNumber": "employee_number",
    "jobTitle": "job_title",
    "department": "department",
    "division": "division",
    "location": "location",
    "supervisorEId": "supervisor_eid",
    "hireDate": "hire_date",
    "status": "status",
    "customLevel": "custom_level",
}


@dataclass
class Employee:
    id: str
    first_name: str
    last_name: str
    work_email: str
    job_title: str
    employee_number: str | None = None
    department: str | None = None
    division: str | None = None
    location: str | None = None
    supervisor_eid: str | None = None
    hire_date: str | None = None  # YYYY-MM-DD, as BambooHR sends dates
    status: str = "Active"
    custom_level: str | None = None
    last_changed: datetime = field(default_factory=lambda: datetime.now(UTC))
    inserted: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class FakeBambooHR:
    def __init__(self, company: str = "acme", *, oauth: FakeOAuth | None = None) -> None:
        self.company = company
        self.oauth = oauth or FakeOAuth(client_id="bamboohr-client", client_secret="bamboohr-secret")
        self.employees: dict[str, Employee] = {}
        self.deleted: dict[str, datetime] = {}
        self.data_calls = 0
        base = f"/api/gateway.php/{company}/v1"
        self.app = Starlette(
            routes=[
                Route("/authorize.php", self.oauth.authorize),
                Route("/token.php", self.oauth.token, methods=["POST"]),
                Route(f"{base}/employees/changed", self.changed),
                Route(f"{base}/employees/{{id}}", self.get_employee),
                Route("/_fake/employees", self.knob_employee, methods=["POST"]),
                Route("/_fake/{action}", self.oauth.knob, methods=["POST"]),
            ]
        )

    def put(self, employee: Employee) -> Employee:
        old = self.employees.get(employee.id)
        if old is not None:
            employee.inserted = old.inserted
        employee.last_changed = datetime.now(UTC)
        self.employees[employee.id] = employee
        return employee

    def change(self, employee_id: str, **changes: Any) -> Employee:
        employee = self.employees[employee_id]
        for name, value in changes.items():
            setattr(employee, name, value)
        employee.last_changed = datetime.now(UTC)
        return employee

    def delete(self, employee_id: str) -> None:
        del self.employees[employee_id]
        self.deleted[employee_id] = datetime.now(UTC)

    async def changed(self, request: Request) -> Response:
        refused = self.oauth.check(request)
        if refused is not None:
            return refused
        self.data_calls += 1
        try:
            since = datetime.fromisoformat(request.query_params["since"])
        except (KeyError, ValueError):
            return JSONResponse({"error": "since must be an ISO 8601 timestamp"}, status_code=400)
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        changes: dict[str, dict[str, str]] = {}
        for e in self.employees.values():
            if e.last_changed > since:
                action = "Inserted" if e.inserted > since else "Updated"
                changes[e.id] = {"id": e.id, "action": action, "lastChanged": e.last_changed.isoformat()}
        for employee_id, when in self.deleted.items():
            if when > since:
                changes[employee_id] = {
                    "id": employee_id,
                    "action": "Deleted",
                    "lastChanged": when.isoformat(),
                }
        return JSONResponse({"latest": datetime.now(UTC).isoformat(), "employees": changes})

    async def get_employee(self, request: Request) -> Response:
        refused = self.oauth.check(request)
        if refused is not None:
            return refused
        self.data_calls += 1
        employee = self.employees.get(request.path_params["id"])
        if employee is None:
            return Response(status_code=404)
        wanted = [f for f in request.query_params.get("fields", "firstName,lastName").split(",") if f]
        unknown = [f for f in wanted if f not in FIELDS]
        if unknown:
            return JSONResponse({"error": f"unknown fields: {','.join(unknown)}"}, status_code=400)
        return JSONResponse({"id": employee.id, **{f: getattr(employee, FIELDS[f]) for f in wanted}})

    async def knob_employee(self, request: Request) -> Response:
        body = await request.json()
        employee_id = str(body.pop("id"))
        if body.pop("deleted", False):
            self.delete(employee_id)
            return Response(status_code=204)
        if employee_id in self.employees:
            employee = self.change(employee_id, **body)
        else:
            employee = self.put(Employee(employee_id, **body))
        return JSONResponse({k: v for k, v in asdict(employee).items() if not isinstance(v, datetime)})


def seeded(company: str = "acme") -> FakeBambooHR:
    """A small company: a CEO, two directors reporting to her, and their reports."""
    fake = FakeBambooHR(company)
    for e in (
        Employee(
            "1",
            "Katherine",
            "Johnson",
            "katherine.johnson@acme.test",
            "Chief Executive",
            "E1",
            "Executive",
            custom_level="executive",
        ),
        Employee(
            "2",
            "Dorothy",
            "Vaughan",
            "dorothy.vaughan@acme.test",
            "VP Engineering",
            "E2",
            "Engineering",
            supervisor_eid="1",
            custom_level="director",
        ),
        Employee(
            "3",
            "Mary",
            "Jackson",
            "mary.jackson@acme.test",
            "VP Research",
            "E3",
            "Research",
            supervisor_eid="1",
            custom_level="director",
        ),
        Employee(
            "4",
            "Margaret",
            "Hamilton",
            "margaret.hamilton@acme.test",
            "Staff Engineer",
            "E4",
            "Engineering",
            "Apollo",
            "Cambridge",
            "2",
            "2018-02-01",
            custom_level="lead",
        ),
        Employee(
            "5",
            "Frances",
            "Allen",
            "frances.allen@acme.test",
            "Engineer",
            "E5",
            "Engineering",
            "Compilers",
            "Yorktown",
            "2",
            "2022-05-16",
            custom_level="professional",
        ),
        Employee(
            "6",
            "Annie",
            "Easley",
            "annie.easley@acme.test",
            "Researcher",
            "E6",
            "Research",
            location="Cleveland",
            supervisor_eid="3",
            hire_date="2020-11-02",
            custom_level="professional",
        ),
    ):
        fake.put(e)
    return fake


def create_app() -> Starlette:
    """`uvicorn tandem_devstack.fakes.bamboohr:create_app --factory`: the seeded fake (as devstack runs fakes)."""
    return seeded().app


if __name__ == "__main__":
    from tandem_devstack.fakes._hris_common import serve_forever

    serve_forever(seeded().app, 8102)
