"""Sprig helpers: lists, dicts, encodings and dates."""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import posixpath
from collections.abc import Callable
from typing import Any

from localflow.errors import ExprError
from localflow.expr import _expr_runtime as R
from localflow.expr import gotime
from localflow.expr._gofmt import (
    Int64,
    ListOfLists,
    NilList,
    go_string,
    from_json,
    go_duration_string,
    go_json,
    go_type_name,
)
from localflow.expr._sprig_base import (
    _d,
    _i,
    _s,
    _t,
    empty,
    strval,
)

# ----------------------------------------------------------------------------------------
# lists and dicts


def _list_of(v: Any, what: str) -> list:
    if isinstance(v, list):
        return v
    raise ExprError(f"Cannot {what} on type {go_type_name(v)}")


def first(v: Any) -> Any:
    items = _list_of(v, "find first")
    return items[0] if items else None


def last(v: Any) -> Any:
    items = _list_of(v, "find last")
    return items[-1] if items else None


def rest(v: Any) -> Any:
    items = _list_of(v, "find rest")
    return items[1:] if items else NilList()


def initial(v: Any) -> Any:
    items = _list_of(v, "find initial")
    return items[:-1] if items else NilList()


def uniq(v: Any) -> list:
    out: list = []
    for x in _list_of(v, "uniq"):
        if not any(R.deep_equal(x, y) for y in out):
            out.append(x)
    return out


def without(v: Any, *omit: Any) -> list:
    return [
        x
        for x in _list_of(v, "find without")
        if not any(R.deep_equal(x, o) for o in omit)
    ]


def has(needle: Any, haystack: Any) -> bool:
    if haystack is None:
        return False
    return any(R.deep_equal(needle, x) for x in _list_of(haystack, "find has"))


def sprig_slice(v: Any, *indices: Any) -> list:
    items = _list_of(v, "slice")
    a = _i(indices[0]) if indices else 0
    b = _i(indices[1]) if len(indices) > 1 else len(items)
    if not 0 <= a <= b <= len(items):
        raise ExprError(f"runtime error: slice bounds out of range [{a}:{b}]")
    return items[a:b]


def chunk(size: Any, v: Any) -> list:
    n, items = _i(size), _list_of(v, "chunk")
    if n <= 0:
        raise ExprError("chunk size must be positive")
    return ListOfLists(items[i : i + n] for i in range(0, len(items), n))


def sprig_dict(*v: Any) -> dict:
    out: dict = {}
    for i in range(0, len(v), 2):
        out[strval(v[i])] = v[i + 1] if i + 1 < len(v) else ""
    return out


def dig(*args: Any) -> Any:
    if len(args) < 3:
        raise ExprError("dig needs at least three arguments")
    *keys, default, d = args
    cur: Any = _d(d)
    for k in keys:
        if not isinstance(cur, dict) or _s(k) not in cur:
            return default
        cur = cur[_s(k)]
    return cur


def merge(dst: Any, *srcs: Any, overwrite: bool = False) -> dict:
    out = _d(dst)
    for src in srcs:
        _merge_into(out, _d(src), overwrite)
    return out


def _merge_into(dst: dict, src: dict, overwrite: bool) -> None:
    for k, v in src.items():
        if isinstance(dst.get(k), dict) and isinstance(v, dict):
            _merge_into(dst[k], v, overwrite)
        elif k not in dst or empty(dst[k]) or overwrite:
            dst[k] = v


def kind_of(v: Any) -> str:
    if v is None:
        return "invalid"
    name = go_type_name(v)
    return {"[]interface {}": "slice", "map[string]interface {}": "map", "time.Time": "struct",
            "time.Duration": "int64"}.get(name, name if "(" not in name else "func")  # fmt: skip


def regex_split(regex: Any, s: Any, n: Any) -> list[str]:
    pattern, text, count = R.go_regexp(_s(regex)), _s(s), _i(n)
    if count == 0:
        return []
    if not pattern.pattern and text:
        parts = list(text)
        return (
            parts
            if count < 0 or count >= len(parts)
            else parts[: count - 1] + [text[count - 1 :]]
        )
    out, beg = [], 0
    for m in pattern.finditer(text):
        if count > 0 and len(out) == count - 1:
            break
        if m.end() == 0:
            continue
        out.append(text[beg : m.start()])
        beg = m.end()
    out.append(text[beg:])
    return out


def _regex_find_all(regex: Any, s: Any, n: Any) -> list[str]:
    found = [m.group(0) for m in R.go_regexp(_s(regex)).finditer(_s(s))]
    limit = _i(n)
    return found if limit < 0 else found[:limit]


