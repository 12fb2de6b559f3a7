"""Rows of `../shared/argo-truth/expr-cases.tsv` (answers of Argo's real Go libraries) and
how localflow answers each, for the differential tests.

Fields are TSV-escaped (`\\\\`, `\\t`, `\\n`); `input` and the quoted parts of `expected(go)`
are then Python literals: `'...'`, or the body of a double-quoted literal when unquoted.
Run as a script to print the agreement and each difference (of another table in the same
form with its path as the argument, e.g. tests/expr/data/sprig-cases.tsv).
"""

from __future__ import annotations

import ast
import csv
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[3] / "shared"
TABLE = SHARED / "argo-truth" / "expr-cases.tsv"


@dataclass(frozen=True)
class Row:
    id: str
    kind: str
    input: str  # decoded
    context: str  # TSV-unescaped
    expected: str  # TSV-unescaped

    @property
    def is_error(self) -> bool:
        return self.expected.lower().startswith("error:")


def require_table() -> None:
    """Skip when ../shared is absent, but fail under CI (it must run there)."""
    import pytest

    if not TABLE.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the expression truth table, but {TABLE} is absent")
        pytest.skip(f"{TABLE} is absent")


def tsv_unescape(field: str) -> str:
    return re.sub(r"\\([\\tn])", lambda m: {"\\": "\\", "t": "\t", "n": "\n"}[m.group(1)], field)


