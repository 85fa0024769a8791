"""The eligibility policy (lapse ages from the settings), built once by `app.py`."""

from typing import Annotated

from fastapi import Depends, Request

from tandem_matching.eligibility import Policy


def eligibility_policy(request: Request) -> Policy:
    policy: Policy = request.app.state.eligibility_policy
    return policy


PolicyDep = Annotated[Policy, Depends(eligibility_policy)]
