"""Argo's `{{...}}` substitution (`util/template`), on plain text.

Tags are found the way fasttemplate finds them: scan for `{{`, then for the first `}}`
after it; an unclosed `{{` is an error. A tag whose text starts with `=` (no space before
it) is an expr-lang expression, any other tag a simple lookup of its trimmed text.

Argo substitutes inside the JSON text of a template and escapes values for JSON; here the
text is plain, so a string value goes in as it is and any other expression result goes
in as its compact JSON text (Go's `json.Marshal`: `3.0` is `3`, `<` is `\\u003c`; a value
that marshals to a JSON string, such as a date, goes in without the quotes). Argo escapes
a simple tag's value and a non-string result with `strconv.Quote`, whose `\\x1b`, `\\a`,
`\\v` are not JSON: such a value makes the substitution an error
(`INVALID_JSON`), as Argo's JSON round trip does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from localflow.errors import ExprError, UndefinedVariable
from localflow.expr._gofmt import go_json, json_text

__all__ = ["Tag", "UnterminatedTag", "argo_strict", "expand", "find_tags", "render"]

PREFIX, SUFFIX = "{{", "}}"
INVALID_JSON = "cannot finish template replacement because the result was invalid JSON"
#: what strconv.Quote writes as \a, \v or \xNN (JSON has only \b \f \n \r \t), and the
#: characters beyond the BMP, which it writes as \UNNNNNNNN when they are not printable
_NOT_JSON_QUOTABLE = re.compile("[\x00-\x07\x0b\x0e-\x1f\x7f\U00010000-\U0010ffff]")


def _json_quotable(text: str) -> str:
    """`text` if strconv.Quote escapes it the way JSON would read back; else ExprError."""
    for m in _NOT_JSON_QUOTABLE.finditer(text):
        if m.group() < "\U00010000" or not m.group().isprintable():
            raise ExprError(INVALID_JSON)
    return text

#: Variables bound late (per loop item, per retry, at exit): an expression that needs one
#: of them and does not have it stays unresolved for a later pass
#: (expression_template.go `variablesToCheck`).
LATE_BOUND = frozenset(
    {
        "item",
        "retries",
        "lastRetry.exitCode",
        "lastRetry.status",
        "lastRetry.duration",
        "lastRetry.message",
        "workflow.status",
        "workflow.failures",
    }
)


@dataclass(frozen=True)
class Tag:
    """One `{{...}}` occurrence in a text."""

    raw: str  # with the braces
    start: int  # offset of "{{" in the text
    end: int  # offset just past "}}"

    @property
    def body(self) -> str:
        """The text between the braces, untouched."""
        return self.raw[2:-2]

    @property
    def inner(self) -> str:
        """The text between the braces, trimmed."""
        return self.body.strip()

    @property
    def is_expression(self) -> bool:
        """An expression tag starts with `=` right after the braces (`{{= x}}`)."""
        return self.body.startswith("=")

    @property
    def expression(self) -> str:
        """For an expression tag, the expression after the `=`, trimmed."""
        return self.body[1:].strip() if self.is_expression else ""

    @property
    def expression_as_written(self) -> str:
        """For an expression tag, the text after the `=` untrimmed, as Argo's validator compiles it
        (util/template parseTag), so that error columns match."""
        return self.body[1:] if self.is_expression else ""


class UnterminatedTag(ExprError):
    """A `{{` without a `}}` after it (fasttemplate's error); `snippet` is the text from the `{{`."""

    def __init__(self, text: str, start: int):
        super().__init__(f"Cannot find end tag={SUFFIX!r} in the template={text!r} "
                         f"starting from {text[start + 2 :]!r}")
        self.snippet = text[start : start + 30]


def _scan(text: str, nested: Callable[[str], bool] | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) of each tag, fasttemplate style: from each `{{` to the next `}}`.

    With `nested`, a tag holding one more `{{` (`{{steps.run-{{inputs.parameters.d}}.status}}`) is
    one tag when `nested` accepts the inner name: Argo substitutes the inner tag first when its
    exact (untrimmed) name is a variable it substitutes there (util/template simpleReplaceStrict)."""
    pos = 0
    while True:
        start = text.find(PREFIX, pos)
        if start < 0:
            return
        close = text.find(SUFFIX, start + 2)
        if close < 0:
            raise UnterminatedTag(text, start)
        inner = text[start + 2 : close]
        if nested is not None and PREFIX in inner and nested(inner[inner.rfind(PREFIX) + 2 :]):
            outer = text.find(SUFFIX, close + 2)
            if outer >= 0:
                close = outer
        yield start, close + 2
        pos = close + 2


def find_tags(text: str, nested: Callable[[str], bool] | None = None) -> list[Tag]:
    """All tags of `text`, in order (`nested` as for _scan). An unclosed `{{` raises UnterminatedTag."""
    return [Tag(text[a:b], a, b) for a, b in _scan(text, nested)]


# ----------------------------------------------------------------------------------------
# expand


def expand(flat: Mapping[str, Any]) -> dict:
    """Argo's `util/expand.Expand`: `{"a.b": 1}` becomes `{"a": {"b": 1}}`.

    A key is dropped when the next key in sorted order is one of its children
    (`{"a": 1, "a.b": 2}` keeps only `a.b`). When a parent survives that rule because
    another key sorts between them (`a`, `a-b`, `a.b`), Go's result depends on map order;
    here the child wins.
    """
    keys = sorted(flat)
    keep = [
        k
        for i, k in enumerate(keys)
        if not (i + 1 < len(keys) and keys[i + 1].startswith(k + "."))
    ]
    out: dict = {}
    for key in keep:
        parts = key.split(".")
        node = out
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        leaf = parts[-1]
        if isinstance(node.get(leaf), dict):
            continue  # a child already made this a map
        node[leaf] = flat[key]
    return out


# ----------------------------------------------------------------------------------------
# render


def argo_strict(
    prefixes: tuple[str, ...] = ("steps", "tasks"),
) -> Callable[[str], bool]:
    """The `strict` predicate of Argo's ReplaceStrict: names under these prefixes must
    resolve, except `.outputs.artifacts.` (optional artifacts are resolved later)."""
    pattern = re.compile(r"^(" + "|".join(re.escape(p) for p in prefixes) + r")(\.|$)")

    def strict(name: str) -> bool:
        return bool(pattern.match(name)) and ".outputs.artifacts." not in name

    return strict


def render(
    text: str,
    values: Mapping[str, Any],
    *,
    strict: Callable[[str], bool] | None = None,
    expression_values: Mapping[str, Any] | None = None,
) -> str:
    """Substitute the tags of `text`.

    Simple tags are looked up, trimmed, in the flat map `values`; an unknown tag stays as it
    is unless `strict(name)` is true (then UndefinedVariable). A present value of None is an
    "absent optional" and an ExprError. Expression tags are evaluated against
    `expand(expression_values or values)` plus Argo's functions; one that needs a missing
    late-bound variable, fails or yields nil stays unresolved (with `strict` given, a
    failure with every variable present is an ExprError, and a missing strict variable an
    UndefinedVariable).
    """
    if PREFIX not in text:
        return text
    spans = list(_scan(text))
    env: dict = {}
    sources = [text[a + 3 : b - 2] for a, b in spans if text.startswith("=", a + 2)]
    if sources:
        flat = expression_values if expression_values is not None else values
        env = _environment(sources, flat)
    out: list[str] = []
    pos = 0
    for start, end in spans:
        out.append(text[pos:start])
        pos = end
        body = text[start + 2 : end - 2]
        if body.startswith("="):
            out.append(_expression(body, env, strict))
        else:
            out.append(_simple(body, values, strict))
    out.append(text[pos:])
    return "".join(out)


def _environment(sources: list[str], flat: Mapping[str, Any]) -> dict:
    """`expand(flat)`, restricted to the top-level names the expressions use (expanding a
    large variable map for every tag would cost more than the expressions)."""
    from localflow.expr import exprlang  # on first use: its grammar costs start-up time

    roots: set[str] = set()
    for source in sources:
        exprlang.check_syntax(source)  # a syntax error is always an error
        roots.update(name.split(".", 1)[0] for name in exprlang.identifiers(source))
    if "$env" in roots:
        return expand(flat)
    return expand({k: v for k, v in flat.items() if k.split(".", 1)[0] in roots})


def _simple(
    tag: str, values: Mapping[str, Any], strict: Callable[[str], bool] | None
) -> str:
    name = tag.strip()
    if name in values:
        value = values[name]
        if value is None:
            raise ExprError(
                f"unable to substitute {{{{{tag}}}}}: output is an absent optional "
                "(skipped/omitted node with no default)"
            )
        if not isinstance(value, str):
            raise ExprError(f"failed to resolve {{{{{tag}}}}} to string")
        return _json_quotable(value)
    index = tag.rfind(PREFIX)
    if index > 0:  # "{{a{{b}}": resolve the inner tag, keep the outer one for later
        nested = tag[index + 2 :]
        if nested in values:
            value = values[nested]
            if value is None:
                raise ExprError(
                    f"unable to substitute nested tag {{{{{tag}}}}}: {nested!r} is an absent optional"
                )
            if isinstance(value, str):
                return PREFIX + tag[:index] + value
    if strict is not None and strict(name):
        raise UndefinedVariable(name)
    return PREFIX + tag + SUFFIX


def _expression(
    tag: str, env: Mapping[str, Any], strict: Callable[[str], bool] | None
) -> str:
    from localflow.expr import exprlang

    source = tag[1:]
    unresolved = PREFIX + tag + SUFFIX
    missing = [
        n for n in exprlang.identifiers(source) if not exprlang.has_variable(env, n)
    ]
    if strict is not None:
        for name in missing:
            if strict(name):
                raise UndefinedVariable(name)
    allow_unresolved = bool(missing) or strict is None
    if allow_unresolved and any(n in LATE_BOUND for n in missing):
        return unresolved
    try:
        result = exprlang.evaluate(source, env)
    except ExprError as e:
        if allow_unresolved:
            return unresolved
        raise ExprError(f"failed to evaluate expression: {e}") from None
    if result is None:
        if allow_unresolved:
            return unresolved
        raise ExprError(f"failed to evaluate expression {source!r}")
    if isinstance(result, str):
        return json_text(result)
    try:
        text = go_json(result)
    except ExprError:
        if allow_unresolved:
            return unresolved
        raise
    if text.startswith('"'):  # a date, a semver: Go's JSON is a string, inserted without quotes
        import json

        return json.loads(text)
    return _json_quotable(text)
