"""Template kinds dispatch through one table (engine/kinds.py), one handler signature."""

from __future__ import annotations

import inspect

from localflow.engine import kinds
from localflow.spec.model.argo_templates import TEMPLATE_KINDS

HEAD = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: s-}\nspec:\n"


def test_every_kind_argo_has_has_one_handler_of_one_signature():
    assert set(kinds.HANDLERS) == {js for _, js in TEMPLATE_KINDS}
    for kind, handler in kinds.HANDLERS.items():
        assert inspect.iscoroutinefunction(handler), kind
        assert list(inspect.signature(handler).parameters) == ["job"], kind


def test_a_kind_is_added_by_one_line_in_the_table(h, monkeypatch):
    """A handler put in the table is what runs a template of that kind, as a node of its NODE_TYPES type."""
    seen = []

    async def execute_suspend(job):
        seen.append((job.node.name, job.tmpl.name, job.vals["inputs.parameters.x"]))
        job.run.finish(job.node, "Succeeded", "handled")

    monkeypatch.setitem(kinds.HANDLERS, "suspend", execute_suspend)
    run = h.run(HEAD + """
  entrypoint: wait
  arguments: {parameters: [{name: x, value: "1"}]}
  templates:
  - name: wait
    inputs: {parameters: [{name: x}]}
    suspend: {}
""", parameters={"x": "7"})
    node = h.by_name(run)["wf"]
    assert seen == [("wf", "wait", "7")]
    assert (node.type, node.phase, node.message) == ("Suspend", "Succeeded", "handled")
