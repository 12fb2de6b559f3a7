"""Loop expansion (`withItems`, `withParam`, `withSequence`) and Argo's child names."""

from __future__ import annotations

import json
from typing import Any

from .scope import StepError


def expand_items(with_items: list | None, with_param: str | None, with_sequence: Any) -> list[Any] | None:
    """The items of a loop (already substituted), or None when the step has no loop."""
    if with_items:
        return list(with_items)
    if with_items is not None and with_items == [] and with_param is None and with_sequence is None:
        return None
    if with_param is not None:
        try:
            items = json.loads(with_param)
        except (TypeError, ValueError) as e:
            raise StepError(f"withParam value could not be parsed as a JSON list: {with_param.strip()[:200]}") from e
        if not isinstance(items, list):
            raise StepError(f"withParam value could not be parsed as a JSON list: {with_param.strip()[:200]}")
        return items
    if with_sequence is not None:
        return expand_sequence(with_sequence)
    return None


def _seq_int(value: Any, field: str) -> int:
    try:
        return int(str(value).strip())
    except ValueError as e:
        raise StepError(f"withSequence.{field}: {value!r} is not an integer") from e


def go_sprintf(fmt: str, n: int) -> str:
    """Enough of Go's fmt for sequence formats: %d %x %o %s %v with flags and width."""
    out = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        j = i + 1
        while j < len(fmt) and fmt[j] in "-+ #0123456789.":
            j += 1
        if j >= len(fmt):
            out.append(fmt[i:])
            break
        verb = fmt[j]
        spec = fmt[i + 1:j]
        if verb == "%":
            out.append("%")
        elif verb in "dxXo":
            out.append(("%" + spec + verb) % n)
        elif verb in "sv":
            out.append(("%" + spec + "s") % n)
        elif verb in "fFeEgG":
            out.append(("%" + spec + verb) % float(n))
        else:
            out.append(f"%!{verb}(int={n})")
        i = j + 1
    return "".join(out)


def expand_sequence(seq: Any) -> list[str]:
    get = (lambda k: seq.get(k)) if isinstance(seq, dict) else (lambda k: getattr(seq, k, None))
    count, start, end, fmt = get("count"), get("start"), get("end"), get("format")
    if count is not None and end is not None:
        raise StepError("withSequence: only one of count or end can be defined")
    first = _seq_int(start, "start") if start not in (None, "") else 0
    if count not in (None, ""):
        n = _seq_int(count, "count")
        if n < 0:
            raise StepError("withSequence.count must be non-negative")
        nums = list(range(first, first + n))
    elif end not in (None, ""):
        last = _seq_int(end, "end")
        nums = list(range(first, last + 1)) if last >= first else list(range(first, last - 1, -1))
    else:
        raise StepError("withSequence: must define either count or end")
    fmt = fmt or "%d"
    return [go_sprintf(fmt, n) for n in nums]


def _item_label(item: Any) -> str:
    if isinstance(item, dict):
        parts = []
        for k in sorted(item):
            v = item[k]
            if isinstance(v, (dict, list)):
                v = json.dumps(v, separators=(",", ":"), sort_keys=True)
            elif isinstance(v, bool):
                v = "true" if v else "false"
            parts.append(f"{k}:{v}")
        return ",".join(parts)
    if isinstance(item, list):
        return json.dumps(item, separators=(",", ":"))
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, float) and item.is_integer():
        return str(int(item))
    return str(item)


def child_name(base: str, index: int, item: Any) -> str:
    """`name(0:hello world)`; map items `name(0:a:1,b:2)` with keys sorted; parentheses stripped."""
    label = _item_label(item).replace("(", "").replace(")", "")
    return f"{base}({index}:{label})"
