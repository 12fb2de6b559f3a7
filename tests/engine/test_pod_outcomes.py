"""The engine decides on a pod's typed outcome (`PodResult.reason`), never on the text of its message.

Expected behaviour: a lost container engine makes the run an Error with the runtime's message and no exit
handler runs (nothing could start it); Argo's stop strategies name themselves in the message of the
pods they stopped; a pod killed at its deadline carries Kubernetes' DeadlineExceeded message."""

from __future__ import annotations

from localflow.engine.interfaces import PodResult
from localflow.runtime.fake import Outcome

HEAD = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: s-}\nspec:\n"

WITH_EXIT = HEAD + """
  entrypoint: work
  onExit: bye
  templates:
  - name: work
    container: {image: alpine, command: [sh, -c, "exit 1"]}
  - name: bye
    container: {image: alpine, command: [echo, bye]}
"""


def test_engine_lost_is_an_error_and_skips_the_exit_handler(h):
    h.runtime.on("work", Outcome(engine_lost="lost the Docker engine: connection refused"))
    run = h.run(WITH_EXIT)
    assert (run.phase, run.message) == ("Error", "lost the Docker engine: connection refused")
    assert "wf.onExit" not in h.by_name(run)


def test_a_failure_worded_like_a_lost_engine_is_only_a_failure(h):
    """A message is for people: the same words without the reason change nothing."""
    original = h.runtime.run_pod

    async def run_pod(pod, logs, artifacts):
        if pod.template_name != "work":
            return await original(pod, logs, artifacts)
        return PodResult(exit_code=1, phase="Failed", message="lost the Docker engine: says the script")

    h.runtime.run_pod = run_pod
    run = h.run(WITH_EXIT)
    assert run.phase == "Failed"
    assert h.by_name(run)["wf.onExit"].phase == "Succeeded"

