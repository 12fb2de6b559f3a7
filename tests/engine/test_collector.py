"""The garbage collector's settings during a run (engine/collector.py): tuned while it runs, as they
were once it ends, whatever way it ends."""

from __future__ import annotations

import gc

from localflow.runtime.fake import Outcome

WF = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: gc}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine, command: [echo, hi]}
"""


def test_collector_tuned_during_the_run_and_restored(h):
    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    seen = []

    def behaviour(spec, attempt):
        seen.append((gc.get_threshold(), gc.get_freeze_count()))
        return Outcome(exit_code=1)

    h.runtime.on("main", behaviour)
    run = h.run(WF, name="gc")
    assert run.phase == "Failed"
    (threshold, frozen), = seen
    assert threshold[0] >= 20_000 and threshold[1] >= 100 and threshold[2] == before[2]
    assert frozen > 0  # what existed before the run is out of the collector's walks
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen_before
