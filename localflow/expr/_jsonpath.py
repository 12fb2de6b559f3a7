"""JSONPath as Argo's `jsonpath(jsonStr, path)` evaluates it (evilmonkeyinc/jsonpath).

Supported: `$`, `.key`, `['key']`, `[0]`, `[-1]`, `[0,2]`, `[start:end:step]`, `*`,
`..key`, `.length` and filters `[?(@.age > 42 && @.name == 'x')]`. A single key or index
gives the value itself; wildcards, unions, ranges, filters and recursion give a list.
A missing key or an index out of range is an error. Scripts `[(@.length-1)]` are
supported for arithmetic on `@.length`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from lark import Transformer, v_args
from lark.exceptions import LarkError

from localflow.errors import ExprError
from localflow.expr._gofmt import Int64, from_json, go_sprint
from localflow.expr._lark import lazy_parser

GRAMMAR = r"""
start: "$" segment*

segment: "." KEY                 -> child
       | "." "*"                 -> wildcard
       | ".." KEY                -> recursive
       | ".." "*"                -> recursive_wildcard
       | ".." "[" subscript "]"  -> recursive_subscript
       | "[" subscript "]"       -> bracket

fsegment: "." FKEY            -> child
        | "." "*"             -> wildcard
        | "[" subscript "]"   -> bracket

?subscript: "*"                              -> wildcard_sub
          | item ("," item)*                 -> union
          | [INT] ":" [INT] [":" [INT]]      -> range
          | "?(" fexpr ")"                   -> filter
          | "(" fexpr ")"                    -> script

?item: INT       -> index
     | SQSTRING  -> key
     | DQSTRING  -> key

?fexpr: fexpr "||" fand   -> f_or
      | fand
?fand: fand "&&" fnot     -> f_and
     | fnot
?fnot: "!" fnot           -> f_not
     | fcmp
?fcmp: fsum CMP fsum      -> f_cmp
     | fsum "in" fsum     -> f_in
     | fsum "not" "in" fsum -> f_not_in
     | fsum
?fsum: fsum ADDOP fprod   -> f_arith
     | fprod
?fprod: fprod MULOP fatom -> f_arith
      | fatom
?fatom: "@" fsegment*     -> f_current
      | "$" fsegment*     -> f_root
      | NUMBER            -> f_number
      | INT               -> f_number
      | SQSTRING          -> f_string
      | DQSTRING          -> f_string
      | "true"            -> f_true
      | "false"           -> f_false
      | ("null" | "nil")  -> f_null
      | "(" fexpr ")"
      | "[" [fexpr ("," fexpr)*] "]" -> f_list

