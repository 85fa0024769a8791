"""Shutdown never hangs on a background task, even one that swallows a cancellation."""

import asyncio
import contextlib
from types import SimpleNamespace

from tandem_kit.tasks import background, cancel_and_wait, repeat


async def test_a_task_that_swallows_one_cancellation_is_cancelled_again() -> None:
    swallowed: list[int] = []

    async def stubborn() -> None:
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed.append(1)  # what 3.11's wait_for does when its inner future just finished

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    await cancel_and_wait(task, timeout=5)
    assert task.cancelled()
    assert swallowed == [1]


async def test_a_task_that_never_ends_is_left_behind_after_the_timeout() -> None:
    release = asyncio.Event()

    async def immortal() -> None:
        while not release.is_set():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(3600)

    task = asyncio.create_task(immortal())
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await cancel_and_wait(task, timeout=0.3)
    assert 0.3 <= loop.time() - started < 2
    assert not task.done()
    release.set()
    await cancel_and_wait(task, timeout=5)
    assert task.done()


async def test_finished_and_missing_tasks_are_fine() -> None:
    done = asyncio.create_task(asyncio.sleep(0))
    await done
    await cancel_and_wait(done, None)
    assert done.done()
    assert not done.cancelled()


async def test_a_failing_round_does_not_stop_the_repeat() -> None:
    rounds: list[int] = []

    async def step() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise RuntimeError("database briefly away")

    task = asyncio.create_task(repeat(step, 0.01, failure_event="test.round_failed"))
    while len(rounds) < 3:
        await asyncio.sleep(0.01)
    await cancel_and_wait(task)
    assert task.cancelled()
    assert rounds[:3] == [0, 1, 2]


async def test_background_hooks_start_and_stop_the_task() -> None:
    app = SimpleNamespace(state=SimpleNamespace())
    started = asyncio.Event()

    async def forever(_: object) -> None:
        started.set()
        await asyncio.sleep(3600)

    start, stop = background("worker", forever)
    await start(app)
    await started.wait()
    task = app.state.worker
    await stop(app)
    assert task.cancelled()
    off_start, off_stop = background("idle", forever, enabled=False)
    await off_start(app)
    assert not hasattr(app.state, "idle")
    await off_stop(app)  # nothing to stop
