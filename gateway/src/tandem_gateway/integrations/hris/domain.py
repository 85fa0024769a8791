"""Pure rules of an HRIS sync: vendor JSON to a vendor-neutral worker, managers before their reports,
and what a run's counts say about it. No session, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

Vendor = Literal["workday", "bamboohr"]
VENDORS: tuple[Vendor, ...] = ("workday", "bamboohr")
RunStatus = Literal["running", "succeeded", "partial", "failed", "needs_reauth"]

# The BambooHR fields a sync asks for (`/employees/{id}?fields=...`); the level field is added per connector.
BAMBOOHR_FIELDS = (
    "firstName",
    "lastName",
    "displayName",
    "workEmail",
    "employeeNumber",
    "jobTitle",
    "department",
    "division",
    "location",
    "supervisorEId",
    "hireDate",
    "status",
)


@dataclass(frozen=True)
class Worker:
    """One person as an HRIS describes them, before the directory knows them by `person_id`."""

    external_id: str
    manager_external_id: str | None
    active: bool
    user_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    display_name: str | None = None
    email: str | None = None
    employee_number: str | None = None
    title: str | None = None
    level: str | None = None
    department: str | None = None
    division: str | None = None
    cost_center: str | None = None
    location: str | None = None
    hire_date: date | None = None
    # The HRIS no longer has the record (BambooHR: deleted): only `active=False` is known.
    gone: bool = False


class UnreadableRecord(ValueError):
    """A vendor record without what a person needs (an id): recorded as that record's failure."""


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _descriptor(value: Any) -> str | None:
    return _text(value.get("descriptor")) if isinstance(value, Mapping) else None


def _date(value: Any) -> date | None:
    text = _text(value)
    if text is None or text.startswith("0000"):  # BambooHR sends 0000-00-00 for "no date"
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise UnreadableRecord("hire_date") from exc


def from_workday(data: Mapping[str, Any]) -> Worker:
    """A Workday worker (REST `workers` item). The external id is the Workday ID (WID), the id Workday's
    own references use, so a manager outside this batch is still found by it; the Employee ID is the
    employee number."""
    wid = _text(data.get("id"))
    if wid is None:
        raise UnreadableRecord("id")
    job = data.get("primaryJob") or {}
    status = data.get("workerStatus") or {}
    manager = job.get("manager")
    legal = (data.get("person") or {}).get("legalName") or {}
    email = _text(data.get("primaryWorkEmail"))
    active = status.get("active")
    if not isinstance(active, bool):
        active = _descriptor(status) != "Terminated"
    return Worker(
        external_id=wid,
        manager_external_id=_text(manager.get("id")) if isinstance(manager, Mapping) else None,
        active=active,
        user_name=email,
        given_name=_text(legal.get("firstName")),
        family_name=_text(legal.get("lastName")),
        display_name=_text(data.get("descriptor")),
        email=email,
        employee_number=_text(data.get("employeeID")),
        title=_text(job.get("businessTitle")) or _text(data.get("businessTitle")),
        level=_descriptor(job.get("managementLevel")),
        department=_descriptor(job.get("supervisoryOrganization")),
        cost_center=_descriptor(job.get("costCenter")),
        location=_descriptor(job.get("location")),
        hire_date=_date(status.get("hireDate")),
    )


def from_bamboohr(data: Mapping[str, Any], *, level_field: str) -> Worker:
    """A BambooHR employee (`/employees/{id}?fields=...`). `Inactive` is a person who left."""
    employee_id = _text(data.get("id"))
    if employee_id is None:
        raise UnreadableRecord("id")
    email = _text(data.get("workEmail"))
    return Worker(
        external_id=employee_id,
        manager_external_id=_text(data.get("supervisorEId")),
        active=_text(data.get("status")) != "Inactive",
        user_name=email,
        given_name=_text(data.get("firstName")),
        family_name=_text(data.get("lastName")),
        display_name=_text(data.get("displayName")),
        email=email,
        employee_number=_text(data.get("employeeNumber")),
        title=_text(data.get("jobTitle")),
        level=_text(data.get(level_field)),
        department=_text(data.get("department")),
        division=_text(data.get("division")),
        location=_text(data.get("location")),
        hire_date=_date(data.get("hireDate")),
    )


@dataclass(frozen=True)
class Ordered:
    workers: list[Worker]
    cyclic: list[Worker]  # in a manager cycle inside the batch: each is recorded as a failure


def managers_first(workers: Iterable[Worker]) -> Ordered:
    """The batch ordered so every manager in it comes before their reports (a stable topological
    order: otherwise the HRIS's order). Managers outside the batch are the directory's business.
    Workers whose manager chain loops inside the batch are returned apart."""
    batch: dict[str, Worker] = {}
    for worker in workers:
        batch[worker.external_id] = worker  # a worker listed twice: the last listing wins
    placed: dict[str, None] = {}
    cyclic: set[str] = set()
    for start in batch:
        chain: list[str] = []
        current: str | None = start
        while current is not None and current in batch and current not in placed and current not in cyclic:
            if current in chain:
                cyclic.update(chain[chain.index(current) :])
                break
            chain.append(current)
            current = batch[current].manager_external_id
        # Everyone below a loop hangs off it: they cannot be placed either.
        blocked = current in cyclic
        for external_id in reversed(chain):
            if external_id in cyclic or blocked:
                cyclic.add(external_id)
                blocked = True
            else:
                placed[external_id] = None
    return Ordered([batch[e] for e in placed], [batch[e] for e in batch if e in cyclic])


def run_status(*, failed_records: int, error: str | None) -> RunStatus:
    if error == "needs_reauth":
        return "needs_reauth"
    if error is not None:
        return "failed"
    return "partial" if failed_records else "succeeded"


def new_cursor_allowed(status: RunStatus) -> bool:
    """The "changed since" cursor moves only after a run that applied every record: a record that failed
    is asked for again next time (applying the others again changes nothing)."""
    return status == "succeeded"
