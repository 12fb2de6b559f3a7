"""Docker-backed: resource templates without a cluster, installed templates and argo's submit flags,
through the CLI as a user runs it (a private LOCALFLOW_HOME per test, from conftest).

Expected phases are Argo's: workflow-of-workflows.yaml and k8s-wait-wf.yaml end Succeeded on Argo
(their children succeed); a PVC made by a resource template is mounted by later steps (Kubeflow
Pipelines' dsl.VolumeOp shape: `{{workflow.name}}-NAME`, output `name` by jsonPath)."""

from __future__ import annotations

import re

import docker
from helpers import EXAMPLES, leftovers, localflow
from workflow_texts import CONFIG_MAP_STEPS, TYPO

WFT = EXAMPLES / "workflow-template"


def status(text: str) -> str | None:
    m = re.search(r"^Status:\s+(\S+)", text, re.M)
    return m.group(1) if m else None


def run_name(text: str) -> str:
    return re.search(r"^Name:\s+(\S+)", text, re.M).group(1)


def test_hello_world_runs_with_installed_templates_and_from_ref():
    assert localflow("template", "create", str(WFT / "templates.yaml")).returncode == 0
    out = localflow("submit", str(WFT / "hello-world.yaml"))
    assert out.returncode == 0 and status(out.stdout) == "Succeeded", out.stdout + out.stderr
    assert "hello world" in out.stdout
    out = localflow("submit", "--from", "workflowtemplate/workflow-template-submittable", "-p", "message=from-ref")
    assert out.returncode == 0 and "from-ref" in out.stdout, out.stdout + out.stderr


def test_workflow_of_workflows_runs_children_recorded_in_the_history():
    assert localflow("template", "create", str(WFT / "templates.yaml")).returncode == 0
    out = localflow("submit", str(EXAMPLES / "workflow-of-workflows.yaml"))
    text = out.stdout + out.stderr
    assert out.returncode == 0 and status(out.stdout) == "Succeeded", text
    names = localflow("list", "-o", "name").stdout.split()
    children = [n for n in names if n.startswith("workflow-of-workflows-1-") or n.startswith("workflow-of-workflows-2-")]
    assert len(children) == 2, names
    for child in children:
        got = localflow("get", child)
        assert status(got.stdout) == "Succeeded", got.stdout
        assert leftovers(child) == (0, 0, 0)
    assert "Welcome Argo" in text  # the second child's argument reached its container
    assert leftovers(run_name(out.stdout)) == (0, 0, 0)


def test_k8s_wait_wf_waits_for_its_child():
    out = localflow("submit", str(EXAMPLES / "k8s-wait-wf.yaml"))
    assert out.returncode == 0 and status(out.stdout) == "Succeeded", out.stdout + out.stderr
    child = [n for n in localflow("list", "-o", "name").stdout.split() if n.startswith("sleep-")]
    assert len(child) == 1 and status(localflow("get", child[0]).stdout) == "Succeeded"


VOLUME_OP = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: volumeop-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: make-pvc, template: make-pvc}
    - - name: write
        template: write
        arguments: {parameters: [{name: claim, value: "{{steps.make-pvc.outputs.parameters.name}}"}]}
    - - name: read
        template: read
        arguments: {parameters: [{name: claim, value: "{{steps.make-pvc.outputs.parameters.name}}"}]}
  - name: make-pvc
    resource:
      action: create
      manifest: |
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: '{{workflow.name}}-my-pvc'}
        spec:
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 1Gi}}
    outputs:
      parameters:
      - name: name
        valueFrom: {jsonPath: '{.metadata.name}'}
  - name: write
    inputs: {parameters: [{name: claim}]}
    volumes: [{name: data, persistentVolumeClaim: {claimName: '{{inputs.parameters.claim}}'}}]
    container:
      image: alpine:3.7
      command: [sh, -c, "echo written-by-the-first-step > /mnt/data/f"]
      volumeMounts: [{name: data, mountPath: /mnt/data}]
  - name: read
    inputs: {parameters: [{name: claim}]}
    volumes: [{name: data, persistentVolumeClaim: {claimName: '{{inputs.parameters.claim}}'}}]
    container:
      image: alpine:3.7
      command: [cat, /mnt/data/f]
      volumeMounts: [{name: data, mountPath: /mnt/data}]
