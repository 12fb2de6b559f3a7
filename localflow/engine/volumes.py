"""Pod volumes: claim templates, existing claims, emptyDir, hostPath, secret and configMap files."""

from __future__ import annotations

import io
import posixpath
import tarfile
from typing import TYPE_CHECKING, Any

from localflow.spec import model as M

from .interfaces import InputFile, MountSpec
from .scope import StepError

if TYPE_CHECKING:
    from .interfaces import RunContext


def files_tar(files: dict[str, bytes], mode: int) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        dirs = set()
        for rel, data in files.items():
            parts = rel.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in dirs:
                    dirs.add(d)
                    info = tarfile.TarInfo(d)
                    info.type = tarfile.DIRTYPE
                    info.mode = 0o755
                    tf.addfile(info)
            info = tarfile.TarInfo(rel)
            info.size = len(data)
            info.mode = mode
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class Volumes:
    def __init__(self, run: RunContext):
        self.run = run
        spec = run.spec
        self.claims = {c.metadata.name: c for c in (spec.volume_claim_templates or []) if c.metadata}
        self.workflow_volumes = {v.name: v for v in (spec.volumes or [])}
        others = getattr(run.bundle, "others", None) or []
        self.declared_pvcs = {(d.get("metadata") or {}).get("name") for d in others
                              if d.get("kind") == "PersistentVolumeClaim"}
        self.resource_claims: set[str] = set()  # claims created by resource templates: the run's volumes

    def run_volume_names(self) -> list[str]:
        return [self.claim_volume(n) for n in self.claims]

    def claim_volume(self, name: str) -> str:
        return f"{self.run.name}-{name}"

    def prepare(self) -> None:
        pass

    def _find(self, name: str, tmpl: M.Template) -> Any:
        for v in tmpl.volumes or []:
            if v.name == name:
                return v
        if name in self.workflow_volumes:
            return self.workflow_volumes[name]
        if name in self.claims:
            return "claim"
        raise StepError(f"volumeMounts: no volume named {name!r}")

    def mounts_for(self, volume_mounts: list, tmpl: M.Template, pod: str) -> tuple[list[MountSpec], list[InputFile]]:
        mounts: list[MountSpec] = []
        files: list[InputFile] = []
        for vm in volume_mounts:
            vol = self._find(vm.name, tmpl)
            ro = bool(vm.read_only)
            target = vm.mount_path
            if vol == "claim":
                mounts.append(MountSpec(target, self.claim_volume(vm.name), "volume", ro, vm.sub_path, auto="run"))
            elif vol.persistent_volume_claim is not None:
                claim = vol.persistent_volume_claim.claim_name
                auto = "run" if claim in self.resource_claims else "pvc" if claim in self.declared_pvcs else None
                mounts.append(MountSpec(target, claim, "volume", ro or bool(vol.persistent_volume_claim.read_only),
                                        vm.sub_path, auto=auto))
            elif vol.empty_dir is not None:
                medium = getattr(vol.empty_dir, "medium", None)
                if medium == "Memory":
                    mounts.append(MountSpec(target, None, "tmpfs", ro))
                else:
                    mounts.append(MountSpec(target, f"{pod}-{vm.name}", "volume", ro, vm.sub_path, auto="run"))
            elif vol.host_path is not None:
                path = vol.host_path.path
                if vm.sub_path:
                    path = posixpath.join(path, vm.sub_path)
                mounts.append(MountSpec(target, path, "bind", ro))
            elif vol.secret is not None or vol.config_map is not None:
                files.append(self._data_volume(vol, vm))
            else:
                raise StepError(f"volume {vm.name!r}: this kind of volume is not supported by localflow")
        return mounts, files

    def _data_volume(self, vol: Any, vm: Any) -> InputFile:
        res = self.run.resources
        if vol.secret is not None:
            src = vol.secret
            try:
                data = dict(res.secret(src.secret_name))
            except StepError:
                if getattr(src, "optional", False):
                    data = {}
                else:
                    raise
        else:
            src = vol.config_map
            try:
                data = {k: v.encode() for k, v in res.config_map(src.name).items()}
            except StepError:
                if getattr(src, "optional", False):
                    data = {}
                else:
                    raise
        mode = src.default_mode if getattr(src, "default_mode", None) is not None else 0o644
        files: dict[str, bytes] = {}
        if src.items:
            for it in src.items:
                if it.key not in data:
                    raise StepError(f"volume {vm.name!r}: key {it.key!r} not found")
                files[it.path] = data[it.key]
        else:
            files = data
        if vm.sub_path:
            one = files.get(vm.sub_path)
            if one is None:
                raise StepError(f"volume {vm.name!r}: subPath {vm.sub_path!r} not found")
            parent = posixpath.dirname(vm.mount_path.rstrip("/")) or "/"
            name = posixpath.basename(vm.mount_path.rstrip("/"))
            blob = files_tar({name: one}, int(mode))
            return InputFile(parent, lambda: blob, f"volume {vm.name}")
        blob = files_tar(files, int(mode))
        return InputFile(vm.mount_path, lambda: blob, f"volume {vm.name}")