def literal(text: str) -> str:
    """A Python string literal (`'...'` or `"..."`), or the body of a `"..."` one."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        try:
            value = ast.literal_eval(text)
            if isinstance(value, str):
                return value
        except (ValueError, SyntaxError):
            pass
    return ast.literal_eval('"' + text + '"')


#: Inputs the encoding leaves ambiguous: the body of a double-quoted literal that itself starts
#: and ends with `'` reads as a single-quoted literal. Go's answers show which was meant
#: (`'text'` answers "text"; `'\x41'` answers "A", as the expr-lang string literal does).
AS_WRITTEN = {"outputs-012": "'text'", "exprlang-308": "'\\x41'"}


def load_rows(table: Path = TABLE) -> list[Row]:
    with table.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        return [
            Row(r[0], r[2], AS_WRITTEN.get(r[0]) or literal(tsv_unescape(r[3])), tsv_unescape(r[4]),
                tsv_unescape(r[5]))
            for r in reader
        ]


def context(row: Row) -> dict[str, Any]:
    """`mode=...`, `vars=<json>`, `withParam=<json> index=N`, `layout='...'`."""
    ctx: dict[str, Any] = {}
    text = row.context.strip()
    m = re.match(r"mode=(\S+)\s*", text)
    if m:
        ctx["mode"] = m.group(1)
        text = text[m.end() :]
    if text.startswith("vars="):
        ctx["vars"] = json.loads(text[5:], strict=False)
    m = re.fullmatch(r"withParam=(.*) index=(\d+)", text)
    if m:
        ctx["withParam"], ctx["index"] = m.group(1), int(m.group(2))
    if text.startswith("layout="):
        ctx["layout"] = literal(text[7:])
    return ctx


# ----------------------------------------------------------------------------------------
# localflow's answer, in the form of the table's `expected(go)` column


def _typed(value: Any) -> str:
    from localflow.expr._gofmt import go_json, go_sprint, go_type_name, json_text

    try:
        js = go_json(value)
    except Exception as e:  # noqa: BLE001 - Go's json.Marshal error (+Inf, ...)
        js = f"json-error: {e}"
    # the table wrote Go's %v bytes as UTF-8 text, an invalid byte as U+FFFD
    return f"{go_type_name(value)} json={js} %v={json_text(go_sprint(value))!r}"


def _expected_typed(expected: str) -> str:
    m = re.fullmatch(r"(.*?) json=(.*) %v=(.*)", expected, re.S)
    if not m:
        return expected
    return f"{m.group(1)} json={m.group(2)} %v={literal(m.group(3))!r}"


def _env(ctx: dict) -> dict:
    from localflow.expr.template import expand

    return expand(ctx.get("vars") or {})


def _answer_when(row: Row, ctx: dict) -> str:
    from localflow.expr import evaluate_when

    return _typed(evaluate_when(row.input))


def _answer_expr(row: Row, ctx: dict) -> str:
    from localflow.expr import evaluate

    return _typed(evaluate(row.input, _env(ctx)))


def _answer_exprbool(row: Row, ctx: dict) -> str:
    from localflow.expr import evaluate_bool

    return _typed(evaluate_bool(row.input, _env(ctx)))


def _answer_tpl(row: Row, ctx: dict) -> str:
    from localflow.expr.template import argo_strict, render

    mode = ctx.get("mode", "allow")
    strict = {"allow": None, "strict": argo_strict(), "noallow": lambda _name: True}[mode]
    return repr(render(row.input, ctx.get("vars") or {}, strict=strict))


def _answer_item(row: Row, ctx: dict) -> str:
    from localflow.engine import loops
    from localflow.expr.template import render

    item = loops.expand_items(None, ctx["withParam"], None)[ctx["index"]]
    text = render(row.input, loops.item_values(item), strict=lambda _name: True)
    return f"{text!r} name={loops.child_name('loop', ctx['index'], item)!r}"


def _answer_outexpr(row: Row, ctx: dict) -> str:
    from localflow.engine.outputs import _as_text, evaluate_expression

    text = _as_text(evaluate_expression(row.input, {}))
    return "error" if text is None else repr(text)  # nil: "unable to resolve outputs.parameters.x"


def _answer_anystring(row: Row, ctx: dict) -> str:
    from localflow.spec.model.convert import anystring

    return repr(anystring(json.loads(row.input, parse_int=float)))  # Go decodes a JSON number as float64


def _answer_float(row: Row, ctx: dict) -> str:
    from localflow.expr._gofmt import go_format_float, go_json_float

    from localflow.errors import ExprError

    from localflow.expr._expr_builtins import go_parse_float

    try:
        f = go_parse_float(row.input)  # strconv.ParseFloat
    except ValueError as e:
        raise ExprError(str(e)) from None
    try:
        js = go_json_float(f)
    except ExprError as e:
        js = f"json-error: {e}"
    return f"%v={go_format_float(f)} g={go_format_float(f)} json={js}"


def _answer_timefmt(row: Row, ctx: dict) -> str:
    from localflow.expr import gotime

    t = gotime.parse_time("2006-01-02T15:04:05.999999999Z07:00", row.input).to_datetime()
    return repr(gotime.format_time(t, ctx["layout"]))


def _answer_duration(row: Row, ctx: dict) -> str:
    from localflow.expr import gotime
    from localflow.expr._gofmt import go_duration_string

    ns = gotime.parse_duration(row.input)
    return f"{go_duration_string(ns)!r} ns={ns}"


ANSWER = {
    "when": _answer_when,
    "expr": _answer_expr,
    "exprbool": _answer_exprbool,
    "tpl": _answer_tpl,
    "item": _answer_item,
    "outexpr": _answer_outexpr,
    "anystring": _answer_anystring,
    "float": _answer_float,
    "timefmt": _answer_timefmt,
    "duration": _answer_duration,
}


def expected(row: Row) -> str:
    """The Go answer in the form `answer` returns (`error` for any error)."""
    if row.is_error:
        return "error"
    if row.kind in ("when", "expr", "exprbool"):
        return _expected_typed(row.expected)
    if row.kind == "item":
        m = re.fullmatch(r"(.*) name=(.*)", row.expected, re.S)
        assert m, row
        return f"{literal(m.group(1))!r} name={literal(m.group(2))!r}"
    if row.kind in ("tpl", "outexpr", "anystring", "timefmt"):
        return repr(literal(row.expected))
    if row.kind == "duration":
        m = re.fullmatch(r"(.*) ns=(.*)", row.expected)
        assert m, row
        return f"{literal(m.group(1))!r} ns={m.group(2)}"
    return row.expected


def answer(row: Row) -> str:
    """localflow's answer (`error` when it raises one of its errors, `CRASH ...` for any
    other exception)."""
    from localflow.errors import LocalflowError

    try:
        return ANSWER[row.kind](row, context(row))
    except LocalflowError:
        return "error"
    except Exception as e:  # noqa: BLE001 - a crash is a difference, reported as such
        return f"CRASH {type(e).__name__}: {e}"


def main() -> int:
    rows = load_rows(Path(sys.argv[1]) if len(sys.argv) > 1 else TABLE)
    differ = []
    for row in rows:
        got = answer(row)
        want = expected(row)
        if got != want:
            differ.append((row, got, want))
    for row, got, want in differ:
        print(f"{row.id}\t{row.input!r}\n    go:        {want}\n    localflow: {got}")
    print(f"{len(rows) - len(differ)}/{len(rows)} agree")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())
    sys.exit(main())
