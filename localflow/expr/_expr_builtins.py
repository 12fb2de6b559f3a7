"""expr-lang's builtin functions (`builtin/builtin.go`), Go semantics in Python.

`FUNCTIONS` maps a name to a function of evaluated arguments. The builtins that take a
predicate (`filter`, `map`, `all`, ...) are in `_expr_predicates`.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable
from typing import Any

from localflow.errors import ExprError
from localflow.expr import _expr_runtime as R
from localflow.expr._expr_builtins_data import (
    _bit,
    _shift,
    arg_count,
    b_bitnot,
    b_concat,
    b_date,
    b_duration,
    b_first,
    b_flatten,
    b_from_base64,
    b_from_json,
    b_from_pairs,
    b_get,
    b_keys,
    b_last,
    b_now,
    b_reverse,
    b_sort,
    b_take,
    b_timezone,
    b_to_base64,
    b_to_json,
    b_to_pairs,
    b_uniq,
    b_values,
    list_arg,
    str_arg,
)
from localflow.expr._gofmt import Duration, StringList, go_sprint, go_type_name

# ----------------------------------------------------------------------------------------
# conversions


def go_atoi(s: str) -> int:
    """strconv.Atoi."""
    body = s[1:] if s[:1] in "+-" else s
    if not body or not body.isascii() or not body.isdigit():
        raise ValueError(s)
    value = int(s)
    if not R.INT64_MIN <= value <= R.INT64_MAX:
        raise ValueError(s)
    return value


def go_parse_float(s: str) -> float:
    """strconv.ParseFloat(s, 64)."""
    low = s.lower().lstrip("+-")
    if low in ("inf", "infinity"):
        return -math.inf if s.startswith("-") else math.inf
    if low == "nan":
        return math.nan
    if not s or any(c.isspace() for c in s) or not s.isascii():
        raise ValueError(s)
    if low.startswith("0x"):  # a hex mantissa needs a p exponent; `0x_1p0` as in Go literals
        if "p" not in low or "__" in low or low.endswith("_") or "_p" in low or "_." in low:
            raise ValueError(s)
        f = float.fromhex(s.replace("_", ""))
    else:
        f = float(s)  # Python's underscore rule (between digits) is Go's
    if math.isinf(f):
        raise ValueError(f'strconv.ParseFloat: parsing "{s}": value out of range')
    return f


def b_int(x: Any) -> int:
    if R.is_int(x):
        return x
    if isinstance(x, float):
        return R.to_int(x)
    if isinstance(x, str):
        try:
            return go_atoi(x)
        except ValueError:
            raise ExprError(f"invalid operation: int({x})") from None
    raise ExprError(f"invalid operation: int({go_type_name(x)})")


def b_float(x: Any) -> float:
    if R.is_number(x):
        return float(x)
    if isinstance(x, str):
        try:
            return go_parse_float(x)
        except ValueError:
            raise ExprError(f"invalid operation: float({x})") from None
    raise ExprError(f"invalid operation: float({go_type_name(x)})")


def b_string(x: Any) -> str:
    return go_sprint(x)


def b_type(x: Any) -> str:
    if x is None:
        return "nil"
    if isinstance(x, bool):
        return "bool"
    if isinstance(x, int):
        return "int"
    if isinstance(x, float):
        return "float"
    if isinstance(x, str):
        return "string"
    if isinstance(x, list):
        return "array"
    if isinstance(x, dict):
        return "map"
    if isinstance(x, (_dt.datetime, Duration)):
        return go_type_name(x)
    if callable(x):
        return "func"
    return "unknown"


def _round_half_away(x: float) -> float:
    if math.isnan(x) or math.isinf(x):
        return x
    return math.copysign(math.floor(abs(x) + 0.5), x)


def _num1(name: str, fn: Callable[[float], float]) -> Callable[[Any], Any]:
    def f(x: Any) -> Any:
        if R.is_int(x):
            return float(x)
        if isinstance(x, float):
            return fn(x)
        raise ExprError(f"invalid argument for {name} (type {go_type_name(x)})")

    return f


def b_abs(x: Any) -> Any:
    if R.is_number(x):
        return abs(x)
    raise ExprError(f"invalid argument for abs (type {go_type_name(x)})")


# ----------------------------------------------------------------------------------------
# strings

_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    chr(c) for c in range(0x2000, 0x200B)
)


def b_trim(*args: Any) -> str:
    arg_count("trim", args, 1, 2)
    s = str_arg(args[0], "trim")
    if len(args) == 1:
        return s.strip(_GO_SPACE)
    return s.strip(str_arg(args[1], "trim"))


def b_trim_prefix(*args: Any) -> str:
    arg_count("trimPrefix", args, 1, 2)
    s, p = (
        str_arg(args[0], "trimPrefix"),
        (str_arg(args[1], "trimPrefix") if len(args) == 2 else " "),
    )
    return s[len(p) :] if p and s.startswith(p) else s


def b_trim_suffix(*args: Any) -> str:
    arg_count("trimSuffix", args, 1, 2)
    s, p = (
        str_arg(args[0], "trimSuffix"),
        (str_arg(args[1], "trimSuffix") if len(args) == 2 else " "),
    )
    return s[: -len(p)] if p and s.endswith(p) else s


def go_split(s: str, sep: str, n: int = -1, after: bool = False) -> list[str]:
    """strings.SplitN / SplitAfterN."""
    if n == 0:
        return []
    if sep == "":
        chars = list(s)
        if n > 0 and len(chars) > n:
            chars = chars[: n - 1] + ["".join(chars[n - 1 :])]
        return chars
    parts: list[str] = []
    start = 0
    while n < 0 or len(parts) < n - 1:
        idx = s.find(sep, start)
        if idx < 0:
            break
        parts.append(s[start : idx + (len(sep) if after else 0)])
        start = idx + len(sep)
    parts.append(s[start:])
    return parts


def b_split(*args: Any) -> list[str]:
    arg_count("split", args, 2, 3)
    n = R.to_int(args[2]) if len(args) == 3 else -1
    return StringList(go_split(str_arg(args[0], "split"), str_arg(args[1], "split"), n))


def b_split_after(*args: Any) -> list[str]:
    arg_count("splitAfter", args, 2, 3)
    n = R.to_int(args[2]) if len(args) == 3 else -1
    return StringList(go_split(
        str_arg(args[0], "splitAfter"), str_arg(args[1], "splitAfter"), n, after=True
    ))


def go_replace(s: str, old: str, new: str, n: int = -1) -> str:
    if n < 0:
        return s.replace(old, new)
    return s.replace(old, new, n)


def b_replace(*args: Any) -> str:
    arg_count("replace", args, 3, 4)
    n = R.to_int(args[3]) if len(args) == 4 else -1
    return go_replace(
        str_arg(args[0], "replace"),
        str_arg(args[1], "replace"),
        str_arg(args[2], "replace"),
        n,
    )


def b_repeat(s: Any, n: Any) -> str:
    count = R.to_int(n)
    if count < 0:
        raise ExprError(
            f"invalid argument for repeat (expected positive integer, got {count})"
        )
    if count > 1_000_000:
        raise ExprError("memory budget exceeded")
    return str_arg(s, "repeat") * count


def b_join(*args: Any) -> str:
    arg_count("join", args, 1, 2)
    glue = str_arg(args[1], "join") if len(args) == 2 else ""
    items = list_arg(args[0], "join")
    return glue.join(R._str_arg(x) for x in items)


def _byte_index(s: str, idx: int) -> int:
    return -1 if idx < 0 else len(s[:idx].encode("utf-8", "surrogatepass"))


def b_index_of(s: Any, sub: Any) -> int:
    text = str_arg(s, "indexOf")
    return _byte_index(text, text.find(str_arg(sub, "indexOf")))


def b_last_index_of(s: Any, sub: Any) -> int:
    text = str_arg(s, "lastIndexOf")
    return _byte_index(text, text.rfind(str_arg(sub, "lastIndexOf")))


def b_upper(s: Any) -> str:
    return str_arg(s, "upper").upper()


def b_lower(s: Any) -> str:
    return str_arg(s, "lower").lower()


# ----------------------------------------------------------------------------------------
# numbers and aggregates


def _flatten_numbers(name: str, args: tuple, depth: int = 0) -> list:
    if depth > 10_000:
        raise ExprError("maximum recursion depth exceeded")
    out = []
    for a in args:
        if R.is_number(a):
            out.append(a)
        elif isinstance(a, list):
            out.extend(_flatten_numbers(name, tuple(a), depth + 1))
        else:
            raise ExprError(f"invalid argument for {name} (type {go_type_name(a)})")
    return out


def _min_max(name: str, pick_more: bool) -> Callable[..., Any]:
    def f(*args: Any) -> Any:
        if (
            len(args) == 1
            and not isinstance(args[0], list)
            and not R.is_number(args[0])
        ):
            return args[0]
        values = _flatten_numbers(name, args)
        best = None
        for v in values:
            if best is None or (R.more(v, best) if pick_more else R.less(v, best)):
                best = v
        return best

    return f


def b_mean(*args: Any) -> float:
    values = _flatten_numbers("mean", args)
    return sum(float(v) for v in values) / len(values) if values else 0.0


def b_median(*args: Any) -> float:
    values = sorted(float(v) for v in _flatten_numbers("median", args))
    n = len(values)
    if not n:
        return 0.0
    if n % 2:
        return values[n // 2]
    return (values[n // 2 - 1] + values[n // 2]) / 2


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": R.length,
    "type": b_type,
    "abs": b_abs,
    "ceil": _num1("ceil", lambda x: float(math.ceil(x)) if math.isfinite(x) else x),
    "floor": _num1("floor", lambda x: float(math.floor(x)) if math.isfinite(x) else x),
    "round": _num1("round", _round_half_away),
    "int": b_int,
    "float": b_float,
    "string": b_string,
    "trim": b_trim,
    "trimPrefix": b_trim_prefix,
    "trimSuffix": b_trim_suffix,
    "upper": b_upper,
    "lower": b_lower,
    "split": b_split,
    "splitAfter": b_split_after,
    "replace": b_replace,
    "repeat": b_repeat,
    "join": b_join,
    "indexOf": b_index_of,
    "lastIndexOf": b_last_index_of,
    "hasPrefix": lambda s, p: str_arg(s, "hasPrefix").startswith(
        str_arg(p, "hasPrefix")
    ),
    "hasSuffix": lambda s, p: str_arg(s, "hasSuffix").endswith(str_arg(p, "hasSuffix")),
    "max": _min_max("max", True),
    "min": _min_max("min", False),
    "mean": b_mean,
    "median": b_median,
    "toJSON": b_to_json,
    "fromJSON": b_from_json,
    "toBase64": b_to_base64,
    "fromBase64": b_from_base64,
    "now": b_now,
    "duration": b_duration,
    "date": b_date,
    "timezone": b_timezone,
    "first": b_first,
    "last": b_last,
    "get": b_get,
    "take": b_take,
    "keys": b_keys,
    "values": b_values,
    "toPairs": b_to_pairs,
    "fromPairs": b_from_pairs,
    "reverse": b_reverse,
    "uniq": b_uniq,
    "concat": b_concat,
    "flatten": b_flatten,
    "sort": b_sort,
    "bitand": _bit("bitand", lambda a, b: a & b),
    "bitor": _bit("bitor", lambda a, b: a | b),
    "bitxor": _bit("bitxor", lambda a, b: a ^ b),
    "bitnand": _bit("bitnand", lambda a, b: a & ~b),
    "bitnot": b_bitnot,
    "bitshl": _shift("bitshl", lambda a, b: a << b),
    "bitshr": _shift("bitshr", lambda a, b: a >> b),
    "bitushr": _shift("bitushr", lambda a, b: (a % 2**64) >> b),
}
