"""The module map holds: no folder of tandem_matching imports a sibling that imports it back."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "tandem_matching"


def imported_siblings(path: Path, own: str) -> set[str]:
    """The top-level tandem_matching modules `path` imports (names imported from the package count)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.split(".")[0] == "tandem_matching"
        ):
            parts = node.module.split(".")
            found.update([parts[1]] if len(parts) > 1 else [alias.name for alias in node.names])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("tandem_matching."))
    return found - {own}


def test_no_module_imports_a_sibling_that_imports_it_back() -> None:
    edges: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        own = path.relative_to(SRC).parts[0].removesuffix(".py")
        edges.setdefault(own, set()).update(imported_siblings(path, own))
    loops = sorted(
        (a, b) for a, targets in edges.items() for b in targets if a < b and a in edges.get(b, set())
    )
    assert loops == []
    # The shape the module map promises: ranking sits below every module that proposes or decides.
    assert {"proposal", "review", "match", "cohort"}.isdisjoint(edges["ranking"])
    assert "review" not in edges["proposal"]
    # The directory projection sits low: it reads only the models; ranking and above read it.
    assert edges["directory"] <= {"models"}
    assert "directory" in edges["ranking"]
    # The read-back is a leaf: nothing imports it but the app.
    assert [own for own, targets in edges.items() if "readback" in targets] == ["app"]
