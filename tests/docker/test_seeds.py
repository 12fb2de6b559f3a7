"""Every seed workflow through the real CLI and the real Docker engine: Argo's phase and output lines."""

from __future__ import annotations

import re

import pytest

from helpers import SEEDS, leftovers, localflow

pytestmark = pytest.mark.docker

# file → (exit code, phase or None, lines that must appear (any of the tuples' alternatives))
TABLE = {
    "hello-world.yaml": (0, "Succeeded", ["hello world"]),
    "hello-world-parameters.yaml": (0, "Succeeded", ["hello world"]),
    "whalesay.yaml": (0, "Succeeded", ["hello world"]),
    "steps.yaml": (0, "Succeeded", ["hello1", "hello2a", "hello2b"]),
    "dag-diamond.yaml": (0, "Succeeded", ["A: A", "B: B", "C: C", "D: D"]),
    "coinflip.yaml": (0, "Succeeded", [("it was heads", "it was tails")]),
    "coinflip-2.yaml": (0, "Succeeded", [("it was heads", "it was tails")]),
    "coinflip-recursive-2.yaml": (0, "Succeeded", ["it was heads"]),
    "coinflip-recursive-3.yaml": (0, "Succeeded", ["it was heads"]),
    "exit-handlers.yaml": (1, "Failed", ["intentional failure", "boohoo!", "Failed"]),
    "loops.yaml": (0, "Succeeded", ["hello world", "goodbye world"]),
    "loops-maps.yaml": (0, "Succeeded", ["test-linux(0:image:debian,tag:9.1)"]),
    "loops-param-arg.yaml": (0, "Succeeded", ["test-linux(3:image:ubuntu,tag:17.10)"]),
    "loops-param-arg-2.yaml": (0, "Succeeded", ["test-linux(3:image:ubuntu,tag:17.10)"]),
    "output-parameter.yaml": (0, "Succeeded", ["generate-parameter"]),
    "output-parameter-2.yaml": (0, "Succeeded", ["generate-parameter"]),
    "scripts-bash.yaml": (0, "Succeeded", ["result was: "]),
    "scripts-bash-2.yaml": (0, "Succeeded", ["result was: "]),
    "scripts-bash-3.yaml": (0, "Succeeded", ["result was: "]),
    "sidecar-nginx.yaml": (0, "Succeeded", ["Welcome to nginx"]),
    "volumes-pvc.yaml": (0, "Succeeded", ["hello world", "/mnt/vol/hello_world.txt"]),
    "volumes-existing.yaml": (0, "Succeeded", ["hello world"]),
    "timeouts.yaml": (1, "Failed", ["sleeping for 1m", "Pod was active on the node longer than the specified deadline"]),
    "daemon-step.yaml": (0, "Succeeded", ["server01"]),
    "k8s-jobs.yaml": (1, "Failed", ["ended without meeting successCondition 'status.succeeded > 0'"]),  # no perl image here
    "k8s-patch.yaml": (1, "Error", ["resource templates need a Kubernetes cluster"]),
    "global-parameters.yaml": (2, None, ["spec.templates[0].container.image: image 'containerA'"]),
    "sidecar-dind.yaml": (1, None, ["securityContext.privileged: this Docker engine refuses privileged"]),
    "coinflip-recursive-fragment.yaml": (2, None, ['no template named "flip-coin"']),
    "artifact-passing.yaml": (0, "Succeeded", ["consume-artifact", "hello world"]),
}
SLOW = {"loops-param-result.yaml": (0, "Succeeded", ["sleeping for 20 seconds", "done"]),
        "loops-param-result-2.yaml": (0, "Succeeded", ["sleeping for 20 seconds", "done"])}
NEEDS_INTERNET = {"hardwired-artifact.yaml", "hardwired-artifact-2.yaml", "influxdb-ci.yaml"}


def run_name(text: str) -> str | None:
    m = re.search(r"^Name:\s+(\S+)", text, re.M)
    return m.group(1) if m else None


def check(name: str, expected: tuple, artifact_env: dict) -> None:
    code, phase, lines = expected
    proc = localflow("submit", str(SEEDS / name), env=artifact_env)
    text = proc.stdout + proc.stderr
    if code is not None:
        assert proc.returncode == code, text
    if phase is not None:
        assert re.search(rf"^Status:\s+{phase}$", text, re.M), text
    for want in lines:
        alts = want if isinstance(want, tuple) else (want,)
        assert any(a in text for a in alts), f"{alts} not in output:\n{text}"
    assert "Traceback" not in text
    run = run_name(text)
    if run:
        assert leftovers(run) == (0, 0, 0)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_seed(name, artifact_env, require_seeds):
    check(name, TABLE[name], artifact_env)


