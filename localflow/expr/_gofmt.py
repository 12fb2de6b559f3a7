"""How Go prints values: `fmt` `%v`, `%T`, `strconv.Quote` and `encoding/json`.

Argo's expression results pass through Go's `json.Marshal` (compact, map keys sorted,
`<`, `>` and `&` escaped, `3.0` printed as `3`), and expr-lang's `string()` and sprig's
`toString` use `fmt.Sprintf("%v")`. Python values stand for Go ones: None is nil, int is
int, float is float64, str is string, list is []any, dict is map[string]any,
`datetime` is time.Time and `Duration` is time.Duration.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from localflow.errors import ExprError


class Duration:
    """A Go time.Duration: a count of nanoseconds."""

    __slots__ = ("ns",)

    def __init__(self, ns: int):
        self.ns = int(ns)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Duration) and other.ns == self.ns

    def __hash__(self) -> int:
        return hash(("Duration", self.ns))

    def __repr__(self) -> str:
        return f"Duration({go_duration_string(self.ns)})"

    def __str__(self) -> str:
        return go_duration_string(self.ns)


# ----------------------------------------------------------------------------------------
# Go types that print or marshal differently from the Python value they stand for


class Int64(int):
    """An int64 (sprig's arithmetic, `Unix()`, a jsonpath length)."""

    go_type = "int64"


class Uint64(int):
    go_type = "uint64"


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


class Month(int):
    """A time.Month: a number that prints as its name."""

    go_type = "time.Month"

    @property
    def name(self) -> str:
        return _MONTHS[self - 1] if 1 <= self <= 12 else f"%!Month({int(self)})"


class Weekday(int):
    """A time.Weekday (0 is Sunday): a number that prints as its name."""

    go_type = "time.Weekday"

    @property
    def name(self) -> str:
        return _DAYS[self] if 0 <= self <= 6 else f"%!Weekday({int(self)})"


class StringList(list):
    go_type = "[]string"


class NilList(list):
    """A nil []interface {}: prints as [], marshals as null."""

    go_type = "[]interface {}"


class ListOfLists(list):
    go_type = "[][]interface {}"


class IntList(list):
    go_type = "[]int"


class PairList(list):
    go_type = "[][2]interface {}"


class StringMap(dict):
    go_type = "map[string]string"


class AnyKeyMap(dict):
    """expr-lang's `fromPairs` result: Go's json.Marshal refuses it."""

    go_type = "map[interface {}]interface {}"


# ----------------------------------------------------------------------------------------
# strings with invalid UTF-8


def go_string(raw: bytes) -> str:
    """Go's string(bytes): invalid UTF-8 bytes are kept (as surrogate escapes)."""
    return raw.decode("utf-8", "surrogateescape")


def json_text(s: str) -> str:
    """A Go string as it reads back after Go's JSON: each invalid byte is U+FFFD."""
    if not any("\ud800" <= ch <= "\udfff" for ch in s):
        return s
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in s)


# ----------------------------------------------------------------------------------------
# floats


def _digits(f: float) -> tuple[str, str, int]:
    """Shortest round-trip digits of abs(f): (sign, digits, dp) with value 0.DIGITS * 10**dp."""
    sign = "-" if math.copysign(1.0, f) < 0 else ""
    d = Decimal(repr(abs(f)))
    _, digit_tuple, exponent = d.normalize().as_tuple()
    digits = "".join(map(str, digit_tuple)) or "0"
    if digits == "0":
        return sign, "0", 1
    return sign, digits, len(digits) + int(exponent)


def _fmt_e(sign: str, digits: str, dp: int) -> str:
    exp = dp - 1
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    esign = "-" if exp < 0 else "+"
    return f"{sign}{mant}e{esign}{abs(exp):02d}"


def _fmt_f(sign: str, digits: str, dp: int) -> str:
    if dp <= 0:
        return f"{sign}0.{'0' * -dp}{digits}"
    if dp >= len(digits):
        return sign + digits + "0" * (dp - len(digits))
    return f"{sign}{digits[:dp]}.{digits[dp:]}"


