"""`localflow eval EXPR [--when] [--vars-json JSON] [-o json]`: an expression as Argo evaluates it.

Offline, for debugging a `{{=...}}` or a `when` without a cluster. Registered from
`localflow/cli/main.py` with `eval_cmd.register(app)`.

- default: expr-lang, as inside `{{=...}}`; prints the text Argo substitutes (a string as it is,
  anything else as Go's JSON: `[1,2]`, `{"a":1}`).
- `--when`: a govaluate condition as in `when:`, after `{{...}}` substitution; prints
  `true` or `false`.
- `--vars-json`: variable names (`inputs.parameters.x`, `steps.a.outputs.result`, `item`, ...)
  to values; `null` is an absent optional (a skipped step's output).
- `-o json`: `{"value": <the value as Go's JSON>, "text": <Go's %v of it>}`.

Exit codes: 0 evaluated, 2 the expression or the variables are invalid (one line, never a
traceback).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from . import output as O


class EvalError(Exception):
    """What the user gave cannot be evaluated: one line, exit 2."""


def _variables(vars_json: str | None) -> dict[str, Any]:
    if not vars_json:
        return {}
    try:
        values = json.loads(vars_json)
    except ValueError as e:
        raise EvalError(f"--vars-json: not JSON: {e}") from None
    if not isinstance(values, dict):
        raise EvalError("--vars-json: must be a JSON object of variable names to values")
    return values


def _as_text(values: dict[str, Any]) -> dict[str, Any]:
    """Values as simple `{{...}}` tags insert them: strings as they are, others as JSON."""
    from localflow.expr import go_json

    return {k: v if v is None or isinstance(v, str) else go_json(v) for k, v in values.items()}


def evaluate(expression: str, *, when: bool, values: dict[str, Any]) -> Any:
    """The value Argo computes for `expression` (a bool for `when`)."""
    from localflow.expr import evaluate as expr_evaluate
    from localflow.expr import evaluate_when
    from localflow.expr.template import expand, render

    if when:
        return evaluate_when(render(expression, _as_text(values), expression_values=values))
    return expr_evaluate(expression, expand(values))


def _json_of(value: Any) -> tuple[str | None, str | None]:
    """(Go's JSON of value, None) or (None, Go's json.Marshal error)."""
    from localflow.errors import ExprError
    from localflow.expr import go_json

    try:
        return go_json(value), None
    except ExprError as e:
        return None, str(e)


def render_result(value: Any, output: str | None) -> str:
    """The line `localflow eval` prints for `value`."""
    from localflow.expr._gofmt import go_sprint, json_text

    js, json_error = _json_of(value)
    if output == "json":
        fields = [f'"value": {js}'] if js is not None else [f'"json_error": {json.dumps(json_error)}']
        fields.append(f'"text": {json.dumps(json_text(go_sprint(value)), ensure_ascii=False)}')
        return "{" + ", ".join(fields) + "}"
    if isinstance(value, str):
        return json_text(value)
    if value is None:
        raise EvalError("the expression evaluates to nil: Argo leaves such a {{=...}} tag unsubstituted")
    if js is None:
        raise EvalError(f"failed to marshal evaluated expression: {json_error}")
    return js


def run_eval(expression: str, when: bool, vars_json: str | None, output: str | None) -> int:
    """Print the result or one error line; the exit code."""
    from localflow.errors import LocalflowError

    if output not in (None, "json"):
        O.err(f"localflow: eval: -o {output}: only json is supported")
        return 2
    try:
        line = render_result(evaluate(expression, when=when, values=_variables(vars_json)), output)
    except (EvalError, LocalflowError, RecursionError) as e:
        message = " ".join(str(e).split("\n")) if str(e) else type(e).__name__
        O.err(f"localflow: eval: {message}")
        return 2
    O.out(line)
    return 0


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_(
        expression: Annotated[str, typer.Argument(help="expr-lang (as in {{=...}}), or with --when a condition")],
        when: Annotated[bool, typer.Option("--when", help="a govaluate `when` condition")] = False,
        vars_json: Annotated[str | None, typer.Option("--vars-json", help='{"inputs.parameters.x": "1", ...}')] = None,
        output: Annotated[str | None, typer.Option("--output", "-o", help="json: value and Go's %v text")] = None,
    ) -> None:
        """Evaluate an expression as Argo would, offline.

        Example: localflow eval "asInt(inputs.parameters.n) + 1" --vars-json '{"inputs.parameters.n": "5"}'
        """
        raise typer.Exit(run_eval(expression, when, vars_json, output))
