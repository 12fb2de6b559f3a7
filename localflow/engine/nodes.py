"""Nodes as Argo's `status.nodes` has them, and the names and ids Argo gives them."""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Iterable
from typing import Any, Callable

from localflow.timefmt import iso, parse_ts

PENDING, RUNNING, SUCCEEDED, FAILED, ERROR, SKIPPED, OMITTED = (
    "Pending", "Running", "Succeeded", "Failed", "Error", "Skipped", "Omitted")
DONE_PHASES = frozenset({SUCCEEDED, FAILED, ERROR, SKIPPED, OMITTED})
BAD_PHASES = frozenset({FAILED, ERROR})

# Argo node types
POD, STEPS, STEP_GROUP, DAG, TASK_GROUP, RETRY, SKIPPED_T, SUSPEND, PLUGIN = (
    "Pod", "Steps", "StepGroup", "DAG", "TaskGroup", "Retry", "Skipped", "Suspend", "Plugin")


POD_NAME_PREFIX_MAX = 253 - 10 - 1  # Argo: maxK8sResourceNameLength - k8sNamingHashLength - 1


def fnv32a(text: str) -> int:
    h = 0x811C9DC5
    for b in text.encode():
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def node_id(workflow_name: str, node_name: str) -> str:
    """Argo: the workflow's own node has the workflow's name; others `<wf>-<fnv32a(name)>`."""
    if node_name == workflow_name:
        return workflow_name
    return f"{workflow_name}-{fnv32a(node_name)}"


def unique_node_id(workflow_name: str, node_name: str, owner_of: Callable[[str], str | None]) -> str:
    """Argo's id unless another node (`owner_of(id)` names it) already has it: fnv32a is 32 bits, so
    among ~100,000 names a few pairs share a hash, and Argo's nodes would silently replace each
    other. The later node then gets `<Argo's id>-<k>`, the first k no node owns (deterministic:
    nodes are created in the same order on every run)."""
    nid = node_id(workflow_name, node_name)
    owner = owner_of(nid)
    if owner is None or owner == node_name:
        return nid
    k = 1
    while owner_of(f"{nid}-{k}") not in (None, node_name):
        k += 1
    return f"{nid}-{k}"


def pod_name(workflow_name: str, template_name: str, node_name: str, nid: str | None = None) -> str:
    """Argo's v2 pod names (workflow/util GeneratePodName): `<wf>-<template>-<fnv32a(node name)>`, or
    `<wf>-<hash>` for a template without a name (an inline one); the prefix is cut at 242 characters
    (Kubernetes' 253 less the hash). `nid` is the node's id (`<wf>-<hash>`, or `<wf>-<hash>-<k>` after a
    collision: `unique_node_id`): its tail is the pod name's, and the hash is not computed twice."""
    if workflow_name == node_name:
        return workflow_name
    prefix = f"{workflow_name}-{template_name}" if template_name else workflow_name
    prefix = prefix[:POD_NAME_PREFIX_MAX]
    tail = nid[len(workflow_name) + 1:] if nid is not None else str(fnv32a(node_name))
    return f"{prefix}-{tail}"


def failures_value(workflow_name: str, nodes: Iterable[Node]) -> str:
    """`workflow.failures` as Argo's operator sets it: every node Failed or Error, of any type (a step
    group, a retry's parent and its attempts, the workflow's own node), as {displayName, message,
    templateName (GetTemplateFromNode), phase, podName (GeneratePodName v2, for any type), finishedAt} in
    that order, json.Marshal'd, then strconv.Quote'd: what reaches a field keeps its quotes and
    backslashes (`echo "{{workflow.failures}}" | jq` reads it), and no failure is the quoted `"null"`."""
    from localflow.expr import go_json, go_quote
    entries = []
    for n in nodes:
        if n.phase not in BAD_PHASES:
            continue
        template = template_of(n.to_argo())
        fields = (("displayName", n.display_name), ("message", n.message or ""), ("templateName", template),
                  ("phase", n.phase), ("podName", pod_name(workflow_name, template, n.name, n.id)),
                  ("finishedAt", iso(n.finished_at)))
        entries.append("{" + ",".join(f"{go_json(k)}:{go_json(v)}" for k, v in fields) + "}")
    return go_quote("[" + ",".join(entries) + "]" if entries else "null")


