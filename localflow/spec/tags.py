"""`{{...}}` tags as Argo's validator sees them, and syntax checks of Argo's expression languages.

Tags are found by expr/template.py's scanner (`find_tags`, as fasttemplate finds them: from each `{{`
to the next `}}`); a `{{` without a closing `}}` is an error (Argo cannot substitute such a template).
A tag starting with `=` is an expression tag (expr-lang).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from localflow.errors import LocalflowError
from localflow.expr.template import Tag, UnterminatedTag, find_tags

__all__ = [
    "Tag",
    "UnterminatedTag",
    "depends_problem",
    "expression_problem",
    "find_tags",
    "lint_message",
    "replace_tags",
    "strings_in",
    "when_problem",
]


def lint_message(err: UnterminatedTag) -> str:
    """The validator's line for an unterminated tag."""
    return f"{{{{ without a closing }}}} in {err.snippet!r}"


def strings_in(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, text) for every string of a JSON-like value (dict keys are path segments)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings_in(item, f"{path}[{index}]")


def replace_tags(text: str, placeholder: str | Callable[[Tag], str] = "x", nested: Callable[[str], bool] | None = None) -> str:
    """`text` with each tag replaced (tags that cannot be scanned are left alone); `nested` as for find_tags."""
    try:
        tags = find_tags(text, nested)
    except UnterminatedTag:
        return text
    for tag in tags:
        text = text.replace(tag.raw, placeholder(tag) if callable(placeholder) else placeholder, 1)
    return text


def _message(err: Exception) -> str:
    text = str(err).strip() or type(err).__name__
    return text[0].lower() + text[1:] if text[:1].isupper() and not text[1:2].isupper() else text


def expression_problem(source: str) -> str | None:
    """Why an expr-lang expression does not parse, or None."""
    from localflow.expr.exprlang import check_syntax  # here: loading expr-lang costs start-up time

    try:
        check_syntax(source)
    except LocalflowError as err:
        return _message(err)
    return None


def when_problem(text: str, nested: Callable[[str], bool] | None = None) -> str | None:
    """Why a `when` does not parse as govaluate once its tags are substituted, or None."""
    from localflow.expr.govaluate import check_when_syntax

    substituted = replace_tags(text, "x", nested)
    try:
        check_when_syntax(substituted)
    except LocalflowError as err:
        message = _message(err)
        at = message.find(substituted)
        if substituted and at >= 0:
            # Keep the reason; the caller shows the expression as written.
            message = message[at + len(substituted) :].lstrip("'\": ") or message
        return message
    return None


def depends_problem(text: str) -> str | None:
    """Why a DAG `depends` does not parse, or None."""
    from localflow.expr.depends import parse_depends

    try:
        parse_depends(text)
    except LocalflowError as err:
        return _message(err)
    return None
