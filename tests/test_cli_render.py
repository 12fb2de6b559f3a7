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
