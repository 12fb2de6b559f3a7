"""Sprig helpers: Go parameter conversions, spf13/cast, strings and numbers."""

from __future__ import annotations

import datetime as _dt
import math
import random
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from localflow.errors import ExprError
from localflow.expr import _expr_runtime as R
from localflow.expr._gofmt import (
    Duration,
    go_quote,
    go_sprint,
    go_type_name,
)

# ----------------------------------------------------------------------------------------
# Go parameter conversions (reflect.Call) and spf13/cast


def _s(v: Any) -> str:
    """A Go `string` parameter (nil becomes "")."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    raise ExprError(f"reflect: Call using {go_type_name(v)} as type string")


MAX_ITEMS = 1_000_000  # beyond this a result is refused rather than built


def _count(n: int) -> int:
    if n > MAX_ITEMS:
        raise ExprError("memory budget exceeded")
    return n


def _i(v: Any) -> int:
    """A Go `int` parameter."""
    if v is None:
        return 0
    if R.is_int(v):
        return v
    raise ExprError(f"reflect: Call using {go_type_name(v)} as type int")


def _b(v: Any) -> bool:
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    raise ExprError(f"reflect: Call using {go_type_name(v)} as type bool")


def _d(v: Any) -> dict:
    if v is None:
        return {}
    if isinstance(v, dict):
        return v
    raise ExprError(
        f"reflect: Call using {go_type_name(v)} as type map[string]interface {{}}"
    )


def _t(v: Any) -> _dt.datetime:
    if isinstance(v, _dt.datetime):
        return v
    raise ExprError(f"reflect: Call using {go_type_name(v)} as type time.Time")


def _parse_int_base0(s: str) -> int:
    """strconv.ParseInt(s, 0, 64) after cast's trimDecimal (`1.9` is 1, `1e3` is an error)."""
    whole, dot, frac = s.rpartition(".")
    if dot and frac.isdigit() or dot and not frac:
        s = whole
    sign = -1 if s.startswith("-") else 1
    body = s[1:] if s[:1] in "+-" else s
    if not body or body.startswith("_") or body.endswith("_") or "__" in body:
        raise ValueError(s)
    low = body.lower()
    if low.startswith(("0x", "0o", "0b")):
        base = {"x": 16, "o": 8, "b": 2}[low[1]]
        digits = body[2:].replace("_", "")
    elif low.startswith("0") and len(body) > 1:
        base, digits = 8, body[1:].replace("_", "")
    else:
        if "_" in body:
            raise ValueError(s)
        base, digits = 10, body
    if not digits:
        raise ValueError(s)
    value = sign * int(digits, base)
    if not R.INT64_MIN <= value <= R.INT64_MAX:
        raise ValueError(f"{s}: value out of range")
    return value


def to_int64(v: Any) -> int:
    """cast.ToInt64 (0 when it cannot convert)."""
    if isinstance(v, bool):
        return int(v)
    if R.is_int(v):
        return v
    if isinstance(v, float):
        return R.to_int(v)
    if isinstance(v, str):
        try:
            return _parse_int_base0(v)
        except ValueError:
            return 0
    if isinstance(v, Duration):
        return v.ns
    return 0


def to_float64(v: Any) -> float:
    """cast.ToFloat64 (0 when it cannot convert)."""
    if isinstance(v, bool):
        return float(v)
    if R.is_number(v):
        return float(v)
    if isinstance(v, str):
        from localflow.expr._expr_builtins import go_parse_float

        try:
            return go_parse_float(v)
        except ValueError:
            return 0.0
    return 0.0


def strval(v: Any) -> str:
    return go_sprint(v)


def strslice(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, list):
        return [strval(x) for x in v if x is not None]
    return [strval(v)]


def empty(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, (str, list, dict)):
        return len(v) == 0
    if isinstance(v, bool):
        return not v
    if R.is_number(v):
        return v == 0
    if isinstance(v, Duration):
        return v.ns == 0
    return False


# ----------------------------------------------------------------------------------------
# strings


def _is_separator(ch: str) -> bool:
    if ch <= "\x7f":
        return not (ch.isalnum() or ch == "_")
    if ch.isalpha() or ch.isdigit():
        return False
    return ch.isspace()


def title(s: Any) -> str:
    out, prev = [], " "
    for ch in _s(s):
        out.append(ch.upper() if _is_separator(prev) else ch)
        prev = ch
    return "".join(out)


def substr(start: Any, end: Any, s: Any) -> str:
    a, b, text = _i(start), _i(end), _s(s).encode("utf-8", "surrogatepass")
    try:
        if a < 0:
            part = text[: _bound(b, len(text))]
        elif b < 0 or b > len(text):
            part = text[_bound(a, len(text)) :]
        else:
            if a > b:
                raise ExprError(f"runtime error: slice bounds out of range [{a}:{b}]")
            part = text[a:b]
    except IndexError:  # pragma: no cover
        raise ExprError("runtime error: slice bounds out of range") from None
    return part.decode("utf-8", "replace")


def _bound(i: int, n: int) -> int:
    if i < 0 or i > n:
        raise ExprError(
            f"runtime error: slice bounds out of range [:{i}] with length {n}"
        )
    return i


def trunc(c: Any, s: Any) -> str:
    n, text = _i(c), _s(s).encode("utf-8", "surrogatepass")
    if n < 0 and len(text) + n > 0:
        return text[len(text) + n :].decode("utf-8", "replace")
    if n >= 0 and len(text) > n:
        return text[:n].decode("utf-8", "replace")
    return _s(s)


