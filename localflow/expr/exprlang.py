"""expr-lang (github.com/expr-lang/expr) as Argo uses it.

This is the language of `{{= ...}}` tags, `valueFrom.expression`, `retryStrategy.expression`,
hook `expression`s and `depends`. Argo adds functions to the environment
(`util/expr/env/env.go`): `asInt`, `asFloat`, `jsonpath(jsonStr, path)`, `toJson` (compact
JSON) and `sprig.*`; `evaluate` adds them unless `argo_functions=False`.

Values are Python stand-ins for Go ones: a string is a string (so `asInt(...)` is needed
for arithmetic on parameters), a JSON number parsed by `jsonpath`/`fromJSON` is a float,
and a missing map key reads as nil (`None`). A name missing from the environment raises
`UndefinedVariable`; so does reading a field of a missing map entry
(`steps.nope.outputs.result`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from localflow.errors import ExprError, UndefinedVariable
from localflow.expr import _expr_ast as A
from localflow.expr import _expr_check, _expr_eval, _expr_parser, _jsonpath, _sprig
from localflow.expr._expr_builtins import b_float, b_int
from localflow.expr._gofmt import go_json, go_type_name

__all__ = [
    "ARGO_FUNCTIONS",
    "check_syntax",
    "evaluate",
    "evaluate_bool",
    "has_variable",
    "identifiers",
]


def _jsonpath_fn(json_str: Any, path: Any) -> Any:
    if not isinstance(json_str, str) or not isinstance(path, str):
        raise ExprError(
            f"jsonpath(jsonStr string, path string): cannot use {go_type_name(json_str)}"
            f", {go_type_name(path)}"
        )
    return _jsonpath.query(json_str, path)


def _to_json(v: Any) -> str:
    return go_json(v)


#: The functions Argo's `exprenv.GetFuncMap` adds; they hide variables of the same name.
ARGO_FUNCTIONS: Mapping[str, Any] = {
    "asInt": b_int,
    "asFloat": b_float,
    "jsonpath": _jsonpath_fn,
    "toJson": _to_json,
    "sprig": dict(_sprig.FUNCTIONS),
}

_NO_FUNCTIONS: Mapping[str, Any] = {}


@lru_cache(maxsize=4096)
def _tree(source: str) -> A.Node:
    return _expr_parser.parse(source)


@lru_cache(maxsize=4096)
def _compiled(source: str) -> Callable[[_expr_eval.Scope], Any]:
    return _expr_eval.compile_tree(_tree(source))


def _type_check(source: str, env: Mapping[str, Any], functions: Mapping[str, Any]) -> None:
    """expr-lang's compile-time check, with the types of the top-level variables' values."""
    tree = _tree(source)
    kinds = tuple(
        (name, _expr_check.kind_of(env[name]) if name in env and name not in functions else "")
        for name in _expr_check.names(tree)
    )
    _expr_check.check(tree, kinds)


def check_syntax(source: str) -> None:
    """Raise ExprError if `source` is not a valid expression."""
    _compiled(source)


def evaluate(
    source: str, env: Mapping[str, Any], *, argo_functions: bool = True
) -> Any:
    """Evaluate `source` against the nested environment `env`.

    Missing names raise `UndefinedVariable`; syntax and type errors raise `ExprError`.
    """
    fn = _compiled(source)
    functions = ARGO_FUNCTIONS if argo_functions else _NO_FUNCTIONS
    try:
        _type_check(source, env, functions)
        return _expr_eval.run(fn, env, functions)
    except UndefinedVariable:
        raise
    except ExprError as e:
        raise ExprError(f"unable to evaluate expression {source!r}: {e}") from None


def evaluate_bool(
    source: str, env: Mapping[str, Any], *, argo_functions: bool = True
) -> bool:
    """Argo's `argoexpr.EvalBool`: the result must be a bool."""
    result = evaluate(source, env, argo_functions=argo_functions)
    if not isinstance(result, bool):
        from localflow.expr._gofmt import go_sprint

        raise ExprError(
            f"unable to cast expression result '{go_sprint(result)}' to bool"
        )
    return result


# ----------------------------------------------------------------------------------------
# identifiers, as Argo's expression_template.go getIdentifiers collects them


@lru_cache(maxsize=4096)
def identifiers(source: str) -> tuple[str, ...]:
    """Names and member paths an expression reads, in Argo's sense.

    `item.a ?? 'x'` and `item?.a` guard their member paths, so only `item` is listed;
    `tasks.a.outputs.result` lists `tasks`, `tasks.a`, `tasks.a.outputs` and the full path.
    Names bound by `let` are left out.
    """
    tree = _expr_parser.parse(source)
    guarded: set[int] = set()
    let_names: set[str] = set()
    for node in A.walk(tree):
        if isinstance(node, A.Binary) and node.op == "??":
            guarded.update(id(n) for n in A.walk(node.left) if isinstance(n, A.Member))
        elif (
            isinstance(node, A.Member)
            and node.optional
            and isinstance(node.obj, A.Member)
        ):
            guarded.add(id(node.obj))
        elif isinstance(node, A.Let):
            let_names.add(node.name)
    found: list[str] = []
    seen: set[str] = set()

    def add(name: str) -> None:
        if name not in seen:
            seen.add(name)
            found.append(name)

    for node in _post_order(tree):
        if id(node) in guarded:
            continue
        if isinstance(node, A.Ident):
            if node.name not in let_names:
                add(node.name)
        elif isinstance(node, A.Member):
            path = _member_path(node)
            if path is not None and path.split(".", 1)[0] not in let_names:
                add(path)
    return tuple(found)


def _post_order(node: A.Node) -> list[A.Node]:
    out: list[A.Node] = []
    stack: list[tuple[A.Node, bool]] = [(node, False)]
    while stack:
        n, done = stack.pop()
        if done:
            out.append(n)
            continue
        stack.append((n, True))
        stack.extend((c, False) for c in reversed(A.children(n)))
    return out


def _member_path(node: A.Member) -> str | None:
    cur: A.Node = node
    while isinstance(cur, A.Member):
        if cur.optional:
            return None
        cur = cur.obj
    return A.member_path(node)


def has_variable(
    env: Mapping[str, Any], path: str, *, argo_functions: bool = True
) -> bool:
    """Argo's `hasVarInEnv`: is the dotted `path` present (a present nil counts)?"""
    if argo_functions and path.split(".", 1)[0] in ARGO_FUNCTIONS:
        root: Any = ARGO_FUNCTIONS
        parts = path.split(".")
    else:
        if path in env:
            return True
        parts = path.split(".")
        root = env
        for i in range(len(parts) - 1, 0, -1):
            prefix = ".".join(parts[:i])
            if prefix in env:
                root, parts = env[prefix], parts[i:]
                break
    current = root
    for part in parts:
        if not isinstance(current, Mapping) or part not in current:
            return False
        current = current[part]
    return True
