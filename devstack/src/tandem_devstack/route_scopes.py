"""The gateway's route -> scope table, read from the services' own `Authenticator` declarations.

`python -m tandem_devstack route-scopes` writes it to gateway/src/tandem_gateway/routing/route_scopes.json;
tests/test_route_scopes.py fails when the committed table and the services disagree.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from tandem_devstack.stack import PARTS, REPO
from tandem_kit.auth import route_scopes

TABLE = REPO / "gateway" / "src" / "tandem_gateway" / "routing" / "route_scopes.json"


def service_table(service: str) -> dict[str, dict[str, list[str]]]:
    """What each REST route of `service` requires, from an app built with test settings (no I/O)."""
    app_module = importlib.import_module(f"tandem_{service}.app")
    settings_module = importlib.import_module(f"tandem_{service}.settings")
    app = app_module.create_app(settings_module.Settings(environment="test"))
    return route_scopes(app, prefix=f"/api/v1/{service}/")


def current_table() -> dict[str, Any]:
    return {part.name: service_table(part.name) for part in PARTS[1:]}


def render(table: dict[str, Any]) -> str:
    return json.dumps(table, indent=2, sort_keys=True) + "\n"


def export() -> int:
    TABLE.write_text(render(current_table()))
    print(f"wrote {TABLE.relative_to(REPO)}")
    return 0
