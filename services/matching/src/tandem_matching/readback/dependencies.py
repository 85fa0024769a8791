from typing import Annotated

from fastapi import Depends, Request

from tandem_matching.consent_client.gate import ConsentGate


def get_readback_gate(request: Request) -> ConsentGate:
    gate: ConsentGate = request.app.state.readback_gate
    return gate


ReadbackGateDep = Annotated[ConsentGate, Depends(get_readback_gate)]
"""The consent gate for purpose `hris_readback` (never cached: a withdrawal counts at once)."""
