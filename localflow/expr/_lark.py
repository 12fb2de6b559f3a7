"""The one way localflow builds a lark parser: `lazy_parser(...)` returns a function that builds the
parser on its first call (once, under a lock: the engine evaluates from several threads) and returns
the same parser afterwards; LALR parsers keep lark's analysis of the grammar on disk."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any


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
