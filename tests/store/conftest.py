"""Fixtures for the store's tests: a temporary LOCALFLOW_HOME and a run object shaped like WorkflowRun."""

from __future__ import annotations

import time

import pytest

from localflow.engine import nodes as N


class FakeRun:
    """What the Recorder and StoreControl read from a WorkflowRun, without the engine."""

    def __init__(self, name: str = "wf-abcde"):
        self.name = name
        self.phase = "Pending"
        self.message = ""
        self.created_at = time.time()
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.entrypoint = "main"
        self.parameters = [{"name": "message", "value": "hi"}]
        self.nodes: dict[str, N.Node] = {}
        self.stops: list[bool] = []

    def add(self, name: str, display: str, ntype: str = N.POD, phase: str = N.PENDING,
            parent: N.Node | None = None) -> N.Node:
        node = N.Node(id=N.node_id(self.name, name), name=name, display_name=display, type=ntype,
                      template_name="t", phase=phase)
        self.nodes[node.id] = node
        if parent is not None:
            parent.children.append(node.id)
        return node

    async def request_stop(self, terminate: bool = False, message: str | None = None) -> None:
        self.stops.append(terminate)

    def to_argo(self) -> dict:
        return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                "metadata": {"name": self.name, "namespace": "default",
                             "creationTimestamp": N.iso(self.created_at)},
                "spec": {"entrypoint": self.entrypoint, "arguments": {"parameters": self.parameters}},
                "status": {"phase": self.phase, "startedAt": N.iso(self.started_at),
                           "finishedAt": N.iso(self.finished_at),
                           "nodes": {i: n.to_argo() for i, n in self.nodes.items()}}}


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCALFLOW_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def store(home):
    from localflow.store.db import Store
    s = Store()
    yield s
    s.close()


@pytest.fixture
def fake_run():
    return FakeRun
