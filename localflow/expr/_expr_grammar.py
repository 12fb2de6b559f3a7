"""The lark grammar of expr-lang, its operator tables and literal decoding."""

from __future__ import annotations

from localflow.errors import ExprError

GRAMMAR = r"""
start: seq

seq: item (";" item)* ";"?
item: LET NAME "=" expr     -> let_item
    | expr

?expr: chain "?" expr ":" expr   -> ternary
     | chain "?" ":" expr        -> elvis
     | if_expr
     | chain

if_expr: IF expr "{" seq "}" ELSE (("{" seq "}") | if_expr)

chain: unary_seq (binop unary_seq | pipe_call)*
unary_seq: prefix_op* postfix
prefix_op: BANG | NOT | MINUS | PLUS
pipe_call: "|" NAME call_args

binop: OROR | OR | ANDAND | AND | EQEQ | NE | LT | GT | LE | GE
     | IN | MATCHES | CONTAINS | STARTSWITH | ENDSWITH
     | NOT (IN | MATCHES | CONTAINS | STARTSWITH | ENDSWITH)
     | RANGE | PLUS | MINUS | STAR | SLASH | PERCENT | POW | CARET | QQ

postfix: primary trailer*

trailer: "." prop                      -> member
       | "." prop call_args            -> method
       | QDOT prop                     -> opt_member
       | QDOT prop call_args           -> opt_method
       | QDOT "[" expr "]"             -> opt_index
       | "[" expr "]"                  -> index
       | "[" [expr] COLON [expr] "]"   -> slice

?primary: NAME                          -> ident
        | NAME call_args                -> call
        | INT                           -> int_lit
        | FLOAT                         -> float_lit
        | STRING                        -> string_lit
        | RAWSTRING                     -> raw_string_lit
        | "(" seq ")"                   -> paren
        | "[" "]"                       -> empty_array
        | "[" expr ("," expr)* ","? "]" -> array
        | "{" "}"                       -> empty_map
        | "{" pair ("," pair)* ","? "}" -> map
        | "{" seq "}"                   -> block
        | "#" NAME?                     -> pointer
        | "." prop                      -> pointer_member
        | "." prop call_args            -> pointer_method

pair: map_key ":" expr
?map_key: NAME -> key_token
        | INT -> key_token
        | FLOAT -> key_token
        | STRING -> key_string
        | RAWSTRING -> key_raw_string
        | "(" seq ")" -> key_expr

call_args: "(" ")"
         | "(" expr ("," expr)* ","? ")"

prop: NAME | IN | NOT | AND | OR | MATCHES | CONTAINS | STARTSWITH | ENDSWITH
    | LET | IF | ELSE

LET: "let"
IF: "if"
ELSE: "else"
NOT: "not"
IN: "in"
AND: "and"
OR: "or"
MATCHES: "matches"
CONTAINS: "contains"
STARTSWITH: "startsWith"
ENDSWITH: "endsWith"

OROR: "||"
ANDAND: "&&"
EQEQ: "=="
NE: "!="
LE: "<="
GE: ">="
LT: "<"
GT: ">"
BANG: "!"
QQ: "??"
QDOT: "?."
RANGE: ".."
POW: "**"
STAR: "*"
SLASH: "/"
PERCENT: "%"
CARET: "^"
PLUS: "+"
MINUS: "-"
COLON: ":"

NAME: /(?:[^\W\d]|\$)(?:\w|\$)*/
FLOAT.2: /[0-9][0-9_]*\.(?!\.)[0-9_]*(?:[eE][+-]?[0-9_]*)?|[0-9][0-9_]*[eE][+-]?[0-9_]*|\.[0-9][0-9_]*(?:[eE][+-]?[0-9_]*)?/
INT: /0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*/
STRING: /"(?:[^"\\\n]|\\.)*"/ | /'(?:[^'\\\n]|\\.)*'/
RAWSTRING: /`(?:[^`]|``)*`/

LINE_COMMENT: /\/\/[^\n]*/
BLOCK_COMMENT: /\/\*(?:.|\n)*?\*\//
%ignore LINE_COMMENT
%ignore BLOCK_COMMENT
%ignore /\s+/
"""

# expr's parser/operator tables
BINARY_PRECEDENCE = {
    "|": 0, "or": 10, "||": 10, "and": 15, "&&": 15,
    "==": 20, "!=": 20, "<": 20, ">": 20, ">=": 20, "<=": 20,
    "in": 20, "matches": 20, "contains": 20, "startsWith": 20, "endsWith": 20,
    "..": 25, "+": 30, "-": 30, "*": 60, "/": 60, "%": 60,
    "**": 100, "^": 100, "??": 500,
}  # fmt: skip
RIGHT_ASSOCIATIVE = {"**", "^"}
UNARY_PRECEDENCE = {"not": 50, "!": 50, "-": 90, "+": 90}
COMPARISONS = {"<", ">", "<=", ">="}

