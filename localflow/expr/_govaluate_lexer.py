"""govaluate's tokenizer and token-transition check (Knetic/govaluate `parsing.go`,
`lexerState.go`), reproduced because they decide what a `when` can say.

Quirks kept on purpose: operator symbols are read as a run of non-alphanumeric
characters (`==-1` is one invalid token), `-` is a prefix only where a value may start,
quoted strings end at either quote character, a backslash escapes anything, and a quoted
string that parses as a date becomes a TIME token (compared as Unix seconds).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from localflow.errors import ExprError
from localflow.expr import _expr_runtime as R
from localflow.expr import gotime
from localflow.expr._gofmt import go_sprint

UNKNOWN, PREFIX, NUMERIC, BOOLEAN, STRING, PATTERN, TIME, VARIABLE = (
    "UNKNOWN", "PREFIX", "NUMERIC", "BOOLEAN", "STRING", "PATTERN", "TIME", "VARIABLE",
)  # fmt: skip
FUNCTION, SEPARATOR, ACCESSOR, COMPARATOR, LOGICALOP, MODIFIER = (
    "FUNCTION", "SEPARATOR", "ACCESSOR", "COMPARATOR", "LOGICALOP", "MODIFIER",
)  # fmt: skip
CLAUSE, CLAUSE_CLOSE, TERNARY = "CLAUSE", "CLAUSE_CLOSE", "TERNARY"

PREFIX_SYMBOLS = {"-", "!", "~"}
MODIFIER_SYMBOLS = {"+", "-", "*", "/", "%", "**", "&", "|", "^", ">>", "<<"}
LOGICAL_SYMBOLS = {"&&", "||"}
COMPARATOR_SYMBOLS = {"==", "!=", ">", ">=", "<", "<=", "=~", "!~", "in"}
TERNARY_SYMBOLS = {"?", ":", "??"}

_VALUES = (NUMERIC, BOOLEAN, STRING, TIME, VARIABLE, FUNCTION, ACCESSOR)
# (may end the expression, kinds that may follow)
STATES: dict[str, tuple[bool, frozenset[str]]] = {
    UNKNOWN: (False, frozenset({PREFIX, PATTERN, CLAUSE, *_VALUES})),
    CLAUSE: (False, frozenset({PREFIX, PATTERN, CLAUSE, CLAUSE_CLOSE, *_VALUES})),
    CLAUSE_CLOSE: (
        True,
        frozenset(
            {
                COMPARATOR,
                MODIFIER,
                NUMERIC,
                BOOLEAN,
                VARIABLE,
                STRING,
                PATTERN,
                TIME,
                CLAUSE,
                CLAUSE_CLOSE,
                LOGICALOP,
                TERNARY,
                SEPARATOR,
            }
        ),
    ),
    NUMERIC: (
        True,
        frozenset({MODIFIER, COMPARATOR, LOGICALOP, CLAUSE_CLOSE, TERNARY, SEPARATOR}),
    ),
    BOOLEAN: (
        True,
        frozenset({MODIFIER, COMPARATOR, LOGICALOP, CLAUSE_CLOSE, TERNARY, SEPARATOR}),
    ),
    STRING: (
        True,
        frozenset({MODIFIER, COMPARATOR, LOGICALOP, CLAUSE_CLOSE, TERNARY, SEPARATOR}),
    ),
    TIME: (True, frozenset({MODIFIER, COMPARATOR, LOGICALOP, CLAUSE_CLOSE, SEPARATOR})),
    PATTERN: (
        True,
        frozenset({MODIFIER, COMPARATOR, LOGICALOP, CLAUSE_CLOSE, SEPARATOR}),
    ),
    VARIABLE: (
        True,
        frozenset({MODIFIER, COMPARATOR, LOGICALOP, CLAUSE_CLOSE, TERNARY, SEPARATOR}),
    ),
    MODIFIER: (
        False,
        frozenset(
            {
                PREFIX,
                NUMERIC,
                VARIABLE,
                FUNCTION,
                ACCESSOR,
                STRING,
                BOOLEAN,
                CLAUSE,
                CLAUSE_CLOSE,
            }
        ),
    ),
    COMPARATOR: (
        False,
        frozenset(
            {
                PREFIX,
                NUMERIC,
                BOOLEAN,
                VARIABLE,
                FUNCTION,
                ACCESSOR,
                STRING,
                TIME,
                CLAUSE,
                CLAUSE_CLOSE,
                PATTERN,
            }
        ),
    ),
    LOGICALOP: (
        False,
        frozenset(
            {
                PREFIX,
                NUMERIC,
                BOOLEAN,
                VARIABLE,
                FUNCTION,
                ACCESSOR,
                STRING,
                TIME,
                CLAUSE,
                CLAUSE_CLOSE,
            }
        ),
    ),
    PREFIX: (
        False,
        frozenset(
            {NUMERIC, BOOLEAN, VARIABLE, FUNCTION, ACCESSOR, CLAUSE, CLAUSE_CLOSE}
        ),
    ),
    TERNARY: (
        False,
        frozenset(
            {
                PREFIX,
                NUMERIC,
                BOOLEAN,
                STRING,
                TIME,
                VARIABLE,
                FUNCTION,
                ACCESSOR,
                CLAUSE,
                SEPARATOR,
            }
        ),
    ),
    FUNCTION: (False, frozenset({CLAUSE})),
    ACCESSOR: (
        True,
        frozenset(
            {CLAUSE, MODIFIER, COMPARATOR, LOGICALOP, CLAUSE_CLOSE, TERNARY, SEPARATOR}
        ),
    ),
    SEPARATOR: (
        False,
        frozenset(
            {
                PREFIX,
                NUMERIC,
                BOOLEAN,
                STRING,
                TIME,
                VARIABLE,
                FUNCTION,
                ACCESSOR,
                CLAUSE,
            }
        ),
    ),
}

_TIME_LAYOUTS = (
    gotime.ANSIC, gotime.UNIX_DATE, gotime.RUBY_DATE, gotime.KITCHEN, gotime.RFC3339,
    gotime.RFC3339_NANO, "2006-01-02", "2006-01-02 15:04", "2006-01-02 15:04:05",
    "2006-01-02 15:04:05-07:00", "2006-01-02T15Z0700", "2006-01-02T15:04Z0700",
    "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05.999999999Z0700",
)  # fmt: skip


@dataclass
class GToken:
    kind: str
    value: Any

    def shown(self) -> str:
        """The token value as `%v` prints it in govaluate's messages."""
        if self.kind in (CLAUSE, CLAUSE_CLOSE):
            return str(ord(self.value))
        if self.kind == PATTERN:
            return self.value.pattern
        if self.kind == ACCESSOR:
            return "[" + " ".join(self.value) + "]"
        return go_sprint(self.value)


