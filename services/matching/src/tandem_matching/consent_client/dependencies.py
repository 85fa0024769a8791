from typing import Annotated

from fastapi import Depends, Request

from tandem_matching.consent_client.gate import ConsentGate


def get_consent_gate(request: Request) -> ConsentGate:
    gate: ConsentGate = request.app.state.consent_gate
    return gate


ConsentGateDep = Annotated[ConsentGate, Depends(get_consent_gate)]
