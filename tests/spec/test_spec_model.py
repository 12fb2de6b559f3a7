"""The typed model: conversion from and to Argo's JSON form."""

from __future__ import annotations

import dataclasses

import pytest

import localflow.spec.model as M
from localflow.errors import SpecError
from localflow.spec.model import (
    Artifact,
    Container,
    DAGTask,
    Parameter,
    RetryStrategy,
    Template,
    Workflow,
    WorkflowStep,
    from_dict,
    json_fields,
    to_dict,
)


def test_defaults():
    t = Template()
    assert t.name is None and t.container is None
    assert t.steps == [] and t.volumes == [] and t.node_selector == {}
    assert t.inputs.parameters == [] and t.outputs.artifacts == []  # embedded by value, as in Go
    assert t.kind is None
    wf = Workflow()
    assert wf.metadata.name is None and wf.spec.templates == [] and wf.status == {}
    assert WorkflowStep().arguments.parameters == []


def test_names_follow_argo():
    fields = {py: js for py, js, _t, _v in json_fields(Artifact)}
    assert fields["from_"] == "from" and fields["from_expression"] == "fromExpression"
    assert fields["global_name"] == "globalName"
    probe = {py: js for py, js, _t, _v in json_fields(M.Probe)}
    assert probe["exec_"] == "exec" and probe["http_get"] == "httpGet"
    s3 = {py: js for py, js, _t, _v in json_fields(M.S3Artifact)}
    assert s3["role_arn"] == "roleARN" and s3["use_sdk_creds"] == "useSDKCreds"
    spec = {py: js for py, js, _t, _v in json_fields(M.WorkflowSpec)}
    assert spec["pod_gc"] == "podGC" and spec["volume_claim_gc"] == "volumeClaimGC"


@pytest.mark.parametrize(
    "value, text",
    [(True, "true"), (False, "false"), (1, "1"), (1.6, "1.6"), (1.0, "1"), (100.0, "100"), (1e21, "1000000000000000000000"), (1e-7, "0.0000001"), ("x", "x")],
)
def test_anystring(value, text):
    p = from_dict(Parameter, {"name": "p", "value": value, "default": value, "enum": [value]})
    assert p.value == text and p.default == text and p.enum == [text]


def test_anystring_ignores_lists_like_go():
    assert from_dict(Parameter, {"name": "p", "value": [1, 2]}).value == ""


def test_int_or_string():
    rs = from_dict(RetryStrategy, {"limit": 3, "backoff": {"factor": "2", "duration": "1m"}})
    assert rs.limit == 3 and rs.backoff.factor == "2"
    assert from_dict(RetryStrategy, {"limit": "{{inputs.parameters.n}}"}).limit == "{{inputs.parameters.n}}"
    with pytest.raises(SpecError, match="retryStrategy.limit: expected an integer or a string, got a boolean"):
        from_dict(RetryStrategy, {"limit": True}, "retryStrategy")
    with pytest.raises(SpecError, match="expected an integer or a string, got a number"):
        from_dict(RetryStrategy, {"limit": 1.5}, "retryStrategy")


def test_types_are_strict_like_go_json():
    with pytest.raises(SpecError, match=r"^f.yaml: c.args\[0\]: expected a string, got a number \(1\) \(put it in quotes"):
        from_dict(Container, {"image": "a", "args": [1]}, "c", "f.yaml")
    with pytest.raises(SpecError, match="c.tty: expected a boolean"):
        from_dict(Container, {"tty": "true"}, "c")
    with pytest.raises(SpecError, match="c.env: expected a list, got a mapping"):
        from_dict(Container, {"env": {"A": "1"}}, "c")
    with pytest.raises(SpecError, match="t.container: expected a mapping, got a string"):
        from_dict(Template, {"container": "alpine"}, "t")
    # Whole floats are integers in JSON.
    assert from_dict(M.WorkflowSpec, {"parallelism": 2.0}).parallelism == 2


def test_unknown_fields_suggest():
    with pytest.raises(SpecError, match=r'^t.Name: unknown field "Name" \(did you mean "name"\?\)$'):
        from_dict(Template, {"Name": "x"}, "t")
    with pytest.raises(SpecError, match=r'^t.dag.tasks\[0\].dependson: unknown field "dependson" \(did you mean "depends"\?\)$'):
        from_dict(Template, {"dag": {"tasks": [{"name": "a", "dependson": "b"}]}}, "t")
    with pytest.raises(SpecError, match=r'^t.zzz: unknown field "zzz"$'):
        from_dict(Template, {"zzz": 1}, "t")


def test_null_means_absent():
    t = from_dict(Template, {"name": "a", "container": None, "steps": None, "nodeSelector": {"a": None}})
    assert t.container is None and t.steps == [] and t.node_selector == {"a": ""}