def abbrev(width: Any, s: Any) -> str:
    w, text = _i(width), _s(s)
    if w < 4 or len(text) <= w:
        return text
    return text[: w - 3] + "..."


def initials(s: Any) -> str:
    return "".join(word[0] for word in _s(s).split())


def split_map(sep: Any, orig: Any) -> dict:
    from localflow.expr._expr_builtins import go_split

    return {f"_{i}": part for i, part in enumerate(go_split(_s(orig), _s(sep)))}


def splitn_map(sep: Any, n: Any, orig: Any) -> dict:
    from localflow.expr._expr_builtins import go_split

    return {f"_{i}": part for i, part in enumerate(go_split(_s(orig), _s(sep), _i(n)))}


def split_list(sep: Any, orig: Any) -> list[str]:
    from localflow.expr._expr_builtins import go_split

    return go_split(_s(orig), _s(sep))


def quote(*args: Any) -> str:
    return " ".join(go_quote(strval(a)) for a in args if a is not None)


def squote(*args: Any) -> str:
    return " ".join(f"'{go_sprint(a)}'" for a in args if a is not None)


def cat(*args: Any) -> str:
    return " ".join(go_sprint(a) for a in args if a is not None)


def indent(spaces: Any, v: Any) -> str:
    pad = " " * _i(spaces)
    return pad + _s(v).replace("\n", "\n" + pad)


def nospace(s: Any) -> str:
    from localflow.expr._expr_builtins import _GO_SPACE

    return "".join(ch for ch in _s(s) if ch not in _GO_SPACE)


def _rand(chars: str) -> Callable[[Any], str]:
    def rand(n: Any) -> str:
        return "".join(
            random.SystemRandom().choice(chars) for _ in range(_count(_i(n)))
        )

    return rand


# ----------------------------------------------------------------------------------------
# numbers


def _int_div(a: Any, b: Any) -> int:
    x, y = to_int64(a), to_int64(b)
    if y == 0:
        raise ExprError("runtime error: integer divide by zero")
    q = abs(x) // abs(y)
    return q if (x >= 0) == (y >= 0) else -q


def _int_mod(a: Any, b: Any) -> int:
    x, y = to_int64(a), to_int64(b)
    if y == 0:
        raise ExprError("runtime error: integer divide by zero")
    r = abs(x) % abs(y)
    return -r if x < 0 else r


def _mul(a: Any, *v: Any) -> int:
    out = to_int64(a)
    for b in v:
        out = R.wrap_int(out * to_int64(b))
    return out


def _max(a: Any, *v: Any) -> int:
    return max([to_int64(a), *(to_int64(b) for b in v)])


def _min(a: Any, *v: Any) -> int:
    return min([to_int64(a), *(to_int64(b) for b in v)])


def _maxf(a: Any, *v: Any) -> float:
    out = to_float64(a)
    for b in v:
        out = max(out, to_float64(b)) if not math.isnan(out) else out
    return out


def _minf(a: Any, *v: Any) -> float:
    out = to_float64(a)
    for b in v:
        out = min(out, to_float64(b)) if not math.isnan(out) else out
    return out


def _decimal_op(op: Callable[[Decimal, Decimal], Decimal]) -> Callable[..., float]:
    def f(a: Any, *v: Any) -> float:
        try:
            acc = Decimal(repr(to_float64(a)))
            for b in v:
                acc = op(acc, Decimal(repr(to_float64(b))))
            return float(acc)
        except (InvalidOperation, ZeroDivisionError):
            raise ExprError("decimal division by zero") from None

    return f


def _addf(*v: Any) -> float:
    return _decimal_op(lambda x, y: x + y)(0.0, *v)


def sprig_round(a: Any, p: Any, *r_opt: Any) -> float:
    round_on = to_float64(r_opt[0]) if r_opt else 0.5
    val, places = to_float64(a), float(_i(p))
    power = math.pow(10, places)
    digit = power * val
    frac = math.modf(digit)[0]
    return (math.ceil(digit) if frac >= round_on else math.floor(digit)) / power


def until_step(start: Any, stop: Any, step: Any) -> list[int]:
    a, b, s = _i(start), _i(stop), _i(step)
    if (b < a and s >= 0) or (b >= a and s <= 0):
        return []
    _count(abs(b - a) // abs(s))
    return list(range(a, b, s))


def until(count: Any) -> list[int]:
    n = _i(count)
    return until_step(0, n, -1 if n < 0 else 1)


def seq(*params: Any) -> str:
    p = [_i(x) for x in params]
    if len(p) == 1:
        start, end = 1, p[0]
        inc = -1 if end < start else 1
        values = until_step(start, end + inc, inc)
    elif len(p) == 2:
        start, end = p
        step = -1 if end < start else 1
        values = until_step(start, end + step, step)
    elif len(p) == 3:
        start, step, end = p
        inc = 1
        if end < start:
            inc = -1
            if step > 0:
                return ""
        values = until_step(start, end + inc, step)
    else:
        return ""
    return " ".join(str(x) for x in values)


def to_decimal(v: Any) -> int:
    try:
        return int(go_sprint(v), 8)
    except ValueError:
        return 0


def repeat(count: Any, s: Any) -> str:
    text, n = _s(s), max(_i(count), 0)
    _count(n * max(len(text), 1))
    return text * n
