"""Parser for expr-lang (github.com/expr-lang/expr), the language of Argo's `{{= ...}}`.

A lark LALR grammar reads operands, postfix chains, literals, calls and closures; a binary
expression is read as a flat run of operands and operators, which `_Climber` then folds
with expr's own precedence-climbing rules (so `!a * b` is `!(a * b)`, `a < b < c` is
`a < b && b < c`, a `??` cannot be mixed with other operators without parentheses, and
`x | f()` passes x as f's first argument).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from lark import Token, Transformer, v_args

from localflow.errors import ExprError
from localflow.expr import _expr_ast as A
from localflow.expr._expr_grammar import (
    BINARY_PRECEDENCE,
    BUILTINS,
    COMPARISONS,
    GRAMMAR,
    NOT_OPS,
    PREDICATES,
    RIGHT_ASSOCIATIVE,
    UNARY_PRECEDENCE,
    parse_float_literal,
    parse_int_literal,
    unescape,
)
from localflow.expr._lark import Syntax, SyntaxFailure, lazy_parser, parse_tree

# ----------------------------------------------------------------------------------------
# tree building


class _Chain:
    """A flat run of operands and operators before precedence climbing."""

    __slots__ = ("items",)

    def __init__(self, items: list):
        self.items = items


@v_args(inline=True)
class _Build(Transformer):
    # literals and names
    def ident(self, tok):
        name = str(tok)
        if name == "true":
            return A.Lit(True)
        if name == "false":
            return A.Lit(False)
        if name == "nil":
            return A.Lit(None)
        return A.Ident(name)

    def int_lit(self, tok):
        return A.Lit(parse_int_literal(str(tok)))

    def float_lit(self, tok):
        return A.Lit(parse_float_literal(str(tok)))

    def string_lit(self, tok):
        return A.Lit(unescape(str(tok)[1:-1]))

    def raw_string_lit(self, tok):
        return A.Lit(str(tok)[1:-1].replace("``", "`"))

    def key_token(self, tok):
        return A.Lit(str(tok))

    key_string = string_lit
    key_raw_string = raw_string_lit

    def key_expr(self, seq):
        return seq

    def paren(self, seq):
        return seq

    def prop(self, tok):
        return A.Lit(str(tok))

    # collections
    def empty_array(self):
        return A.Array(())

    def array(self, *items):
        return A.Array(tuple(items))

    def empty_map(self):
        return A.Map(())

    def map(self, *pairs):
        return A.Map(tuple(pairs))

    def pair(self, key, value):
        return (key, value)

    def block(self, seq):
        return A.Block(seq)

    def pointer(self, name=None):
        return A.Pointer(str(name) if name is not None else "")

    def pointer_member(self, prop):
        return A.Member(A.Pointer(""), prop)

    def pointer_method(self, prop, args):
        return A.Call(A.Member(A.Pointer(""), prop, method=True), args)

    # calls
    def call_args(self, *args):
        return tuple(args)

    def call(self, name, args):
        return _make_call(str(name), args)

    def pipe_call(self, name, args):
        return ("pipe", str(name), args)

    # postfix chains
    def member(self, prop):
        return ("member", prop, None)

    def method(self, prop, args):
        return ("method", prop, args)

    def opt_member(self, _q, prop):
        return ("opt_member", prop, None)

    def opt_method(self, _q, prop, args):
        return ("opt_method", prop, args)

    def opt_index(self, _q, index):
        return ("opt_index", index, None)

    def index(self, index):
        return ("index", index, None)

    def slice(self, start, _colon, stop):
        return ("slice", start, stop)

    def postfix(self, node, *trailers):
        chained = False
        for kind, a, b in trailers:
            if isinstance(node, A.Chain):
                node, chained = node.node, True
            optional = kind.startswith("opt_")
            if kind in ("member", "opt_member"):
                node = A.Member(node, a, optional)
            elif kind in ("method", "opt_method"):
                node = A.Call(A.Member(node, a, optional, method=True), b)
            elif kind in ("index", "opt_index"):
                node = A.Member(node, a, optional)
            else:
                node = A.Slice(node, a, b)
            if chained or optional:
                node = A.Chain(node)
        return node

    # operators
    def prefix_op(self, tok):
        return ("prefix", str(tok))

    def binop(self, *toks):
        if len(toks) == 2:
            return ("binop", str(toks[1]), True)
        return ("binop", str(toks[0]), False)

    def unary_seq(self, *parts):
        return list(parts[:-1]) + [("operand", parts[-1])]

    def chain(self, *parts):
        items: list = []
        for part in parts:
            if isinstance(part, list):
                items.extend(part)
            else:
                items.append(part)
        return _Climber(items).parse()

    def ternary(self, cond, yes, no):
        return A.Cond(cond, yes, no)

    def elvis(self, cond, no):
        return A.Cond(cond, cond, no)

    def if_expr(self, _if, cond, yes, _else, no):
        return A.Cond(cond, yes, no)

    # sequences
    def let_item(self, _let, name, value):
        return ("let", str(name), value)

    def item(self, node):
        return node

    def seq(self, *items):
        return _fold_seq(list(items))

    def start(self, seq):
        return seq


def _fold_seq(items: list):
    nodes: list = []
    for idx, it in enumerate(items):
        if isinstance(it, tuple) and it and it[0] == "let":
            rest = items[idx + 1 :]
            if not rest:
                raise ExprError("unexpected end of expression after let")
            nodes.append(A.Let(it[1], it[2], _fold_seq(rest)))
            break
        nodes.append(it)
    return nodes[0] if len(nodes) == 1 else A.Seq(tuple(nodes))


def _make_call(name: str, args: tuple) -> A.Node:
    if name in PREDICATES:
        return _predicate_call(name, args)
    if name in BUILTINS:
        _no_blocks(args)
        return A.Builtin(name, args)
    _no_blocks(args)
    return A.Call(A.Ident(name), args)


def _no_blocks(args: tuple) -> None:
    for a in args:
        if isinstance(a, A.Block):
            raise ExprError(
                'unexpected token Bracket("{"): a closure is only allowed in a predicate'
            )


def _predicate_call(name: str, args: tuple) -> A.Node:
    total, pred_index, optional = PREDICATES[name]
    if len(args) < total - optional:
        raise ExprError(f"{name}: expected at least {total - optional} arguments")
    if len(args) > total:
        raise ExprError(f"{name}: too many arguments")
    out = []
    for i, a in enumerate(args):
        if i == pred_index:
            if isinstance(a, A.Map):
                raise ExprError(
                    f"{name}: a predicate must be an expression or a {{...}} closure"
                )
            out.append(A.Predicate(a.body if isinstance(a, A.Block) else a))
        else:
            _no_blocks((a,))
            out.append(a)
    return A.Builtin(name, tuple(out))


class _Climber:
    """expr's `parseExpression` precedence climbing over a flat operand/operator list."""

    def __init__(self, items: list):
        self.items = items
        self.pos = 0

    def parse(self) -> A.Node:
        node = self.expression(0)
        if self.pos != len(self.items):  # pragma: no cover - grammar guarantees this
            raise ExprError("unexpected token")
        return node

    def peek(self):
        return self.items[self.pos] if self.pos < len(self.items) else None

    def primary(self) -> A.Node:
        kind, *rest = self.items[self.pos]
        self.pos += 1
        if kind == "prefix":
            op = rest[0]
            operand = self.expression(UNARY_PRECEDENCE[op])
            return A.Unary(NOT_OPS.get(op, op), operand)
        return rest[0]

    def expression(self, precedence: int) -> A.Node:
        left = self.primary()
        prev = ""
        while (item := self.peek()) is not None:
            if item[0] == "pipe":
                if precedence > 0:
                    break
                self.pos += 1
                _, name, args = item
                left = _make_call(name, (left, *args))
                prev = "|"
                continue
            _, op, negate = item
            op_prec = BINARY_PRECEDENCE[op]
            if op_prec < precedence:
                break
            self.pos += 1
            if prev == "??" and op != "??":
                shown = "not " + op if negate else op
                raise ExprError(
                    f"Operator ({shown}) and coalesce expressions (??) cannot be mixed. "
                    "Wrap either by parentheses."
                )
            if op in COMPARISONS:
                left = self.comparison(left, op, op_prec)
            else:
                next_prec = op_prec if op in RIGHT_ASSOCIATIVE else op_prec + 1
                right = self.expression(next_prec)
                left = A.Binary(op, left, right)
                if negate:
                    left = A.Unary("not", left)
            prev = op
        return left

    def comparison(self, left: A.Node, op: str, op_prec: int) -> A.Node:
        root: A.Node | None = None
        while True:
            right = self.expression(op_prec + 1)
            cmp = A.Binary(op, left, right)
            root = cmp if root is None else A.Binary("&&", root, cmp)
            left = right
            item = self.peek()
            if (
                item is None
                or item[0] != "binop"
                or item[1] not in COMPARISONS
                or item[2]
            ):
                return root
            self.pos += 1
            op = item[1]