CMP: "==" | "!=" | "<=" | ">=" | "<" | ">" | "=~"
ADDOP: "+" | "-"
MULOP: "*" | "/" | "%"
KEY: /[^.\[\]\s*(),'"=<>!&|@$?+\/%~^]+/
FKEY: /[^.\[\]\s*(),'"=<>!&|@$?+\-\/%~^]+/
INT.2: /-?[0-9]+/
NUMBER.2: /-?[0-9]+\.[0-9]+([eE][+-]?[0-9]+)?/
SQSTRING: /'(?:[^'\\]|\\.)*'/
DQSTRING: /"(?:[^"\\]|\\.)*"/
%ignore /\s+/
"""


class _Err(Exception):
    """Evaluation failed (a missing key, a type mismatch)."""


class _Multi(list):
    """Results of a wildcard/union/range/filter: always returned as a list."""


def _unquote(tok: str) -> str:
    body = tok[1:-1]
    out, i = [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            out.append(body[i + 1])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


# ----------------------------------------------------------------------------------------
# selectors: each is a function (root, current, rest) -> value


@v_args(inline=True)
class _Build(Transformer):
    def start(self, *segments):
        return list(segments)

    def child(self, key):
        return ("key", str(key))

    def wildcard(self):
        return ("wildcard",)

    def recursive(self, key):
        return ("recursive", ("key", str(key)))

    def recursive_wildcard(self):
        return ("recursive", ("wildcard",))

    def recursive_subscript(self, sub):
        return ("recursive", sub)

    def bracket(self, sub):
        return sub

    def wildcard_sub(self):
        return ("wildcard",)

    def union(self, *items):
        if len(items) == 1:
            return items[0]
        return ("union", items)

    def index(self, tok):
        return ("index", int(tok))

    def key(self, tok):
        return ("key", _unquote(str(tok)))

    def range(self, start, stop, step):
        return ("range", _opt_int(start), _opt_int(stop), _opt_int(step))

    def filter(self, expr):
        return ("filter", expr)

    def script(self, expr):
        return ("script", expr)

    # filter expressions
    def f_or(self, a, b):
        return ("or", a, b)

    def f_and(self, a, b):
        return ("and", a, b)

    def f_not(self, a):
        return ("not", a)

    def f_cmp(self, a, op, b):
        return ("cmp", str(op), a, b)

    def f_in(self, a, b):
        return ("in", a, b)

    def f_not_in(self, a, b):
        return ("not", ("in", a, b))

    def f_arith(self, a, op, b):
        return ("arith", str(op), a, b)

    def f_current(self, *segments):
        return ("current", list(segments))

    def f_root(self, *segments):
        return ("root", list(segments))

    def f_number(self, tok):
        text = str(tok)
        return ("lit", float(text))

    def f_string(self, tok):
        return ("lit", _unquote(str(tok)))

    def f_true(self):
        return ("lit", True)

    def f_false(self):
        return ("lit", False)

    def f_null(self):
        return ("lit", None)

    def f_list(self, *items):
        return ("list", [i for i in items if i is not None])


def _opt_int(tok: Any) -> int | None:
    return None if tok is None else int(tok)


_get_parser = lazy_parser("jsonpath", GRAMMAR, maybe_placeholders=True)


@lru_cache(maxsize=512)
def compile_path(path: str) -> tuple:
    try:
        return tuple(_Build().transform(_get_parser().parse(path)))
    except LarkError as e:
        raise ExprError(
            f"invalid JSONPath {path!r}: {str(e).splitlines()[0]}"
        ) from None


# ----------------------------------------------------------------------------------------
# evaluation


def _apply(root: Any, current: Any, segs: tuple | list) -> Any:
    if not segs:
        return current
    seg, rest = segs[0], segs[1:]
    kind = seg[0]
    if kind == "key":
        return _apply(root, _child(current, seg[1]), rest)
    if kind == "index":
        return _apply(root, _at(current, seg[1]), rest)
    if kind == "script":
        return _apply(root, _script(root, current, seg[1]), rest)
    if kind == "wildcard":
        return _each(root, _children(current), rest)
    if kind == "union":
        values = [
            _child(current, s[1]) if s[0] == "key" else _at(current, s[1])
            for s in seg[1]
        ]
        return _each(root, values, rest)
    if kind == "range":
        return _each(root, _range(current, *seg[1:]), rest)
    if kind == "filter":
        kept = [x for x in _children(current) if _include(root, x, seg[1])]
        if rest and rest[0][0] == "index":
            return _apply(root, _at(kept, rest[0][1]), rest[1:])
        return _each(root, kept, rest)
    if kind == "recursive":
        found = _Multi()
        for node in _descendants(current):
            try:
                value = _apply(root, node, [seg[1]])
            except _Err:
                continue
            if isinstance(value, _Multi):
                found.extend(value)
            else:
                found.append(value)
        return _each(root, found, rest)
    raise _Err(f"unsupported selector {kind}")  # pragma: no cover


def _each(root: Any, values: list, rest: tuple | list) -> _Multi:
    out = _Multi()
    for v in values:
        if not rest:
            out.append(v)
            continue
        try:
            result = _apply(root, v, rest)
        except _Err:
            continue
        if result is not None:
            out.append(result)
    return out


def _child(current: Any, key: str) -> Any:
    if isinstance(current, dict):
        if key in current:
            return current[key]
        if key == "length":
            return Int64(len(current))
        raise _Err(f"key: invalid token key '{key}' not found")
    if key == "length" and isinstance(current, (list, str)):
        return Int64(len(current))
    if current is None:
        raise _Err("key: invalid token target. expected [map] got [nil]")
    raise _Err(
        f"key: invalid token target. expected [map] got [{type(current).__name__}]"
    )


def _at(current: Any, index: int) -> Any:
    if not isinstance(current, list):
        raise _Err("index: invalid token target. expected [array slice]")
    i = index + len(current) if index < 0 else index
    if not 0 <= i < len(current):
        raise _Err("index: invalid token out of range")
    return current[i]


def _children(current: Any) -> list:
    if isinstance(current, list):
        return list(current)
    if isinstance(current, dict):
        return [current[k] for k in sorted(current)]
    raise _Err("wildcard: invalid token target. expected [array map slice]")


def _range(current: Any, start: int | None, stop: int | None, step: int | None) -> list:
    if not isinstance(current, list):
        raise _Err("range: invalid token target. expected [array slice]")
    n = len(current)
    a = 0 if start is None else (start + n if start < 0 else start)
    b = n if stop is None else (stop + n if stop < 0 else stop)
    a, b = max(0, min(a, n)), max(0, min(b, n))
    s = 1 if step is None else step
    if s == 0:
        raise _Err("range: invalid token argument")
    part = current[a:b]
    return part[:: abs(s)][:: -1 if s < 0 else 1]


def _descendants(node: Any) -> list:
    out = [node]
    for child in _children(node) if isinstance(node, (list, dict)) else []:
        out.extend(_descendants(child))
    return out


def _script(root: Any, current: Any, expr: tuple) -> Any:
    key = _eval(root, current, expr)
    if isinstance(key, float) and key.is_integer():
        return _at(current, int(key))
    if isinstance(key, str):
        return _child(current, key)
    raise _Err("script: unexpected expression result")


def _include(root: Any, element: Any, expr: tuple) -> bool:
    try:
        value = _eval(root, element, expr)
    except _Err:
        return False
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (list, dict)):
        return len(value) > 0
    if isinstance(value, str):
        if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        return value != ""
    return value != 0


def _number(v: Any) -> float:
    if isinstance(v, bool) or v is None:
        raise _Err("expected number")
    if isinstance(v, (int, float)):
        return float(v)
    try:
        return float(go_sprint(v))
    except ValueError:
        raise _Err("expected number") from None


def _truthy(v: Any) -> bool:
    if v is None:
        return False
    text = go_sprint(v)
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise _Err("expected boolean")


def _equal(a: Any, b: Any) -> bool:
    try:
        return _number(a) == _number(b)
    except _Err:
        pass
    if a is None or b is None:
        return a is None and b is None
    return go_sprint(a) == go_sprint(b)


def _eval(root: Any, current: Any, expr: tuple) -> Any:
    kind = expr[0]
    if kind == "lit":
        return expr[1]
    if kind == "current":
        return _apply(root, current, expr[1])
    if kind == "root":
        return _apply(root, root, expr[1])
    if kind == "list":
        return [_eval(root, current, e) for e in expr[1]]
    if kind == "or":
        return _truthy(_eval(root, current, expr[1])) or _truthy(
            _eval(root, current, expr[2])
        )
    if kind == "and":
        return _truthy(_eval(root, current, expr[1])) and _truthy(
            _eval(root, current, expr[2])
        )
    if kind == "not":
        return not _truthy(_eval(root, current, expr[1]))
    if kind == "in":
        needle, hay = _eval(root, current, expr[1]), _eval(root, current, expr[2])
        items = hay.values() if isinstance(hay, dict) else hay
        if not isinstance(items, (list, type({}.values()))):
            raise _Err("in: expected collection")
        return any(_equal(needle, x) for x in items)
    if kind == "arith":
        op, a, b = (
            expr[1],
            _number(_eval(root, current, expr[2])),
            _number(_eval(root, current, expr[3])),
        )
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if b == 0:
            raise _Err("division by zero")
        return a / b if op == "/" else float(int(a) % int(b))
    # comparison
    op, a, b = expr[1], _eval(root, current, expr[2]), _eval(root, current, expr[3])
    if op == "==":
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    if op == "=~":
        from localflow.expr._expr_runtime import go_regexp

        return go_regexp(go_sprint(b)).search(go_sprint(a)) is not None
    x, y = _number(a), _number(b)
    return {"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]


def query(json_text: str, path: str) -> Any:
    """`jsonpath(jsonStr, path)`: parse the JSON text and select."""
    data = from_json(json_text)
    segments = compile_path(path)
    try:
        result = _apply(data, data, segments)
    except _Err as e:
        raise ExprError(f"jsonpath {path!r}: {e}") from None
    return list(result) if isinstance(result, _Multi) else result
