"""Turns an expr-lang tree into nested Python closures and runs them.

Each node becomes a function of a `Scope` (the environment, the `let` variables and the
stack of predicate frames for `#`, `#index` and `#acc`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from localflow.errors import ExprError, UndefinedVariable
from localflow.expr import _expr_ast as A
from localflow.expr import _expr_runtime as R
from localflow.expr._expr_builtins import FUNCTIONS
from localflow.expr._expr_methods import method_of
from localflow.expr._expr_predicates import PREDICATE_FUNCTIONS
from localflow.expr._gofmt import go_type_name

Fn = Callable[["Scope"], Any]

_MISSING = object()


class Scope:
    __slots__ = ("env", "frames", "functions", "vars")

    def __init__(self, env: Mapping[str, Any], functions: Mapping[str, Any]):
        self.env = env
        self.functions = functions
        self.vars: dict[str, Any] = {}
        self.frames: list[tuple[Any, int, Any]] = []

    def lookup(self, name: str) -> Any:
        """A top-level name, or _MISSING."""
        if name in self.vars:
            return self.vars[name]
        if name in self.functions:
            return self.functions[name]
        if name == "$env":
            return self.env
        return self.env.get(name, _MISSING)


class _NilChain(Exception):
    """An optional access (`?.`) met nil: the enclosing chain evaluates to nil."""


def member_parts(node: A.Node) -> list[str] | None:
    parts: list[str] = []
    cur = node
    while isinstance(cur, A.Member):
        if not isinstance(cur.prop, A.Lit) or not isinstance(cur.prop.value, str):
            return None
        parts.append(cur.prop.value)
        cur = cur.obj
    if not isinstance(cur, A.Ident):
        return None
    parts.append(cur.name)
    return parts[::-1]


def _nil_fetch(scope: Scope, obj_node: A.Node, key: Any) -> ExprError:
    """Fetching from nil: name the first missing variable of the path if there is one."""
    parts = member_parts(obj_node)
    if parts:
        value = scope.lookup(parts[0])
        if value is _MISSING:
            return UndefinedVariable(parts[0])
        for i in range(1, len(parts)):
            if not isinstance(value, Mapping) or parts[i] not in value:
                return UndefinedVariable(".".join(parts[: i + 1]))
            value = value[parts[i]]
    return ExprError(f"cannot fetch {key} from <nil>")


def _call(fn: Any, args: list, name: str) -> Any:
    if fn is None:
        raise ExprError("invalid operation: cannot call nil")
    if not callable(fn):
        raise ExprError(
            f"invalid operation: cannot call non-function of type {go_type_name(fn)}"
        )
    try:
        return fn(*args)
    except ExprError:
        raise
    except RecursionError:
        raise ExprError(f"{name}: maximum recursion depth exceeded") from None
    except (
        TypeError,
        ValueError,
        ArithmeticError,
        KeyError,
        IndexError,
        AttributeError,
    ) as e:
        raise ExprError(f"{name}: {e}") from None


def compile_tree(node: A.Node) -> Fn:
    method = _COMPILERS.get(type(node))
    if method is None:  # pragma: no cover - every node type has a compiler
        raise ExprError(f"cannot evaluate {type(node).__name__}")
    return method(node)


def _lit(node: A.Lit) -> Fn:
    value = node.value
    return lambda s: value


def _ident(node: A.Ident) -> Fn:
    name = node.name

    def f(s: Scope) -> Any:
        value = s.lookup(name)
        if value is _MISSING:
            raise UndefinedVariable(name)
        return value

    return f


def _pointer(node: A.Pointer) -> Fn:
    slot = {"": 0, "index": 1, "acc": 2}[node.name]
    return lambda s: s.frames[-1][slot]


def _member(node: A.Member) -> Fn:
    obj_f = compile_tree(node.obj)
    optional = node.optional
    obj_node = node.obj
    if isinstance(node.prop, A.Lit):
        key = node.prop.value

        def f(s: Scope) -> Any:
            obj = obj_f(s)
            if obj is None:
                if optional:
                    raise _NilChain
                raise _nil_fetch(s, obj_node, key)
            if type(obj) is dict:
                return obj.get(key)
            return R.fetch(obj, key)

        return f
    key_f = compile_tree(node.prop)

    def g(s: Scope) -> Any:
        obj = obj_f(s)
        if obj is None:
            if optional:
                raise _NilChain
            raise _nil_fetch(s, obj_node, key_f(s))
        return R.fetch(obj, key_f(s))

    return g


def _chain(node: A.Chain) -> Fn:
    inner = compile_tree(node.node)

    def f(s: Scope) -> Any:
        try:
            return inner(s)
        except _NilChain:
            return None

    return f


def _slice(node: A.Slice) -> Fn:
    obj_f = compile_tree(node.obj)
    start_f = compile_tree(node.start) if node.start is not None else (lambda s: None)
    stop_f = compile_tree(node.stop) if node.stop is not None else (lambda s: None)
    return lambda s: R.slice_(obj_f(s), start_f(s), stop_f(s))


def _call_node(node: A.Call) -> Fn:
    arg_fs = [compile_tree(a) for a in node.args]
    callee = node.callee
    if isinstance(callee, A.Member) and callee.method:
        obj_f = compile_tree(callee.obj)
        name = callee.prop.value if isinstance(callee.prop, A.Lit) else "?"
        optional = callee.optional

        def method_call(s: Scope) -> Any:
            obj = obj_f(s)
            if obj is None:
                if optional:
                    raise _NilChain
                raise _nil_fetch(s, callee.obj, name)
            if isinstance(obj, Mapping):
                fn = obj.get(name)
            else:
                fn = method_of(obj, name)
                if fn is None:
                    raise ExprError(f"type {go_type_name(obj)} has no method {name}")
            return _call(fn, [a(s) for a in arg_fs], str(name))

        return method_call
    callee_f = compile_tree(callee)
    label = callee.name if isinstance(callee, A.Ident) else "function"
    return lambda s: _call(callee_f(s), [a(s) for a in arg_fs], label)


def _builtin(node: A.Builtin) -> Fn:
    name = node.name
    if name in PREDICATE_FUNCTIONS:
        return _predicate_builtin(node)
    fn = FUNCTIONS[name]
    arg_fs = [compile_tree(a) for a in node.args]
    return lambda s: _call(fn, [a(s) for a in arg_fs], name)


def _predicate_builtin(node: A.Builtin) -> Fn:
    fn = PREDICATE_FUNCTIONS[node.name]
    parts: list[tuple[bool, Fn]] = []
    for a in node.args:
        if isinstance(a, A.Predicate):
            parts.append((True, compile_tree(a.body)))
        else:
            parts.append((False, compile_tree(a)))

    def f(s: Scope) -> Any:
        args: list[Any] = []
        for is_pred, part in parts:
            if is_pred:
                args.append(_closure(s, part))
            else:
                args.append(part(s))
        return _call(fn, args, node.name)

    return f


def _closure(s: Scope, body: Fn) -> Callable[[Any, int, Any], Any]:
    def run(item: Any, index: int, acc: Any) -> Any:
        s.frames.append((item, index, acc))
        try:
            return body(s)
        finally:
            s.frames.pop()

    return run


def _unary(node: A.Unary) -> Fn:
    inner = compile_tree(node.node)
    op = node.op
    if op in ("!", "not"):
        return lambda s: not R.as_bool(inner(s), "operand of !")
    if op == "-":
        return lambda s: R.negate(inner(s))

    def plus(s: Scope) -> Any:
        v = inner(s)
        if R.is_number(v):
            return v
        raise ExprError(f"invalid operation: + {go_type_name(v)}")

    return plus


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "==": R.equal,
    "!=": lambda a, b: not R.equal(a, b),
    "<": R.less,
    ">": R.more,
    "<=": R.less_or_equal,
    ">=": R.more_or_equal,
    "in": R.in_,
    "matches": R.matches,
    "contains": R.contains,
    "startsWith": R.starts_with,
    "endsWith": R.ends_with,
    "..": R.make_range,
    "+": R.add,
    "-": R.subtract,
    "*": R.multiply,
    "/": R.divide,
    "%": R.modulo,
    "**": R.exponent,
    "^": R.exponent,
}


def _binary(node: A.Binary) -> Fn:
    left_f = compile_tree(node.left)
    right_f = compile_tree(node.right)
    op = node.op
    if op in ("||", "or"):
        return lambda s: True if R.as_bool(left_f(s), "operand of ||") else right_f(s)
    if op in ("&&", "and"):
        return lambda s: right_f(s) if R.as_bool(left_f(s), "operand of &&") else False
    if op == "??":

        def coalesce(s: Scope) -> Any:
            v = left_f(s)
            return right_f(s) if v is None else v

        return coalesce
    fn = _BINARY[op]
    return lambda s: fn(left_f(s), right_f(s))


def _cond(node: A.Cond) -> Fn:
    cond_f, yes_f, no_f = (
        compile_tree(node.cond),
        compile_tree(node.yes),
        compile_tree(node.no),
    )
    return lambda s: yes_f(s) if R.as_bool(cond_f(s), "condition") else no_f(s)


def _array(node: A.Array) -> Fn:
    item_fs = [compile_tree(i) for i in node.items]
    return lambda s: [f(s) for f in item_fs]


def _map(node: A.Map) -> Fn:
    pair_fs = [(compile_tree(k), compile_tree(v)) for k, v in node.pairs]

    def f(s: Scope) -> dict:
        out: dict = {}
        for kf, vf in pair_fs:
            key = kf(s)
            if not isinstance(key, str):
                raise ExprError(
                    f"interface conversion: interface {{}} is {go_type_name(key)}, not string"
                )
            out[key] = vf(s)
        return out

    return f


def _seq(node: A.Seq) -> Fn:
    fs = [compile_tree(n) for n in node.nodes]

    def f(s: Scope) -> Any:
        result = None
        for g in fs:
            result = g(s)
        return result

    return f


def _let(node: A.Let) -> Fn:
    value_f, body_f = compile_tree(node.value), compile_tree(node.body)
    name = node.name

    def f(s: Scope) -> Any:
        old = s.vars.get(name, _MISSING)
        s.vars[name] = value_f(s)
        try:
            return body_f(s)
        finally:
            if old is _MISSING:
                del s.vars[name]
            else:
                s.vars[name] = old

    return f


_COMPILERS: dict[type, Callable[[Any], Fn]] = {
    A.Lit: _lit,
    A.Ident: _ident,
    A.Pointer: _pointer,
    A.Member: _member,
    A.Chain: _chain,
    A.Slice: _slice,
    A.Call: _call_node,
    A.Builtin: _builtin,
    A.Unary: _unary,
    A.Binary: _binary,
    A.Cond: _cond,
    A.Array: _array,
    A.Map: _map,
    A.Seq: _seq,
    A.Let: _let,
}


def run(fn: Fn, env: Mapping[str, Any], functions: Mapping[str, Any]) -> Any:
    scope = Scope(env, functions)
    try:
        return fn(scope)
    except _NilChain:  # pragma: no cover - chains catch their own
        return None
    except RecursionError:
        raise ExprError("expression is nested too deeply") from None