"""


def test_a_pvc_from_a_resource_template_is_mounted_by_later_steps_and_removed(tmp_path):
    f = tmp_path / "volumeop.yaml"
    f.write_text(VOLUME_OP)
    out = localflow("submit", str(f))
    assert out.returncode == 0 and status(out.stdout) == "Succeeded", out.stdout + out.stderr
    assert "written-by-the-first-step" in out.stdout
    name = run_name(out.stdout)
    assert leftovers(name) == (0, 0, 0)
    volumes = [v.name for v in docker.from_env().volumes.list()]
    assert f"{name}-my-pvc" not in volumes


VARS = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: vars-}
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: alpine:3.7
      command: [echo, "ns={{workflow.namespace}} sa={{workflow.serviceAccountName}} team={{workflow.labels.team}}"]
"""


def test_argo_submit_flags_are_accepted(tmp_path):
    f = tmp_path / "vars.yaml"
    f.write_text(VARS)
    out = localflow("submit", "-n", "argo", "--serviceaccount", "robot", "--watch", "--log", "-l", "team=blue",
                    "--generate-name", "renamed-", "--priority", "2", str(f))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "ns=argo sa=robot team=blue" in out.stdout
    assert run_name(out.stdout).startswith("renamed-")



def test_strict_false_runs_a_file_with_a_stray_field(tmp_path):
    f = tmp_path / "typo.yaml"
    f.write_text(TYPO)
    refused = localflow("submit", str(f))
    assert refused.returncode == 2 and 'metadata.label: unknown field "label"' in refused.stderr
    out = localflow("submit", "--strict=false", str(f))
    assert out.returncode == 0 and "lenient" in out.stdout, out.stdout + out.stderr
    assert "localflow: notice: unknown fields ignored (--strict=false): metadata.label\n" in out.stderr



def test_a_config_map_from_a_resource_template_is_used_and_kept_in_the_store(tmp_path):
    f = tmp_path / "cm.yaml"
    f.write_text(CONFIG_MAP_STEPS)
    out = localflow("submit", str(f))
    assert out.returncode == 0 and "colour=blue" in out.stdout, out.stdout + out.stderr
    got = localflow("configmap", "get", "settings", "-o", "json")
    assert got.returncode == 0 and '"colour": "blue"' in got.stdout


CRON = """
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: every-second}
spec:
  schedules: ["@every 1s"]
  concurrencyPolicy: Forbid
  workflowSpec:
    entrypoint: main
    templates:
    - name: main
      container: {image: alpine:3.7, command: [echo, "scheduled at {{workflow.scheduledTime}}"]}
"""


def _let_started_runs_end(runs: list[str]) -> None:
    """Runs the scheduler started go on after it stops (`cron run`: "started runs go on"): wait, within a
    bound, until each is finished in the history and has removed its containers."""
    import time
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        phases = {r.split()[0]: r.split()[1] for r in localflow("list").stdout.splitlines()[1:] if len(r.split()) > 1}
        if all(phases.get(run) in ("Succeeded", "Failed", "Error") and leftovers(run) == (0, 0, 0) for run in runs):
            return
        time.sleep(0.5)


def test_cron_run_starts_scheduled_runs_recorded_in_the_history(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from helpers import REPO
    f = tmp_path / "cron.yaml"
    f.write_text(CRON)
    assert localflow("cron", "create", str(f)).returncode == 0
    env = dict(os.environ, PYTHONPATH=str(REPO))
    sched = subprocess.Popen([sys.executable, "-m", "localflow", "cron", "run", "every-second"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(REPO))
    try:
        deadline = time.monotonic() + 120  # a bound on waiting, not a timing assertion
        done: list[str] = []
        while not done and time.monotonic() < deadline:
            time.sleep(1)
            rows = localflow("list").stdout.splitlines()[1:]
            done = [r.split()[0] for r in rows if r.split()[1] == "Succeeded"]
    finally:
        sched.send_signal(signal.SIGINT)
        out, err = sched.communicate(timeout=60)
        _let_started_runs_end(re.findall(r"started (every-second-\S+)", out))
    assert done and done[0].startswith("every-second-"), out + err
    assert "every-second: started every-second-" in out
    got = localflow("get", done[0], "-o", "json").stdout
    assert '"workflows.argoproj.io/cron-workflow": "every-second"' in got
