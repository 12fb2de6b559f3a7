"""Which `{{...}}` variables a place in a template can use (validate.go's scope and
resolveAllVariables), and why a variable that cannot be resolved is wrong."""

from __future__ import annotations

import copy
import difflib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localflow.spec.validate import Located

# Only tags under these prefixes are checked (common.GlobalVarValidWorkflowVariablePrefix).
CHECKED_PREFIXES = ("item.", "steps.", "inputs.", "outputs.", "pod.", "workflow.", "tasks.")
# Resolved at run time, so always accepted.
RUNTIME_PREFIXES = (
    "outputs.",
    "workflow.creationTimestamp",
    "workflow.scheduledTime",
    "workflow.duration",
    "tasks.name",
    "steps.name",
    "node.name",
)


def _suggest(name: str, candidates: Any) -> str:
    close = difflib.get_close_matches(name, [c for c in candidates if c], n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


class Scope:
    """The variables one step, task or template body may use. `checker` is the validate.Checker
    (for the workflow's global variables), `owner` the template the variables are used in."""

    def __init__(self, checker: Any, owner: Located):
        self.checker = checker
        self.owner = owner
        self.names: set[str] = set()
        self.any_item = False  # withParam: any {{item.x}} may be fine
        self.item_keys: set[str] | None = None  # None: not inside a loop
        self.node_prefix: str | None = None  # "steps" or "tasks" in steps and DAG templates
        self.nodes: dict[str, Located | None] = {}  # every step/task of the template -> its template
        self.here: str | None = None  # the step or task being checked

    def copy(self) -> Scope:
        other = copy.copy(self)
        other.names = set(self.names)
        other.item_keys = None if self.item_keys is None else set(self.item_keys)
        return other

    def substituted_first(self, name: str) -> bool:
        """Whether Argo substitutes `name` (exact, untrimmed) when it processes the template's
        arguments (common.ProcessArgs: inputs.parameters, pod.name, retries and the workflow's
        global variables), before it checks the steps or tasks: a tag nested in another resolves then."""
        if name.startswith("inputs.parameters.") or name in ("pod.name", "retries") or name.startswith("lastRetry."):
            return name in self.names
        return name in self.checker.globals

    def problem(self, name: str) -> tuple[str | None, bool]:
        """(message, is_error) for a simple tag's variable name, or (None, False) when it resolves."""
        if name == "item":
            if self.item_keys is None and not self.any_item:
                return "{{item}} is used outside a loop (withItems, withParam or withSequence), so it is left as written", False
            return None, False
        if not name.startswith(CHECKED_PREFIXES):
            return None, False
        checker = self.checker
        if name in self.names or name in checker.globals:
            return None, False
        if name.startswith("item.") and self.any_item:
            return None, False
        if name.startswith("workflow.outputs.parameters.") and checker.any_global_output_param:
            return None, False
        if name.startswith("workflow.outputs.artifacts.") and checker.any_global_output_artifact:
            return None, False
        if name.startswith(RUNTIME_PREFIXES):
            return None, False
        if name.startswith("workflow.parameters") and checker.template_mode:
            return None, False
        return f"cannot resolve {{{{{name}}}}}: {self.explain(name)}", True

    def explain(self, name: str) -> str:
        owner = self.owner
        t = owner.tmpl
        parts = name.split(".")
        if parts[0] == "item":
            if self.item_keys is None:
                return "it is used outside a loop (withItems, withParam or withSequence)"
            keys = sorted(k for k in self.item_keys if k)
            return f"the loop items have no key {'.'.join(parts[1:])!r}" + (f" (keys: {', '.join(keys)})" if keys else "")
        if parts[0] == "inputs" and len(parts) >= 3:
            what = parts[1]
            key = parts[2]
            if what == "parameters":
                declared = [p.name for p in t.inputs.parameters]
                if key in declared:
                    return f"inputs.parameters.{key} has no field {'.'.join(parts[3:])!r}"
                return f'{owner.label} has no input parameter "{key}"{_suggest(key, declared)}'
            if what == "artifacts":
                declared = [a.name for a in t.inputs.artifacts]
                if key in declared:
                    return "an input artifact's path is only available in container and script templates"
                return f'{owner.label} has no input artifact "{key}"{_suggest(key, declared)}'
        if name.startswith("workflow.parameters."):
            key = name[len("workflow.parameters.") :]
            declared = [g[len("workflow.parameters.") :] for g in self.checker.globals if g.startswith("workflow.parameters.")]
            return f'the workflow has no parameter "{key}" in spec.arguments.parameters{_suggest(key, declared)}'
        if name.startswith("workflow.outputs."):
            return "no template publishes an output with that globalName"
        if parts[0] == "workflow":
            return f"there is no such workflow variable{_suggest(name, self.checker.globals)}"
        if parts[0] == "pod":
            return "{{pod.name}} is only available in templates that run a pod"
        if parts[0] in ("steps", "tasks") and len(parts) >= 3:
            return self.explain_node(parts[0], parts[1], parts[2:])
        return "no such variable here"

    def explain_node(self, prefix: str, node: str, rest: list[str]) -> str:
        kind = "step" if prefix == "steps" else "task"
        if self.node_prefix != prefix:
            return f"{prefix}.* variables are only available in a {'steps' if prefix == 'steps' else 'dag'} template"
        if node not in self.nodes:
            return f'{self.owner.label} has no {kind} named "{node}"{_suggest(node, self.nodes)}'
        if f"{prefix}.{node}.id" not in self.names:
            if node == self.here:
                return f"a {kind} cannot use its own outputs (except in its exit hook)"
            if prefix == "steps":
                return f'step "{node}" does not run before this one (only steps of earlier groups can be used)'
            return f'task "{node}" is not a dependency of this task (add it to depends or dependencies)'
        target = self.nodes[node]
        what = ".".join(rest)
        if target is None:
            return f'{kind} "{node}" runs a template that is only known at run time'
        t = target.tmpl
        label = f'{kind} "{node}" ({target.label})'
        if rest[:2] == ["outputs", "parameters"] and len(rest) >= 3:
            declared = [p.name for p in t.outputs.parameters]
            return f'{label} has no output parameter "{rest[2]}"{_suggest(rest[2], declared)}'
        if rest[:2] == ["outputs", "artifacts"] and len(rest) >= 3:
            declared = [a.name for a in t.outputs.artifacts]
            return f'{label} has no output artifact "{rest[2]}"{_suggest(rest[2], declared)}'
        if what in ("outputs.result", "exitCode"):
            return f"{label} is a {t.kind} template, which has no {what} (only container, script, data, http and plugin templates do)"
        if what == "ip":
            return f"{label} is not a daemon, so it has no ip"
        if what == "status":
            return f"the status of {kind} \"{node}\" is only available to {kind}s that run after it"
        return f"{kind}s have no {what!r}"
