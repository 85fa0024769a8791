"""Pure tests of k-anonymity suppression: primary, complementary, and the invariants on any table."""

from hypothesis import given, settings
from hypothesis import strategies as st

from tandem_consent.anonymity.domain import Cell, Reason, lines, suppress


def table(counts: dict[tuple[str, str], int]) -> list[Cell]:
    return [Cell({"program": p, "level": lv}, n) for (p, lv), n in counts.items()]


def test_everything_at_or_above_k_is_published() -> None:
    cells = [Cell({"program": "a"}, 5), Cell({"program": "b"}, 9), Cell({"program": "c"}, 0)]
    assert suppress(cells, 5) == {}


def test_small_cell_and_its_complement_are_suppressed() -> None:
    cells = [Cell({"program": "a"}, 2), Cell({"program": "b"}, 9), Cell({"program": "c"}, 7)]
    # With the program total public, hiding "a" alone gives it away: the smallest other cell goes too.
    assert suppress(cells, 5) == {0: Reason.BELOW_K, 2: Reason.COMPLEMENTARY}


def test_two_small_cells_below_k_together_take_a_third() -> None:
    cells = [
        Cell({"program": "a"}, 1),
        Cell({"program": "b"}, 1),
        Cell({"program": "c"}, 8),
        Cell({"program": "d"}, 6),
    ]
    assert suppress(cells, 5) == {0: Reason.BELOW_K, 1: Reason.BELOW_K, 3: Reason.COMPLEMENTARY}


def test_zero_cells_are_published_and_picked_last() -> None:
    cells = [Cell({"program": "a"}, 3), Cell({"program": "b"}, 0), Cell({"program": "c"}, 12)]
    assert suppress(cells, 5) == {0: Reason.BELOW_K, 2: Reason.COMPLEMENTARY}


def test_suppression_propagates_across_dimensions() -> None:
    cells = table({("p1", "L1"): 2, ("p1", "L2"): 10, ("p2", "L1"): 10, ("p2", "L2"): 10})
    hidden = suppress(cells, 5)
    # The classic 2x2: one small cell forces the whole rectangle.
    assert hidden == {
        0: Reason.BELOW_K,
        1: Reason.COMPLEMENTARY,
        2: Reason.COMPLEMENTARY,
        3: Reason.COMPLEMENTARY,
    }


def test_lines_group_cells_that_share_all_other_dimensions() -> None:
    cells = table({("p1", "L1"): 1, ("p1", "L2"): 1, ("p2", "L1"): 1})
    assert sorted(map(sorted, lines(cells))) == [[0, 1], [0, 2], [1], [2]]


tables = st.dictionaries(
    st.tuples(st.sampled_from(["p1", "p2", "p3"]), st.sampled_from(["L1", "L2", "L3", "L4"])),
    st.integers(min_value=0, max_value=12),
    min_size=1,
)


@settings(max_examples=300)
@given(counts=tables, k=st.integers(min_value=2, max_value=10))
def test_no_small_cell_published_and_no_line_gives_one_away(
    counts: dict[tuple[str, str], int], k: int
) -> None:
    cells = table(counts)
    hidden = suppress(cells, k)
    for index, cell in enumerate(cells):
        if 0 < cell.count < k:
            assert hidden[index] is Reason.BELOW_K
        if index not in hidden:
            assert cell.count == 0 or cell.count >= k
    for line in lines(cells):
        suppressed = [i for i in line if i in hidden]
        released = [i for i in line if i not in hidden]
        if suppressed and released:
            assert len(suppressed) >= 2
            assert sum(cells[i].count for i in suppressed) >= k or all(cells[i].count == 0 for i in released)


@given(counts=tables, k=st.integers(min_value=2, max_value=10))
def test_complementary_cells_were_publishable(counts: dict[tuple[str, str], int], k: int) -> None:
    cells = table(counts)
    for index, reason in suppress(cells, k).items():
        if reason is Reason.COMPLEMENTARY:
            assert cells[index].count == 0 or cells[index].count >= k
