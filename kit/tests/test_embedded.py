"""Embedded PostgreSQL and NATS never outlive the process that started them."""

import subprocess
import sys
import time
from pathlib import Path

import psutil

SCRIPT = """
import os, sys
from pathlib import Path
from tandem_kit.embedded import EmbeddedNats, EmbeddedPostgres, free_port
home = Path(sys.argv[1])
EmbeddedPostgres(home / "pg", free_port()).start()
EmbeddedNats(home / "nats", free_port()).start()
print("started", flush=True)
os._exit(0)  # dies without stopping anything, like a killed test run
"""


def processes_under(home: Path) -> list[int]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if str(home) in " ".join(proc.info["cmdline"] or []):
            found.append(proc.pid)
    return found


def test_children_die_with_their_parent(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "started"
    deadline = time.monotonic() + 15
    while processes_under(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_under(tmp_path) == []
