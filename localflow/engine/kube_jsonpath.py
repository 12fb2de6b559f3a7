"""kubectl's JSONPath templates (`{.metadata.name}`, `{.status.succeeded}`), as a resource template's
output `jsonPath` reads the object: text outside braces is kept, a string prints as it is, other
values as JSON, several results separated by spaces (k8s.io/client-go/util/jsonpath)."""

from __future__ import annotations

import json
import re
from typing import Any

from localflow.errors import LocalflowError

_BRACES = re.compile(r"\{([^{}]*)\}")


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, separators=(",", ":"))


def evaluate(template: str, obj: Any) -> str | None:
    """The template's text for `obj`; None when a path is missing (kubectl: "is not found")."""
    from localflow.expr._jsonpath import query
    text = json.dumps(obj)

    def one(match: re.Match) -> str:
        path = match.group(1).strip()
        if path.startswith("$"):
            path = path[1:]
        try:
            value = query(text, "$" + path) if path else obj
        except LocalflowError:
            raise KeyError(path) from None
        if isinstance(value, list) and ("*" in path or ".." in path or "?(" in path):
            return " ".join(_show(v) for v in value)
        return _show(value)

    try:
        return _BRACES.sub(one, template) if "{" in template else one(re.match(r"(.*)", template, re.S))
    except KeyError:
        return None