# ----------------------------------------------------------------------------------------
# character classes (Go's unicode package)

_GO_SPACE = set("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | {
    chr(c) for c in range(0x2000, 0x200B)
}


def is_space(c: str) -> bool:
    return c in _GO_SPACE


def is_digit(c: str) -> bool:
    return unicodedata.category(c) == "Nd"


def is_letter(c: str) -> bool:
    return unicodedata.category(c).startswith("L")


def _is_numeric(c: str) -> bool:
    return is_digit(c) or c == "."


def _is_hex(c: str) -> bool:
    return is_digit(c) or c.lower() in "abcdef"


def _is_variable_char(c: str) -> bool:
    return is_letter(c) or is_digit(c) or c in "_."


def _is_not_quote(c: str) -> bool:
    return c not in "'\""


def _is_not_alphanumeric(c: str) -> bool:
    return not (is_digit(c) or is_letter(c) or c in "()[]'\"")


class _Stream:
    def __init__(self, text: str):
        self.s = text
        self.pos = 0

    def can_read(self) -> bool:
        return self.pos < len(self.s)

    def read(self) -> str:
        if self.pos >= len(self.s):
            raise ExprError("Unclosed string literal")  # a trailing backslash
        c = self.s[self.pos]
        self.pos += 1
        return c

    def read_until_false(
        self, include_ws: bool, break_ws: bool, escaping: bool, cond: Any
    ) -> tuple[str, bool]:
        buf: list[str] = []
        conditioned = False
        while self.can_read():
            c = self.read()
            if escaping and c == "\\":
                buf.append(self.read())
                continue
            if is_space(c):
                if break_ws and buf:
                    conditioned = True
                    break
                if not include_ws:
                    continue
            if cond(c):
                buf.append(c)
            else:
                conditioned = True
                self.pos -= 1
                break
        return "".join(buf), conditioned

    def read_token_until_false(self, cond: Any) -> str:
        self.pos -= 1
        return self.read_until_false(False, True, True, cond)[0]


def _parse_go_float(text: str) -> float:
    if (
        not text
        or text == "."
        or text.count(".") > 1
        or not text.replace(".", "").isascii()
    ):
        raise ExprError(f"Unable to parse numeric value '{text}' to float64")
    return float(text)


def _try_time(text: str) -> float | None:
    if not any("0" <= c <= "9" for c in text):  # every layout has digits
        return None
    for layout in _TIME_LAYOUTS:
        try:
            return float(gotime.parse_time(layout, text).unix())
        except ExprError:
            continue
    return None


