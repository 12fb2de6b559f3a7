"""A CronWorkflow run once becomes the Workflow Argo's cron controller would make of it."""

from __future__ import annotations

import datetime

from localflow.cli.submit import cron_to_workflow
from localflow.spec.load import load_text

CRON = """
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: nightly
  labels: {team: a, workflows.argoproj.io/creator: bob}
spec:
  schedules: ["0 1 * * *"]
  workflowMetadata:
    labels: {extra: x}
    annotations: {note: hi}
  workflowSpec:
    entrypoint: main
    templates:
    - name: main
      container: {image: alpine, command: [echo, "{{workflow.scheduledTime}}"]}
"""


def test_cron_workflow_metadata_as_argo_makes_it():
    wf = cron_to_workflow(load_text(CRON, "cron.yaml").cron_workflows[0])
    assert wf.metadata.generate_name == "nightly-"
    # only the creator labels propagate; the cron's name and workflowMetadata are added
    assert wf.metadata.labels == {"workflows.argoproj.io/creator": "bob",
                                  "workflows.argoproj.io/cron-workflow": "nightly", "extra": "x"}
    stamp = wf.metadata.annotations.pop("workflows.argoproj.io/scheduled-time")
    assert wf.metadata.annotations == {"note": "hi"}
    when = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))  # RFC 3339, seconds
    assert when.tzinfo is not None and when.microsecond == 0
    assert abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) < 60
    assert wf.spec.entrypoint == "main"
