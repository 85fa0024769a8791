"""`make run`'s start-up faults: a one-line error naming the cause, a non-zero exit, nothing left running."""

import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

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