@pytest.mark.parametrize("name", sorted(SLOW))
def test_slow_seed(name, artifact_env, require_seeds):
    check(name, SLOW[name], artifact_env)


def test_output_parameter_value_in_json(require_seeds):
    import json
    proc = localflow("submit", "-o", "json", str(SEEDS / "output-parameter.yaml"))
    assert proc.returncode == 0, proc.stderr
    wf = json.loads(proc.stdout)
    assert wf["status"]["phase"] == "Succeeded"
    step = next(n for n in wf["status"]["nodes"].values() if n["displayName"] == "generate-parameter")
    assert step["outputs"]["parameters"] == [{"name": "hello-param", "value": "hello world"}]


def test_retry_backoff_follows_argos_retry_rules(require_seeds):
    """retry-backoff.yaml fails at random (2 in 3), so its outcome varies; Argo's rules hold either way
    (argo-semantics.md section 7): children name(0..n), every attempt but the last Failed with the
    container's message, at most limit+1 of them, the Retry node and the run take the last one's phase,
    and a failed Retry node says why it stopped."""
    import json
    proc = localflow("submit", "-o", "json", str(SEEDS / "retry-backoff.yaml"))
    wf = json.loads(proc.stdout)
    nodes = wf["status"]["nodes"]
    (retry,) = [n for n in nodes.values() if n["type"] == "Retry"]
    children = [nodes[c] for c in retry["children"]]
    name = wf["metadata"]["name"]  # the Retry node is the root: Argo names its attempts after the workflow
    assert [c["displayName"] for c in children] == [f"{name}({i})" for i in range(len(children))]
    assert 1 <= len(children) <= 11
    failed = "main: Error (exit code 1)"
    assert [(c["phase"], c["message"]) for c in children[:-1]] == [("Failed", failed)] * (len(children) - 1)
    last = children[-1]
    assert retry["phase"] == last["phase"] == wf["status"]["phase"]
    if last["phase"] == "Succeeded":
        assert proc.returncode == 0, proc.stderr
    else:
        assert (proc.returncode, last["phase"], last["message"]) == (1, "Failed", failed), proc.stderr
        stop = "No more retries left" if len(children) == 11 else "Max duration limit exceeded"
        assert retry["message"] == stop
    assert leftovers(wf["metadata"]["name"]) == (0, 0, 0)


def test_parameter_override(require_seeds):
    proc = localflow("submit", str(SEEDS / "hello-world-parameters.yaml"), "-p", "message=goodbye world")
    assert proc.returncode == 0, proc.stderr
    assert "goodbye world" in proc.stdout
    assert "hello world" not in proc.stdout


def test_entrypoint_picks_another_template(require_seeds):
    proc = localflow("submit", str(SEEDS / "scripts-bash.yaml"), "--entrypoint", "gen-random-int-python")
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^Status:\s+Succeeded$", proc.stdout, re.M)
    assert "gen-random-int-python" in proc.stdout


def test_secret_example_with_masking(require_seeds, private_home):
    proc = localflow("secret", "create", "my-secret", "--from-literal=mypassword=S00perS3cretPa55word")
    assert proc.returncode == 0, proc.stderr
    proc = localflow("submit", str(SEEDS / "secret-example.yaml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "secret from env: ***" in proc.stdout
    assert "secret from file: ***" in proc.stdout
    assert "S00perS3cretPa55word" not in proc.stdout + proc.stderr
    name = run_name(proc.stdout)
    for command in (("get", name), ("logs", name), ("get", name, "-o", "json")):  # read back from the history
        shown = localflow(*command)
        assert shown.returncode == 0, shown.stderr
        assert "S00perS3cretPa55word" not in shown.stdout + shown.stderr
        assert command == ("get", name) or "secret from env: ***" in shown.stdout  # the table shows no result
    # the stored log files hold the masked lines (the history's nodes table keeps the step's
    # outputs.result as Argo's status does; `get` masks it when printing, checked above)
    logs = [p for p in (private_home / "logs").rglob("*") if p.is_file()]
    assert logs and all(b"S00perS3cretPa55word" not in p.read_bytes() for p in logs)
    assert any(b"secret from env: ***" in p.read_bytes() for p in logs)


@pytest.mark.parametrize("name", sorted(NEEDS_INTERNET))
def test_internet_seeds_lint(name, require_seeds):
    # they need the internet to run (git clone, downloads); here they must at least pass lint
    proc = localflow("lint", str(SEEDS / name))
    assert proc.returncode == 0, proc.stderr