def _regex_find(regex: Any, s: Any) -> str:
    m = R.go_regexp(_s(regex)).search(_s(s))
    return m.group(0) if m else ""


def _regex_match(regex: Any, s: Any) -> bool:
    try:
        return R.go_regexp(_s(regex)).search(_s(s)) is not None
    except ExprError:
        return False


def _regex_replace(regex: Any, s: Any, repl: Any) -> str:
    template = _s(repl)
    return R.go_regexp(_s(regex)).sub(lambda m: R.go_regexp_expand(m, template), _s(s))


def _regex_replace_literal(regex: Any, s: Any, repl: Any) -> str:
    literal = _s(repl)
    return R.go_regexp(_s(regex)).sub(lambda m: literal, _s(s))


def regex_quote_meta(s: Any) -> str:
    return "".join("\\" + c if c in "\\.+*?()|[]{}^$" else c for c in _s(s))


# ----------------------------------------------------------------------------------------
# encoding and dates


def b64dec(v: Any) -> str:
    try:
        return go_string(base64.b64decode(_s(v), validate=True))
    except ValueError:
        return "illegal base64 data at input byte 0"


def b32dec(v: Any) -> str:
    try:
        return go_string(base64.b32decode(_s(v)))
    except ValueError:
        return "illegal base32 data at input byte 0"


def _from_json(v: Any) -> Any:
    try:
        return from_json(_s(v))
    except ExprError:
        return None


def _to_json(v: Any) -> str:
    try:
        return go_json(v)
    except ExprError:
        return ""


def _date_value(d: Any) -> _dt.datetime:
    if isinstance(d, _dt.datetime):
        return d
    if R.is_int(d):
        return _dt.datetime.fromtimestamp(d, _dt.timezone.utc)
    return _dt.datetime.now(_dt.timezone.utc)


def date_in_zone(fmt: Any, d: Any, zone: Any) -> str:
    from localflow.expr._expr_builtins import b_timezone

    try:
        tz = b_timezone(_s(zone))
    except ExprError:
        tz = _dt.timezone.utc
    return gotime.format_time(_date_value(d).astimezone(tz), _s(fmt))


def date_modify(fmt: Any, d: Any) -> _dt.datetime:
    try:
        ns = gotime.parse_duration(_s(fmt))
    except ExprError:
        return _t(d)
    return _t(d) + _dt.timedelta(microseconds=ns // 1000)


def to_date(fmt: Any, s: Any) -> _dt.datetime:
    try:
        return gotime.parse_time(_s(fmt), _s(s)).to_datetime()
    except ExprError:
        return _dt.datetime(1, 1, 1, tzinfo=_dt.timezone.utc)


def duration(sec: Any) -> str:
    """Seconds as a duration: only a string or an int64 counts (an expr-lang int is 0s);
    ParseInt's out-of-range value is clamped, then the product wraps as in Go."""
    n = 0
    if isinstance(sec, str):
        body = sec[1:] if sec[:1] in "+-" else sec
        if body.isascii() and body.isdigit():
            n = max(R.INT64_MIN, min(R.INT64_MAX, int(sec, 10)))
    elif isinstance(sec, Int64):
        n = sec
    return go_duration_string(R.wrap_int(n * 1_000_000_000))


def ago(d: Any) -> str:
    t = _date_value(d)
    seconds = round((_dt.datetime.now(_dt.timezone.utc) - t).total_seconds())
    return go_duration_string(seconds * 1_000_000_000)


def _fail(msg: Any) -> str:
    raise ExprError(_s(msg))


def _sha(name: str) -> Callable[[Any], str]:
    return lambda s: hashlib.new(
        name, _s(s).encode("utf-8", "surrogatepass")
    ).hexdigest()


def _atoi(s: str) -> int:
    from localflow.expr._expr_builtins import go_atoi

    try:
        return go_atoi(s)
    except ValueError:
        return 0


def _raw_json(v: Any) -> str:
    return go_json(v, escape_html=False)


def _ext(p: Any) -> str:
    text = _s(p)
    for i in range(len(text) - 1, -1, -1):
        if text[i] == "/":
            break
        if text[i] == ".":
            return text[i:]
    return ""


def _clean(p: Any) -> str:
    text = posixpath.normpath(_s(p)) if _s(p) else "."
    return "/" + text.lstrip("/") if text.startswith("//") else text


def _trim_space(s: Any) -> str:
    from localflow.expr._expr_builtins import _GO_SPACE

    return _s(s).strip(_GO_SPACE)
