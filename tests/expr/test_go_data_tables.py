"""Every row of the tables in tests/expr/data/ (answered by the real Go libraries; README there):
sprig's functions, `when` conditions, and Go's float, duration and time formatting."""

from __future__ import annotations

from pathlib import Path

import expr_truth_table as T
import pytest

DATA = Path(__file__).parent / "data"
SPRIG_ROWS = T.load_rows(DATA / "sprig-cases.tsv")
ROWS = SPRIG_ROWS + T.load_rows(DATA / "gofmt-cases.tsv") + T.load_rows(DATA / "when-cases.tsv")


def test_every_deterministic_sprig_function_is_covered():
    from localflow.expr import _sprig

    covered = {r.input.split("(", 1)[0].removeprefix("sprig.") for r in SPRIG_ROWS}
    random_or_unavailable = {
        "now", "ago", "date", "date_in_zone", "dateInZone", "date_modify", "dateModify", "must_date_modify",
        "mustDateModify", "htmlDate", "htmlDateInZone", "toDate", "mustToDate", "unixEpoch", "randAlphaNum",
        "randAlpha", "randAscii", "randNumeric", "randInt", "randBytes", "uuidv4", "shuffle", "bcrypt",
        "genPrivateKey", "encryptAES", "getHostByName", "buildCustomCert", "genCA", "genCAWithKey",
        "genSelfSignedCert", "genSelfSignedCertWithKey", "genSignedCert", "genSignedCertWithKey",
    }
    other_versions = {  # see data/README.md
        "derivePassword", "merge", "mergeOverwrite", "mustMerge", "mustMergeOverwrite", "sha512sum",
        "snakecase", "camelcase", "kebabcase", "int", "int64", "float64", "toDecimal",
    }
    assert set(_sprig.FUNCTIONS) - covered <= random_or_unavailable | other_versions


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_row_agrees_with_go(row):
    assert T.answer(row) == T.expected(row), f"{row.id}: {row.input!r}"
