"""The two vendors' HTTP APIs, as far as a sync reads them. Calls go through `OAuthApiClient`: the
connection's bearer token, one refresh and retry on a 401, and retries on 429/5xx honouring
`Retry-After`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from tandem_gateway.integrations.hris.domain import Vendor
from tandem_gateway.integrations.oauth import OAuthApiClient

# BambooHR's "last changed" API wants a `since`; a first sync asks from before any change it records.
BEGINNING = datetime.fromisoformat("2000-01-01T00:00:00+00:00")


class VendorError(Exception):
    """The HRIS answered with an error we do not retry further (after the 401 refresh and 429 waits)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HRIS answered {status}")
        self.status = status

    @property
    def code(self) -> str:
        return "hris_unauthorized" if self.status == 401 else f"hris_http_{self.status}"


@dataclass(frozen=True)
class Endpoints:
    authorize_url: str
    token_url: str
    api_root: str
    # Sent with the authorization request besides the standard parameters.
    authorize_params: dict[str, str]


def endpoints(vendor: Vendor, *, tenant: str, api_base_url: str, auth_base_url: str) -> Endpoints:
    """Where a tenant's OAuth and data endpoints are. Workday: sign-in on the tenant's login host
    (`{auth_base_url}/{tenant}/authorize`), tokens and REST on its services host. BambooHR: OAuth on the
    company's own subdomain, the API on `api.bamboohr.com` under `/api/gateway.php/{company}/v1`."""
    api, auth = api_base_url.rstrip("/"), auth_base_url.rstrip("/")
    if vendor == "workday":
        return Endpoints(
            authorize_url=f"{auth}/{tenant}/authorize",
            token_url=f"{api}/ccx/oauth2/{tenant}/token",
            api_root=f"{api}/ccx/api/v1/{tenant}",
            authorize_params={},
        )
    return Endpoints(
        authorize_url=f"{auth}/authorize.php",
        token_url=f"{auth}/token.php?request=token",
        api_root=f"{api}/api/gateway.php/{tenant}/v1",
        authorize_params={"request": "authorize"},
    )


def _json(response: httpx.Response) -> Any:
    if response.status_code != 200:
        raise VendorError(response.status_code)
    return response.json()


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds") if moment.microsecond == 0 else moment.isoformat()


async def workday_pages(
    api: OAuthApiClient, *, since: datetime | None, through: datetime, page_size: int
) -> AsyncIterator[list[dict[str, Any]]]:
    """Workers changed in (since, through], one page at a time (`limit`/`offset` until `total`)."""
    offset = 0
    while True:
        params: dict[str, str | int] = {"limit": page_size, "offset": offset, "Updated_Through": iso(through)}
        if since is not None:
            params["Updated_From"] = iso(since)
        body = _json(await api.get("/workers", params=params, headers={"Accept": "application/json"}))
        data: list[dict[str, Any]] = list(body.get("data") or [])
        yield data
        offset += len(data)
        if not data or offset >= int(body.get("total", 0)):
            return


@dataclass(frozen=True)
class BambooChanges:
    latest: datetime
    actions: dict[str, str]  # employee id -> Inserted | Updated | Deleted


async def bamboohr_changed(api: OAuthApiClient, *, since: datetime | None) -> BambooChanges:
    body = _json(
        await api.get(
            "/employees/changed",
            params={"since": iso(since or BEGINNING)},
            headers={"Accept": "application/json"},
        )
    )
    employees = body.get("employees") or {}
    return BambooChanges(
        latest=datetime.fromisoformat(body["latest"]),
        actions={str(k): str((v or {}).get("action", "Updated")) for k, v in employees.items()},
    )


async def bamboohr_employee(
    api: OAuthApiClient, employee_id: str, fields: Sequence[str]
) -> dict[str, Any] | None:
    """One employee's fields; None when BambooHR no longer has them (deleted)."""
    response = await api.get(
        f"/employees/{employee_id}",
        params={"fields": ",".join(fields)},
        headers={"Accept": "application/json"},
    )
    if response.status_code == 404:
        return None
    body: dict[str, Any] = _json(response)
    return body
