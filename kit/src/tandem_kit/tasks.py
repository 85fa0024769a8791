"""Stopping background tasks without hanging shutdown."""

import asyncio
from typing import Any

import structlog

log = structlog.get_logger("tandem.tasks")


async def cancel_and_wait(*tasks: "asyncio.Task[Any] | None", timeout: float = 10.0) -> None:
    """Cancel `tasks` and wait until they end, cancelling again while any is still running.

    One `cancel()` is not always enough: a task can swallow it (Python 3.11's `asyncio.wait_for`
    does when its inner future finishes at the same moment, gh-86296, and libraries use it). A task
    still running after `timeout` seconds is logged and left behind rather than blocking shutdown.
    """
    pending = {t for t in tasks if t is not None and not t.done()}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while pending:
        remaining = deadline - loop.time()
        if remaining <= 0:
            log.warning("tasks.still_running", tasks=sorted(t.get_name() for t in pending))
            return
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=min(0.5, remaining))
    for ended in tasks:
        if ended is not None and not ended.cancelled() and ended.exception() is not None:
            log.warning("tasks.failed", task=ended.get_name(), error_type=type(ended.exception()).__name__)
