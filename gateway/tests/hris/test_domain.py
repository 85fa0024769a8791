"""Pure rules of an HRIS sync: vendor JSON to workers, managers before their reports, the cursor rule."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem_devstack.fakes.bamboohr import FakeBambooHR
from tandem_devstack.fakes.bamboohr import seeded as seeded_bamboohr
from tandem_devstack.fakes.workday import seeded as seeded_workday
from tandem_gateway.integrations.hris.domain import (
    UnreadableRecord,
    Worker,
    from_bamboohr,
    from_workday,
    managers_first,
    new_cursor_allowed,
    run_status,
)


def test_workday_worker_maps_to_directory_fields() -> None:
    fake = seeded_workday()
    dijkstra = fake.workers["1004"]
    worker = from_workday(fake.as_json(dijkstra))
    assert worker == Worker(
        external_id=dijkstra.id,
        manager_external_id=fake.workers["1002"].id,
        active=True,
        user_name="edsger.dijkstra@acme.test",
        given_name="Edsger",
        family_name="Dijkstra",
        display_name="Edsger Dijkstra",
        email="edsger.dijkstra@acme.test",
        employee_number="1004",
        title="Senior Engineer",
        level="senior",
        department="Engineering",
        cost_center="CC-200",
        location="Amsterdam",
        hire_date=date(2019, 4, 1),
    )


def test_workday_terminated_worker_is_inactive() -> None:
    fake = seeded_workday()
    fake.change("1005", terminated=True)
    assert from_workday(fake.as_json(fake.workers["1005"])).active is False


def test_workday_worker_without_id_is_unreadable() -> None:
    with pytest.raises(UnreadableRecord, match="id"):
        from_workday({"descriptor": "Nobody"})


def test_bamboohr_employee_maps_with_its_level_field() -> None:
    fake = seeded_bamboohr()
    e = fake.employees["4"]
    data = {
        "id": "4",
        "firstName": e.first_name,
        "lastName": e.last_name,
        "displayName": e.display_name,
        "workEmail": e.work_email,
        "employeeNumber": e.employee_number,
        "jobTitle": e.job_title,
        "department": e.department,
        "division": e.division,
        "location": e.location,
        "supervisorEId": e.supervisor_eid,
        "hireDate": e.hire_date,
        "status": "Active",
        "customLevel": e.custom_level,
    }
    worker = from_bamboohr(data, level_field="customLevel")
    assert (worker.external_id, worker.manager_external_id, worker.level, worker.division) == (
        "4",
        "2",
        "lead",
        "Apollo",
    )
    assert worker.hire_date == date(2018, 2, 1)
    assert from_bamboohr({**data, "status": "Inactive"}, level_field="customLevel").active is False


def test_bamboohr_empty_date_is_no_date() -> None:
    assert from_bamboohr({"id": "9", "hireDate": "0000-00-00"}, level_field="x").hire_date is None


def test_bamboohr_bad_date_is_unreadable() -> None:
    with pytest.raises(UnreadableRecord, match="hire_date"):
        from_bamboohr({"id": "9", "hireDate": "next week"}, level_field="x")


def test_fake_bamboohr_is_empty_until_seeded() -> None:
    assert FakeBambooHR().employees == {}


def w(external_id: str, manager: str | None) -> Worker:
    return Worker(external_id=external_id, manager_external_id=manager, active=True)


def test_reports_listed_first_come_after_their_managers() -> None:
    ordered = managers_first([w("c", "b"), w("b", "a"), w("x", None), w("a", None)])
    assert [x.external_id for x in ordered.workers] == ["a", "b", "c", "x"]
    assert ordered.cyclic == []


def test_manager_outside_the_batch_is_not_waited_for() -> None:
    ordered = managers_first([w("c", "outside"), w("d", "c")])
    assert [x.external_id for x in ordered.workers] == ["c", "d"]


def test_a_loop_and_everyone_below_it_are_set_apart() -> None:
    ordered = managers_first([w("a", "b"), w("b", "a"), w("c", "a"), w("d", None)])
    assert [x.external_id for x in ordered.workers] == ["d"]
    assert sorted(x.external_id for x in ordered.cyclic) == ["a", "b", "c"]


@given(st.dictionaries(st.sampled_from("abcdefgh"), st.one_of(st.none(), st.sampled_from("abcdefghz"))))
def test_managers_first_property(managers: dict[str, str | None]) -> None:
    """Every worker is placed or set apart, once; a placed worker's manager in the batch is placed before
    them; a worker is set apart exactly when following managers inside the batch loops."""
    workers = [w(e, m) for e, m in managers.items()]
    ordered = managers_first(workers)
    placed = [x.external_id for x in ordered.workers]
    apart = {x.external_id for x in ordered.cyclic}
    assert sorted(placed + sorted(apart)) == sorted(managers)
    position = {e: i for i, e in enumerate(placed)}
    for e in placed:
        manager = managers[e]
        if manager in managers:
            assert position[manager] < position[e]

    def loops(e: str) -> bool:
        seen: set[str] = set()
        current: str | None = e
        while current is not None and current in managers:
            if current in seen:
                return True
            seen.add(current)
            current = managers[current]
        return False

    assert apart == {e for e in managers if loops(e)}


@pytest.mark.parametrize(
    ("failed", "error", "status"),
    [
        (0, None, "succeeded"),
        (2, None, "partial"),
        (0, "needs_reauth", "needs_reauth"),
        (1, "hris_http_500", "failed"),
    ],
    ids=["clean", "some-records-failed", "needs-reauth", "vendor-error"],
)
def test_run_status_and_cursor(failed: int, error: str | None, status: str) -> None:
    assert run_status(failed_records=failed, error=error) == status
    assert new_cursor_allowed(run_status(failed_records=failed, error=error)) is (status == "succeeded")
