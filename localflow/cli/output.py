"""Everything localflow prints goes through here: one console, secrets masked, errors as one line."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import NoReturn

from localflow.store import secrets as S

_lock = threading.Lock()
_secrets: list[str] = []  # what `mask` hides, longest first


def add_secrets(values: Iterable[str]) -> None:
    _secrets[:] = S.longest_first([*_secrets, *values])


def mask(text: str) -> str:
    return S.mask(text, _secrets)


def out(text: str = "") -> None:
    with _lock:
        sys.stdout.write(mask(text) + "\n")
        sys.stdout.flush()


def err(text: str) -> None:
    with _lock:
        sys.stderr.write(mask(text) + "\n")
        sys.stderr.flush()


def fail(message: str, code: int = 1) -> NoReturn:
    """`localflow: <message>` on stderr, then exit with `code` (1 a failure, 2 a usage error)."""
    import typer
    err(f"localflow: {message}")
    raise typer.Exit(code) from None


def usage(message: str) -> NoReturn:
    fail(message, 2)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """A LocalflowError raised inside becomes one line on stderr and the error's exit code."""
    from localflow.errors import LocalflowError
    try:
        yield
    except LocalflowError as e:
        fail(str(e), getattr(e, "exit_code", 1))


def is_tty() -> bool:
    return sys.stdout.isatty()


PALETTE = ["cyan", "magenta", "yellow", "green", "blue", "bright_cyan", "bright_magenta", "bright_yellow"]
_ANSI = {"cyan": "36", "magenta": "35", "yellow": "33", "green": "32", "blue": "34", "bright_cyan": "96",
         "bright_magenta": "95", "bright_yellow": "93", "red": "31", "dim": "2"}


def colour(text: str, name: str) -> str:
    if not is_tty():
        return text
    return f"\x1b[{_ANSI.get(name, '0')}m{text}\x1b[0m"
