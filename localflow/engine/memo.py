"""Argo's `memoize`: a template's outputs kept in a ConfigMap under a key, reused while fresh.

Entries have Argo's shape (workflow/controller/cache): the config map's `data[key]` is the JSON of
{nodeID, outputs, creationTimestamp, lastHitTimestamp}. Where config maps live is injected: the CLI
passes localflow's config map store (so `localflow configmap get NAME` shows the cache and it
survives between runs), tests an `InMemoryCache`.
"""

from __future__ import annotations

import json
import re
from collections import ChainMap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from localflow.spec import model as M
from localflow.timefmt import parse_ts

from . import nodes as N
from .scope import StepError, render_string

if TYPE_CHECKING:
    from .interfaces import RunContext

CACHE_KEY = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]*$")  # Argo's cacheKeyRegex
CONFIG_MAP_TYPE_LABEL = "workflows.argoproj.io/configmap-type"
CONFIG_MAP_TYPE_CACHE = "Cache"


class MemoCache(Protocol):
    """Memoization config maps: raw entries (JSON text) by cache name and key."""

    def load(self, cache: str, key: str) -> str | None:
        """The entry, or None when the config map or the key does not exist; raises if it cannot be used."""
        ...

    def save(self, cache: str, key: str, entry: str) -> None:
        """Create the config map (labelled as Argo labels caches) if needed and set `data[key]`."""
        ...


class InMemoryCache:
    def __init__(self) -> None:
        self.maps: dict[str, dict[str, str]] = {}

    def load(self, cache: str, key: str) -> str | None:
        return self.maps.get(cache, {}).get(key)

    def save(self, cache: str, key: str, entry: str) -> None:
        self.maps.setdefault(cache, {})[key] = entry


class Memoizer:
    def __init__(self, run: RunContext, cache: MemoCache | None):
        self.run = run
        self.cache: MemoCache = cache if cache is not None else InMemoryCache()

    def _call(self, what: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except StepError:
            raise
        except Exception as e:  # noqa: BLE001 - the store's reason becomes the node's message
            raise StepError(f"{what}: {e}") from None

    def check(self, node: N.Node, tmpl: M.Template, values: Mapping[str, Any]) -> bool:
        """Before the node runs: True when a fresh entry was found (the node Succeeded with its outputs)."""
        memo = tmpl.memoize
        run = self.run
        scope = ChainMap(dict(values), run.globals)
        key = render_string(memo.key or "", scope)
        cache = memo.cache.config_map.name if memo.cache is not None and memo.cache.config_map is not None else None
        if not cache:
            raise StepError("memoize.cache.configMap.name is required")
        if not CACHE_KEY.match(key):
            raise StepError(f"invalid cache key: {key}")
        max_age = None
        if memo.max_age:
            text = render_string(memo.max_age, scope)
            try:
                max_age = run.parse_seconds(text, "maxAge")
            except StepError as e:
                raise StepError(f"invalid maxAge: {e}") from None
        raw = self._call("memoize", self.cache.load, cache, key)
        hit, outputs = False, None
        if raw:
            try:
                entry = json.loads(raw)
            except ValueError as e:
                raise StepError(f"malformed cache entry: could not unmarshal JSON; unable to parse: {e}") from None
            if not isinstance(entry, dict):
                raise StepError(f"malformed cache entry: expected a JSON object, got {raw[:40]!r}")
            now = run.clock.now()
            entry["lastHitTimestamp"] = N.iso(now)  # Argo records every lookup that finds the entry
            self._call("memoize", self.cache.save, cache, key, json.dumps(entry, separators=(",", ":")))
            hit = bool(entry.get("nodeID"))
            outputs = entry.get("outputs")
            created = parse_ts(entry.get("creationTimestamp"))
            if max_age is not None and (created is None or now - created > max_age):
                hit, outputs = False, None  # expired: not a hit
        node.memoization_status = {"hit": hit, "key": key, "cacheName": cache}
        if not hit:
            run.changed(node)
            return False
        if node.type == N.RETRY:  # a hit is the template's own node, never a retry parent
            node.type = {"steps": N.STEPS, "dag": N.DAG}.get(tmpl.kind, N.POD)
        node.outputs = outputs or None
        run.finish(node, N.SUCCEEDED)
        return True

    def store(self, node: N.Node) -> None:
        """After the node: a Succeeded node that missed the cache saves its outputs under the key."""
        status = node.memoization_status
        if not status or status.get("hit") or node.phase != N.SUCCEEDED:
            return
        now = N.iso(self.run.clock.now())
        entry = {"nodeID": node.id, "outputs": node.outputs, "creationTimestamp": now, "lastHitTimestamp": now}
        try:
            self._call("could not save to config map cache", self.cache.save, status["cacheName"], status["key"],
                       json.dumps(entry, separators=(",", ":")))
        except StepError as e:
            self.run.finish(node, N.ERROR, str(e))
