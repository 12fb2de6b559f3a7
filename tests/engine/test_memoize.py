"""`memoize`: a hit reuses the stored outputs without a container; a miss runs and stores them."""

from __future__ import annotations

import asyncio
import json
import textwrap

from localflow.engine.memo import InMemoryCache
from localflow.engine.run import WorkflowRun
from localflow.runtime.fake import FakeClock, FakeRuntime, Outcome
from localflow.spec.load import load_text

MEMO = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: memoized-}
spec:
  entrypoint: main
  arguments: {parameters: [{name: who, value: world}]}
  templates:
  - name: main
    steps:
    - - name: make
        template: world-to-file
        arguments: {parameters: [{name: who, value: "{{workflow.parameters.who}}"}]}
    - - name: use
        template: show
        arguments: {parameters: [{name: v, value: "{{steps.make.outputs.parameters.hello}}"}]}
  - name: world-to-file
    inputs: {parameters: [{name: who}]}
    memoize:
      key: "key-{{inputs.parameters.who}}"
      maxAge: "%s"
      cache: {configMap: {name: cache-config}}
    container:
      image: busybox
      command: [sh, -c]
      args: ["echo {{inputs.parameters.who}} > /tmp/hello_world.txt"]
    outputs:
      parameters:
      - name: hello
        valueFrom: {path: /tmp/hello_world.txt}
  - name: show
    inputs: {parameters: [{name: v}]}
    container: {image: busybox, command: [echo, "{{inputs.parameters.v}}"]}
