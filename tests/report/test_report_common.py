"""report.common over Argo's workflow shape (`status.nodes[id].outputs.artifacts`, as `argo get -o json`
prints it): what `localflow get`, `artifacts list`, `delete` and the reports read of a run's artifacts."""

from __future__ import annotations

from localflow.report.common import output_artifacts

ART = {"name": "hello-art", "s3": {"key": "run-x/run-x-1/hello-art.tgz"}}
WF = {"metadata": {"name": "run-x"}, "status": {"nodes": {
    "run-x": {"id": "run-x", "type": "Steps"},                                      # no outputs
    "run-x-1": {"id": "run-x-1", "type": "Pod", "outputs": {"artifacts": [ART, {"name": "b"}]}},
    "run-x-2": {"id": "run-x-2", "type": "Pod", "outputs": {"parameters": [{"name": "p", "value": "1"}]}},
    "run-x-3": {"id": "run-x-3", "type": "Pod", "outputs": {"artifacts": None}},
}}}


def test_output_artifacts_pairs_each_artifact_with_its_node_in_node_order():
    got = [(n["id"], a["name"]) for n, a in output_artifacts(WF)]
    assert got == [("run-x-1", "hello-art"), ("run-x-1", "b")]


def test_output_artifacts_of_a_run_without_status():
    assert list(output_artifacts({"metadata": {"name": "x"}})) == []