def _read_token(stream: _Stream, state: str) -> GToken | None:
    while stream.can_read():
        c = stream.read()
        if is_space(c):
            continue
        if _is_numeric(c):
            if stream.can_read() and c == "0":
                c2 = stream.read()
                if stream.can_read() and c2 == "x":
                    text, _ = stream.read_until_false(False, True, True, _is_hex)
                    try:
                        return GToken(NUMERIC, float(int(text, 16)))
                    except ValueError:
                        raise ExprError(
                            f"Unable to parse hex value '{text}' to uint64"
                        ) from None
                stream.pos -= 1
            text = stream.read_token_until_false(_is_numeric)
            return GToken(NUMERIC, _parse_go_float(text))
        if c == ",":
            return GToken(SEPARATOR, ",")
        if c == "[":
            text, completed = stream.read_until_false(
                True, False, True, lambda ch: ch != "]"
            )
            if not completed:
                raise ExprError("Unclosed parameter bracket")
            stream.pos += 1
            return GToken(VARIABLE, text)
        if is_letter(c):
            text = stream.read_token_until_false(_is_variable_char)
            if text in ("true", "false"):
                return GToken(BOOLEAN, text == "true")
            if text in ("in", "IN"):
                return GToken(COMPARATOR, "in")
            if "." in text:
                if text.endswith("."):
                    raise ExprError(f"Hanging accessor on token '{text}'")
                parts = text.split(".")
                for part in parts[1:]:
                    first = part[:1]
                    if first.upper() != first:
                        raise ExprError(
                            f"Unable to access unexported field '{part}' in token '{text}'"
                        )
                return GToken(ACCESSOR, parts)
            return GToken(VARIABLE, text)
        if not _is_not_quote(c):
            text, completed = stream.read_until_false(True, False, True, _is_not_quote)
            if not completed:
                raise ExprError("Unclosed string literal")
            stream.pos += 1
            unix = _try_time(text)
            if unix is not None:
                return GToken(TIME, unix)
            return GToken(STRING, text)
        if c == "(":
            return GToken(CLAUSE, "(")
        if c == ")":
            return GToken(CLAUSE_CLOSE, ")")
        symbol = stream.read_token_until_false(_is_not_alphanumeric)
        if PREFIX in STATES[state][1] and symbol in PREFIX_SYMBOLS:
            return GToken(PREFIX, symbol)
        if symbol in MODIFIER_SYMBOLS:
            return GToken(MODIFIER, symbol)
        if symbol in LOGICAL_SYMBOLS:
            return GToken(LOGICALOP, symbol)
        if symbol in COMPARATOR_SYMBOLS:
            return GToken(COMPARATOR, symbol)
        if symbol in TERNARY_SYMBOLS:
            return GToken(TERNARY, symbol)
        raise ExprError(f"Invalid token: '{symbol}'")
    return None


def tokenize(text: str) -> list[GToken]:
    """`parseTokens` followed by the parenthesis balance check."""
    stream = _Stream(text)
    state = UNKNOWN
    tokens: list[GToken] = []
    while stream.can_read():
        tok = _read_token(stream, state)
        if tok is None:
            break
        state = tok.kind
        tokens.append(tok)
    check_balance(tokens)
    return tokens


def check_balance(tokens: list[GToken]) -> None:
    depth = 0
    for tok in tokens:
        if tok.kind == CLAUSE:
            depth += 1
        elif tok.kind == CLAUSE_CLOSE:
            depth -= 1
    if depth != 0:
        raise ExprError("Unbalanced parenthesis")


def check_syntax(tokens: list[GToken]) -> None:
    """`checkExpressionSyntax`: every token kind must be allowed after the previous one."""
    state = UNKNOWN
    last: GToken | None = None
    for tok in tokens:
        if tok.kind not in STATES[state][1]:
            if last is not None and last.kind == VARIABLE and tok.kind == CLAUSE:
                raise ExprError(f"Undefined function {last.value}")
            shown = last.shown() if last is not None else "<nil>"
            raise ExprError(
                f"Cannot transition token types from {state} [{shown}] "
                f"to {tok.kind} [{tok.shown()}]"
            )
        state = tok.kind
        last = tok
    if not STATES[state][0]:
        raise ExprError("Unexpected end of expression")


def optimize(tokens: list[GToken]) -> None:
    """`optimizeTokens`: a string right after `=~`/`!~` is compiled into a pattern."""
    for i, tok in enumerate(tokens[:-1]):
        if tok.kind == COMPARATOR and tok.value in ("=~", "!~"):
            nxt = tokens[i + 1]
            if nxt.kind == STRING:
                tokens[i + 1] = GToken(PATTERN, R.go_regexp(nxt.value))
