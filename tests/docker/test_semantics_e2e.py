"""Runtime semantics found in Argo's end-to-end workflows (test/e2e), against the real engine.

Each expectation comes from Argo's code or e2e assertions, cited per test; none is copied from localflow's
output.
"""

from __future__ import annotations

import json
import re

import docker
import pytest

from helpers import submit_text

pytestmark = pytest.mark.docker

HEAD = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: sem-}\nspec:\n"


def submit(tmp_path, body: str, *args: str):
    return submit_text(tmp_path, HEAD + body, *args, check_leftovers="--keep" not in args)


def run_json(tmp_path, body: str, *args: str) -> tuple[int, dict]:
    proc, text = submit(tmp_path, body, "-o", "json", *args)
    start = proc.stdout.find("{")
    assert start >= 0, text
    return proc.returncode, json.loads(proc.stdout[start:])


def node(wf: dict, display: str) -> dict:
    return next(n for n in wf["status"]["nodes"].values() if n["displayName"] == display)


def test_user_process_is_not_pid_1_and_self_sigterm_is_143(tmp_path):
    """test/e2e/signals_test.go TestSignaled: `kill $BASHPID` ends Failed with "(exit code 143)"; the
    emissary is PID 1 and the user's command its child (cmd/argoexec/commands/emissary.go)."""
    code, wf = run_json(tmp_path, """
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: pid, template: pid}
    - - {name: kill, template: kill}
  - name: pid
    container: {image: alpine:3.7, command: [sh, -c, 'echo $$']}
  - name: kill
    container: {image: alpine:3.7, command: [sh, -c], args: ['kill $$; echo survived']}
""")
    assert code == 1
    assert node(wf, "pid")["outputs"]["result"] != "1"
    kill = node(wf, "kill")
    assert kill["phase"] == "Failed"
    assert kill["message"] == "main: Error (exit code 143)"
    assert kill["outputs"]["exitCode"] == "143"


def test_sidecar_stops_on_sigterm_when_main_ends(tmp_path):
    """A sidecar running `sleep 999` (test/e2e/testdata/sidecar-workflow.yaml) stops at SIGTERM (exit
    143), not by SIGKILL after the grace period (137): its process is not PID 1."""
    proc, text = submit(tmp_path, """
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine:3.7, command: [echo, hi]}
    sidecars:
    - {name: sleeper, image: alpine:3.7, command: [sh, -c], args: ["sleep 999"]}
    - {name: web, image: python:alpine3.6, command: [python3, -m, http.server, "8000"]}
""", "--keep")
    run = re.search(r"^Name:\s+(\S+)", text, re.M).group(1)
    client = docker.from_env()
    try:
        assert proc.returncode == 0, text
        found = client.api.containers(all=True, filters={"label": [f"localflow.run={run}", "localflow.role=sidecar"]})
        codes = sorted(client.api.inspect_container(c["Id"])["State"]["ExitCode"] for c in found)
        assert codes == [143, 143]
    finally:
        for c in client.api.containers(all=True, filters={"label": f"localflow.run={run}"}):
            client.api.remove_container(c["Id"], force=True, v=True)


def test_command_that_cannot_start_fails_with_argo_message(tmp_path):
    """test/e2e/testdata/cannot-start-workflow.yaml: Failed, message contains "executable file not
    found". The emissary's LookPath error, exit 64 (cmd/argoexec/main.go), worded by inferFailedReason
    as `main: Error (exit code 64): <termination message>` (workflow/controller/operator.go)."""
    code, wf = run_json(tmp_path, """
  entrypoint: main
  templates:
  - name: main
    container: {image: argoproj/argosay:v2, command: [invalid]}
""")
    assert code == 1
    main = node(wf, wf["metadata"]["name"])
    assert main["phase"] == "Failed"
    assert main["message"] == ('main: Error (exit code 64): failed to find name in PATH: '
                               'exec: "invalid": executable file not found in $PATH')
    assert "executable file not found" in wf["status"]["message"]


def test_when_template_defaults_script_and_optional_artifact(tmp_path):
    """Four classes in one run, each from Argo's code: `when` before arguments (steps.go resolveReferences),
    templateDefaults by type (operator.go mergedTemplateDefaultsInto; test/e2e/functional/
    template-default-image.yaml), a script with an empty source runs as a container (operator.go
    executeScript), an optional input artifact passed on while absent (scope.go resolveVar)."""
    code, wf = run_json(tmp_path, """
  entrypoint: main
  templateDefaults:
    script: {image: alpine:3.7, command: [sh], workingDir: /src}
    container: {image: alpine:3.7, command: [sh, -c], workingDir: /work}
  templates:
  - name: main
    inputs: {artifacts: [{name: a, optional: true}]}
    steps:
    - - {name: skipped, template: plain, when: "false"}
    - - name: never
        template: plain
        when: "{{steps.skipped.status}} == Succeeded"
        arguments: {parameters: [{name: m, value: "{{=asInt(steps.skipped.outputs.result)}}"}]}
      - {name: script, template: script}
      - {name: container, template: container}
      - {name: bare-script, template: bare-script}
      - name: optional
        template: optional
        arguments: {artifacts: [{name: a, from: "{{inputs.artifacts.a}}"}]}
  - name: plain
    inputs: {parameters: [{name: m, default: x}]}
    container: {args: ["echo {{inputs.parameters.m}}"]}
  - name: script
    script: {source: pwd}
  - name: container
    container: {args: [pwd]}
  - name: bare-script
    script: {image: alpine:3.7, command: [echo], args: [bare]}
  - name: optional
    inputs: {artifacts: [{name: a, path: /tmp/a, optional: true}]}
    container: {args: ["test -e /tmp/a && echo present || echo absent"]}
""")
    assert code == 0, wf["status"]
    assert node(wf, "never")["phase"] == "Skipped"
    assert node(wf, "never")["message"] == "when 'Skipped == Succeeded' evaluated false"
    assert node(wf, "script")["outputs"]["result"] == "/src"
    assert node(wf, "container")["outputs"]["result"] == "/work"
    assert node(wf, "bare-script")["outputs"]["result"] == "bare"
    assert node(wf, "optional")["outputs"]["result"] == "absent"