def go_format_float(f: float) -> str:
    """`strconv.FormatFloat(f, 'g', -1, 64)`, which is what `%v` prints for a float64."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    sign, digits, dp = _digits(f)
    if digits == "0":
        return sign + "0"
    exp = dp - 1
    if exp < -4 or exp >= 6:  # shortest 'g' uses precision 6 for this decision
        return _fmt_e(sign, digits, dp)
    return _fmt_f(sign, digits, dp)


def go_json_float(f: float) -> str:
    """A float64 as `encoding/json` writes it (ES6 style; `3.0` is `3`, `1e-7` is `1e-7`)."""
    if math.isnan(f) or math.isinf(f):
        raise ExprError(f"json: unsupported value: {go_format_float(f)}")
    sign, digits, dp = _digits(f)
    if digits == "0":
        return sign + "0"
    a = abs(f)
    if a < 1e-6 or a >= 1e21:
        text = _fmt_e(sign, digits, dp)
        return text.replace("e-0", "e-")
    return _fmt_f(sign, digits, dp)


# ----------------------------------------------------------------------------------------
# %v and %T


def go_type_name(v: Any) -> str:
    """Go's `%T` for the Go value a Python value stands for."""
    go_type = getattr(type(v), "go_type", None)
    if go_type is not None:
        return go_type
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (list, tuple)):
        return "[]interface {}"
    if isinstance(v, Mapping):
        return "map[string]interface {}"
    if isinstance(v, _dt.datetime):
        return "time.Time"
    if isinstance(v, Duration):
        return "time.Duration"
    if isinstance(v, bytes):
        return "[]uint8"
    if callable(v):
        return "func(...interface {}) interface {}"
    return type(v).__name__


def go_sprint(v: Any) -> str:
    """`fmt.Sprintf("%v", v)`."""
    if v is None:
        return "<nil>"
    if hasattr(v, "go_sprint"):  # a Go struct that prints its own way
        return v.go_sprint()
    if isinstance(v, (Month, Weekday)):
        return v.name
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_format_float(v)
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(go_sprint(x) for x in v) + "]"
    if isinstance(v, Mapping):
        items = sorted(v.items(), key=lambda kv: _sort_key(kv[0]))
        return (
            "map[" + " ".join(f"{go_sprint(k)}:{go_sprint(x)}" for k, x in items) + "]"
        )
    if isinstance(v, _dt.datetime):
        from localflow.expr import gotime

        return gotime.time_string(v)
    if isinstance(v, Duration):
        return go_duration_string(v.ns)
    if isinstance(v, bytes):
        return "[" + " ".join(str(b) for b in v) + "]"
    return str(v)


def _sort_key(k: Any) -> tuple:
    if isinstance(k, (int, float)) and not isinstance(k, bool):
        return (0, k, "")
    return (1, 0, go_sprint(k))


def go_duration_string(ns: int) -> str:
    """time.Duration.String(): `1h2m3.5s`, `1.5ms`, `0s`."""
    if ns == 0:
        return "0s"
    neg = ns < 0
    u = abs(ns)
    if u < 1_000_000_000:
        for unit, size in (("ns", 1), ("µs", 1_000), ("ms", 1_000_000)):
            if u < size * 1000:
                text = _frac(u, size) + unit
                break
    else:
        secs, frac_ns = divmod(u, 1_000_000_000)
        hours, rem = divmod(secs, 3600)
        minutes, s = divmod(rem, 60)
        text = _frac(s * 1_000_000_000 + frac_ns, 1_000_000_000) + "s"
        if hours or minutes:
            text = f"{minutes}m" + text
        if hours:
            text = f"{hours}h" + text
    return ("-" if neg else "") + text


def _frac(value: int, size: int) -> str:
    whole, frac = divmod(value, size)
    if not frac:
        return str(whole)
    width = len(str(size)) - 1
    return f"{whole}." + f"{frac:0{width}d}".rstrip("0")


# ----------------------------------------------------------------------------------------
# quoting and JSON

