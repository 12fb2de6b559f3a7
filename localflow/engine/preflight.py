"""Checks before any container starts: which images a run needs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from localflow.spec import model as M


def _refs(t: M.Template) -> Iterator[Any]:
    for group in t.steps or []:
        for s in group:
            yield s
    if t.dag is not None:
        yield from t.dag.tasks


def reachable_templates(spec: M.WorkflowSpec, entrypoint: str | None) -> list[M.Template]:
    """Templates of this workflow reachable from the entrypoint and exit handlers (local names only)."""
    by_name = {t.name: t for t in spec.templates}
    todo = [n for n in (entrypoint or spec.entrypoint, spec.on_exit) if n]
    seen: dict[str, M.Template] = {}
    while todo:
        name = todo.pop()
        if name in seen or name not in by_name:
            continue
        t = by_name[name]
        seen[name] = t
        for ref in _refs(t):
            if ref.template:
                todo.append(ref.template)
            if ref.on_exit:
                todo.append(ref.on_exit)
            for hook in (ref.hooks or {}).values():
                if hook.template:
                    todo.append(hook.template)
            if ref.inline is not None:
                seen[f"{name}/{ref.name}"] = ref.inline
    return list(seen.values())


def _containers(spec: M.WorkflowSpec, entrypoint: str | None, container_set: bool) -> Iterator[tuple[Any, str]]:
    """(container, field path) of every container of the templates the run may reach: main (container
    or script), sidecars, init containers, and with `container_set` a containerSet's containers."""
    index = {id(t): i for i, t in enumerate(spec.templates)}
    for t in reachable_templates(spec, entrypoint):
        where = f"spec.templates[{index[id(t)]}]" if id(t) in index else f"template {t.name}"
        found = [(t.container, "container"), (t.script, "script")]
        found += [(c, f"sidecars[{i}]") for i, c in enumerate(t.sidecars or [])]
        found += [(c, f"initContainers[{i}]") for i, c in enumerate(t.init_containers or [])]
        if container_set and t.container_set is not None:
            found += [(c, f"containerSet.containers[{i}]") for i, c in enumerate(t.container_set.containers)]
        for c, field in found:
            if c is not None:
                yield c, f"{where}.{field}"


def static_images(spec: M.WorkflowSpec, entrypoint: str | None) -> dict[str, tuple[str | None, str]]:
    """image → (imagePullPolicy, field path) for every image without `{{...}}` the run may start."""
    images: dict[str, tuple[str | None, str]] = {}
    for c, path in _containers(spec, entrypoint, container_set=True):
        if c.image and "{{" not in c.image:
            images.setdefault(c.image, (c.image_pull_policy, f"{path}.image"))
    if any(t.plugin is not None for t in reachable_templates(spec, entrypoint)):
        for i, plugin in enumerate(spec.executor_plugins):  # the agent's sidecars (engine/plugins.py)
            c = ((plugin.get("spec") or {}).get("sidecar") or {}).get("container") or {}
            image = c.get("image")
            if isinstance(image, str) and image and "{{" not in image:
                images.setdefault(image, (c.get("imagePullPolicy"), f"spec.executorPlugins[{i}].spec.sidecar.container.image"))
    return images


def privileged_containers(spec: M.WorkflowSpec, entrypoint: str | None) -> list[str]:
    """Field paths of containers that ask for privileged mode."""
    out = []
    for c, path in _containers(spec, entrypoint, container_set=False):
        sc = getattr(c, "security_context", None)
        if sc is not None and getattr(sc, "privileged", False):
            out.append(f"{path}.securityContext.privileged")
    return out


# podMetadata and a template's metadata are not here: the downward API reads them (engine/downward.py)
K8S_ONLY_SPEC = ("node_selector", "tolerations", "affinity", "service_account_name", "pod_spec_patch",
                 "pod_priority_class_name", "priority_class_name", "pod_gc", "ttl_strategy",
                 "image_pull_secrets", "scheduler_name", "dns_config", "dns_policy", "host_network",
                 "automount_service_account_token", "executor", "pod_disruption_budget", "security_context",
                 "host_aliases", "volume_claim_gc", "archive_logs", "artifact_gc", "metrics",
                 "priority", "shutdown")
K8S_ONLY_TEMPLATE = ("node_selector", "tolerations", "affinity", "service_account_name", "pod_spec_patch",
                     "priority_class_name", "scheduler_name", "automount_service_account_token", "executor",
                     "host_aliases", "metrics", "priority",
                     "archive_location")


def _json_name(cls: type, name: str) -> str:
    return next((j for p, j, _t, _v in M.json_fields(cls) if p == name), name)


def _set(v: object) -> bool:
    if v is None or v is False:
        return False
    if hasattr(v, "__dataclass_fields__"):
        return any(_set(getattr(v, f)) for f in v.__dataclass_fields__)
    if isinstance(v, (list, dict, str)):
        return bool(v)
    return True


def ignored_fields(spec: M.WorkflowSpec) -> list[str]:
    """Kubernetes-only fields the workflow sets: accepted, and ignored with one notice per run."""
    out = [f"spec.{_json_name(M.WorkflowSpec, f)}" for f in K8S_ONLY_SPEC if _set(getattr(spec, f, None))]
    for i, t in enumerate(spec.templates):
        out += [f"spec.templates[{i}].{_json_name(M.Template, f)}" for f in K8S_ONLY_TEMPLATE
                if _set(getattr(t, f, None))]
    return out
