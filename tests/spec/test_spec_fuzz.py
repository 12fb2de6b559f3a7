"""Whatever the input, loading and validating either succeed or raise a LocalflowError."""

from __future__ import annotations

import copy
import os
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localflow.errors import LocalflowError
from localflow.spec.load import load_text
from localflow.spec.validate import validate_bundle, validate_workflow

VALID: dict[str, Any] = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Workflow",
    "metadata": {"generateName": "fuzz-", "labels": {"a": "b"}},
    "spec": {
        "entrypoint": "main",
        "onExit": "exit",
        "arguments": {"parameters": [{"name": "msg", "value": "hi", "enum": ["hi", "yo"]}]},
        "templates": [
            {
                "name": "main",
                "steps": [
                    [{"name": "gen", "template": "gen"}],
                    [
                        {
                            "name": "use",
                            "template": "echo",
                            "when": "{{steps.gen.outputs.result}} == heads",
                            "arguments": {"parameters": [{"name": "m", "value": "{{steps.gen.outputs.result}}"}]},
                        },
                        {"name": "loop", "template": "echo", "withItems": [1, "a"], "arguments": {"parameters": [{"name": "m", "value": "{{item}}"}]}},
                    ],
                    [{"name": "flow", "template": "flow"}],
                ],
            },
            {
                "name": "flow",
                "dag": {
                    "tasks": [
                        {"name": "a", "template": "gen"},
                        {"name": "b", "template": "echo", "depends": "a.Succeeded", "arguments": {"parameters": [{"name": "m", "value": "{{tasks.a.outputs.result}}"}]}},
                    ]
                },
            },
            {"name": "gen", "script": {"image": "python:3", "command": ["python"], "source": "print(1)"}, "retryStrategy": {"limit": 2, "backoff": {"duration": "1s"}}},
            {
                "name": "echo",
                "inputs": {"parameters": [{"name": "m"}]},
                "container": {"image": "alpine", "args": ["{{inputs.parameters.m}} {{=sprig.upper(inputs.parameters.m)}}"], "resources": {"limits": {"memory": "32Mi"}}},
                "outputs": {"parameters": [{"name": "o", "valueFrom": {"path": "/tmp/o"}}]},
            },
            {"name": "exit", "container": {"image": "alpine", "args": ["{{workflow.status}}"]}},
        ],
    },
}

INTERESTING = [
    "", "main", "gen", "echo", "a", "b", "a.Succeeded", "a.AnySucceeded", "b && !a", "{{", "}}", "{{item}}", "{{item.x}}",
    "{{steps.gen.outputs.result}}", "{{tasks.a.outputs.result}}", "{{inputs.parameters.m}}", "{{workflow.parameters.msg}}",
    "{{=1+}}", "{{=inputs.parameters.m}}", "1m", "1d", "32Mi", "100x", "Always", "exit", "x == y", "==",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(INTERESTING),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=8)
# LOCALFLOW_FUZZ_EXAMPLES=5000 for a longer hunt.
FUZZ = settings(
    max_examples=int(os.environ.get("LOCALFLOW_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)


def check(text: str) -> None:
    try:
        bundle = load_text(text, "fuzz.yaml")
        for wf in bundle.workflows:
            validate_workflow(wf, templates=bundle, parameters={"msg": "yo"})
        validate_bundle(bundle)
    except LocalflowError:
        pass


def test_the_valid_document_is_valid():
    bundle = load_text(yaml.safe_dump(VALID), "fuzz.yaml")
    assert validate_workflow(bundle.workflows[0], templates=bundle) == []


@FUZZ
@given(st.text(max_size=300))
def test_random_text(text):
    check(text)


@FUZZ
@given(st.lists(st.sampled_from(["a:", " b", "- ", "{", "}", "[", "]", "&x", "*x", "<<:", "\n", "  ", "'", '"', "{{", "}}", "---", "!!int", "kind: Workflow", "apiVersion: argoproj.io/v1alpha1", "1e3", "yes", ":", "#", "?", "|"]), max_size=40))
def test_random_yaml_tokens(tokens):
    check("".join(tokens))


def _paths(value: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*path, i))
    return out


def _mutate(doc: Any, path: tuple, action: str, new: Any, key: str) -> Any:
    doc = copy.deepcopy(doc)
    if not path:
        return new if action == "replace" else doc
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "replace":
        parent[last] = new
    elif action == "delete":
        del parent[last]
    elif action == "rename" and isinstance(parent, dict):
        parent[str(last)[:-1] + key] = parent.pop(last)
    elif action == "insert" and isinstance(parent[last], dict):
        parent[last][key] = new
    elif action == "insert" and isinstance(parent[last], list):
        parent[last].append(new)
    return doc


PATHS = _paths(VALID)


@FUZZ
@given(
    st.lists(
        st.tuples(st.sampled_from(PATHS), st.sampled_from(["replace", "delete", "rename", "insert"]), values, st.text(min_size=1, max_size=6)),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_workflow(mutations):
    doc: Any = VALID
    for path, action, new, key in mutations:
        try:
            doc = _mutate(doc, path, action, new, key)
        except (KeyError, IndexError, TypeError):
            continue
    check(yaml.safe_dump(doc, allow_unicode=True))
