"""expr-lang builtins for encodings, time and collections (used by `_expr_builtins.FUNCTIONS`)."""

from __future__ import annotations

import base64
import datetime as _dt
from collections.abc import Callable
from typing import Any

from localflow.errors import ExprError
from localflow.expr import _expr_runtime as R
from localflow.expr import gotime
from localflow.expr._gofmt import AnyKeyMap, Duration, PairList, from_json, go_json, go_type_name

# ----------------------------------------------------------------------------------------
# argument checks


def arg_count(name: str, args: tuple, lo: int, hi: int | None = None) -> None:
    hi = lo if hi is None else hi
    if not lo <= len(args) <= hi:
        expect = str(lo) if lo == hi else f"{lo} to {hi}"
        raise ExprError(
            f"invalid number of arguments for {name} (expected {expect}, got {len(args)})"
        )


def str_arg(v: Any, name: str) -> str:
    if isinstance(v, str):
        return v
    raise ExprError(f"invalid argument for {name} (type {go_type_name(v)})")


def list_arg(v: Any, name: str) -> list:
    if isinstance(v, list):
        return v
    raise ExprError(f"invalid argument for {name} (type {go_type_name(v)})")


# ----------------------------------------------------------------------------------------
# encoding, time


def b_to_json(v: Any) -> str:
    return go_json(v, indent="  ")


def b_from_json(s: Any) -> Any:
    return from_json(str_arg(s, "fromJSON"))


def b_to_base64(s: Any) -> str:
    return base64.b64encode(
        str_arg(s, "toBase64").encode("utf-8", "surrogatepass")
    ).decode()


def b_from_base64(s: Any) -> str:
    try:
        return base64.b64decode(str_arg(s, "fromBase64"), validate=True).decode(
            "utf-8", "replace"
        )
    except ValueError as e:
        raise ExprError(f"illegal base64 data: {e}") from None


def b_now(*args: Any) -> _dt.datetime:
    now = _dt.datetime.now(_dt.timezone.utc)
    if args and isinstance(args[0], _dt.tzinfo):
        return now.astimezone(args[0])
    if args:
        raise ExprError(f"invalid number of arguments (expected 0, got {len(args)})")
    return now


def b_duration(s: Any) -> Duration:
    return Duration(gotime.parse_duration(str_arg(s, "duration")))


_DATE_LAYOUTS = (
    "2006-01-02",
    "15:04:05",
    "2006-01-02 15:04:05",
    gotime.RFC3339,
    gotime.RFC822,
    gotime.RFC850,
    gotime.RFC1123,
)


def b_date(*args: Any) -> _dt.datetime:
    tz = None
    if args and isinstance(args[0], _dt.tzinfo):
        tz, args = args[0], args[1:]
    arg_count("date", args, 1, 3)
    text = str_arg(args[0], "date")
    if len(args) == 3:
        tz = b_timezone(args[2])
    offset = 0
    if tz is not None:
        offset = int(
            (_dt.datetime.now(tz).utcoffset() or _dt.timedelta(0)).total_seconds()
        )
    layouts = (str_arg(args[1], "date"),) if len(args) >= 2 else _DATE_LAYOUTS
    for layout in layouts:
        try:
            return gotime.parse_time(layout, text, default_offset=offset).to_datetime()
        except ExprError:
            if len(layouts) == 1:
                raise
    raise ExprError(f"invalid date {text}")


def b_timezone(name: Any) -> _dt.tzinfo:
    text = str_arg(name, "timezone")
    if text in ("UTC", "", "Local"):
        return _dt.timezone.utc
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(text)
    except (KeyError, ValueError, OSError):
        raise ExprError(f"unknown time zone {text}") from None


# ----------------------------------------------------------------------------------------
# collections


def b_first(v: Any) -> Any:
    try:
        return R.fetch(v, 0)
    except ExprError:
        return None


def b_last(v: Any) -> Any:
    try:
        return R.fetch(v, -1)
    except ExprError:
        return None


def b_get(v: Any, key: Any) -> Any:
    try:
        return R.fetch(v, key)
    except ExprError:
        return None


def b_take(v: Any, n: Any) -> list:
    items = list_arg(v, "take")
    if not R.is_int(n):
        raise ExprError(f"cannot take {go_type_name(n)} elements")
    return items[: max(n, 0)]


def _map(v: Any, name: str) -> dict:
    if isinstance(v, dict):
        return v
    raise ExprError(f"cannot get {name} from {go_type_name(v)}")


def b_keys(v: Any) -> list:
    return list(_map(v, "keys"))


def b_values(v: Any) -> list:
    return list(_map(v, "values").values())


def b_to_pairs(v: Any) -> list:
    return PairList([k, x] for k, x in _map(v, "pairs").items())


def b_from_pairs(v: Any) -> dict:
    out = AnyKeyMap()
    for pair in list_arg(v, "fromPairs"):
        if not isinstance(pair, list) or len(pair) != 2:
            raise ExprError("invalid pair in fromPairs")
        out[pair[0]] = pair[1]
    return out


def b_reverse(v: Any) -> list:
    return list(reversed(list_arg(v, "reverse")))


def b_uniq(v: Any) -> list:
    out: list = []
    for x in list_arg(v, "uniq"):
        if not any(R.equal(x, y) for y in out):
            out.append(x)
    return out


def b_concat(*args: Any) -> list:
    out: list = []
    for a in args:
        out.extend(list_arg(a, "concat"))
    return out


def b_flatten(v: Any) -> list:
    out: list = []
    for x in list_arg(v, "flatten"):
        out.extend(b_flatten(x) if isinstance(x, list) else [x])
    return out


def sort_values(
    items: list, desc: bool, key: Callable[[Any], Any] = lambda x: x
) -> list:
    import functools

    def cmp(a: Any, b: Any) -> int:
        ka, kb = key(a), key(b)
        return -1 if R.less(ka, kb) else (1 if R.less(kb, ka) else 0)

    out = sorted(items, key=functools.cmp_to_key(cmp))
    return out[::-1] if desc else out


def sort_order(v: Any) -> bool:
    if v not in ("asc", "desc"):
        raise ExprError(f"unknown order, use asc or desc: {v}")
    return v == "desc"


def b_sort(*args: Any) -> list:
    arg_count("sort", args, 1, 2)
    desc = sort_order(args[1]) if len(args) == 2 else False
    return sort_values(list(list_arg(args[0], "sort")), desc)


def _bit(name: str, fn: Callable[[int, int], int]) -> Callable[[Any, Any], int]:
    def f(a: Any, b: Any) -> int:
        if not (R.is_int(a) and R.is_int(b)):
            raise ExprError(f"invalid argument for {name}")
        return R.wrap_int(fn(a, b))

    return f


def b_bitnot(a: Any) -> int:
    if not R.is_int(a):
        raise ExprError("invalid argument for bitnot")
    return ~a


def _shift(name: str, fn: Callable[[int, int], int]) -> Callable[[Any, Any], int]:
    def f(a: Any, b: Any) -> int:
        if not (R.is_int(a) and R.is_int(b)) or b < 0:
            raise ExprError(f"invalid argument for {name}")
        return R.wrap_int(fn(a, b))

    return f
