"""cli/render.header: the lines `argo get` prints above the node tree (cmd/argo/commands/common/get.go
printWorkflowHelper): the workflow's Parameters (spec.arguments) and then its Outputs
(status.outputs), each a title line and one indented line per parameter, only when there are some."""

from __future__ import annotations

from localflow.cli.render import header

WF = {
    "metadata": {"name": "w", "creationTimestamp": "2024-01-02T03:04:05Z"},
    "spec": {"arguments": {"parameters": [{"name": "message", "value": "hi"}, {"name": "n", "value": 3}]}},
    "status": {"phase": "Succeeded", "startedAt": "2024-01-02T03:04:05Z", "finishedAt": "2024-01-02T03:05:35Z",
               "outputs": {"parameters": [{"name": "result", "value": "42"}]}},
}


def test_parameters_then_outputs():
    rows = header(WF)
    assert rows[rows.index(("Parameters", "")):] == [
        ("Parameters", ""), ("  message", "hi"), ("  n", "3"), ("Outputs", ""), ("  result", "42")]
    assert ("Duration", "1 minute 30 seconds") in rows  # util/humanize.RelativeDuration


def test_no_parameters_no_outputs_no_titles():
    wf = {**WF, "spec": {}, "status": {"phase": "Running", "outputs": {"parameters": []}}}
    titles = [k for k, _ in header(wf)]
    assert "Parameters" not in titles and "Outputs" not in titles


def _node(nid, typ, children=(), name=None):
    return {"id": nid, "name": name or nid, "displayName": (name or nid).split(".")[-1], "type": typ,
            "phase": "Succeeded", "children": list(children)}


def test_tree_folds_step_groups_and_ends_with_the_exit_handler():
    """`argo get`'s tree: StepGroup nodes are not rows (their children take their place), a node
    reached twice is shown once, the exit handler's tree follows the workflow's."""
    from localflow.cli.render import tree_rows
    nodes = [_node("w", "Steps", ["g0", "g1"]), _node("g0", "StepGroup", ["a", "b"], "w[0]"),
             _node("a", "Pod", name="w.a"), _node("b", "Steps", ["g2"], "w.b"),
             _node("g1", "StepGroup", ["d", "a"], "w[1]"),
             _node("g2", "StepGroup", ["c"], "w.b[0]"), _node("c", "Pod", name="w.b.c"),
             _node("d", "DAG", ["e", "f"], "w.d"), _node("e", "Pod", name="w.d.e"), _node("f", "Pod", name="w.d.f"),
             _node("x", "Steps", ["gx"], "w.onExit"), _node("gx", "StepGroup", ["y"], "w.onExit[0]"),
             _node("y", "Pod", name="w.onExit.y")]
    wf = {"metadata": {"name": "w"}, "status": {"nodes": {n["id"]: n for n in nodes}}}
    assert [(r["prefix"], r["node"]["id"]) for r in tree_rows(wf)] == [
        ("", "w"),
        ("├─", "a"),
        ("├─", "b"),
        ("│ └─", "c"),
        ("├─", "d"),
        ("│ ├─", "e"),
        ("│ └─", "f"),
        ("", "x"),
        ("└─", "y"),
    ]
