"""expr-lang's predicate builtins: `all any none one filter map find findIndex findLast
findLastIndex count sum groupBy sortBy reduce`.

Each is a function of (collection, predicate, *more); the predicate is called as
pred(item, index, acc) and sees them as `#`, `#index` and `#acc`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localflow.errors import ExprError
from localflow.expr import _expr_runtime as R
from localflow.expr._expr_builtins_data import sort_order, sort_values
from localflow.expr._gofmt import go_type_name

Pred = Callable[[Any, int, Any], Any]


def _items(v: Any, name: str) -> list:
    if isinstance(v, (list, tuple)):
        return list(v)
    raise ExprError(f"cannot iterate over {go_type_name(v)} in {name}")


def _truth(v: Any, name: str) -> bool:
    return R.as_bool(v, f"predicate of {name}")


def p_all(c: Any, pred: Pred) -> bool:
    return all(_truth(pred(x, i, None), "all") for i, x in enumerate(_items(c, "all")))


def p_any(c: Any, pred: Pred) -> bool:
    return any(_truth(pred(x, i, None), "any") for i, x in enumerate(_items(c, "any")))


def p_none(c: Any, pred: Pred) -> bool:
    return not any(
        _truth(pred(x, i, None), "none") for i, x in enumerate(_items(c, "none"))
    )


def p_one(c: Any, pred: Pred) -> bool:
    hits = 0
    for i, x in enumerate(_items(c, "one")):
        if _truth(pred(x, i, None), "one"):
            hits += 1
            if hits > 1:
                return False
    return hits == 1


def p_filter(c: Any, pred: Pred) -> list:
    return [
        x
        for i, x in enumerate(_items(c, "filter"))
        if _truth(pred(x, i, None), "filter")
    ]


def p_map(c: Any, pred: Pred) -> list:
    return [pred(x, i, None) for i, x in enumerate(_items(c, "map"))]


def p_find(c: Any, pred: Pred) -> Any:
    for i, x in enumerate(_items(c, "find")):
        if _truth(pred(x, i, None), "find"):
            return x
    return None


def p_find_index(c: Any, pred: Pred) -> int:
    for i, x in enumerate(_items(c, "findIndex")):
        if _truth(pred(x, i, None), "findIndex"):
            return i
    return -1


def p_find_last(c: Any, pred: Pred) -> Any:
    items = _items(c, "findLast")
    for i in range(len(items) - 1, -1, -1):
        if _truth(pred(items[i], i, None), "findLast"):
            return items[i]
    return None


def p_find_last_index(c: Any, pred: Pred) -> int:
    items = _items(c, "findLastIndex")
    for i in range(len(items) - 1, -1, -1):
        if _truth(pred(items[i], i, None), "findLastIndex"):
            return i
    return -1


def p_count(c: Any, pred: Pred | None = None) -> int:
    items = _items(c, "count")
    if pred is None:
        return sum(1 for x in items if _truth(x, "count"))
    return sum(1 for i, x in enumerate(items) if _truth(pred(x, i, None), "count"))


def p_sum(c: Any, pred: Pred | None = None) -> Any:
    total: Any = 0
    for i, x in enumerate(_items(c, "sum")):
        total = R.add(total, x if pred is None else pred(x, i, None))
    return total


def p_group_by(c: Any, pred: Pred) -> dict:
    out: dict = {}
    for i, x in enumerate(_items(c, "groupBy")):
        key = pred(x, i, None)
        try:
            out.setdefault(key, []).append(x)
        except TypeError:
            raise ExprError(f"cannot group by {go_type_name(key)}") from None
    return out


def p_sort_by(c: Any, pred: Pred, order: Any = "asc") -> list:
    pairs = [(pred(x, i, None), x) for i, x in enumerate(_items(c, "sortBy"))]
    if not isinstance(order, str):
        raise ExprError("sortBy order argument must be a string")
    return [x for _, x in sort_values(pairs, sort_order(order), key=lambda p: p[0])]


_NO_INIT = object()


def p_reduce(c: Any, pred: Pred, init: Any = _NO_INIT) -> Any:
    items = _items(c, "reduce")
    if init is _NO_INIT:
        if not items:
            raise ExprError("reduce of empty array with no initial value")
        acc, start = items[0], 1
    else:
        acc, start = init, 0
    for i in range(start, len(items)):
        acc = pred(items[i], i, acc)
    return acc


PREDICATE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "all": p_all,
    "any": p_any,
    "none": p_none,
    "one": p_one,
    "filter": p_filter,
    "map": p_map,
    "find": p_find,
    "findIndex": p_find_index,
    "findLast": p_find_last,
    "findLastIndex": p_find_last_index,
    "count": p_count,
    "sum": p_sum,
    "groupBy": p_group_by,
    "sortBy": p_sort_by,
    "reduce": p_reduce,
}
