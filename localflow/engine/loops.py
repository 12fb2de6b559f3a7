"""Loop expansion (`withItems`, `withParam`, `withSequence`) and Argo's child names."""

from __future__ import annotations

import json
from typing import Any

from localflow.expr._gofmt import go_json, go_json_string

from .scope import StepError


def expand_items(with_items: list | None, with_param: str | None, with_sequence: Any) -> list[Any] | None:
    """The items of a loop (already substituted), or None when the step has no loop."""
    if with_items:
        return list(with_items)
    if with_items is not None and with_items == [] and with_param is None and with_sequence is None:
        return None
    if with_param is not None:
        try:
            items = parse_items(with_param)
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


class JsonNumber(str):
    """A number of a `withParam` item, kept as its JSON text (Argo keeps `2.50`, `1.0`, `1e3`)."""


def parse_items(text: str) -> Any:
    """JSON with numbers kept as written (JsonNumber)."""
    return json.loads(text, parse_int=JsonNumber, parse_float=JsonNumber, parse_constant=_no_constant)


def _no_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON value {name}")


def item_json(v: Any, *, escape_html: bool = True) -> str:
    """An item as Go's json.Marshal writes it: compact, keys sorted, numbers as written."""
    if isinstance(v, JsonNumber):
        return str(v)
    if isinstance(v, str):
        return go_json_string(v, escape_html=escape_html)
    if isinstance(v, dict):
        parts = (f"{go_json_string(k, escape_html=escape_html)}:{item_json(v[k], escape_html=escape_html)}"
                 for k in sorted(v))
        return "{" + ",".join(parts) + "}"
    if isinstance(v, list):
        return "[" + ",".join(item_json(x, escape_html=escape_html) for x in v) + "]"
    return go_json(v)


def _nested_text(v: Any) -> str:
    """A value inside a map or list item as Argo prints it (wfv1.Item.String()): its JSON text,
    a string's without the quotes around it."""
    return item_json(v, escape_html=False).strip('"')


def _top_text(item: Any) -> str:
    """`{{item}}` of a whole item: a string as it is, anything else its JSON text."""
    return item if isinstance(item, str) and not isinstance(item, JsonNumber) else item_json(item)


def item_values(item: Any) -> dict[str, str]:
    """Argo's replace map for one loop item (processItem): `item`, and `item.KEY` for a map item,
    all text; expressions see the same text (`{{=item.a + 1}}` on `{"a": 1}` is an error there)."""
    values = {"item": _top_text(item)}
    if isinstance(item, dict):
        values.update((f"item.{k}", _nested_text(v)) for k, v in item.items())
    return values


def _item_label(item: Any) -> str:
    if isinstance(item, dict):
        return ",".join(f"{k}:{_nested_text(item[k])}" for k in sorted(item))
    if isinstance(item, list):
        return "[" + " ".join(_nested_text(x) for x in item) + "]"  # Go's %v of []Item
    return _top_text(item)


def child_name(base: str, index: int, item: Any) -> str:
    """`name(0:hello world)`; map items `name(0:a:1,b:2)` with keys sorted; parentheses stripped."""
    label = _item_label(item).replace("(", "").replace(")", "")
    return f"{base}({index}:{label})"
