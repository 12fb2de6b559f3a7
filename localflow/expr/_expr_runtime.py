"""expr-lang's runtime operations (`vm/runtime`) over Python stand-ins for Go values.

ints are Go `int`, floats `float64`, lists `[]any`, dicts `map[string]any`, datetimes
`time.Time` and `_gofmt.Duration` `time.Duration`. Errors carry expr's wording.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from localflow.errors import ExprError
from localflow.expr._gofmt import Duration, IntList, go_type_name

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def wrap_int(v: int) -> int:
    """Go int64 overflow wraps around."""
    if INT64_MIN <= v <= INT64_MAX:
        return v
    return (v + 2**63) % 2**64 - 2**63


def _invalid(a: Any, op: str, b: Any) -> ExprError:
    return ExprError(f"invalid operation: {go_type_name(a)} {op} {go_type_name(b)}")


def to_int(v: Any) -> int:
    """runtime.ToInt: numbers only (floats truncate)."""
    if is_int(v):
        return v
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return INT64_MIN
        return wrap_int(int(v))
    raise ExprError(f"invalid operation: int({go_type_name(v)})")


def to_float(v: Any) -> float:
    if is_number(v):
        return float(v)
    raise ExprError(f"invalid operation: float64({go_type_name(v)})")


# ----------------------------------------------------------------------------------------
# comparison


def equal(a: Any, b: Any) -> bool:
    if is_number(a) and is_number(b):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, bool) and isinstance(b, bool):
        return a == b
    if isinstance(a, _dt.datetime) and isinstance(b, _dt.datetime):
        return a == b
    if isinstance(a, Duration) and isinstance(b, Duration):
        return a.ns == b.ns
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))
    return deep_equal(a, b)


def deep_equal(a: Any, b: Any) -> bool:
    """reflect.DeepEqual: equal types and values."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(deep_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(deep_equal(a[k], b[k]) for k in a)
    if callable(a):
        return False
    return bool(a == b)


def _ordered(a: Any, b: Any, op: str) -> tuple[Any, Any]:
    if is_number(a) and is_number(b):
        return a, b
    if isinstance(a, str) and isinstance(b, str):
        return a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
    if isinstance(a, _dt.datetime) and isinstance(b, _dt.datetime):
        return a, b
    if isinstance(a, Duration) and isinstance(b, Duration):
        return a.ns, b.ns
    raise _invalid(a, op, b)


def less(a: Any, b: Any) -> bool:
    x, y = _ordered(a, b, "<")
    return x < y


def more(a: Any, b: Any) -> bool:
    x, y = _ordered(a, b, ">")
    return x > y


def less_or_equal(a: Any, b: Any) -> bool:
    x, y = _ordered(a, b, "<=")
    return x <= y


def more_or_equal(a: Any, b: Any) -> bool:
    x, y = _ordered(a, b, ">=")
    return x >= y


# ----------------------------------------------------------------------------------------
# arithmetic


