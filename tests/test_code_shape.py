"""Issue 13's size rule: no function in localflow/ is longer than 80 lines, parsers and lexers aside.

LONG_FUNCTIONS lists the ones that are longer today, with why; the list only shrinks: an entry whose
function is gone or short enough fails the test until it is removed."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "localflow"
MAX_LINES = 80

# "path:function" -> why it may be longer (issue 13)
LONG_FUNCTIONS: dict[str, str] = {
    "expr/_gotime_parse.py:_parse": "a parser of Go time layouts (parsers and lexers aside)",
}


def long_functions() -> dict[str, int]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_LINES:
                    out[f"{path.relative_to(PACKAGE).as_posix()}:{node.name}"] = lines
    return out


def test_no_function_is_longer_than_80_lines():
    new = {k: v for k, v in long_functions().items() if k not in LONG_FUNCTIONS}
    assert not new, f"functions over {MAX_LINES} lines: " + ", ".join(f"{k} ({v})" for k, v in sorted(new.items()))


def test_long_functions_list_only_shrinks():
    stale = sorted(set(LONG_FUNCTIONS) - set(long_functions()))
    assert not stale, "now short enough, remove from LONG_FUNCTIONS in tests/test_code_shape.py: " + ", ".join(stale)
