"""The gateway demands exactly the scopes each service route declares (issue 9, item 8): the committed
table it reads is what the services' `Authenticator` dependencies say today, and every route resolves
to its own entry."""

import re

import pytest

from tandem_devstack.route_scopes import TABLE, current_table, render
from tandem_gateway.routing.domain import ROUTE_SCOPES, required_scopes, route_scopes

SERVICES = ["matching", "scheduling", "consent", "analytics"]


def test_committed_table_is_current() -> None:
    assert TABLE.read_text() == render(current_table()), (
        f"{TABLE} is stale: run `make route-scopes` and commit"
    )


@pytest.mark.parametrize("service", SERVICES)
def test_gateway_and_service_agree_on_every_route(service: str) -> None:
    services = current_table()[service]
    assert len(services) >= 4
    wrong = []
    for template, methods in services.items():
        concrete = re.sub(r"\{[^}]+\}", "0f0e0d0c", template)
        path = concrete.removeprefix(f"/api/v1/{service}/")
        for method, scopes in methods.items():
            if not scopes:
                wrong.append(f"{method} {template}: the service declares no scope")
            if route_scopes(ROUTE_SCOPES[service], method, concrete) != (template, frozenset(scopes)):
                wrong.append(f"{method} {template}: resolves to another route")
            if required_scopes(service, method, path) != set(scopes):
                wrong.append(
                    f"{method} {template}: gateway {required_scopes(service, method, path)} != {scopes}"
                )
    assert wrong == []
