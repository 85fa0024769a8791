"""k-anonymity for aggregate tables: which cells may be published, and which must be suppressed.

A table is a list of cells, each a group (dimension -> value) with a head count. Publishing a cell
with fewer than k people (but more than none) singles people out, so it is suppressed (primary
suppression). Totals along any dimension are assumed known (a marginal table published after its own
check), so a lone suppressed cell in a line could be recomputed by subtraction: every line that hides
something hides at least two cells holding at least k people between them, or everything it has
(complementary suppression).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    BELOW_K = "below_k"
    COMPLEMENTARY = "complementary"


@dataclass(frozen=True)
class Cell:
    group: Mapping[str, str]
    count: int


def lines(cells: Sequence[Cell]) -> list[list[int]]:
    """Index lists of cells that sum to a published total: same values on all dimensions but one."""
    dimensions = sorted({d for cell in cells for d in cell.group})
    found: list[list[int]] = []
    for dimension in dimensions:
        by_rest: dict[tuple[tuple[str, str], ...], list[int]] = defaultdict(list)
        for index, cell in enumerate(cells):
            rest = tuple(sorted((d, v) for d, v in cell.group.items() if d != dimension))
            by_rest[rest].append(index)
        found.extend(by_rest.values())
    return found


def _protected(line: list[int], cells: Sequence[Cell], hidden: Mapping[int, Reason], k: int) -> bool:
    suppressed = [i for i in line if i in hidden]
    released = [i for i in line if i not in hidden]
    if not suppressed or not released:
        return True
    if len(suppressed) < 2:
        return False
    # Zero cells add nothing to the hidden total; only people in released cells can make up k.
    can_grow = any(cells[i].count > 0 for i in released)
    return sum(cells[i].count for i in suppressed) >= k or not can_grow


def suppress(cells: Sequence[Cell], k: int) -> dict[int, Reason]:
    """Indices of the cells to suppress, with why; every other cell may be published as is."""
    hidden = {i: Reason.BELOW_K for i, cell in enumerate(cells) if 0 < cell.count < k}
    all_lines = lines(cells)
    changed = bool(hidden)
    while changed:
        changed = False
        for line in all_lines:
            while not _protected(line, cells, hidden, k):
                released = [i for i in line if i not in hidden]
                # The smallest populated cell costs the least information; zeros only when none is left.
                pick = min(released, key=lambda i: (cells[i].count == 0, cells[i].count, i))
                hidden[pick] = Reason.COMPLEMENTARY
                changed = True
    return hidden
