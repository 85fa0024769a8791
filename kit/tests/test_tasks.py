"""Shutdown never hangs on a background task, even one that swallows a cancellation."""

import asyncio
import contextlib

from tandem_kit.tasks import cancel_and_wait


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
