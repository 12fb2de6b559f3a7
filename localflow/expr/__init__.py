"""localflow.expr: Argo's expression languages, in pure Python.

- `template`: `{{...}}` substitution (`find_tags`, `render`, `expand`, `argo_strict`)
- `govaluate`: `when` conditions (`evaluate_when`, `parse_when`, `check_when_syntax`)
- `depends`: DAG `depends` logic (`parse_depends`, `Depends`, `dependencies_to_depends`)
- `exprlang`: expr-lang for `{{= ...}}` and the `expression` fields (`evaluate`, `check_syntax`)
- `go_json`: a value as Go's `json.Marshal` writes it (sorted keys, `<` as `\u003c`); `go_quote`: `strconv.Quote`

Errors are `localflow.errors.ExprError`, or its subclass `UndefinedVariable` for a
variable that is not (yet) defined.
"""

import importlib
from typing import Any

# names -> the submodule that defines them; imported on first use (each grammar costs start-up time)
_WHERE = {
    "go_json": "_gofmt", "go_quote": "_gofmt",
    "Depends": "depends", "dependencies_to_depends": "depends", "parse_depends": "depends",
    "check_syntax": "exprlang", "evaluate": "exprlang", "evaluate_bool": "exprlang", "identifiers": "exprlang",
    "check_when_syntax": "govaluate", "evaluate_when": "govaluate", "parse_when": "govaluate",
    "Tag": "template", "argo_strict": "template", "expand": "template", "find_tags": "template",
    "render": "template",
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{where}"), name)
    globals()[name] = value
    return value


__all__ = [
    "Depends",
    "Tag",
    "argo_strict",
    "check_syntax",
    "check_when_syntax",
    "dependencies_to_depends",
    "evaluate",
    "evaluate_bool",
    "evaluate_when",
    "expand",
    "find_tags",
    "go_json", "go_quote",
    "identifiers",
    "parse_depends",
    "parse_when",
    "render",
]
