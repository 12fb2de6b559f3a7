"""The artifact store is a port (engine/interfaces.py ArtifactStore): the engine asks it for input tars and
never imports localflow/artifacts. A store without a repository (what `submit` injects when the workflow
names no artifacts) still places raw inputs, e.g. those of a template referenced from a WorkflowTemplate
(what main did before the port); an s3 input still needs a repository, before any container starts."""

from __future__ import annotations

WF = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: port-}
spec:
  entrypoint: show
  templates:
  - name: show
    inputs:
      artifacts:
      - {name: f, path: /tmp/f.txt, raw: {data: hello}}
      - {name: g, path: /tmp/g.txt, optional: true, s3: {key: "{{workflow.name}}/none"}}
    container: {image: alpine, command: [cat, /tmp/f.txt]}
"""


class NoRepositoryStore:
    repo = None
    own_server = False

    def __init__(self):
        self.calls: list[tuple] = []

    def input_tar(self, art, dest_path, mode, sub_path=None):
        self.calls.append((art.get("raw"), dest_path, mode, sub_path))
        return [b"tar"]


def test_raw_inputs_come_from_the_store_even_without_a_repository(h):
    store = NoRepositoryStore()
    run = h.run(WF.replace("      - {name: g", "      # - {name: g"), artifacts=store)
    assert run.phase == "Succeeded", run.message
    (pod,) = h.runtime.pods
    (placed,) = [f for f in pod.main.input_files if f.tar is not None]
    assert list(placed.tar()) == [b"tar"]
    assert store.calls == [({"data": "hello"}, "/tmp/f.txt", None, None)]


def test_an_s3_input_without_a_repository_is_one_error(h):
    run = h.run(WF, artifacts=NoRepositoryStore())
    assert run.phase != "Succeeded" and not h.runtime.pods
    assert any("no artifact repository is configured" in n.message for n in run.nodes.values())