def test_downward_api_env_from_pod_metadata(tmp_path):
    """workflowpod.go createWorkflowPod/addMetadata: Argo's own label `workflows.argoproj.io/workflow` and
    the template's metadata labels are on the pod; fieldRef reads them (Kubeflow Pipelines v1)."""
    code, wf = run_json(tmp_path, """
  entrypoint: main
  templates:
  - name: main
    metadata: {labels: {"pipelines.kubeflow.org/cache_enabled": "true"}}
    container:
      image: alpine:3.7
      command: [sh, -c, 'echo "$WORKFLOW_ID $CACHE $POD"']
      env:
      - {name: WORKFLOW_ID, valueFrom: {fieldRef: {fieldPath: "metadata.labels['workflows.argoproj.io/workflow']"}}}
      - {name: CACHE, valueFrom: {fieldRef: {fieldPath: "metadata.labels['pipelines.kubeflow.org/cache_enabled']"}}}
      - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
""")
    assert code == 0
    name = wf["metadata"]["name"]
    assert node(wf, name)["outputs"]["result"] == f"{name} true {name}"


def test_container_set_retry_strategy_retries_inside_the_pod(tmp_path):
    """test/e2e/retry_test.go TestWorkflowTemplateWithRetryStrategyInContainerSet: with `retries: "2"` a
    failing container runs twice (ContainerSetTemplate.GetRetryStrategy: Steps = retries), a command that
    cannot start is not retried, the workflow Fails; a retried container keeps its files (same pod)."""
    proc, text = submit(tmp_path, """
  entrypoint: test
  templates:
  - name: test
    containerSet:
      retryStrategy: {retries: "2"}
      containers:
      - {name: c1, image: argoproj/argosay:v2, args: [echo, hi]}
      - {name: c2, image: argoproj/argosay:v2, command: [invalid, command]}
      - {name: c3, image: alpine:3.7, command: [sh, -c], args: ["echo intentional failure; exit 1"]}
      - name: main
        image: alpine:3.7
        command: [sh, -c]
        args: ["if [ -e /tmp/seen ]; then echo second-run; else touch /tmp/seen; echo first-run; exit 1; fi"]
""")
    assert proc.returncode == 1, text
    logs = text.split("Name:")[0]
    assert logs.count("intentional failure") == 2
    assert logs.count("hi\n") == 1
    assert logs.count("executable file not found in $PATH") == 1
    assert "first-run" in logs and "second-run" in logs
    assert re.search(r"^Status:\s+Failed$", text, re.M)


def test_sidecar_that_fails_by_itself_fails_the_pod(tmp_path):
    """operator.go inferFailedReason: a sidecar's exit code other than 137/143 (the executor's kill) fails
    the node with `NAME: Error (exit code N)[: message]`; 143 (stopped after main) does not."""
    code, wf = run_json(tmp_path, """
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: crashes, template: crashes}
      - {name: cannot-start, template: cannot-start}
  - name: crashes
    container: {image: alpine:3.7, command: [sh, -c, "sleep 2; echo main-done"]}
    sidecars:
    - {name: web, image: alpine:3.7, command: [sh, -c, "sleep 1000"]}
    - {name: crash, image: alpine:3.7, command: [sh, -c, "exit 3"]}
  - name: cannot-start
    container: {image: alpine:3.7, command: [echo, hi]}
    sidecars:
    - {name: broken, image: alpine:3.7, command: [nosuch]}
""")
    assert code == 1
    crashes = node(wf, "crashes")
    assert (crashes["phase"], crashes["message"]) == ("Failed", "crash: Error (exit code 3)")
    broken = node(wf, "cannot-start")
    assert broken["phase"] == "Failed"
    assert broken["message"] == ('broken: Error (exit code 64): failed to find name in PATH: '
                                 'exec: "nosuch": executable file not found in $PATH')


@pytest.mark.parametrize("line,expected", [
    ("[FATAL tini (7)] exec invalid failed: No such file or directory",
     'failed to find name in PATH: exec: "invalid": executable file not found in $PATH'),
    ("[FATAL tini (7)] exec ./run.sh failed: No such file or directory",
     'failed to find name in PATH: exec: "./run.sh": stat ./run.sh: no such file or directory'),
    ("[FATAL tini (7)] exec /x/run failed: Permission denied",
     'failed to find name in PATH: exec: "/x/run": permission denied'),
    ("plain output", None),
])
def test_exec_failures_are_worded_as_go_lookpath(line, expected):
    """Go's os/exec LookPath errors (the emissary looks the command up first), for the lines Docker's init
    (tini) prints when it cannot exec."""
    from localflow.runtime import startfail
    assert startfail.argo_text(line) == expected
    assert startfail.from_logs(127, line + "\n") == expected
    assert startfail.from_logs(1, line) is None
