"""Local secrets and config maps, kept as Kubernetes manifests readable by the owner only; and the one
masking of their values in what localflow prints or writes (`secret_values`, `mask`)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from collections.abc import Iterable
from typing import Any

from localflow.errors import SpecError

from .paths import home

KINDS = {"Secret": "secrets", "ConfigMap": "configmaps"}
MASK = "***"
MIN_MASKED = 3  # shorter values would mask common words


def _dir(kind: str) -> Path:
    d = home() / KINDS[kind]
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(d, 0o700)
    return d


def _valid_name(name: str) -> None:
    import re
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", name or "") or len(name) > 253:
        raise SpecError(f"invalid name {name!r}: lowercase letters, digits, '-' and '.' (as Kubernetes)")


def save(manifest: dict[str, Any]) -> Path:
    kind = manifest.get("kind")
    if kind not in KINDS:
        raise SpecError(f"kind {kind!r}: only Secret and ConfigMap can be stored")
    name = (manifest.get("metadata") or {}).get("name", "")
    _valid_name(name)
    path = _dir(kind) / f"{name}.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(manifest, f)
    os.chmod(path, 0o600)
    return path


def delete(kind: str, name: str) -> bool:
    path = _dir(kind) / f"{name}.json"
    if path.exists():
        path.unlink()
        return True
    return False


def names(kind: str) -> list[str]:
    return sorted(p.stem for p in _dir(kind).glob("*.json"))


def get(kind: str, name: str) -> dict | None:
    path = _dir(kind) / f"{name}.json"
    if not path.exists():
        return None
    with open(path) as f:
        return json.load(f)


def secret_manifest(name: str, data: dict[str, bytes]) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": "Opaque",
            "data": {k: base64.b64encode(v).decode() for k, v in data.items()}}


def config_map_manifest(name: str, data: dict[str, str]) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def load_secrets() -> dict[str, dict[str, bytes]]:
    return {n: _secret_data(n) for n in names("Secret")}


def _secret_data(name: str) -> dict[str, bytes]:
    """A stored Secret's keys and values: `data` decoded from base64, then `stringData` over it."""
    m = get("Secret", name) or {}
    data = {k: base64.b64decode(v) for k, v in (m.get("data") or {}).items()}
    data.update({k: str(v).encode() for k, v in (m.get("stringData") or {}).items()})
    return data


def load_config_maps() -> dict[str, dict[str, str]]:
    out = {}
    for n in names("ConfigMap"):
        m = get("ConfigMap", n) or {}
        out[n] = {k: str(v) for k, v in (m.get("data") or {}).items()}
    return out


def secret_values() -> list[str]:
    """The values of the local Secrets to mask (UTF-8 text of MIN_MASKED characters or more), longest
    first. A Secret whose file cannot be read is passed over and the others are still masked; none
    when the store itself cannot be read (masking must not stop a report or a listing)."""
    values: set[str] = set()
    try:
        stored = names("Secret")
    except OSError:
        return []
    for name in stored:
        try:
            data = _secret_data(name)
        except Exception:  # noqa: BLE001 - a broken secret file: mask the others rather than fail the caller
            continue
        for v in data.values():
            try:
                values.add(v.decode())
            except UnicodeDecodeError:
                continue
    return longest_first(v for v in values if len(v) >= MIN_MASKED)


def longest_first(values: Iterable[str]) -> list[str]:
    """Distinct non-empty values, the longest first (so a value containing another is masked whole)."""
    return sorted({v for v in values if v}, key=len, reverse=True)


def mask(obj: Any, values: list[str]) -> Any:
    """`obj` (text, or lists and dicts of it) with every one of `values` replaced by MASK; `values`
    longest first (see `longest_first`)."""
    if not values:
        return obj
    if isinstance(obj, str):
        for s in values:
            if s in obj:
                obj = obj.replace(s, MASK)
        return obj
    if isinstance(obj, list):
        return [mask(x, values) for x in obj]
    if isinstance(obj, dict):
        return {k: mask(v, values) for k, v in obj.items()}
    return obj
