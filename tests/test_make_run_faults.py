"""`make run`'s start-up faults: a one-line error naming the cause, a non-zero exit, nothing left running."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil

from tandem_kit.embedded import free_port


def run_stack(home: Path, **ports: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TANDEM_HOME": str(home)}
    for part in ("gateway", "matching", "scheduling", "consent", "analytics", "postgres", "nats"):
        env[f"TANDEM_{part.upper()}_PORT"] = str(ports.get(part) or free_port())
    return subprocess.run(
        [sys.executable, "-m", "tandem_devstack", "run"], env=env, capture_output=True, text=True, timeout=120
    )


def stack_processes(home: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(home) in cmdline:
            found.append(proc)
    return found


@contextlib.contextmanager
def taken_port() -> Iterator[int]:
    """A port something else is listening on, while the block runs."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def start_up_errors(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.startswith("tandem:")]


def test_port_taken(tmp_path: Path) -> None:
    with taken_port() as port:
        done = run_stack(tmp_path, scheduling=port)
    assert done.returncode == 1
    errors = start_up_errors(done)
    assert errors == [f"tandem: port {port} for scheduling is already in use (set TANDEM_SCHEDULING_PORT)"]
    assert stack_processes(tmp_path) == []


def test_postgres_fails_to_start(tmp_path: Path) -> None:
    (tmp_path / "postgres").write_text("not a data directory")  # initdb cannot use a file
    done = run_stack(tmp_path)
    assert done.returncode == 1
    errors = start_up_errors(done)
    assert len(errors) == 1
    assert errors[0].startswith(f"tandem: PostgreSQL data directory {tmp_path / 'postgres'} is unusable")
    assert stack_processes(tmp_path) == []


def test_postgres_port_taken(tmp_path: Path) -> None:
    with taken_port() as port:
        done = run_stack(tmp_path, postgres=port)
    assert done.returncode == 1
    errors = start_up_errors(done)
    assert errors == [f"tandem: PostgreSQL port {port} is already in use"]
    assert stack_processes(tmp_path) == []


def postmaster(stack: subprocess.Popen[str]) -> psutil.Process:
    (found,) = [
        child
        for child in psutil.Process(stack.pid).children()
        if child.name() == "postgres" and "-D" in child.cmdline()
    ]
    return found


def wait_for(check: Callable[[], Any], what: str, timeout: float = 180.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"{what} not within {timeout:.0f}s")


def test_killed_postgres_is_reaped_and_restarted(tmp_path: Path) -> None:
    ports = {part: free_port() for part in ("gateway", "matching", "scheduling", "consent", "analytics")}
    env = {**os.environ, "TANDEM_HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env |= {f"TANDEM_{part.upper()}_PORT": str(port) for part, port in ports.items()}
    env |= {"TANDEM_POSTGRES_PORT": str(free_port()), "TANDEM_NATS_PORT": str(free_port())}
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("w") as stdout, err.open("w") as stderr:
        stack = subprocess.Popen(
            [sys.executable, "-m", "tandem_devstack", "run"], env=env, stdout=stdout, stderr=stderr, text=True
        )
    try:
        wait_for(lambda: "Ctrl-C stops everything." in out.read_text() or stack.poll() is not None, "ready")
        assert stack.poll() is None, err.read_text()
        killed = postmaster(stack)
        killed.kill()
        restarted = f"tandem: PostgreSQL exited with code -{signal.SIGKILL}; restarted"
        wait_for(lambda: restarted in err.read_text().splitlines(), "the restart")
        assert not psutil.pid_exists(killed.pid)  # reaped, not a zombie
        assert postmaster(stack).pid != killed.pid

        def consent_ready() -> bool:
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(f"http://127.0.0.1:{ports['consent']}/readyz").status_code == 200
            return False

        wait_for(consent_ready, "consent ready on the restarted database")
    finally:
        stack.send_signal(signal.SIGTERM)
        stack.wait(60)
    assert stack.returncode == 0, err.read_text()
    assert stack_processes(tmp_path) == []