"""


class World:
    """One machine: a clock, a runtime and a cache that several runs share."""

    def __init__(self):
        self.clock = FakeClock()
        self.runtime = FakeRuntime(self.clock)
        self.runtime.on("world-to-file", lambda spec, attempt: Outcome(
            files={"/tmp/hello_world.txt": spec.main.args[0].split()[1]}))
        self.cache = InMemoryCache()
        self.n = 0

    def run(self, text: str, parameters=None) -> WorkflowRun:
        self.n += 1
        bundle = load_text(textwrap.dedent(text), "test.yaml")
        run = WorkflowRun(bundle.workflows[0], runtime=self.runtime, templates=bundle, name=f"memo-{self.n}",
                          clock=self.clock, parameters=parameters, memo_cache=self.cache)
        asyncio.run(run.execute())
        return run

    def makes(self) -> list[str]:
        return [p.node_name for p in self.runtime.pods if p.template_name == "world-to-file"]


def node(run: WorkflowRun, suffix: str):
    return next(n for n in run.nodes.values() if n.name.endswith(suffix))


def test_miss_runs_and_stores_argos_entry_then_a_hit_runs_no_container():
    w = World()
    first = w.run(MEMO % "1h")
    assert first.phase == "Succeeded"
    made = node(first, ".make")
    assert made.memoization_status == {"hit": False, "key": "key-world", "cacheName": "cache-config"}
    entry = json.loads(w.cache.maps["cache-config"]["key-world"])
    assert set(entry) == {"nodeID", "outputs", "creationTimestamp", "lastHitTimestamp"}
    assert entry["nodeID"] == made.id
    assert entry["outputs"]["parameters"][0]["value"] == "world"
    assert entry["creationTimestamp"] == entry["lastHitTimestamp"]
    assert len(w.makes()) == 1

    w.clock.t += 60
    second = w.run(MEMO % "1h")
    assert second.phase == "Succeeded"
    hit = node(second, ".make")
    assert hit.phase == "Succeeded" and hit.type == "Pod"
    assert hit.memoization_status == {"hit": True, "key": "key-world", "cacheName": "cache-config"}
    assert hit.outputs["parameters"][0]["value"] == "world"
    assert len(w.makes()) == 1  # no container for the hit
    used = [p for p in w.runtime.pods if p.template_name == "show"][-1]
    assert used.main.command == ["echo", "world"]  # later steps read the reused outputs
    again = json.loads(w.cache.maps["cache-config"]["key-world"])
    assert again["creationTimestamp"] == entry["creationTimestamp"]
    assert again["lastHitTimestamp"] > entry["lastHitTimestamp"]
    assert node(second, ".make").to_argo()["memoizationStatus"]["hit"] is True


def test_an_entry_older_than_max_age_is_a_miss_and_is_replaced():
    w = World()
    w.run(MEMO % "10s")
    created = json.loads(w.cache.maps["cache-config"]["key-world"])["creationTimestamp"]
    w.clock.t += 5
    assert node(w.run(MEMO % "10s"), ".make").memoization_status["hit"] is True
    w.clock.t += 30
    late = w.run(MEMO % "10s")
    assert node(late, ".make").memoization_status["hit"] is False
    assert len(w.makes()) == 2
    assert json.loads(w.cache.maps["cache-config"]["key-world"])["creationTimestamp"] > created


def test_the_key_is_substituted_so_other_inputs_miss():
    w = World()
    w.run(MEMO % "1h")
    other = w.run(MEMO % "1h", parameters={"who": "moon"})
    assert node(other, ".make").memoization_status == {"hit": False, "key": "key-moon", "cacheName": "cache-config"}
    assert set(w.cache.maps["cache-config"]) == {"key-world", "key-moon"}
    assert len(w.makes()) == 2


def test_a_failed_node_stores_nothing():
    w = World()
    w.runtime.on("world-to-file", Outcome(exit_code=1))
    run = w.run(MEMO % "1h")
    assert run.phase == "Failed"
    assert node(run, ".make").memoization_status["hit"] is False
    assert "cache-config" not in w.cache.maps


def test_an_invalid_key_is_an_error_of_the_node():
    w = World()
    run = w.run((MEMO % "1h").replace('"key-{{inputs.parameters.who}}"', '"bad key!"'))
    made = node(run, ".make")
    assert made.phase == "Error" and made.message == "invalid cache key: bad key!"
    assert w.makes() == []


def test_a_cache_that_cannot_be_used_is_an_error_of_the_node():
    class Refusing(InMemoryCache):
        def load(self, cache, key):
            raise ValueError("memoization configmap doesn't have workflows.argoproj.io/configmap-type label, "
                             "refusing to use it")

    w = World()
    w.cache = Refusing()
    made = node(w.run(MEMO % "1h"), ".make")
    assert made.phase == "Error" and "refusing to use it" in made.message
    assert w.makes() == []


def test_config_map_store_cache_keeps_argos_label_and_refuses_unlabelled_maps(tmp_path, monkeypatch):
    import pytest

    from localflow.store import secrets as S
    from localflow.store.memo_cache import ConfigMapCache
    monkeypatch.setenv("LOCALFLOW_HOME", str(tmp_path))
    c = ConfigMapCache()
    assert c.load("cache-config", "k") is None
    c.save("cache-config", "k", '{"nodeID":"x"}')
    assert c.load("cache-config", "k") == '{"nodeID":"x"}'
    m = S.get("ConfigMap", "cache-config")
    assert m["metadata"]["labels"] == {"workflows.argoproj.io/configmap-type": "Cache"}
    S.save(S.config_map_manifest("plain", {"k": "v"}))
    with pytest.raises(ValueError, match="refusing to use it"):
        c.load("plain", "k")


def test_lint_asks_for_the_key_and_the_cache_config_map():
    import pytest

    from localflow.errors import SpecError
    from localflow.spec.validate import validate_workflow
    for memo, field in (("{key: k, maxAge: 1h}", "memoize.cache.configMap.name"),
                        ("{maxAge: 1h, cache: {configMap: {name: c}}}", "memoize.key")):
        text = f"""
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {{generateName: bad-}}
        spec:
          entrypoint: main
          templates:
          - name: main
            memoize: {memo}
            container: {{image: busybox, command: [echo]}}
        """
        bundle = load_text(textwrap.dedent(text), "bad.yaml")
        with pytest.raises(SpecError, match=field.replace(".", r"\.")):
            validate_workflow(bundle.workflows[0], file="bad.yaml", templates=bundle)
