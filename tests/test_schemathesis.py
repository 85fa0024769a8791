"""Every part's OpenAPI document describes what it answers: schemathesis against the running stack.

For each operation of the gateway's and every service's document, a bounded number of generated
requests (valid ones and invalid ones) with a token holding every scope; each answer must be no
server error, a documented status, the documented content type and the documented schema. The
stack is this module's own: fuzzed writes (key rotations, retention policies...) reach no other test.
"""

import json
import os
from collections.abc import Callable
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tandem_devstack.stack import PARTS, Stack

# Per operation and generation mode; TANDEM_FUZZ_EXAMPLES raises it for a longer run by hand.
MAX_EXAMPLES = int(os.environ.get("TANDEM_FUZZ_EXAMPLES", "4"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)


# KNOWN (issue 9 items 6/7, being fixed by the "input" branch): integers beyond PostgreSQL's bigint
# and strings with NUL characters reach the database and answer 500. Only a 500 to such a request is
# let through; remove this once that branch is merged.


def modes(operation: Any) -> tuple[schemathesis.GenerationMode, ...]:
    """Form bodies (OAuth) of free strings have almost no invalid encodable value: finding a few takes
    a minute per operation, so they get valid requests only (gateway/tests/oauth covers refusals)."""
    content = operation.definition.raw.get("requestBody", {}).get("content", {})
    return MODES[:1] if "application/x-www-form-urlencoded" in content else MODES


def dev_token(stack: Stack) -> str:
    creds = json.loads((stack.config.home / "dev-client.json").read_text())
    resp = requests.post(
        f"{stack.config.url('gateway')}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(creds["client_id"], creds["client_secret"]),
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    token: str = resp.json()["access_token"]
    return token


def run_operation(check: Callable[[Any], None], strategy: Any) -> None:
    settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        # No shrinking: a failure is reported as found, and CI stays bounded.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )(given(case=strategy)(check))()


@pytest.mark.parametrize("part", [p.name for p in PARTS])
def test_openapi_describes_every_answer(own_stack: Stack, part: str) -> None:
    base = own_stack.config.url(part)
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/{part}/openapi.json")
    headers = {"Authorization": f"Bearer {dev_token(own_stack)}"}
    failures: list[str] = []
    with requests.Session() as http:
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in modes(operation):

                def check(case: Any) -> None:
                    response = case.call(base_url=base, session=http, headers=headers)
                    case.validate_response(response, checks=CHECKS, headers=headers)

                try:
                    run_operation(check, operation.as_strategy(generation_mode=mode))
                except Unsatisfiable:
                    # No invalid request exists for an operation without parameters or body.
                    assert mode is schemathesis.GenerationMode.NEGATIVE
                # Schemathesis reports its findings as an exception group.
                except (Exception, BaseExceptionGroup) as exc:
                    failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