def add(a: Any, b: Any) -> Any:
    if is_int(a) and is_int(b):
        return wrap_int(a + b)
    if is_number(a) and is_number(b):
        return float(a) + float(b)
    if isinstance(a, str) and isinstance(b, str):
        return a + b
    if isinstance(a, _dt.datetime) and isinstance(b, Duration):
        return a + _dt.timedelta(microseconds=b.ns // 1000)
    if isinstance(a, Duration) and isinstance(b, _dt.datetime):
        return b + _dt.timedelta(microseconds=a.ns // 1000)
    if isinstance(a, Duration) and isinstance(b, Duration):
        return Duration(a.ns + b.ns)
    raise _invalid(a, "+", b)


def subtract(a: Any, b: Any) -> Any:
    if is_int(a) and is_int(b):
        return wrap_int(a - b)
    if is_number(a) and is_number(b):
        return float(a) - float(b)
    if isinstance(a, _dt.datetime) and isinstance(b, _dt.datetime):
        delta = a - b
        return Duration(
            (delta.days * 86400 + delta.seconds) * 10**9 + delta.microseconds * 1000
        )
    if isinstance(a, _dt.datetime) and isinstance(b, Duration):
        return a - _dt.timedelta(microseconds=b.ns // 1000)
    if isinstance(a, Duration) and isinstance(b, Duration):
        return Duration(a.ns - b.ns)
    raise _invalid(a, "-", b)


def multiply(a: Any, b: Any) -> Any:
    if is_int(a) and is_int(b):
        return wrap_int(a * b)
    if is_number(a) and is_number(b):
        return float(a) * float(b)
    if isinstance(a, Duration) and is_int(b):
        return Duration(a.ns * b)
    if is_int(a) and isinstance(b, Duration):
        return Duration(a * b.ns)
    raise _invalid(a, "*", b)


def divide(a: Any, b: Any) -> float:
    if not (is_number(a) and is_number(b)):
        raise _invalid(a, "/", b)
    x, y = float(a), float(b)
    if y == 0.0:
        if x == 0.0 or math.isnan(x):
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)
    return x / y


def modulo(a: Any, b: Any) -> int:
    if not (is_int(a) and is_int(b)):
        raise _invalid(a, "%", b)
    if b == 0:
        raise ExprError("runtime error: integer divide by zero")
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def exponent(a: Any, b: Any) -> float:
    x, y = to_float(a), to_float(b)
    try:
        return math.pow(x, y)
    except OverflowError:
        return math.inf
    except ValueError:
        return math.nan


def negate(v: Any) -> Any:
    if is_int(v):
        return wrap_int(-v)
    if isinstance(v, float):
        return -v
    if isinstance(v, Duration):
        return Duration(-v.ns)
    raise ExprError(f"invalid operation: - {go_type_name(v)}")


def make_range(a: Any, b: Any) -> list[int]:
    lo, hi = to_int(a), to_int(b)
    if hi - lo + 1 > 1_000_000:
        raise ExprError("memory budget exceeded")
    return IntList(range(lo, hi + 1))


def as_bool(v: Any, what: str) -> bool:
    if isinstance(v, bool):
        return v
    raise ExprError(
        f"interface conversion: interface {{}} is {go_type_name(v)}, not bool ({what})"
    )


# ----------------------------------------------------------------------------------------
# strings and membership


def in_(needle: Any, haystack: Any) -> bool:
    if haystack is None:
        return False
    if isinstance(haystack, (list, tuple)):
        return any(equal(x, needle) for x in haystack)
    if isinstance(haystack, Mapping):
        try:
            return needle in haystack
        except TypeError:
            return False
    raise ExprError(f'operator "in" not defined on {go_type_name(haystack)}')


def _str_arg(v: Any) -> str:
    if isinstance(v, str):
        return v
    raise ExprError(
        f"interface conversion: interface {{}} is {go_type_name(v)}, not string"
    )


def contains(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    return _str_arg(b) in _str_arg(a)


def starts_with(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    return _str_arg(a).startswith(_str_arg(b))


def ends_with(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    return _str_arg(a).endswith(_str_arg(b))


def matches(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    return go_regexp(_str_arg(b)).search(_str_arg(a)) is not None


_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7F", "blank": "\\t ",
    "cntrl": "\\x00-\\x1F\\x7F", "digit": "0-9", "graph": "!-~", "lower": "a-z",
    "print": " -~", "punct": "!-/:-@\\[-`{-~", "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z", "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f",
}  # fmt: skip


@lru_cache(maxsize=512)
def go_regexp(pattern: str) -> re.Pattern:
    """Compile a Go (RE2) regular expression with Python's `re`."""
    text = pattern.replace("\\z", "\\Z")
    for name, chars in _POSIX_CLASSES.items():
        text = text.replace(f"[:{name}:]", chars).replace(f"[:^{name}:]", "")
    try:
        return re.compile(text)
    except re.error as e:
        raise ExprError(f"error parsing regexp: {e}: `{pattern}`") from None


def go_regexp_expand(m: re.Match, template: str) -> str:
    """Go's `Regexp.Expand`: `$1`, `${1}`, `$name`, `${name}`, `$$`."""
    out: list[str] = []
    i, n = 0, len(template)
    while i < n:
        c = template[i]
        if c != "$":
            out.append(c)
            i += 1
            continue
        i += 1
        if i < n and template[i] == "$":
            out.append("$")
            i += 1
            continue
        if i < n and template[i] == "{":
            end = template.find("}", i)
            name = template[i + 1 : end] if end > 0 else ""
            if not name or not all(ch.isalnum() or ch == "_" for ch in name):
                out.append("$")
                continue
            i = end + 1
        else:
            j = i
            while j < n and (template[j].isalnum() or template[j] == "_"):
                j += 1
            name = template[i:j]
            if not name:
                out.append("$")
                continue
            i = j
        out.append(_group(m, name))
    return "".join(out)


def _group(m: re.Match, name: str) -> str:
    try:
        value = m.group(int(name)) if name.isdigit() else m.group(name)
    except IndexError:
        return ""
    return value or ""


# ----------------------------------------------------------------------------------------
# member access


def fetch(obj: Any, key: Any) -> Any:
    """runtime.Fetch: map lookup (nil when absent), list/string index, or a Go method."""
    if isinstance(obj, Mapping):
        try:
            return obj.get(key)
        except TypeError:
            raise ExprError(f"cannot fetch {key!r} from {go_type_name(obj)}") from None
    if isinstance(obj, (list, tuple, str)):
        index = to_int(key)
        if isinstance(obj, str):
            data = obj.encode("utf-8", "surrogatepass")
            return _index(data, index)
        return _index(obj, index)
    if obj is None:
        raise ExprError(f"cannot fetch {key} from <nil>")
    if isinstance(key, str):
        from localflow.expr._expr_methods import method_of

        bound = method_of(obj, key)
        if bound is not None:
            return bound
    raise ExprError(f"cannot fetch {key} from {go_type_name(obj)}")


def _index(seq: Any, index: int) -> Any:
    length = len(seq)
    if index < 0:
        index += length
    if index < 0 or index >= length:
        raise ExprError(f"index out of range: {index} (array length is {length})")
    return seq[index]


def slice_(obj: Any, start: Any, stop: Any) -> Any:
    if not isinstance(obj, (list, tuple, str)):
        raise ExprError(f"cannot slice {go_type_name(obj)}")
    data = obj.encode("utf-8", "surrogatepass") if isinstance(obj, str) else obj
    length = len(data)
    a = 0 if start is None else to_int(start)
    b = length if stop is None else to_int(stop)
    if a < 0:
        a = max(length + a, 0)
    if b < 0:
        b = max(length + b, 0)
    b = min(b, length)
    a = min(a, b)
    part = data[a:b]
    if isinstance(obj, str):
        return part.decode("utf-8", "replace")
    return part


def length(v: Any) -> int:
    if isinstance(v, str):
        return len(v)
    if isinstance(v, (list, tuple, Mapping)):
        return len(v)
    raise ExprError(f"invalid argument for len (type {go_type_name(v)})")
