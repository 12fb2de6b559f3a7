"""The one way localflow builds a lark parser: `lazy_parser(...)` returns a function that builds the
parser on its first call (once, under a lock: the engine evaluates from several threads) and returns
the same parser afterwards; LALR parsers keep lark's analysis of the grammar on disk."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from localflow.errors import ExprError


def cache_folder() -> str | None:
    """`$LOCALFLOW_HOME/cache`, else `$XDG_CACHE_HOME/localflow` or ~/.cache/localflow; None when it
    cannot be made."""
    home = os.environ.get("LOCALFLOW_HOME")
    if home:
        folder = os.path.join(home, "cache")
    else:
        folder = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
                              "localflow")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError:
        return None
    return folder


def build_parser(name: str, grammar: str, parser: str = "lalr", **options: Any) -> Any:
    """`Lark(grammar, parser=parser, **options)`. An LALR parser's analysis of the grammar is kept in
    `<cache>/lark-<name>.cache` (building expr-lang's parser takes ~0.1 s, loading it ~0.01 s); lark
    rebuilds (and rewrites) the file when the grammar, the options, lark or Python differ, or the file
    cannot be read; without a writable folder the parser is built every time."""
    from lark import Lark

    folder = cache_folder() if parser == "lalr" else None
    if folder is None:
        return Lark(grammar, parser=parser, **options)
    return Lark(grammar, parser=parser, cache=os.path.join(folder, f"lark-{name}.cache"), **options)


def lazy_parser(name: str, grammar: str, parser: str = "lalr", **options: Any) -> Callable[[], Any]:
    """A function returning the parser `build_parser(name, grammar, parser, **options)`, built on first use."""
    lock = threading.Lock()
    built: list[Any] = []

    def get() -> Any:
        if not built:
            with lock:
                if not built:
                    built.append(build_parser(name, grammar, parser, **options))
        return built[0]

    return get


@dataclass(frozen=True)
class Syntax:
    """Why a text did not parse, in terms each language words its own way:
    `kind` is "character" (no token starts at `column`: `char`), "end" (the text ended early),
    "token" (`token` cannot come at `column`), "input" (another lark complaint at `column`),
    "inner" (the tree builder refused: `detail` is its ExprError), "other" (`detail`: lark's
    message), or "deep" (nested deeper than Python recurses)."""

    kind: str
    column: int = -1
    char: str = ""
    token: Any = None
    detail: str = ""


class SyntaxFailure(Exception):
    def __init__(self, why: Syntax):
        super().__init__(why.kind)
        self.why = why


def parse_tree(get_parser: Callable[[], Any], builder: Any, text: str) -> Any:
    """`builder.transform(get_parser().parse(text))`; lark's errors (and a tree nested too deeply)
    raise SyntaxFailure: the one translation of lark's exceptions for every parser of localflow."""
    from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

    try:
        return builder.transform(get_parser().parse(text))
    except UnexpectedCharacters as e:
        why = Syntax("character", e.column, char=text[e.pos_in_stream], detail=str(e))
    except UnexpectedEOF as e:
        why = Syntax("end", getattr(e, "column", -1), detail=str(e))
    except UnexpectedToken as e:
        kind = "end" if e.token.type == "$END" else "token"
        why = Syntax(kind, e.column, token=e.token, detail=str(e))
    except UnexpectedInput as e:
        why = Syntax("input", getattr(e, "column", -1), detail=str(e))
    except LarkError as e:
        inner = getattr(e, "orig_exc", None)
        why = Syntax("inner", detail=str(inner)) if isinstance(inner, ExprError) else Syntax("other", detail=str(e))
    except RecursionError:
        why = Syntax("deep")
    raise SyntaxFailure(why)
