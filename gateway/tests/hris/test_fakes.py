"""The fakes' own HTTP surface, as `make demo` or a person at a terminal drives it: tokens, paging, the
knobs (`/_fake/...`), and the vendors' error answers."""

from urllib.parse import parse_qs, urlsplit

import httpx

from tandem_devstack.fakes.bamboohr import FakeBambooHR
from tandem_devstack.fakes.workday import FakeWorkday

from .conftest import Served


async def _token(http: httpx.AsyncClient, authorize: str, token: str, client_id: str, secret: str) -> str:
    back = await http.get(
        authorize,
        params={
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": "https://x.test/cb",
            "state": "s",
        },
    )
    query = parse_qs(urlsplit(back.headers["location"]).query)
    assert query["state"] == ["s"]
    answer = await http.post(
        token,
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": "https://x.test/cb",
            "client_id": client_id,
            "client_secret": secret,
        },
    )
    assert answer.status_code == 200
    access: str = answer.json()["access_token"]
    return access


async def test_workday_pages_and_knobs(workday: Served[FakeWorkday]) -> None:
    oauth = workday.fake.oauth
    async with httpx.AsyncClient(base_url=workday.url) as http:
        token = await _token(
            http, "/acme/authorize", "/ccx/oauth2/acme/token", oauth.client_id, oauth.client_secret
        )
        auth = {"Authorization": f"Bearer {token}"}
        first = (await http.get("/ccx/api/v1/acme/workers", params={"limit": 4}, headers=auth)).json()
        rest = (
            await http.get("/ccx/api/v1/acme/workers", params={"limit": 4, "offset": 4}, headers=auth)
        ).json()
        assert (first["total"], len(first["data"]), len(rest["data"])) == (6, 4, 2)
        assert {w["employeeID"] for w in first["data"] + rest["data"]} == {str(n) for n in range(1001, 1007)}

        added = await http.post(
            "/_fake/workers",
            json={
                "employee_id": "1010",
                "first_name": "Hedy",
                "last_name": "Lamarr",
                "email": "hedy@acme.test",
                "title": "Inventor",
            },
        )
        changed = (
            await http.get(
                "/ccx/api/v1/acme/workers",
                params={"Updated_From": rest["data"][-1]["lastUpdated"]},
                headers=auth,
            )
        ).json()
        assert [w["id"] for w in changed["data"]] == [added.json()["id"]]

        await http.post("/_fake/throttle", json={"calls": 1, "retry_after": 9})
        throttled = await http.get("/ccx/api/v1/acme/workers", headers=auth)
        assert (throttled.status_code, throttled.headers["retry-after"]) == (429, "9")

        await http.post("/_fake/expire-tokens")
        assert (await http.get("/ccx/api/v1/acme/workers", headers=auth)).status_code == 401


async def test_bamboohr_changes_fields_and_deletions(bamboohr: Served[FakeBambooHR]) -> None:
    oauth = bamboohr.fake.oauth
    base = "/api/gateway.php/acme/v1"
    async with httpx.AsyncClient(base_url=bamboohr.url) as http:
        token = await _token(
            http, "/authorize.php", "/token.php?request=token", oauth.client_id, oauth.client_secret
        )
        auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        everyone = (
            await http.get(
                f"{base}/employees/changed", params={"since": "2000-01-01T00:00:00Z"}, headers=auth
            )
        ).json()
        assert {e["action"] for e in everyone["employees"].values()} == {"Inserted"}
        one = await http.get(
            f"{base}/employees/4", params={"fields": "firstName,supervisorEId,status"}, headers=auth
        )
        assert one.json() == {"id": "4", "firstName": "Margaret", "supervisorEId": "2", "status": "Active"}
        unknown = await http.get(f"{base}/employees/4", params={"fields": "salary"}, headers=auth)
        assert unknown.status_code == 400

        await http.post("/_fake/employees", json={"id": "5", "deleted": True})
        since = everyone["latest"]
        changes = (await http.get(f"{base}/employees/changed", params={"since": since}, headers=auth)).json()
        assert [(e["id"], e["action"]) for e in changes["employees"].values()] == [("5", "Deleted")]
        assert (await http.get(f"{base}/employees/5", headers=auth)).status_code == 404

        refresh = await http.post(
            "/token.php?request=token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": "spent",
                "client_id": oauth.client_id,
                "client_secret": oauth.client_secret,
            },
        )
        assert (refresh.status_code, refresh.json()["error"]) == (400, "invalid_grant")