_JSON_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def go_json_string(s: str, escape_html: bool = True) -> str:
    out = ['"']
    for ch in s:
        esc = _JSON_ESCAPES.get(ch)
        if esc is not None and (escape_html or ch not in "<>&"):
            out.append(esc)
        elif ch < " ":
            out.append(f"\\u{ord(ch):04x}")
        elif "\ud800" <= ch <= "\udfff":  # an invalid UTF-8 byte of a Go string
            out.append("\\ufffd")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def go_json(v: Any, *, indent: str | None = None, escape_html: bool = True) -> str:
    """`json.Marshal(v)` (or `json.MarshalIndent(v, "", indent)`; `escape_html=False` is
    an Encoder with SetEscapeHTML(false))."""
    try:
        return _go_json(v, indent=indent, escape_html=escape_html)
    except RecursionError:
        raise ExprError("json: value is nested too deeply") from None


def _go_json(v: Any, *, indent: str | None, escape_html: bool, _level: int = 0) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_json_float(v)
    if isinstance(v, str):
        return go_json_string(v, escape_html)
    if isinstance(v, _dt.datetime):
        from localflow.expr import gotime

        return go_json_string(gotime.format_time(v, gotime.RFC3339_NANO))
    if isinstance(v, Duration):
        return str(v.ns)
    if isinstance(v, bytes):
        import base64

        return go_json_string(base64.b64encode(v).decode())
    if isinstance(v, NilList):
        return "null"
    if isinstance(v, (list, tuple)):
        parts = [
            _go_json(x, indent=indent, escape_html=escape_html, _level=_level + 1)
            for x in v
        ]
        return _wrap("[", "]", parts, indent, _level)
    if isinstance(v, AnyKeyMap):
        raise ExprError(f"json: unsupported type: {AnyKeyMap.go_type}")
    if isinstance(v, Mapping):
        keys = []
        for k in v:
            if isinstance(k, str):
                keys.append((k, k))
            elif isinstance(k, int) and not isinstance(k, bool):
                keys.append((str(k), k))
            else:
                raise ExprError(
                    f"json: unsupported type: map[{go_type_name(k)}]interface {{}}"
                )
        keys.sort(key=lambda pair: pair[0].encode("utf-8", "surrogatepass"))
        sep = ": " if indent is not None else ":"
        parts = [
            go_json_string(text, escape_html)
            + sep
            + _go_json(v[k], indent=indent, escape_html=escape_html, _level=_level + 1)
            for text, k in keys
        ]
        return _wrap("{", "}", parts, indent, _level)
    if hasattr(v, "go_marshal"):  # a Go value with a MarshalJSON method
        return _go_json(v.go_marshal(), indent=indent, escape_html=escape_html, _level=_level)
    if callable(v):
        raise ExprError(f"json: unsupported type: {go_type_name(v)}")
    raise ExprError(f"json: unsupported type: {type(v).__name__}")


def _wrap(
    open_: str, close: str, parts: list[str], indent: str | None, level: int
) -> str:
    if not parts:
        return open_ + close
    if indent is None:
        return open_ + ",".join(parts) + close
    inner = "\n" + indent * (level + 1)
    return open_ + inner + ("," + inner).join(parts) + "\n" + indent * level + close


def go_quote(s: str) -> str:
    """`strconv.Quote(s)` (also `%q`)."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\a\b\f\n\r\t\v":
            out.append("\\" + "abfnrtv"["\a\b\f\n\r\t\v".index(ch)])
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\x{o:02x}")
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        elif o < 0x10000:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    out.append('"')
    return "".join(out)


def from_json(text: str) -> Any:
    """`json.Unmarshal` into `any`: numbers become float64."""
    import json

    try:
        return json.loads(text, parse_int=_json_number, parse_float=_json_number, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as e:
        raise ExprError(f"invalid JSON: {e}") from None


def _json_number(text: str) -> float:
    f = float(text)
    if math.isinf(f):
        raise ValueError(f"json: cannot unmarshal number {text} into Go value of type float64")
    return f


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid character {name[0]!r} looking for beginning of value")