# ----------------------------------------------------------------------------------------
# validation of pointers and closures


def _validate(node: A.Node) -> None:
    """Pointers (`#`, `.x`) only inside predicates; `#acc` only in reduce; no stray blocks."""
    stack: list[tuple[A.Node, tuple[str, ...]]] = [(node, ())]
    while stack:
        n, ctx = stack.pop()
        if isinstance(n, A.Block):
            raise ExprError(
                'unexpected token Bracket("{"): a closure is only allowed in a predicate'
            )
        if isinstance(n, A.Pointer):
            if not ctx:
                raise ExprError("cannot use pointer accessor outside predicate")
            if n.name not in ("", "index", "acc"):
                raise ExprError(f"unknown pointer #{n.name}")
            if n.name == "acc" and ctx[-1] != "reduce":
                raise ExprError("cannot use #acc outside reduce")
        if isinstance(n, A.Builtin) and n.name in PREDICATES:
            for a in n.args:
                inner = ctx + (n.name,) if isinstance(a, A.Predicate) else ctx
                stack.append((a, inner))
            continue
        for child in A.children(n):
            stack.append((child, ctx))


# ----------------------------------------------------------------------------------------
# entry point

_get_parser = lazy_parser("expr", GRAMMAR, lexer="contextual", maybe_placeholders=True)


