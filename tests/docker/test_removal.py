"""A finished pod's containers are removed off the step's path (on Docker's default bridge), and no
exit path leaves them behind: `end_run` and `close` wait for the removals still under way."""

from __future__ import annotations

import asyncio
import threading

import docker
import pytest

from localflow.engine.interfaces import ContainerSpec, PodSpec
from localflow.runtime.docker_runtime import DockerRuntime

pytestmark = pytest.mark.docker


def _pod(run: str) -> PodSpec:
    return PodSpec(run_name=run, node_id=f"{run}-1", node_name="n", display_name="n", pod_name=f"{run}-pod",
                   main=ContainerSpec(name="main", image="alpine", command=["echo", "hi"]), want_ip=False)


def _held_removals(rt: DockerRuntime) -> threading.Event:
    """Hold every removal of `rt` until the returned event is set (30 s at most, so that a runtime that
    removes in the step still finishes and the test fails on its assertion rather than hanging)."""
    gate = threading.Event()
    remove = rt._remove

    def held(containers):
        gate.wait(30)
        remove(containers)
    rt._remove = held
    return gate


def _containers(run: str) -> list:
    return docker.from_env().containers.list(all=True, filters={"label": f"localflow.run={run}"})


def _run_one(run: str, network: bool, gate_open: bool = False):
    """A runtime whose removals are held (unless `gate_open`), its run started, one pod run: (runtime, gate, result)."""
    rt = DockerRuntime()
    gate = _held_removals(rt)
    if gate_open:
        gate.set()
    asyncio.run(rt.start_run(run, [], network=network))
    return rt, gate, asyncio.run(rt.run_pod(_pod(run), lambda *a: None, None))


def test_a_pod_on_the_default_bridge_is_done_before_its_container_is_removed():
    run = "removal-bridge"
    rt, gate, result = _run_one(run, network=False)
    try:
        assert result.phase == "Succeeded" and result.stdout == "hi"
        assert len(_containers(run)) == 1  # the removal is still held: the step did not wait for it
        gate.set()
        asyncio.run(rt.end_run(run))
        assert _containers(run) == []
    finally:
        gate.set()
        rt.close()


def test_close_waits_for_the_removals_under_way():
    run = "removal-close"
    rt, gate, _result = _run_one(run, network=False)
    try:
        assert len(_containers(run)) == 1
        threading.Timer(0.5, gate.set).start()
    finally:
        rt.close()  # returns once the held removal has run
    assert _containers(run) == []


def test_a_pod_on_a_run_network_is_removed_in_the_step():
    """On a run network removals stay in the step (they overlap no more starts there than before)."""
    run = "removal-net"
    rt, _gate, result = _run_one(run, network=True, gate_open=True)
    try:
        assert result.phase == "Succeeded"
        assert _containers(run) == []
    finally:
        asyncio.run(rt.end_run(run))
        rt.close()
