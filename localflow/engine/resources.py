"""Secrets and config maps as the engine sees them: Kubernetes' shapes, from a local store."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from .scope import StepError


class Resources:
    """Secrets (`data` base64 / `stringData`) and ConfigMaps (`data`), by name.

    The CLI fills it from the secret store and from Secret/ConfigMap documents in the file.
    Every secret value is remembered so the CLI can mask it in what it prints.
    """

    def __init__(self, secrets: Mapping[str, Mapping[str, bytes]] | None = None,
                 config_maps: Mapping[str, Mapping[str, str]] | None = None):
        self.secrets: dict[str, dict[str, bytes]] = {k: dict(v) for k, v in (secrets or {}).items()}
        self.config_maps: dict[str, dict[str, str]] = {k: dict(v) for k, v in (config_maps or {}).items()}

    def add_manifest(self, doc: Mapping[str, Any]) -> None:
        kind = doc.get("kind")
        name = (doc.get("metadata") or {}).get("name")
        if not name:
            return
        if kind == "Secret":
            data = {k: base64.b64decode(v) for k, v in (doc.get("data") or {}).items()}
            data.update({k: str(v).encode() for k, v in (doc.get("stringData") or {}).items()})
            self.secrets[name] = data
        elif kind == "ConfigMap":
            data = {k: str(v) for k, v in (doc.get("data") or {}).items()}
            self.config_maps[name] = data

    def secret(self, name: str) -> dict[str, bytes]:
        if name not in self.secrets:
            raise StepError(f"secret {name!r} not found (create it with: localflow secret create {name} "
                            "--from-literal=KEY=VALUE)")
        return self.secrets[name]

    def config_map(self, name: str) -> dict[str, str]:
        if name not in self.config_maps:
            raise StepError(f"configmap {name!r} not found (create it with: localflow configmap create {name} "
                            "--from-literal=KEY=VALUE)")
        return self.config_maps[name]

    def secret_key(self, name: str, key: str) -> bytes:
        data = self.secret(name)
        if key not in data:
            raise StepError(f"secret {name!r} has no key {key!r}")
        return data[key]

    def config_map_key(self, name: str, key: str) -> str:
        data = self.config_map(name)
        if key not in data:
            raise StepError(f"configmap {name!r} has no key {key!r}")
        return data[key]

    def env_value_from(self, vf: Any, env_name: str) -> str:
        ref = vf.secret_key_ref
        if ref is not None:
            try:
                return self.secret_key(ref.name, ref.key).decode(errors="replace")
            except StepError:
                if getattr(ref, "optional", False):
                    return ""
                raise
        ref = vf.config_map_key_ref
        if ref is not None:
            try:
                return self.config_map_key(ref.name, ref.key)
            except StepError:
                if getattr(ref, "optional", False):
                    return ""
                raise
        raise StepError(f"env {env_name}: unsupported valueFrom (only secretKeyRef, configMapKeyRef, fieldRef)")

    def env_from(self, ef: Any) -> dict[str, str]:
        prefix = getattr(ef, "prefix", None) or ""
        out: dict[str, str] = {}
        sref = getattr(ef, "secret_ref", None)
        cref = getattr(ef, "config_map_ref", None)
        if sref is not None:
            name = sref["name"] if isinstance(sref, dict) else sref.name
            for k, v in self.secret(name).items():
                out[prefix + k] = v.decode(errors="replace")
        if cref is not None:
            name = cref["name"] if isinstance(cref, dict) else cref.name
            for k, v in self.config_map(name).items():
                out[prefix + k] = v
        return out

    def secret_values(self) -> list[str]:
        vals = []
        for data in self.secrets.values():
            for v in data.values():
                text = v.decode(errors="replace")
                if len(text) >= 3:
                    vals.append(text)
        return vals