def held_template(holder: Any) -> tuple[str | None, dict | None]:
    """What Argo's initializeNode records of the step, task or hook (a model object or its dict) that
    runs a template: its `template` as templateName, or its `templateRef` ({name, template, and
    clusterScope only when true}) and no templateName."""
    if isinstance(holder, dict):  # a step or task as written (before its model is made)
        template, ref = holder.get("template"), holder.get("templateRef")
        if ref:
            name, of, cluster = ref.get("name"), ref.get("template"), ref.get("clusterScope")
    else:
        template, ref = getattr(holder, "template", None), getattr(holder, "template_ref", None)
        if ref is not None:
            name, of, cluster = ref.name, ref.template, ref.cluster_scope
    if not ref:
        return template or None, None
    return None, {"name": name, "template": of, **({"clusterScope": True} if cluster else {})}


def template_of(node: dict[str, Any]) -> str:
    """The template a node's pod is named after, as Argo's GetTemplateFromNode: templateRef's, else
    templateName."""
    ref = node.get("templateRef")
    return (ref.get("template") or "") if isinstance(ref, dict) else (node.get("templateName") or "")


@dataclass
class Node:
    id: str
    name: str
    display_name: str
    type: str
    template_name: str | None = None
    template_scope: str = ""  # the scope of the template that called it: `local/<workflow>`, `namespaced/<T>`
    template_ref: dict | None = None  # {name, template[, clusterScope]} of a step or task by templateRef
    phase: str = PENDING
    message: str = ""
    boundary_id: str | None = None
    children: list[str] = field(default_factory=list)
    outbound_nodes: list[str] = field(default_factory=list)
    started_at: float | None = None
    finished_at: float | None = None
    inputs: dict | None = None
    outputs: dict | None = None
    pod_ip: str | None = None
    daemoned: bool = False
    host_node_name: str | None = None
    pod_name: str | None = None
    synchronization_status: dict | None = None  # {"waiting": lock name} while waiting for a lock
    memoization_status: dict | None = None  # {"hit", "key", "cacheName"}
    # engine-side extras, not shown by Argo
    item_index: int | None = None
    retry_attempt: int | None = None

    @property
    def done(self) -> bool:
        return self.phase in DONE_PHASES

    def to_argo(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "displayName": self.display_name,
            "type": self.type,
            "phase": self.phase,
        }
        if self.template_name:
            d["templateName"] = self.template_name
        if self.template_ref:
            d["templateRef"] = dict(self.template_ref)
        if self.template_scope:
            d["templateScope"] = self.template_scope
        if self.boundary_id:
            d["boundaryID"] = self.boundary_id
        if self.message:
            d["message"] = self.message
        if self.started_at is not None:
            d["startedAt"] = iso(self.started_at)
        d["finishedAt"] = iso(self.finished_at)
        if self.started_at is not None and self.finished_at is not None:
            d["estimatedDuration"] = max(0, int(round(self.finished_at - self.started_at)))
        if self.pod_ip:
            d["podIP"] = self.pod_ip
        if self.daemoned:
            d["daemoned"] = True
        if self.inputs:
            d["inputs"] = self.inputs
        if self.outputs:
            d["outputs"] = self.outputs
        if self.children:
            d["children"] = list(self.children)
        if self.outbound_nodes:
            d["outboundNodes"] = list(self.outbound_nodes)
        if self.host_node_name:
            d["hostNodeName"] = self.host_node_name
        if self.synchronization_status:
            d["synchronizationStatus"] = dict(self.synchronization_status)
        if self.memoization_status:
            d["memoizationStatus"] = dict(self.memoization_status)
        return d

    @classmethod
    def from_argo(cls, d: dict[str, Any]) -> Node:
        return cls(
            id=d["id"], name=d["name"], display_name=d.get("displayName", d["name"]), type=d["type"],
            template_name=d.get("templateName"), template_scope=d.get("templateScope", ""),
            template_ref=d.get("templateRef"),
            phase=d.get("phase", PENDING), message=d.get("message", ""), boundary_id=d.get("boundaryID"),
            children=list(d.get("children", [])), outbound_nodes=list(d.get("outboundNodes", [])),
            started_at=parse_ts(d.get("startedAt")), finished_at=parse_ts(d.get("finishedAt")),
            inputs=d.get("inputs"), outputs=d.get("outputs"), pod_ip=d.get("podIP"),
            daemoned=bool(d.get("daemoned")), host_node_name=d.get("hostNodeName"),
            synchronization_status=d.get("synchronizationStatus"), memoization_status=d.get("memoizationStatus"),
        )
