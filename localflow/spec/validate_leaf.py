"""Checks of leaf templates (validate.go's validateLeaf): container and script bodies, volume
mounts, containerSets and resource manifests. A mixin of validate.Checker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from localflow.errors import SpecError
from localflow.spec.fieldpath import join
from localflow.spec.model import Template, to_dict
from localflow.spec.tags import replace_tags, strings_in
from localflow.spec.units import is_go_int
from localflow.spec.yamlgo import load_all

if TYPE_CHECKING:
    from localflow.spec.scope import Scope
    from localflow.spec.validate import Located

RESOURCE_ACTIONS = ("get", "create", "apply", "delete", "replace", "patch")
RESERVED_CONTAINERS = ("wait", "supervisor")


def _reserved(name: str | None) -> bool:
    return name in RESERVED_CONTAINERS or (name or "").startswith("artifact-plugin-")


class LeafChecks:
    """`self` is a validate.Checker."""

    if TYPE_CHECKING:

        def fail(self, file: str | None, path: str | None, message: str) -> Exception: ...
        def check_tags(self, strings: Any, scope: Scope, file: str | None, path: str) -> None: ...
        def check_names(self, items: Any, file: str | None, path: str, *, param: bool) -> None: ...

    def check_leaf(self, loc: Located, scope: Scope) -> None:
        t, file, path = loc.tmpl, loc.file, loc.path
        body = to_dict(t)
        # Argo checks a leaf after the caller's arguments replaced the inputs' values.
        for param in body.get("inputs", {}).get("parameters", []):
            param.pop("value", None)
        self.check_tags(strings_in(body), scope, file, path)
        defaults = loc.base.spec.template_defaults
        if t.container is not None:
            self.check_mounts(t.container.volume_mounts, "container.volumeMounts", t, file, path)
            if not t.container.image and not (defaults and defaults.container and defaults.container.image):
                raise self.fail(file, join(path, "container.image"), f"{loc.label} needs a container image")
        if t.script is not None and not t.script.image and not (defaults and defaults.script and defaults.script.image):
            raise self.fail(file, join(path, "script.image"), f"{loc.label} needs a script image")
        if t.container_set is not None:
            self.check_container_set(loc)
        for i, s in enumerate(t.sidecars):
            if _reserved(s.name):
                raise self.fail(file, join(path, f"sidecars[{i}].name"), f"{s.name!r} is a container name Argo reserves")
        if t.resource is not None:
            self.check_resource(loc)
        ads = t.active_deadline_seconds
        if ads is not None:
            if isinstance(ads, str) and not (is_go_int(ads) or (ads.startswith("{{") and ads.endswith("}}"))):
                raise self.fail(file, join(path, "activeDeadlineSeconds"), f"activeDeadlineSeconds must be a whole number of seconds or a {{{{...}}}} variable, got {ads!r}")
            if (isinstance(ads, int) and ads < 0) or (isinstance(ads, str) and is_go_int(ads) and int(ads) < 0):
                raise self.fail(file, join(path, "activeDeadlineSeconds"), "activeDeadlineSeconds must not be negative")
        if t.parallelism is not None:
            raise self.fail(file, join(path, "parallelism"), "parallelism is only valid for steps and dag templates")

    def check_mounts(self, mounts: list[Any], where: str, t: Template, file: str | None, path: str) -> None:
        seen: dict[str, str] = {}
        for i, m in enumerate(mounts):
            if m.mount_path in seen:
                raise self.fail(file, join(path, f"{where}[{i}].mountPath"), f"{m.mount_path!r} is already mounted by {seen[m.mount_path]}")
            seen[m.mount_path] = f"volume {m.name!r}"
        if t.container is None:
            return
        for i, art in enumerate(t.inputs.artifacts):
            if art.path in seen:
                raise self.fail(file, join(path, f"inputs.artifacts[{i}].path"), f"{art.path!r} is already mounted by {seen[art.path]}")
            seen[art.path or ""] = f'input artifact "{art.name}"'

    def check_container_set(self, loc: Located) -> None:
        t, file = loc.tmpl, loc.file
        cs = t.container_set
        assert cs is not None
        path = join(loc.path, "containerSet")
        if not cs.containers:
            raise self.fail(file, join(path, "containers"), "containerSet needs at least one container")
        self.check_names(cs.containers, file, join(path, "containers"), param=False)
        self.check_mounts(cs.volume_mounts, "containerSet.volumeMounts", t, file, loc.path)
        names = {c.name for c in cs.containers}
        for i, c in enumerate(cs.containers):
            for dep in c.dependencies:
                if dep not in names:
                    raise self.fail(file, join(path, f"containers[{i}].dependencies"), f"dependency {dep!r} is not a container of this containerSet")
            if _reserved(c.name):
                raise self.fail(file, join(path, f"containers[{i}].name"), f"{c.name!r} is a container name Argo reserves")
        from localflow.spec.validate_flow import cycle_chain

        chain = cycle_chain(names, [(c.name, d) for c in cs.containers for d in c.dependencies])
        if chain:
            raise self.fail(file, join(path, "containers"), f"dependency cycle: {chain}")
        if (t.inputs.artifacts or t.outputs.parameters or t.outputs.artifacts) and "main" not in names:
            raise self.fail(file, join(path, "containers"), 'containerSet needs a container named "main" to have inputs or outputs')

    def check_resource(self, loc: Located) -> None:
        t, file = loc.tmpl, loc.file
        r = t.resource
        assert r is not None
        path = join(loc.path, "resource")
        action = r.action or ""
        if "{{" not in action and action not in RESOURCE_ACTIONS:
            raise self.fail(file, join(path, "action"), f"action must be one of {', '.join(RESOURCE_ACTIONS)}, got {action!r}")
        if action in ("delete", "get"):
            return
        if not r.manifest and r.manifest_from is None:
            raise self.fail(file, path, "resource needs a manifest or manifestFrom")
        if r.manifest and r.manifest_from is not None:
            raise self.fail(file, path, "resource has both manifest and manifestFrom; choose one")
        if r.manifest_from is not None and r.manifest_from.artifact is not None:
            name = r.manifest_from.artifact.name
            if t.inputs.artifact(name or "") is None:
                raise self.fail(file, join(path, "manifestFrom.artifact"), f"manifestFrom names artifact {name!r}, which is not an input artifact of this template")
        if r.manifest:
            try:
                load_all(replace_tags(r.manifest, "placeholder"), file, strict=False)
            except SpecError as err:
                detail = err.detail
                raise self.fail(file, join(path, "manifest"), f"the manifest is not valid YAML ({detail})") from None
