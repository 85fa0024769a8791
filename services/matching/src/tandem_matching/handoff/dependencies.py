from typing import Annotated

from fastapi import Depends, Request

from tandem_matching.consent_client.gate import ConsentGate


def get_handoff_gate(request: Request) -> ConsentGate:
    gate: ConsentGate = request.app.state.handoff_gate
    return gate


HandoffGateDep = Annotated[ConsentGate, Depends(get_handoff_gate)]
"""The consent gate for purpose `handoff` (never cached: a withdrawal hides the context at once)."""
