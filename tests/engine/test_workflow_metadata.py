"""spec.workflowMetadata feeds workflow.labels.* / workflow.annotations.* as Argo's setGlobalParameters and
updateWorkflowMetadata do: labels, annotations, labelsFrom expressions; the json forms stay the object's."""

from __future__ import annotations

import pytest

from localflow.engine.scope import StepError

WF = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: md-
  labels: {own: "1"}
spec:
  entrypoint: main
  arguments: {parameters: [{name: env, value: prod}]}
  workflowMetadata:
    labels: {team: data, stage: overridden}
    annotations: {owner: me}
    labelsFrom:
      stage: {expression: "EXPR"}
  templates:
  - name: main
    container: {image: alpine, command: [echo, hi]}
"""


def test_workflow_metadata_variables(h):
    run = h.run(WF.replace("EXPR", "'stage-' + workflow.parameters.env"))
    g = run.globals
    assert g["workflow.labels.team"] == "data"
    assert g["workflow.labels.stage"] == "stage-prod"  # labelsFrom wins over labels
    assert g["workflow.annotations.owner"] == "me"
    assert g["workflow.labels.own"] == "1"
    assert g["workflow.labels"] == '{"own":"1"}'


@pytest.mark.parametrize("expr,why", [("1 +", "labelsFrom.stage.expression"), ("42", "expected a string")])
def test_bad_labels_from_is_one_clear_error(h, expr, why):
    with pytest.raises(StepError, match=why):
        h.run(WF.replace("EXPR", expr))


def test_lint_rejects_a_bad_labels_from_expression():
    from localflow.errors import SpecError
    from localflow.spec.load import load_text
    from localflow.spec.validate import validate_workflow
    wf = load_text(WF.replace("EXPR", "1 +"), "md.yaml").workflows[0]
    with pytest.raises(SpecError, match=r"md.yaml: spec.workflowMetadata.labelsFrom.stage.expression"):
        validate_workflow(wf, file="md.yaml", lint=True)
