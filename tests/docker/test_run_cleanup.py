"""A run's end on the real engine: when every object the run made was removed as it went, the end asks
the engine for no label listings (one run's fixed cost, issue 14); when a removal failed, the listing at
the end still removes what is left (every exit path removes the run's labelled objects)."""

from __future__ import annotations

import asyncio
import os

import pytest
import requests

from localflow.engine.interfaces import ContainerSpec, PodSpec
from localflow.runtime import labels as L
from localflow.runtime.engine_api import Container, TransportError
from localflow.runtime.docker_runtime import DockerRuntime

pytestmark = pytest.mark.docker


def _pod(run: str) -> PodSpec:
    main = ContainerSpec(name="main", image="alpine:3.7", command=["echo", "hi"])
    return PodSpec(run_name=run, node_id=f"{run}-1", node_name=run, display_name=run, pod_name=run, main=main,
                   want_ip=False)


def _listings(runtime: DockerRuntime) -> list[str]:
    """Record the label-filtered listings the runtime's client sends."""
    seen: list[str] = []
    send = runtime.client.api.send

    def recording(request, **kwargs):
        if "filters=" in (request.url or "") and "localflow.run" in requests.utils.unquote(request.url):
            seen.append(request.url)
        return send(request, **kwargs)
    runtime.client.api.send = recording
    return seen


def _run(runtime: DockerRuntime, run: str, volumes: list[str] = ()) -> str:
    async def go() -> str:
        await runtime.start_run(run, list(volumes), network=False)
        try:
            result = await runtime.run_pod(_pod(run), lambda *a: None, None)
        finally:
            await runtime.end_run(run)
        return result.phase
    return asyncio.run(go())


def _labelled(runtime: DockerRuntime, run: str) -> list[str]:
    api, flt = runtime.client.api, {"label": f"{L.RUN}={run}"}
    return ([c["Id"] for c in api.containers(all=True, filters=flt)]
            + [v["Name"] for v in (api.volumes(filters=flt) or {}).get("Volumes") or []])


def test_a_run_that_removed_everything_lists_nothing_at_its_end():
    runtime = DockerRuntime()
    try:
        seen = _listings(runtime)
        run = f"cleanup-{os.getpid()}-a"
        assert _run(runtime, run) == "Succeeded"
        assert seen == []
        assert _labelled(runtime, run) == []
    finally:
        runtime.close()


def test_a_container_whose_removal_failed_is_removed_by_the_listing_at_the_end(monkeypatch):
    """(the pod's containers are made over the local socket by engine_api, its listing by the SDK)"""
    runtime = DockerRuntime()
    failed: list[str] = []
    remove = Container.remove

    def lost_once(self, **kwargs):
        if not failed:
            failed.append(self.id)
            raise TransportError("connection reset (test)")
        return remove(self, **kwargs)
    monkeypatch.setattr(Container, "remove", lost_once)
    try:
        seen = _listings(runtime)
        run = f"cleanup-{os.getpid()}-b"
        assert _run(runtime, run) == "Succeeded"
        assert failed and seen  # the removal failed, so the end listed the run's objects
        assert _labelled(runtime, run) == []
    finally:
        runtime.close()


def test_a_run_volume_is_removed_by_the_listing_at_the_end():
    runtime = DockerRuntime()
    try:
        seen = _listings(runtime)
        run = f"cleanup-{os.getpid()}-c"
        assert _run(runtime, run, [f"{run}-vol"]) == "Succeeded"
        assert seen
        assert _labelled(runtime, run) == []
    finally:
        runtime.close()
