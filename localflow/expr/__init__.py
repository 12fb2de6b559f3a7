"""localflow.expr: Argo's expression languages, in pure Python.

- `template`: `{{...}}` substitution (`find_tags`, `render`, `expand`, `argo_strict`)
- `govaluate`: `when` conditions (`evaluate_when`, `parse_when`, `check_when_syntax`)
- `depends`: DAG `depends` logic (`parse_depends`, `Depends`, `dependencies_to_depends`)
- `exprlang`: expr-lang for `{{= ...}}` and the `expression` fields (`evaluate`, `check_syntax`)
- `go_json`: a value as Go's `json.Marshal` writes it (sorted keys, `<` as `\u003c`)

Errors are `localflow.errors.ExprError`, or its subclass `UndefinedVariable` for a
variable that is not (yet) defined.
"""

from localflow.expr._gofmt import go_json
from localflow.expr.depends import Depends, dependencies_to_depends, parse_depends
from localflow.expr.exprlang import check_syntax, evaluate, evaluate_bool, identifiers
from localflow.expr.govaluate import check_when_syntax, evaluate_when, parse_when
from localflow.expr.template import Tag, argo_strict, expand, find_tags, render

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
    "go_json",
    "identifiers",
    "parse_depends",
    "parse_when",
    "render",
]
