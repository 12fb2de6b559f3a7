"""expr-lang's compile-time type check (its `checker` package), for the types it can know.

Argo compiles each expression against its environment, so a literal's type and the type of a
top-level variable's value are known before it runs: `'1' == 1`, `true && 1` and `'abc'[1]`
are errors even though nothing is evaluated, and so is `item + 1` when `item` is a string.
What comes out of a map (`inputs.parameters.x`), a function or a predicate is `interface{}`:
unknown, checked only at run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from localflow.errors import ExprError
from localflow.expr import _expr_ast as A

INT, FLOAT, STRING, BOOL, NIL, ARRAY, MAP = "int", "float64", "string", "bool", "nil", "[]interface {}", "map"
UNKNOWN = ""
_NUMBERS = (INT, FLOAT)
_SCALARS = (INT, FLOAT, STRING, BOOL)
_BUILTIN_KINDS = {"len": INT, "int": INT, "float": FLOAT, "string": STRING, "upper": STRING, "lower": STRING,
                  "trim": STRING, "toJSON": STRING, "all": BOOL, "any": BOOL, "none": BOOL, "one": BOOL}


def kind_of(value: Any) -> str:
    """The type expr-lang's checker sees for a top-level variable's value."""
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, str):
        return STRING
    if isinstance(value, list):
        return ARRAY
    if isinstance(value, Mapping):
        return MAP
    return UNKNOWN


def _mismatch(op: str, left: str, right: str) -> ExprError:
    return ExprError(f"invalid operation: {op} (mismatched types {left} and {right})")


@lru_cache(maxsize=4096)
def names(tree: A.Node) -> tuple[str, ...]:
    """The identifiers of a tree (whose kinds the check depends on)."""
    return tuple(sorted({n.name for n in A.walk(tree) if isinstance(n, A.Ident)}))


@lru_cache(maxsize=4096)
def check(tree: A.Node, kinds: tuple[tuple[str, str], ...]) -> None:
    """Raise ExprError where expr-lang's checker would; `kinds` are the known variables'."""
    _Checker(dict(kinds)).kind(tree)


class _Checker:
    def __init__(self, kinds: dict[str, str]):
        self.kinds = kinds

    def kind(self, node: A.Node) -> str:
        if isinstance(node, A.Lit):
            return NIL if node.value is None else kind_of(node.value)
        if isinstance(node, A.Ident):
            return self.kinds.get(node.name, UNKNOWN)
        if isinstance(node, A.Array):
            self._all(node.items)
            return ARRAY
        if isinstance(node, A.Map):
            self._all(x for pair in node.pairs for x in pair)
            return MAP
        if isinstance(node, A.Member):
            return self._member(node)
        if isinstance(node, A.Unary):
            return self._unary(node.op, self.kind(node.node))
        if isinstance(node, A.Binary):
            return self._binary(node.op, self.kind(node.left), self.kind(node.right))
        if isinstance(node, A.Cond):
            return self._cond(node)
        if isinstance(node, A.Let):
            self.kind(node.value)
            inner = _Checker({**self.kinds, node.name: UNKNOWN})
            return inner.kind(node.body)
        if isinstance(node, A.Slice):
            self._all(A.children(node))
            return self.kind(node.obj)
        self._all(A.children(node))
        if isinstance(node, A.Builtin):
            return _BUILTIN_KINDS.get(node.name, UNKNOWN)
        return UNKNOWN

    def _all(self, nodes: Any) -> None:
        for n in nodes:
            self.kind(n)

    def _member(self, node: A.Member) -> str:
        obj = self.kind(node.obj)
        prop = self.kind(node.prop)
        if obj in _SCALARS and not node.method:
            raise ExprError(f"type {obj}[{prop or 'interface {}'}] is undefined")
        return UNKNOWN

    def _cond(self, node: A.Cond) -> str:
        cond = self.kind(node.cond)
        if cond not in (BOOL, UNKNOWN):
            raise ExprError(f"non-bool expression (type {cond}) used as condition")
        yes, no = self.kind(node.yes), self.kind(node.no)
        return yes if yes == no else UNKNOWN

    @staticmethod
    def _unary(op: str, operand: str) -> str:
        if op in ("!", "not"):
            if operand not in (BOOL, UNKNOWN):
                raise ExprError(f"invalid operation: {op} (mismatched type {operand})")
            return BOOL
        if op in ("-", "+") and operand in (STRING, BOOL, NIL, ARRAY, MAP):
            raise ExprError(f"invalid operation: {op} (mismatched type {operand})")
        return operand

    @staticmethod
    def _binary(op: str, left: str, right: str) -> str:
        known = left != UNKNOWN and right != UNKNOWN
        numbers = left in _NUMBERS and right in _NUMBERS
        if op in ("==", "!="):
            if known and left != right and not numbers and NIL not in (left, right):
                raise _mismatch(op, left, right)
            return BOOL
        if op in ("&&", "||", "and", "or"):
            if left not in (BOOL, UNKNOWN) or right not in (BOOL, UNKNOWN):
                raise _mismatch(op, left, right)
            return BOOL
        if op in ("<", ">", "<=", ">=", "+", "-", "*", "/", "%", "**", "^"):
            scalars = left in _SCALARS and right in _SCALARS
            strings = left == right == STRING and op in ("<", ">", "<=", ">=", "+")
            if scalars and not numbers and not strings:
                raise _mismatch(op, left, right)
            return _arithmetic(op, left, right) if numbers or strings else UNKNOWN
        if op == "..":
            return ARRAY
        if op in ("in", "matches", "contains", "startsWith", "endsWith"):
            return BOOL
        return UNKNOWN


def _arithmetic(op: str, left: str, right: str) -> str:
    if op in ("<", ">", "<=", ">="):
        return BOOL
    if left == STRING:
        return STRING
    if op in ("/", "**", "^"):
        return FLOAT
    return INT if left == right == INT else FLOAT