def test_template_kind():
    assert from_dict(Template, {"container": {"image": "a"}}).kind == "container"
    assert from_dict(Template, {"containerSet": {"containers": []}}).kind == "containerSet"
    assert from_dict(Template, {"suspend": {}}).kind == "suspend"
    assert from_dict(Template, {"steps": []}).kind == "steps"  # an empty steps list is still a steps template
    assert from_dict(Template, {"plugin": {"hello": {}}}).kind == "plugin"
    assert from_dict(Template, {"container": {}, "script": {}}).kinds() == ["container", "script"]
    assert Template(steps=[[WorkflowStep(name="a", template="b")]]).kind == "steps"


def test_helpers():
    wf = from_dict(Workflow, {"metadata": {"generateName": "x-"}, "spec": {"templates": [{"name": "a", "container": {"image": "i"}}]}})
    assert wf.template("a").container.image == "i"
    assert wf.template("b") is None
    assert wf.name == "x-"
    t = from_dict(Template, {"script": {"image": "python", "source": "print(1)"}, "outputs": {"parameters": [{"name": "o", "valueFrom": {"path": "/o"}}]}})
    assert t.has_output and t.is_leaf and t.is_pod and t.main_container.source == "print(1)"
    assert t.outputs.parameter("o").value_from.path == "/o"
    art = from_dict(Artifact, {"name": "a", "s3": {"key": "k"}, "from": "{{x}}"})
    assert art.location_kind == "s3" and art.location().key == "k" and art.from_ == "{{x}}"


def test_to_dict_omits_empty_but_keeps_present_empty():
    t = from_dict(Template, {"name": "a", "suspend": {}, "container": {"image": "i", "args": []}, "inputs": {}})
    assert to_dict(t) == {"name": "a", "suspend": {}, "container": {"image": "i", "args": []}, "inputs": {}}
    built = Template(name="b", container=Container(image="i"))
    assert to_dict(built) == {"name": "b", "container": {"image": "i"}}


def test_round_trip_of_a_rich_document():
    doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "x-", "labels": {"a": "b"}},
        "spec": {
            "entrypoint": "main",
            "arguments": {"parameters": [{"name": "p", "value": "1", "enum": ["1", "2"]}]},
            "templates": [
                {
                    "name": "main",
                    "dag": {"tasks": [{"name": "t", "template": "s", "withItems": [1, "a", {"k": [1]}], "continueOn": {"failed": True}}]},
                },
                {
                    "name": "s",
                    "retryStrategy": {"limit": "3", "backoff": {"duration": "1s", "factor": 2}},
                    "script": {"image": "python", "source": "x", "resources": {"limits": {"cpu": "100m", "memory": 1024}}},
                    "sidecars": [{"name": "side", "image": "nginx", "mirrorVolumeMounts": True}],
                    "outputs": {"artifacts": [{"name": "o", "path": "/o", "archive": {"none": {}}}]},
                },
            ],
        },
    }
    assert to_dict(from_dict(Workflow, doc)) == doc


def test_every_class_is_a_dataclass_with_known_types():
    for name in M.__all__:
        obj = getattr(M, name)
        if isinstance(obj, type) and dataclasses.is_dataclass(obj):
            assert json_fields(obj) is not None  # all type hints resolve


def test_dag_task_fields():
    task = from_dict(DAGTask, {"name": "a", "depends": "b && c", "dependencies": ["x"], "onExit": "e", "hooks": {"exit": {"template": "h"}}})
    assert task.depends == "b && c" and task.dependencies == ["x"] and task.on_exit == "e"
    assert task.hooks["exit"].template == "h"


def test_model_classes_behave_as_dataclasses():
    import dataclasses
    import pickle

    from localflow.spec.model.convert import model, opt

    @model
    class Thing:
        name: str | None = opt()
        items: list[str] = dataclasses.field(default_factory=list)

    @model
    class Named(Thing):
        size: int | None = opt()

        def __repr__(self) -> str:
            return f"<{self.name}>"

    a = Thing(name="a")
    assert dataclasses.is_dataclass(Thing) and [f.name for f in dataclasses.fields(Named)] == ["name", "items", "size"]
    assert repr(a).endswith(".Thing(name='a', items=[])") and a == Thing("a") and a != Thing("b") and a != Named("a")
    assert Thing().items is not Thing().items
    assert Named("n", ["x"], 3).size == 3 and repr(Named("n")) == "<n>"
    assert Thing.__hash__ is None and Named.__hash__ is None
    assert dataclasses.replace(a, name="c") == Thing("c")
    c = Container(name="c", args=["x"])
    assert pickle.loads(pickle.dumps(c)) == c
    with pytest.raises(TypeError):
        Thing(nope=1)
