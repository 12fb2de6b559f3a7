"""Field names as Argo's CLI decodes them.

`argo submit` and `argo lint` read YAML with sigs.k8s.io/json's UnmarshalStrict (workflow/common/parse.go):
names match case-sensitively and `valueFrom.Parameter` is an unknown field. `argo submit` reads a JSON file
with Go's encoding/json and DisallowUnknownFields first (cmd/argo/commands/submit.go unmarshalWorkflows):
a name that differs only in case sets the field, an unknown name is still an error.
"""

from __future__ import annotations

import json

import pytest

from localflow.errors import SpecError
from localflow.spec.load import load_text

WF = {
    "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "case-"},
    "spec": {"entrypoint": "main", "templates": [
        {"name": "main", "steps": [[{"name": "a", "template": "say"}]],
         "outputs": {"parameters": [{"name": "out", "valueFrom": {"Parameter": "{{steps.a.outputs.result}}"}}]}},
        {"name": "say", "container": {"image": "alpine:3.7", "command": ["echo", "hi"]}}]},
}
WHERE = "spec.templates[0].outputs.parameters[0].valueFrom.Parameter"


def test_json_submit_matches_names_case_insensitively():
    wf = load_text(json.dumps(WF), "wf.json", json_fold_case=True).workflows[0]
    assert wf.spec.templates[0].outputs.parameters[0].value_from.parameter == "{{steps.a.outputs.result}}"


def test_json_submit_still_rejects_unknown_fields():
    bad = json.loads(json.dumps(WF))
    bad["spec"]["templates"][0]["outputs"]["parameters"][0]["valueFrom"] = {"Parametre": "x"}
    with pytest.raises(SpecError) as e:
        load_text(json.dumps(bad), "wf.json", json_fold_case=True)
    assert e.value.path == "spec.templates[0].outputs.parameters[0].valueFrom.Parametre"


@pytest.mark.parametrize("fold", [False, True])
def test_yaml_and_lint_match_names_exactly(fold):
    import yaml
    for text, name in ((yaml.safe_dump(WF), "wf.yaml"), (json.dumps(WF), "wf.json")):
        if fold and name == "wf.json":
            continue  # submit of JSON: the case above
        with pytest.raises(SpecError) as e:
            load_text(text, name, json_fold_case=fold)
        assert e.value.path == WHERE
        assert 'unknown field "Parameter"' in str(e.value)
