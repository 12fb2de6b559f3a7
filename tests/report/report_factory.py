"""Argo-shaped workflow dicts for the report tests, made in memory (no Docker, no store)."""

from __future__ import annotations

import datetime as _dt
from typing import Any

T0 = _dt.datetime(2024, 5, 6, 7, 8, 0, tzinfo=_dt.timezone.utc)


def ts(seconds: float) -> str:
    return (T0 + _dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


class Builder:
    def __init__(self, name: str, phase: str = "Succeeded", message: str = ""):
        self.name = name
        self.nodes: dict[str, dict[str, Any]] = {}
        self.wf: dict[str, Any] = {
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"name": name, "namespace": "default", "creationTimestamp": ts(0)},
            "spec": {"entrypoint": "main", "arguments": {"parameters": []}},
            "status": {"phase": phase, "startedAt": ts(0), "finishedAt": ts(60), "nodes": self.nodes},
        }
        if message:
            self.wf["status"]["message"] = message

    def node(self, nid: str, display: str, type_: str = "Pod", phase: str = "Succeeded", start: float | None = 0,
             end: float | None = 1, parent: str | None = None, message: str = "", **extra: Any) -> dict[str, Any]:
        n: dict[str, Any] = {"id": nid, "name": f"{self.name}.{display}" if nid != self.name else self.name,
                             "displayName": display, "type": type_, "phase": phase, "templateName": display}
        if start is not None:
            n["startedAt"] = ts(start)
        if end is not None:
            n["finishedAt"] = ts(end)
        if message:
            n["message"] = message
        n.update(extra)
        self.nodes[nid] = n
        if parent is not None:
            self.nodes[parent].setdefault("children", []).append(nid)
        return n

    def build(self) -> dict[str, Any]:
        return self.wf


def mixed() -> tuple[dict[str, Any], dict[str, list[str]]]:
    """A DAG with every phase: 2 Succeeded, 1 Failed, 1 Error, 1 Skipped, 1 Omitted, a retried step."""
    b = Builder("ci-mixed-abcde", phase="Failed", message="child 'ci-mixed-abcde-3' failed")
    b.wf["spec"]["arguments"]["parameters"] = [{"name": "greeting", "value": "<b>hi</b> & bye"}]
    b.wf["status"]["outputs"] = {"parameters": [{"name": "version", "value": "1.2.3"}]}
    b.node("ci-mixed-abcde", "ci-mixed-abcde", "DAG", "Failed", 0, 60, message="child 'ci-mixed-abcde-3' failed")
    b.node("ci-mixed-abcde-1", "checkout", parent="ci-mixed-abcde", start=0, end=3,
           outputs={"exitCode": "0", "artifacts": [{"name": "source", "path": "/src", "size": 20480,
                                                    "s3": {"key": "ci-mixed-abcde/ci-mixed-abcde-1/source.tgz"}}]})
    b.node("ci-mixed-abcde-2", "build", parent="ci-mixed-abcde-1", start=3, end=20,
           inputs={"parameters": [{"name": "target", "value": "linux/amd64"}]},
           outputs={"exitCode": "0", "parameters": [{"name": "image", "value": "app:1.2.3"}]})
    b.node("ci-mixed-abcde-3", "unit-tests", phase="Failed", parent="ci-mixed-abcde-2", start=20, end=45,
           message="Error (exit code 3)", outputs={"exitCode": "3"})
    b.node("ci-mixed-abcde-4", "e2e-tests", phase="Error", parent="ci-mixed-abcde-2", start=20, end=21,
           message="image pull failed: no such image: e2e:latest")
    b.node("ci-mixed-abcde-5", "docs", "Skipped", "Skipped", None, None, parent="ci-mixed-abcde-2",
           message="when 'false == true' evaluated false")
    b.node("ci-mixed-abcde-6", "flaky", "Retry", "Succeeded", 20, 40, parent="ci-mixed-abcde-2")
    b.node("ci-mixed-abcde-7", "flaky(0)", phase="Failed", parent="ci-mixed-abcde-6", start=20, end=30,
           message="Error (exit code 1)")
    b.node("ci-mixed-abcde-8", "flaky(1)", parent="ci-mixed-abcde-6", start=30, end=40)
    b.node("ci-mixed-abcde-9", "deploy", "Skipped", "Omitted", None, None, message="omitted: depends condition not met")
    for p in ("ci-mixed-abcde-3", "ci-mixed-abcde-4", "ci-mixed-abcde-8"):
        b.nodes[p].setdefault("children", []).append("ci-mixed-abcde-9")
    logs = {
        "ci-mixed-abcde-1": ["Cloning into '/src'...", "done."],
        "ci-mixed-abcde-2": ["compiling <main.go> & friends", "\x1b[32mok\x1b[0m build finished"],
        "ci-mixed-abcde-3": [f"test line {i}" for i in range(1, 61)] + ["FAILED test_db: expected <1> got \x00 2"],
        "ci-mixed-abcde-4": ["pulling e2e:latest"],
        "ci-mixed-abcde-7": ["attempt one failed"],
        "ci-mixed-abcde-8": ["attempt two passed"],
    }
    return b.build(), logs


