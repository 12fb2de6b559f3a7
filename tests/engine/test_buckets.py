"""Data templates list a bucket: on localflow's own server a bucket they name is created on first use;
on an endpoint the user gave, a missing bucket is an error (localflow/engine/buckets.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from localflow.artifacts.config import DEFAULT_BUCKET
from localflow.errors import LocalflowError
from localflow.spec import model as M

WF = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: data-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: list, template: list}
    - - {name: each, template: say, withParam: "{{steps.list.outputs.result}}", arguments: {parameters: [{name: f, value: "{{item}}"}]}}
  - name: list
    data:
      source: {artifactPaths: {name: logs, s3: {bucket: my-bucket}}}
      transformation: [{expression: "filter(data, {# endsWith \\"main.log\\"})"}]
  - name: say
    inputs: {parameters: [{name: f}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.f}}"]}
"""


class FakeRepo:
    def __init__(self, server: dict, bucket: str, endpoint: str = "127.0.0.1:9000"):
        self.server, self.bucket, self.endpoint = server, bucket, endpoint

    def ensure_bucket(self) -> None:
        self.server.setdefault(self.bucket, [])

    def list_objects(self, prefix: str):
        if self.bucket not in self.server:
            raise LocalflowError(f"list s3://{self.bucket}/{prefix} failed: NoSuchBucket: The specified bucket does not exist")
        return [SimpleNamespace(key=k) for k in self.server[self.bucket] if k.startswith(prefix)]


class FakeStore:
    def __init__(self, own_server: bool | None, bucket: str = "localflow"):
        self.server: dict[str, list[str]] = {bucket: []}
        self.repo = FakeRepo(self.server, bucket)
        if own_server is not None:
            self.own_server = own_server

    def is_own_server(self, spec) -> bool:
        return getattr(self, "own_server", False)

    def repo_for(self, s3: dict) -> FakeRepo:
        bucket = s3.get("bucket") or self.repo.bucket
        return self.repo if bucket == self.repo.bucket else FakeRepo(self.server, bucket)


def test_own_server_creates_the_named_bucket(h):
    store = FakeStore(own_server=True)
    run = h.run(WF, artifacts=store)
    assert run.phase == "Succeeded", run.message
    assert store.server["my-bucket"] == []
    nodes = h.by_name(run)
    assert nodes["wf[0].list"].outputs["result"] == "[]"
    assert nodes["wf[1].each"].message == "Skipped, empty params"


def test_own_server_lists_what_is_there(h):
    store = FakeStore(own_server=True)
    store.server["my-bucket"] = ["a/main.log", "b/other.txt"]
    run = h.run(WF, artifacts=store)
    assert run.phase == "Succeeded", run.message
    assert "wf[1].each(0:a/main.log)" in h.by_name(run)


def test_user_endpoint_keeps_a_missing_bucket_an_error(h):
    store = FakeStore(own_server=False)
    run = h.run(WF, artifacts=store)
    assert run.phase == "Failed"
    node = h.by_name(run)["wf[0].list"]
    assert node.phase == "Error" and "NoSuchBucket" in node.message and "my-bucket" in node.message
    assert "my-bucket" not in store.server


@pytest.mark.parametrize("env, ref, bucket, ours", [
    ({}, None, DEFAULT_BUCKET, True),  # the local server with localflow's default bucket
    ({"LOCALFLOW_S3_ENDPOINT": "s3.example:443"}, None, DEFAULT_BUCKET, False),
    ({"LOCALFLOW_ARTIFACT_REPOSITORY": "/etc/repo.yaml"}, None, DEFAULT_BUCKET, False),
    ({}, M.ArtifactRepositoryRef(key="my-key"), DEFAULT_BUCKET, False),
    ({}, None, "elsewhere", False),
])
def test_own_server_read_back_from_the_configuration(monkeypatch, env, ref, bucket, ours):
    from localflow.artifacts.run_store import on_own_server
    for name in ("LOCALFLOW_S3_ENDPOINT", "LOCALFLOW_ARTIFACT_REPOSITORY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = M.WorkflowSpec(artifact_repository_ref=ref)
    assert on_own_server(FakeStore(own_server=None, bucket=bucket), spec) is ours
    assert on_own_server(FakeStore(own_server=True, bucket=bucket), spec) is True  # a store that says so wins
