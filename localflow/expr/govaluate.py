"""`when` conditions: Knetic/govaluate as Argo's `shouldExecute` (steps.go) runs it.

Argo substitutes `{{...}}` first, then parses with govaluate and turns every VARIABLE
token (a bare word such as `heads` or `Succeeded`) into a string literal, so
`heads == heads` is true. Numbers are float64, `'quoted'`/`"quoted"` text is a string
(or a time, as Unix seconds, when it parses as a date), `[any text]` is a bare word too.
Operators: `== != < > <= >= =~ !~ in`, `&& || !`, `+ - * / % **`, `& | ^ << >> ~`,
`? : ??` and `,` (lists for `in`). The result must be a bool.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from lark import Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedInput
from lark.lexer import Lexer

from localflow.errors import ExprError
from localflow.expr import _expr_runtime as R
from localflow.expr import _govaluate_lexer as L
from localflow.expr._lark import lazy_parser
from localflow.expr._gofmt import go_sprint

__all__ = ["check_when_syntax", "evaluate_when", "parse_when"]

GRAMMAR = r"""
start: sep
?sep: sep COMMA tern    -> separate
    | tern
?tern: tern TERNOP or_  -> binop
     | or_
?or_: or_ OROP and_     -> binop
    | and_
?and_: and_ ANDOP cmp   -> binop
     | cmp
?cmp: cmp CMPOP bits    -> binop
    | bits
?bits: bits BITOP shift -> binop
     | shift
?shift: shift SHIFTOP add -> binop
      | add
?add: add ADDOP mul     -> binop
    | mul
?mul: mul MULOP pow     -> binop
    | pow
?pow: pow POWOP value   -> binop
    | value
?value: PREFIXOP atom   -> prefix
      | atom
?atom: NUMERIC          -> literal
     | BOOLEAN          -> literal
     | STRING           -> literal
     | PATTERN          -> literal
     | TIME             -> literal
     | NIL              -> literal
     | VARIABLE         -> variable
     | ACCESSOR         -> accessor
     | ACCESSOR LPAR sep RPAR -> accessor_call
     | LPAR sep RPAR    -> group

