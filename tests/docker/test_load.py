"""Load against the real engine: wide fan-outs complete with every output recorded, on the run's own
network (a daemon step asks for one), and every container, network and volume is removed."""

from __future__ import annotations

import json
import threading
import time

import docker
import pytest

from helpers import leftovers, localflow

pytestmark = pytest.mark.docker

FAN = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: load-}
spec:
  entrypoint: main
  parallelism: PAR
  templates:
  - name: main
    steps:
    - - name: keeper
        template: keeper
    - - name: item
        template: echo
        arguments: {parameters: [{name: num, value: "{{item}}"}]}
        withSequence: {count: "COUNT"}
    - - name: gather
        template: echo
        arguments: {parameters: [{name: num, value: "{{steps.item.outputs.result}}"}]}
  - name: keeper
    daemon: true
    container:
      image: alpine
      command: [sleep, "3600"]
  - name: echo
    inputs: {parameters: [{name: num}]}
    container:
      image: alpine
      command: [sh, -c, "echo {{inputs.parameters.num}}"]
"""


@pytest.mark.parametrize("count,par", [(200, 8), (1000, 32)])
def test_fan_out_records_every_output(tmp_path, count, par):
    p = tmp_path / "load.yaml"
    p.write_text(FAN.replace("COUNT", str(count)).replace("PAR", str(par)))
    watch = ContainerEvents()
    try:
        proc = localflow("submit", "-q", "-o", "json", str(p), timeout=1800)
    finally:
        watch.stop()
    assert proc.returncode == 0, proc.stderr[-2000:]
    wf = json.loads(proc.stdout)
    nodes = wf["status"]["nodes"].values()
    items = [n for n in nodes if n["displayName"].startswith("item(")]
    assert len(items) == count
    assert all(n["phase"] == "Succeeded" for n in items)
    assert sorted(int(n["outputs"]["result"]) for n in items) == list(range(count))
    gather = next(n for n in nodes if n["displayName"] == "gather")
    assert json.loads(gather["inputs"]["parameters"][0]["value"]) == list(range(count))
    # the history has every node too
    stored = json.loads(localflow("get", wf["metadata"]["name"], "-o", "json").stdout)
    assert len(stored["status"]["nodes"]) == len(wf["status"]["nodes"])
    assert any(n["displayName"] == "keeper" and n["phase"] == "Succeeded" for n in nodes)
    # the run's own network too, after ~1,000 containers on it (Docker 20.10 used to refuse it at times)
    assert leftovers(wf["metadata"]["name"]) == (0, 0, 0)
    # parallelism: never more than `par` of the run's pods running at once (the daemon counts too)
    assert 1 < watch.most_running_at_once(wf["metadata"]["name"]) <= par


class ContainerEvents:
    """The engine's container start/die events, streamed while the run goes on (its stored log
    keeps only the last 256 events)."""

    def __init__(self) -> None:
        self.client = docker.from_env()
        self.stream = self.client.events(decode=True, filters={"type": "container", "label": "localflow.role=main"})
        self.events: list[dict] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for e in self.stream:
                self.events.append(e)
        except Exception:  # noqa: BLE001 - the stream is closed by stop()
            pass

    def stop(self) -> None:
        time.sleep(1)  # the last die events of the run reach the stream
        self.stream.close()
        self.thread.join(10)

    def most_running_at_once(self, run: str) -> int:
        """The most main containers of `run` running at once, in the engine's order of events."""
        running, most = set(), 0
        for e in self.events:
            if e.get("Actor", {}).get("Attributes", {}).get("localflow.run") != run:
                continue
            if e.get("status") == "start":
                running.add(e["id"])
            elif e.get("status") == "die":
                running.discard(e["id"])
            most = max(most, len(running))
        return most