@lru_cache(maxsize=4096)
def parse(source: str) -> A.Node:
    """Parse an expression into a tree; syntax errors raise ExprError."""
    if not source.strip():
        raise ExprError("unexpected end of expression")
    try:
        node = parse_tree(_get_parser, _Build(), source)
    except SyntaxFailure as f:
        wording = _SYNTAX_WORDING.get(f.why.kind, _other_syntax_error)
        raise ExprError(wording(f.why, source)) from None
    _validate(node)
    return node


def _other_syntax_error(why: Syntax, source: str) -> str:
    return f"syntax error in {source!r}: {why.detail}"


# expr-lang's wording of a syntax error, by Syntax.kind
_SYNTAX_WORDING: dict[str, Callable[[Syntax, str], str]] = {
    "character": lambda why, source: f"unrecognized character {why.char!r} (1:{why.column}) in {source!r}",
    "end": lambda why, source: f"unexpected end of expression in {source!r}",
    "token": lambda why, source: f"unexpected token {_describe(why.token)} (1:{why.column}) in {source!r}",
    "inner": lambda why, source: f"{why.detail} in {source!r}",
    "deep": lambda why, source: f"expression is nested too deeply: {source[:80]!r}",
}


def _describe(tok: Token) -> str:
    return repr(str(tok))
