"""Stopping background tasks without hanging shutdown."""

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
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


async def repeat(step: Callable[[], Awaitable[object]], every_seconds: float, *, failure_event: str) -> None:
    """Run `step` every `every_seconds` until cancelled. A failing round (the database briefly away,
    say) is logged as `failure_event` and the next round runs."""
    while True:
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning(failure_event, error_type=type(exc).__name__)
        await asyncio.sleep(every_seconds)


def background(
    state_key: str, make: Callable[[Any], Coroutine[Any, Any, None]], *, enabled: bool = True
) -> tuple[Callable[[Any], Awaitable[None]], Callable[[Any], Awaitable[None]]]:
    """Start-up and shutdown hooks for a task that lives as long as the app: `make(app)` is started
    as `app.state.<state_key>` (unless not `enabled`) and cancelled, bounded, at shutdown."""

    async def start(app: Any) -> None:
        if enabled:
            setattr(app.state, state_key, asyncio.create_task(make(app), name=state_key))

    async def stop(app: Any) -> None:
        await cancel_and_wait(getattr(app.state, state_key, None))

    return start, stop
