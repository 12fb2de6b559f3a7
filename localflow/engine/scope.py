"""Variables in scope and `{{...}}` substitution over template objects.

Argo substitutes over the JSON text of a template; walking every string of the same
JSON tree gives the same result (values go in raw, as they come out after Argo's
quote-escaping round trip).
"""

from __future__ import annotations

import json
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from localflow.errors import ExprError, StepError, UndefinedVariable
from localflow.expr import template as tmpl_expr


@dataclass
class Scope:
    """A flat map of variables (`steps.gen.outputs.result` → "3"; artifacts as marked dicts)."""

    values: dict[str, Any] = field(default_factory=dict)
    parent: Scope | None = None

    def flat(self) -> ChainMap:
        """All variables visible here, without copying (the innermost scope wins)."""
        maps = []
        s: Scope | None = self
        while s is not None:
            maps.append(s.values)
            s = s.parent
        return ChainMap(*maps)


ART_MARK = "__localflow_artifact__"


def is_artifact(v: Any) -> bool:
    return isinstance(v, dict) and ART_MARK in v


class _TextView(Mapping):
    """Values as simple tags see them (text), converted on lookup rather than copied.

    Artifact references are not text: their tags stay as they are, for `from` to resolve.
    """

    def __init__(self, values: Mapping[str, Any]):
        self._values = values

    def __getitem__(self, key: str) -> str | None:
        v = self._values[key]
        if is_artifact(v):
            raise KeyError(key)
        return None if v is None else to_text(v)

    def __contains__(self, key: object) -> bool:
        return key in self._values and not is_artifact(self._values[key])

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def _strict_steps_tasks(name: str) -> bool:
    return (name.startswith("steps.") or name.startswith("tasks.")) and ".outputs.artifacts." not in name


def expression_env(values: Mapping[str, Any]) -> dict[str, Any]:
    """The expr-lang environment: flat keys expanded into nested maps; JSON items parsed."""
    env = tmpl_expr.expand({k: v for k, v in values.items()})
    return env


def render_string(text: str, values: Mapping[str, Any], *, strict: bool = False,
                  env: Mapping[str, Any] | None = None) -> str:
    if "{{" not in text:
        return text
    str_values = _TextView(values)
    try:
        return tmpl_expr.render(text, str_values, strict=_strict_steps_tasks if strict else None,
                                expression_values=env if env is not None else values)
    except UndefinedVariable as e:
        raise StepError(f"failed to resolve {{{{{e.name}}}}}") from e
    except ExprError as e:
        raise StepError(str(e)) from e


def render_tree(obj: Any, values: Mapping[str, Any], *, strict: bool = False,
                env: Mapping[str, Any] | None = None, skip_keys: frozenset[str] = frozenset()) -> Any:
    """Substitute every string in a JSON-like tree; keys named in skip_keys are left as they are."""
    if isinstance(obj, str):
        return render_string(obj, values, strict=strict, env=env)
    if isinstance(obj, list):
        return [render_tree(v, values, strict=strict, env=env, skip_keys=skip_keys) for v in obj]
    if isinstance(obj, dict):
        return {k: (v if k in skip_keys else render_tree(v, values, strict=strict, env=env, skip_keys=skip_keys))
                for k, v in obj.items()}
    return obj


def has_tags(obj: Any) -> bool:
    if isinstance(obj, str):
        return "{{" in obj
    if isinstance(obj, list):
        return any(has_tags(v) for v in obj)
    if isinstance(obj, dict):
        return any(has_tags(v) for v in obj.values())
    return False


def to_text(v: Any) -> str:
    """A value as simple tags insert it: strings as they are, anything else as Go's JSON."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(v, separators=(",", ":"), sort_keys=True)