def fan_out(width: int = 200) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """generate -> `width` parallel children (a TaskGroup) -> aggregate: 1 + 1 + 1 + width + 1 nodes."""
    b = Builder(f"fan-out-{width}")
    root = b.name
    b.node(root, root, "DAG", "Succeeded", 0, 60)
    b.node(f"{root}-gen", "generate", parent=root, start=0, end=2)
    b.node(f"{root}-group", "work", "TaskGroup", "Succeeded", 2, 50, parent=f"{root}-gen")
    logs: dict[str, list[str]] = {f"{root}-gen": ["[" + ", ".join(str(i) for i in range(width)) + "]"]}
    for i in range(width):
        nid = f"{root}-w{i}"
        phase = "Failed" if i % 50 == 7 else "Succeeded"
        b.node(nid, f"work({i}:{i})", phase=phase, parent=f"{root}-group", start=2 + (i % 20), end=10 + (i % 37),
               message="Error (exit code 1)" if phase == "Failed" else "")
        logs[nid] = [f"shard {i} done"]
    b.node(f"{root}-agg", "aggregate", start=50, end=58)
    for i in range(width):
        b.nodes[f"{root}-w{i}"].setdefault("children", []).append(f"{root}-agg")
    logs[f"{root}-agg"] = [f"{width} shards aggregated"]
    return b.build(), logs


def steps_with_exit_handler() -> tuple[dict[str, Any], dict[str, list[str]]]:
    """A steps template (StepGroups), a running step, and an exit handler (a second graph part)."""
    b = Builder("steps-xyz", phase="Running")
    del b.wf["status"]["finishedAt"]
    b.node("steps-xyz", "steps-xyz", "Steps", "Running", 0, None)
    b.node("steps-xyz-g0", "[0]", "StepGroup", "Succeeded", 0, 5, parent="steps-xyz")
    b.node("steps-xyz-a", "hello", parent="steps-xyz-g0", start=0, end=5)
    b.node("steps-xyz-g1", "[1]", "StepGroup", "Running", 5, None, parent="steps-xyz-a")
    b.node("steps-xyz-b", "sleepy", phase="Running", parent="steps-xyz-g1", start=5, end=None)
    b.node("steps-xyz-c", "waiting", phase="Pending", parent="steps-xyz-g1", start=None, end=None)
    b.node("steps-xyz-exit", "steps-xyz.onExit", "Steps", "Pending", None, None)
    b.nodes["steps-xyz-exit"]["name"] = "steps-xyz.onExit"
    b.node("steps-xyz-notify", "notify", phase="Pending", parent="steps-xyz-exit", start=None, end=None)
    return b.build(), {"steps-xyz-a": ["hello world"], "steps-xyz-b": ["zzz"]}
