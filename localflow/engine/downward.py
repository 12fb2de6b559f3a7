"""The downward API: what `env[].valueFrom.fieldRef` reads from the pod Argo would have created.

Argo's pod (workflow/controller/workflowpod.go createWorkflowPod, addMetadata) carries the labels
`workflows.argoproj.io/workflow` (the workflow's name) and `workflows.argoproj.io/completed` ("false"
while it runs), `workflows.argoproj.io/on-exit` ("true" in an exit handler), the annotations `workflows.argoproj.io/node-name`, `workflows.argoproj.io/node-id` and
`kubectl.kubernetes.io/default-container`, then `spec.podMetadata` and the template's `metadata`
(labels and annotations, the template's winning). Kubernetes answers a fieldRef from that object; a label
or annotation that is absent reads as "".
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

_ON_EXIT = re.compile(r"\.onExit(?:$|[.\[])")
_KEYED = re.compile(r"""^metadata\.(labels|annotations)\[(['"])(.*)\2\]$""")


@dataclass
class PodMeta:
    name: str
    namespace: str
    uid: str
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    node_name: str = "localflow"  # spec.nodeName: the one machine

    def field(self, path: str) -> str:
        """The value Kubernetes puts in an env var for this fieldPath."""
        m = _KEYED.match(path.strip())
        if m:
            return (self.labels if m.group(1) == "labels" else self.annotations).get(m.group(3), "")
        return {"metadata.name": self.name, "metadata.namespace": self.namespace, "metadata.uid": self.uid,
                "spec.nodeName": self.node_name, "spec.serviceAccountName": "default",
                "status.podIP": "", "status.hostIP": ""}.get(path.strip(), "")


def pod_meta(run: Any, pod: str, node: Any = None, tmpl: Any = None, default_container: str = "main") -> PodMeta:
    """The metadata of the pod Argo would create for `node` running `tmpl` (names and labels as Argo's)."""
    meta = PodMeta(name=pod, namespace=run.namespace, uid=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{run.uid}/{pod}")),
                   labels={"workflows.argoproj.io/workflow": run.name, "workflows.argoproj.io/completed": "false"},
                   annotations={"kubectl.kubernetes.io/default-container": default_container})
    if node is not None:
        meta.annotations["workflows.argoproj.io/node-name"] = node.name
        meta.annotations["workflows.argoproj.io/node-id"] = node.id
        if _ON_EXIT.search(node.name):  # a pod of an exit handler (common.GenerateOnExitNodeName: NAME.onExit)
            meta.labels["workflows.argoproj.io/on-exit"] = "true"
    for source in (getattr(run.spec, "pod_metadata", None), getattr(tmpl, "metadata", None)):
        if source is not None:
            meta.annotations.update(source.annotations or {})
            meta.labels.update(source.labels or {})
    return meta