# builtins whose arguments include a predicate: (number of args, index of the predicate,
# number of optional trailing args)
PREDICATES = {
    "all": (2, 1, 0), "none": (2, 1, 0), "any": (2, 1, 0), "one": (2, 1, 0),
    "filter": (2, 1, 0), "map": (2, 1, 0), "count": (2, 1, 1), "sum": (2, 1, 1),
    "find": (2, 1, 0), "findIndex": (2, 1, 0), "findLast": (2, 1, 0),
    "findLastIndex": (2, 1, 0), "groupBy": (2, 1, 0), "sortBy": (3, 1, 1),
    "reduce": (3, 1, 1),
}  # fmt: skip

BUILTINS = frozenset(
    [
        "len",
        "type",
        "abs",
        "ceil",
        "floor",
        "round",
        "int",
        "float",
        "string",
        "trim",
        "trimPrefix",
        "trimSuffix",
        "upper",
        "lower",
        "split",
        "splitAfter",
        "replace",
        "repeat",
        "join",
        "indexOf",
        "lastIndexOf",
        "hasPrefix",
        "hasSuffix",
        "max",
        "min",
        "mean",
        "median",
        "toJSON",
        "fromJSON",
        "toBase64",
        "fromBase64",
        "now",
        "duration",
        "date",
        "timezone",
        "first",
        "last",
        "get",
        "take",
        "keys",
        "values",
        "toPairs",
        "fromPairs",
        "reverse",
        "uniq",
        "concat",
        "flatten",
        "sort",
        "bitand",
        "bitor",
        "bitxor",
        "bitnand",
        "bitnot",
        "bitshl",
        "bitshr",
        "bitushr",
    ]
)

NOT_OPS = {"not": "not", "!": "!"}


# ----------------------------------------------------------------------------------------
# string literals


def unescape(body: str) -> str:
    """Decode the escapes of a quoted expr string (Go-like: \\n, \\x41, \\u00e9, \\101 ...)."""
    if "\\" not in body:
        return body
    out: list[str] = []
    i, n = 0, len(body)
    simple = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
              "\\": "\\", "'": "'", '"': '"', "`": "`", "?": "?"}  # fmt: skip
    while i < n:
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= n:
            raise ExprError("unable to unescape string, found '\\' as last character")
        c = body[i + 1]
        i += 2
        if c in simple:
            out.append(simple[c])
        elif c == "u" and body[i : i + 1] == "{":
            end = body.find("}", i)
            digits = body[i + 1 : end] if end > 0 else ""
            if not digits or len(digits) > 6 or not _is_hex(digits):
                raise ExprError("unable to unescape string")
            out.append(_rune(int(digits, 16)))
            i = end + 1
        elif c in "xXuU":
            width = {"x": 2, "X": 2, "u": 4, "U": 8}[c]
            digits = body[i : i + width]
            if len(digits) < width or not _is_hex(digits):
                raise ExprError("unable to unescape string")
            out.append(_rune(int(digits, 16)))
            i += width
        elif c in "0123":
            digits = body[i : i + 2]
            if len(digits) < 2 or not all("0" <= d <= "7" for d in digits):
                raise ExprError("unable to unescape octal sequence in string")
            out.append(chr(int(c + digits, 8)))
            i += 2
        else:
            raise ExprError("unable to unescape string")
    return "".join(out)


def _is_hex(s: str) -> bool:
    return all(ch in "0123456789abcdefABCDEF" for ch in s)


def _rune(code: int) -> str:
    if code > 0x10FFFF:
        raise ExprError("unable to unescape string")
    if 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    return chr(code)


def parse_int_literal(text: str) -> int:
    t = text.replace("_", "")
    low = t.lower()
    try:
        if low.startswith(("0x", "0o", "0b")):
            value = int(t, 0)
        else:
            value = int(t, 10)
    except ValueError:
        raise ExprError(f"invalid integer literal: {text}") from None
    if value > 2**63 - 1:
        raise ExprError("integer literal is too large")
    return value


def parse_float_literal(text: str) -> float:
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise ExprError(f"invalid float literal: {text}") from None
    if value == float("inf"):
        raise ExprError("float literal is too large")
    return value
