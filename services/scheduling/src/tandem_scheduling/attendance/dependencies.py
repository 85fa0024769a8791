from typing import Annotated

from fastapi import Depends, Request

from tandem_scheduling.attendance.service import AttendancePolicy


def get_policy(request: Request) -> AttendancePolicy:
    policy: AttendancePolicy = request.app.state.attendance_policy
    return policy


PolicyDep = Annotated[AttendancePolicy, Depends(get_policy)]
