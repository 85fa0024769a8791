"""The module folders form layers: none imports a sibling that imports it back."""

import ast
from collections import defaultdict
from pathlib import Path

import tandem_scheduling

PACKAGE = Path(tandem_scheduling.__file__).parent


def imported_modules() -> dict[str, set[str]]:
    """Top-level module (folder or root file) -> the sibling modules its files import."""
    edges: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                dotted = node.module.split(".")
                if dotted[0] == "tandem_scheduling":
                    names = dotted[1:2] if len(dotted) > 1 else [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name.split(".")[1] for a in node.names if a.name.startswith("tandem_scheduling.")]
            edges[parts[0]].update(n for n in names if n != parts[0])
    return edges


def test_the_reader_sees_the_imports() -> None:
    edges = imported_modules()
    assert {"engagement", "session", "sla"} <= edges["lifecycle"]
    assert "auth" in edges["session"]


def test_no_module_imports_a_sibling_that_imports_it_back() -> None:
    edges = imported_modules()
    loops = sorted({tuple(sorted((a, b))) for a, targets in edges.items() for b in targets if a in edges[b]})
    assert loops == []
