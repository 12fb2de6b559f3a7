"""`{{...}}` tags as Argo's validator sees them, and syntax checks of Argo's expression languages.

Tags are found the way fasttemplate finds them: from each `{{` to the next `}}`; a `{{` without a
closing `}}` is an error (Argo cannot substitute such a template). A tag starting with `=` is an
expression tag (expr-lang).

The syntax checks use `localflow.expr` when it is importable and are skipped otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from localflow.errors import LocalflowError

__all__ = [
    "Tag",
    "depends_problem",
    "expression_problem",
    "replace_tags",
    "scan",
    "strings_in",
    "when_problem",
]


@dataclass(frozen=True)
class Tag:
    raw: str  # with the braces
    inner: str  # between the braces, untrimmed

    @property
    def is_expression(self) -> bool:
        return self.inner.startswith("=")

    @property
    def expression(self) -> str:
        return self.inner[1:] if self.is_expression else ""

    @property
    def name(self) -> str:
        """A simple tag's variable name (trimmed)."""
        return self.inner.strip()


class UnterminatedTag(ValueError):
    pass


def scan(text: str, nested: Callable[[str], bool] | None = None) -> list[Tag]:
    """Every tag of `text`; raises UnterminatedTag for a `{{` with no `}}` after it.

    With `nested`, a tag holding one more `{{` (`{{steps.run-{{inputs.parameters.d}}.status}}`) is
    one tag when `nested` accepts the inner name: Argo substitutes the inner tag first when its
    exact (untrimmed) name is a variable it substitutes there (util/template simpleReplaceStrict)."""
    tags = []
    pos = 0
    while True:
        start = text.find("{{", pos)
        if start < 0:
            return tags
        end = text.find("}}", start + 2)
        if end < 0:
            snippet = text[start : start + 30]
            raise UnterminatedTag(f"{{{{ without a closing }}}} in {snippet!r}")
        inner = text[start + 2 : end]
        if nested is not None and "{{" in inner and nested(inner[inner.rfind("{{") + 2 :]):
            outer_end = text.find("}}", end + 2)
            if outer_end >= 0:
                end = outer_end
        tags.append(Tag(text[start : end + 2], text[start + 2 : end]))
        pos = end + 2


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
    """`text` with each tag replaced (tags that cannot be scanned are left alone); `nested` as for scan."""
    try:
        tags = scan(text, nested)
    except UnterminatedTag:
        return text
    for tag in tags:
        text = text.replace(tag.raw, placeholder(tag) if callable(placeholder) else placeholder, 1)
    return text


def _message(err: Exception) -> str:
    text = str(err).strip() or type(err).__name__
    return text[0].lower() + text[1:] if text[:1].isupper() and not text[1:2].isupper() else text


def expression_problem(source: str) -> str | None:
    """Why an expr-lang expression does not parse, or None (None also when localflow.expr is absent)."""
    try:
        from localflow.expr.exprlang import check_syntax
    except ImportError:
        return None
    try:
        check_syntax(source)
    except LocalflowError as err:
        return _message(err)
    return None


def when_problem(text: str, nested: Callable[[str], bool] | None = None) -> str | None:
    """Why a `when` does not parse as govaluate once its tags are substituted, or None."""
    try:
        from localflow.expr.govaluate import check_when_syntax
    except ImportError:
        return None
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
    try:
        from localflow.expr.depends import parse_depends
    except ImportError:
        return None
    try:
        parse_depends(text)
    except LocalflowError as err:
        return _message(err)
    return None
