"""Every row of `../shared/argo-truth/expr-cases.tsv`: localflow answers as the real Go
libraries Argo links did (govaluate, expr-lang with Argo's functions, sprig, Argo's
`util/template`, loop items, Go's fmt/time). Both sides erroring counts as agreement.

`EXPECTED_DIFFERENCES` lists, by id, the rows localflow does not yet answer as Go does;
each is checked to still differ, so the list shrinks as they are fixed.
"""

from __future__ import annotations


import pytest

import expr_truth_table as T

#: id -> why it differs (docs/conformance.md explains those that cannot be fixed)
EXPECTED_DIFFERENCES: dict[str, str] = {}


def _rows() -> list:
    return T.load_rows() if T.TABLE.is_file() else []


ROWS = _rows()


def test_the_table_is_there():
    T.require_table()
    assert len(ROWS) >= 885


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_row_agrees_with_go(row):
    got, want = T.answer(row), T.expected(row)
    if row.id in EXPECTED_DIFFERENCES:
        assert got != want, f"{row.id} now agrees: remove it from EXPECTED_DIFFERENCES"
        return
    assert got == want, f"{row.id}: {row.input!r} ({row.context})"


def test_expected_differences_are_rows():
    ids = {r.id for r in ROWS}
    if not ids:
        pytest.skip("the table is absent")
    assert set(EXPECTED_DIFFERENCES) <= ids