%declare NUMERIC BOOLEAN STRING PATTERN TIME NIL VARIABLE ACCESSOR LPAR RPAR COMMA
%declare TERNOP OROP ANDOP CMPOP BITOP SHIFTOP ADDOP MULOP POWOP PREFIXOP
"""

_OPERATOR_TYPES = {
    L.COMPARATOR: "CMPOP",
    L.TERNARY: "TERNOP",
    L.PREFIX: "PREFIXOP",
    L.SEPARATOR: "COMMA",
    L.CLAUSE: "LPAR",
    L.CLAUSE_CLOSE: "RPAR",
}
_MODIFIER_TYPES = {
    "+": "ADDOP", "-": "ADDOP", "*": "MULOP", "/": "MULOP", "%": "MULOP", "**": "POWOP",
    "&": "BITOP", "|": "BITOP", "^": "BITOP", "<<": "SHIFTOP", ">>": "SHIFTOP",
}  # fmt: skip
_NIL_BEFORE_CLOSE = {L.CLAUSE, L.MODIFIER, L.COMPARATOR, L.LOGICALOP, L.PREFIX}


class _TokenLexer(Lexer):
    """Feeds already-made govaluate tokens to lark."""

    def __init__(self, lexer_conf: Any):
        pass

    def lex(self, data: Any, *args: Any):  # type: ignore[override]
        yield from data


def _lark_tokens(tokens: list[L.GToken]) -> list[Token]:
    """Lark tokens; an operator directly before `)` gets a nil operand, as govaluate's
    planner reads an empty operand there (`(a == )` compares a with nil)."""
    out: list[Token] = []
    for i, tok in enumerate(tokens):
        if tok.kind == L.MODIFIER:
            ttype = _MODIFIER_TYPES[tok.value]
        elif tok.kind == L.LOGICALOP:
            ttype = "ANDOP" if tok.value == "&&" else "OROP"
        else:
            ttype = _OPERATOR_TYPES.get(tok.kind, tok.kind)
        out.append(Token(ttype, tok))
        closes_next = i + 1 < len(tokens) and tokens[i + 1].kind == L.CLAUSE_CLOSE
        if tok.kind in _NIL_BEFORE_CLOSE and closes_next:
            out.append(Token("NIL", L.GToken("NIL", None)))
    return out


# ----------------------------------------------------------------------------------------
# evaluation stages


def _fmt(template: str, value: Any, symbol: str) -> ExprError:
    return ExprError(template.format(go_sprint(value), symbol))


LOGICAL_ERROR = (
    "Value '{}' cannot be used with the logical operator '{}', it is not a bool"
)
MODIFIER_ERROR = "Value '{}' cannot be used with the modifier '{}', it is not a number"
COMPARATOR_ERROR = (
    "Value '{}' cannot be used with the comparator '{}', it is not a number"
)
TERNARY_ERROR = (
    "Value '{}' cannot be used with the ternary operator '{}', it is not a bool"
)
PREFIX_ERROR = "Value '{}' cannot be used with the prefix '{}'"

_F = Callable[[], Any]


def _is_float(v: Any) -> bool:
    return isinstance(v, float)


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool)


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _deep_equal(a: Any, b: Any) -> bool:
    if hasattr(a, "pattern") or hasattr(b, "pattern"):
        return a is b
    return R.deep_equal(a, b)


def _key(v: Any) -> Any:
    """Go compares strings bytewise."""
    return v.encode("utf-8", "surrogatepass") if isinstance(v, str) else v


def _mod(a: float, b: float) -> float:
    if b == 0 or math.isinf(a) or math.isnan(a) or math.isnan(b):
        return math.nan
    return math.fmod(a, b)


def _div(a: float, b: float) -> float:
    return R.divide(a, b)


def _pow(a: float, b: float) -> float:
    return R.exponent(a, b)


def _int64(f: float) -> int:
    return R.to_int(f)


def _uint64(f: float) -> int:
    return R.to_int(f) % 2**64


def _binary(symbol: str, left: _F, right: _F) -> _F:
    """One govaluate stage: evaluate, short-circuit, type-check, operate."""
    if symbol in ("&&", "||"):
        short = symbol == "||"

        def logical() -> Any:
            lv = left()
            if lv is short:
                return short
            rv = right()
            for v in (lv, rv):
                if not _is_bool(v):
                    raise _fmt(LOGICAL_ERROR, v, symbol)
            return (lv or rv) if short else (lv and rv)

        return logical
    if symbol == "?":

        def ternary_true() -> Any:
            lv = left()
            rv = None if lv is False else right()
            if not _is_bool(lv):
                raise _fmt(TERNARY_ERROR, lv, "?")
            return rv if lv else None

        return ternary_true
    if symbol in (":", "??"):

        def ternary_false() -> Any:
            lv = left()
            return lv if lv is not None else right()

        return ternary_false
    check, operate = _STAGES[symbol]

    def stage() -> Any:
        lv, rv = left(), right()
        check(lv, rv, symbol)
        return operate(lv, rv)

    return stage


def _check_comparator(lv: Any, rv: Any, symbol: str) -> None:
    if not ((_is_float(lv) and _is_float(rv)) or (_is_str(lv) and _is_str(rv))):
        raise _fmt(COMPARATOR_ERROR, lv, symbol)


def _check_numbers(template: str) -> Callable[[Any, Any, str], None]:
    def check(lv: Any, rv: Any, symbol: str) -> None:
        for v in (lv, rv):
            if not _is_float(v):
                raise _fmt(template, v, symbol)

    return check


def _check_plus(lv: Any, rv: Any, symbol: str) -> None:
    if _is_float(lv) and _is_float(rv):
        return
    if not _is_str(lv) and not _is_str(rv):
        raise _fmt(MODIFIER_ERROR, lv, symbol)


def _check_regex(lv: Any, rv: Any, symbol: str) -> None:
    if not _is_str(lv):
        raise _fmt(COMPARATOR_ERROR, lv, symbol)
    if not (_is_str(rv) or hasattr(rv, "pattern")):
        raise _fmt(COMPARATOR_ERROR, rv, symbol)


def _check_in(lv: Any, rv: Any, symbol: str) -> None:
    if not isinstance(rv, list):
        raise _fmt(COMPARATOR_ERROR, rv, symbol)


def _no_check(lv: Any, rv: Any, symbol: str) -> None:
    return None


def _regex(lv: str, rv: Any) -> bool:
    if isinstance(rv, str):
        try:
            rv = R.go_regexp(rv)
        except ExprError as e:
            raise ExprError(f"Unable to compile regexp pattern '{rv}': {e}") from None
    return rv.search(lv) is not None


def _plus(lv: Any, rv: Any) -> Any:
    if _is_str(lv) or _is_str(rv):
        return go_sprint(lv) + go_sprint(rv)
    return lv + rv


_numbers = _check_numbers(MODIFIER_ERROR)
_STAGES: dict[
    str, tuple[Callable[[Any, Any, str], None], Callable[[Any, Any], Any]]
] = {
    "==": (_no_check, _deep_equal),
    "!=": (_no_check, lambda a, b: not _deep_equal(a, b)),
    ">": (_check_comparator, lambda a, b: _key(a) > _key(b)),
    "<": (_check_comparator, lambda a, b: _key(a) < _key(b)),
    ">=": (_check_comparator, lambda a, b: _key(a) >= _key(b)),
    "<=": (_check_comparator, lambda a, b: _key(a) <= _key(b)),
    "=~": (_check_regex, _regex),
    "!~": (_check_regex, lambda a, b: not _regex(a, b)),
    "in": (_check_in, lambda a, b: any(_deep_equal(a, x) for x in b)),
    "+": (_check_plus, _plus),
    "-": (_numbers, lambda a, b: a - b),
    "*": (_numbers, lambda a, b: a * b),
    "/": (_numbers, _div),
    "%": (_numbers, _mod),
    "**": (_numbers, _pow),
    "&": (_numbers, lambda a, b: float(_int64(a) & _int64(b))),
    "|": (_numbers, lambda a, b: float(_int64(a) | _int64(b))),
    "^": (_numbers, lambda a, b: float(_int64(a) ^ _int64(b))),
    "<<": (
        _numbers,
        lambda a, b: (
            float((_uint64(a) << _uint64(b)) % 2**64) if _uint64(b) < 64 else 0.0
        ),
    ),
    ">>": (_numbers, lambda a, b: float(_uint64(a) >> _uint64(b))),
}


def _prefix(symbol: str, operand: _F) -> _F:
    def stage() -> Any:
        v = operand()
        if symbol == "!":
            if not _is_bool(v):
                raise _fmt(PREFIX_ERROR, v, "!")
            return not v
        if not _is_float(v):
            raise _fmt(PREFIX_ERROR, v, symbol)
        return -v if symbol == "-" else float(~_int64(v))

    return stage


def _no_parameter(name: str) -> ExprError:
    return ExprError(f"No parameter '{name}' found.")


@v_args(inline=True)
class _Build(Transformer):
    def start(self, node):
        return node

    def literal(self, tok):
        value = tok.value.value
        return lambda: value

    def variable(self, tok):
        name = tok.value.value

        def missing() -> Any:
            raise _no_parameter(name)

        return missing

    def accessor(self, tok):
        return self.variable(
            Token("VARIABLE", L.GToken(L.VARIABLE, tok.value.value[0]))
        )

    def accessor_call(self, tok, _l, args, _r):
        name = tok.value.value[0]

        def call() -> Any:
            args()
            raise _no_parameter(name)

        return call

    def group(self, _l, inner, _r):
        return inner

    def prefix(self, op, operand):
        return _prefix(op.value.value, operand)

    def binop(self, left, op, right):
        return _binary(op.value.value, left, right)

    def separate(self, left, _comma, right):
        def stage() -> Any:
            lv, rv = left(), right()
            return [*lv, rv] if isinstance(lv, list) else [lv, rv]

        return stage


_get_parser = lazy_parser("govaluate", GRAMMAR, lexer=_TokenLexer)


def _plan(tokens: list[L.GToken]) -> _F:
    """Build the evaluation plan. Like govaluate's planner, a complete expression followed
    by tokens it cannot use (`(a) (b)`) stops there and ignores the rest."""
    data = _lark_tokens(tokens)
    try:
        return _Build().transform(_get_parser().parse(data))
    except UnexpectedInput as e:
        cut = getattr(e, "token", None)
        index = next((i for i, t in enumerate(data) if t is cut), None)
        if index:
            try:
                return _Build().transform(_get_parser().parse(data[:index]))
            except LarkError:
                pass
        shown = (
            cut.value.shown()
            if cut is not None and hasattr(cut.value, "shown")
            else "end"
        )
        raise ExprError(f"Unexpected token {shown}") from None
    except RecursionError:
        raise ExprError("expression is nested too deeply") from None


@lru_cache(maxsize=4096)
def _compile(text: str, bare_words_as_strings: bool) -> _F:
    """Both of Argo's parses; errors carry Argo's message."""
    try:
        tokens = L.tokenize(text)
        L.check_syntax(tokens)
        L.optimize(tokens)
        if not bare_words_as_strings:
            return _plan(tokens)
    except ExprError as e:
        raise _invalid(text, e) from None
    converted = [
        L.GToken(L.STRING, t.value) if t.kind == L.VARIABLE else t for t in tokens
    ]
    try:
        L.check_balance(converted)
        L.check_syntax(converted)
        L.optimize(converted)
        return _plan(converted)
    except ExprError as e:
        try:  # Argo plans the first parse too, and reports its errors first
            _plan(tokens)
        except ExprError as first:
            raise _invalid(text, first) from None
        raise ExprError(f"Failed to parse 'when' expression '{text}': {e}") from None


def _invalid(text: str, e: ExprError) -> ExprError:
    hint = ""
    if "Invalid token" in str(e):
        hint = ' (hint: try wrapping the affected expression in quotes ("))'
    return ExprError(f"Invalid 'when' expression '{text}': {e}{hint}")


def parse_when(text: str, *, bare_words_as_strings: bool = True) -> None:
    """Raise ExprError if the (already substituted) `when` text does not parse."""
    _compile(text, bare_words_as_strings)


def check_when_syntax(text: str, placeholder: str = "placeholder") -> None:
    """Lint a `when` that may still hold `{{...}}` tags: each tag becomes a bare word."""
    from localflow.expr.template import find_tags

    out, pos = [], 0
    for tag in find_tags(text):
        out.append(text[pos : tag.start])
        out.append(placeholder)
        pos = tag.end
    out.append(text[pos:])
    parse_when("".join(out))


def evaluate_when(text: str, *, bare_words_as_strings: bool = True) -> bool:
    """Evaluate a substituted `when`: True or False, or ExprError quoting the expression.

    An empty `when` is true. `bare_words_as_strings=False` is the CronWorkflow variant,
    where a bare word is an undefined parameter.
    """
    if text == "":
        return True
    plan = _compile(text, bare_words_as_strings)
    try:
        result = plan()
    except ExprError as e:
        raise ExprError(f"Failed to evaluate 'when' expresion '{text}': {e}") from None
    except RecursionError:
        raise ExprError(
            f"Failed to evaluate 'when' expresion '{text}': too deep"
        ) from None
    if not isinstance(result, bool):
        raise ExprError(
            f"Expected boolean evaluation for '{text}'. Got {go_sprint(result)}"
        )
    return result
