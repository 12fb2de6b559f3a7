"""DAG `depends` logic (`workflow/common/ancestry.go`, `dag.go` evaluateDependsLogic).

An operand is a task name (`A`, `flip-coin`) or a task result (`A.Succeeded`); operands
combine with `&&`, `||`, `!` and parentheses. A bare name means
`(A.Succeeded || A.Skipped || A.Daemoned)`, plus `|| A.Errored` when A has
`continueOn.error` and `|| A.Failed` when it has `continueOn.failed`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from localflow.errors import ExprError
from localflow.expr._lark import Syntax, SyntaxFailure, lazy_parser, parse_tree

__all__ = ["RESULTS", "Depends", "dependencies_to_depends", "parse_depends"]

RESULTS = (
    "Succeeded",
    "Failed",
    "Errored",
    "Skipped",
    "Omitted",
    "Daemoned",
    "AnySucceeded",
    "AllFailed",
)
ITEM_RESULTS = frozenset({"AnySucceeded", "AllFailed"})

GRAMMAR = r"""
?start: or_
?or_: or_ "||" and_ -> or_
    | and_
?and_: and_ "&&" not_ -> and_
     | not_
?not_: "!" not_ -> not_
     | atom
?atom: TASK -> bare
     | TASK_RESULT -> result
     | "(" or_ ")"

TASK_RESULT.2: /[a-zA-Z0-9][-a-zA-Z0-9]*\.[A-Za-z][A-Za-z0-9_]*/
TASK: /[a-zA-Z0-9][-a-zA-Z0-9]*/
%ignore /[ \t\r\n]+/
"""

ResultFn = Callable[[str, str], bool]
ContinueOn = Mapping[str, tuple[bool, bool]]
_Node = tuple


@lru_cache(maxsize=1)
def _builder() -> Any:
    """The tree builder; lark is imported when a `depends` is first parsed, not by every run."""
    from lark import Transformer, v_args

    @v_args(inline=True)
    class _Build(Transformer):
        def bare(self, task):
            return ("bare", str(task))

        def result(self, token):
            name, _, kind = str(token).partition(".")
            if kind not in RESULTS:
                raise ExprError(f"task result '{kind}' for task '{name}' is invalid")
            return ("result", name, kind)

        def not_(self, node):
            return ("not", node)

        def and_(self, a, b):
            return ("and", a, b)

        def or_(self, a, b):
            return ("or", a, b)

    return _Build()


_get_parser = lazy_parser("depends", GRAMMAR)


def _bare_kinds(task: str, continue_on: ContinueOn) -> tuple[str, ...]:
    kinds = ["Succeeded", "Skipped", "Daemoned"]
    failed, error = continue_on.get(task, (False, False))
    if error:
        kinds.append("Errored")
    if failed:
        kinds.append("Failed")
    return tuple(kinds)


def _eval(node: _Node, result: ResultFn, continue_on: ContinueOn) -> bool:
    kind = node[0]
    if kind == "bare":
        return any(result(node[1], k) for k in _bare_kinds(node[1], continue_on))
    if kind == "result":
        return bool(result(node[1], node[2]))
    if kind == "not":
        return not _eval(node[1], result, continue_on)
    if kind == "and":
        return _eval(node[1], result, continue_on) and _eval(
            node[2], result, continue_on
        )
    return _eval(node[1], result, continue_on) or _eval(node[2], result, continue_on)


def _text(node: _Node, continue_on: ContinueOn, top: bool = True) -> str:
    kind = node[0]
    if kind == "bare":
        task = node[1]
        return (
            "("
            + " || ".join(f"{task}.{k}" for k in _bare_kinds(task, continue_on))
            + ")"
        )
    if kind == "result":
        return f"{node[1]}.{node[2]}"
    if kind == "not":
        return "!" + _text(node[1], continue_on, False)
    op = " && " if kind == "and" else " || "
    inner = _text(node[1], continue_on, False) + op + _text(node[2], continue_on, False)
    return inner if top else f"({inner})"


@dataclass(frozen=True)
class Depends:
    """A parsed `depends` expression."""

    text: str
    tree: _Node | None = field(repr=False, default=None)
    tasks: frozenset[str] = frozenset()
    item_tasks: frozenset[str] = frozenset()  # referenced with AnySucceeded/AllFailed

    def evaluate(self, result: ResultFn, continue_on: ContinueOn | None = None) -> bool:
        """Whether the condition holds; `result(task, kind)` answers for each task result
        and `continue_on[task]` is (continueOn.failed, continueOn.error)."""
        if self.tree is None:
            return True
        return _eval(self.tree, result, continue_on or {})

    def expanded(self, continue_on: ContinueOn | None = None) -> str:
        """The logic with bare names expanded, as Argo reports it."""
        if self.tree is None:
            return ""
        return _text(self.tree, continue_on or {})


def _collect(node: _Node, tasks: set[str], items: set[str]) -> None:
    kind = node[0]
    if kind in ("bare", "result"):
        tasks.add(node[1])
        if kind == "result" and node[2] in ITEM_RESULTS:
            items.add(node[1])
        return
    for child in node[1:]:
        _collect(child, tasks, items)


@lru_cache(maxsize=2048)
def parse_depends(text: str) -> Depends:
    """Parse a `depends` expression; syntax errors raise ExprError. Empty text has no
    dependencies and always holds."""
    if not text.strip():
        return Depends(text)
    try:
        tree = parse_tree(_get_parser, _builder(), text)
    except SyntaxFailure as f:
        raise ExprError(_syntax_message(f.why, text)) from None
    tasks: set[str] = set()
    items: set[str] = set()
    _collect(tree, tasks, items)
    return Depends(text, tree, frozenset(tasks), frozenset(items))


def _syntax_message(why: Syntax, text: str) -> str:
    if why.kind == "character":
        return f"invalid depends {text!r}: unexpected character {why.char!r} at column {why.column}"
    if why.kind in ("end", "token", "input"):
        return f"invalid depends {text!r}: syntax error at column {why.column}"
    if why.kind == "deep":
        return f"invalid depends {text[:80]!r}: nested too deeply"
    return f"invalid depends {text!r}: {why.detail}"


def dependencies_to_depends(names: list[str]) -> str:
    """`dependencies: [A, B]` as the equivalent `depends` text, `A && B`."""
    return " && ".join(names)
