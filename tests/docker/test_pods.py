"""Pods against the real engine: sidecars, probes, init containers, volumes, config maps, security."""

from __future__ import annotations

import json
import re

import docker
import pytest

from helpers import leftovers, localflow, submit_text
from needs import kernel_refuses

pytestmark = pytest.mark.docker

HEAD = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: pods-}\nspec:\n"


def submit(tmp_path, body: str, *args: str):
    return submit_text(tmp_path, HEAD + body, *args)


def test_sidecar_shares_localhost_and_readiness_gates_main(tmp_path):
    proc, text = submit(tmp_path, """
  entrypoint: main
  templates:
  - name: main
    container:
      image: alpine
      # no retry loop: main must only start once the sidecar's probe has passed (wget's own exit code
      # decides the step's: no pipe hides it)
      command: [sh, -c, "wget -q -O /tmp/page http://127.0.0.1:80/ && head -c 100 /tmp/page"]
    sidecars:
    - name: web
      image: alpine
      # serves only after a few seconds: without the gate, main's single wget would find nothing
      command: [sh, -c, "sleep 4; mkdir -p /www; echo served-after-the-probe > /www/index.html; httpd -f -p 80 -h /www"]
      readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 1, failureThreshold: 30}
""")
    assert proc.returncode == 0, text
    assert re.search(r"^pods-[a-z0-9]+: served-after-the-probe$", text, re.M), text
    assert re.search(r"^\s*✔ pods-[a-z0-9]+\s+main\s", text, re.M), text


def test_failing_sidecar_probe_errors_the_pod_and_cleans_up(tmp_path):
    proc, text = submit(tmp_path, """
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine, command: [echo, never]}
    sidecars:
    - name: web
      image: alpine
      command: [sh, -c, "sleep 300"]
      readinessProbe: {tcpSocket: {port: 9}, periodSeconds: 1, failureThreshold: 1}
""")
    assert proc.returncode == 1, text
    assert "sidecar 'web' did not get ready" in text
    assert "never" not in text.split("STEP")[0]


def test_init_containers_run_in_order_before_main(tmp_path):
    proc, text = submit(tmp_path, """
  entrypoint: main
  templates:
  - name: main
    volumes: [{name: shared, emptyDir: {}}]
    initContainers:
    - {name: one, image: alpine, command: [sh, -c, "echo one >> /s/log"], mirrorVolumeMounts: true}
    - {name: two, image: alpine, command: [sh, -c, "echo two >> /s/log"], mirrorVolumeMounts: true}
    container:
      image: alpine
      command: [sh, -c, "cat /s/log | tr '\\\\n' ' '; echo"]
      volumeMounts: [{name: shared, mountPath: /s}]
""")
    assert proc.returncode == 0, text
    assert re.search(r"^pods-[a-z0-9]+: one two $", text, re.M), text


def test_configmap_and_secret_volumes_items_and_env_from(tmp_path):
    assert localflow("configmap", "create", "cfg", "--from-literal=a.txt=alpha",
                     "--from-literal=b.txt=beta").returncode == 0
    assert localflow("secret", "create", "sec", "--from-literal=token=t0ps3cr3t").returncode == 0
    proc, text = submit(tmp_path, """
  entrypoint: main
  templates:
  - name: main
    volumes:
    - name: cfg
      configMap: {name: cfg, items: [{key: b.txt, path: sub/renamed}]}
    - name: sec
      secret: {secretName: sec, defaultMode: 0400}
    container:
      image: alpine
      command: [sh, -c, "cat /c/sub/renamed; echo; ls /c; stat -c %a /s/token; echo token=$T; echo env=$a_txt"]
      env: [{name: T, valueFrom: {secretKeyRef: {name: sec, key: token}}}]
      envFrom: [{configMapRef: {name: cfg}, prefix: ""}]
      volumeMounts: [{name: cfg, mountPath: /c}, {name: sec, mountPath: /s, readOnly: true}]
""")
    assert proc.returncode == 0, text
    assert re.search(r"^pods-[a-z0-9]+: beta$", text, re.M), text
    assert re.search(r"^pods-[a-z0-9]+: 400$", text, re.M), text  # the file mode defaultMode asked for
    assert "token=***" in text and "t0ps3cr3t" not in text


def test_missing_secret_is_a_clear_error(tmp_path):
    proc, text = submit(tmp_path, """
  entrypoint: main
  templates:
  - name: main
    container:
      image: alpine
      command: [sh, -c, "echo $X"]
      env: [{name: X, valueFrom: {secretKeyRef: {name: nope, key: k}}}]
""")
    assert proc.returncode == 1
    assert "secret 'nope' not found" in text


def test_volume_claim_templates_are_removed_and_pvcs_kept(tmp_path):
    client = docker.from_env()
    try:
        client.volumes.get("lf-test-kept").remove(force=True)
    except docker.errors.NotFound:
        pass
    p = tmp_path / "wf.yaml"
    p.write_text("""
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: lf-test-kept}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Mi}}}
---
""" + HEAD + """
  entrypoint: main
  volumes: [{name: kept, persistentVolumeClaim: {claimName: lf-test-kept}}]
  volumeClaimTemplates:
  - metadata: {name: scratch}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Mi}}}
  templates:
  - name: main
    container:
      image: alpine
      command: [sh, -c, "echo hi > /scratch/x; date >> /kept/runs; wc -l < /kept/runs"]
      volumeMounts: [{name: scratch, mountPath: /scratch}, {name: kept, mountPath: /kept}]
""")
    first = localflow("submit", str(p))
    second = localflow("submit", str(p))
    assert first.returncode == 0 and second.returncode == 0, first.stdout + second.stdout
    assert re.search(r"main.*: 2$|: 2$", second.stdout, re.M)  # the claim outlived the first run
    for out in (first.stdout, second.stdout):
        name = re.search(r"^Name:\s+(\S+)", out, re.M).group(1)
        assert leftovers(name) == (0, 0, 0)
    client.volumes.get("lf-test-kept").remove(force=True)


def test_missing_claim_says_how_to_create_it(tmp_path):
    proc, text = submit(tmp_path, """
  entrypoint: main
  volumes: [{name: v, persistentVolumeClaim: {claimName: lf-no-such-claim}}]
  templates:
  - name: main
    container:
      image: alpine
      command: [ls, /v]
      volumeMounts: [{name: v, mountPath: /v}]
""")
    assert proc.returncode == 1
    assert "docker volume create lf-no-such-claim" in text


def test_security_context_user_and_dind_configuration(tmp_path):
    proc, text = submit(tmp_path, """
  entrypoint: main
  templates:
  - name: main
    securityContext: {runAsUser: 1234, runAsGroup: 99}
    container:
      image: alpine
      command: [id]
""")
    assert proc.returncode == 0, text
    assert "uid=1234" in text and "gid=99" in text


def test_privileged_container_config_is_built():
    """Privileged containers are refused by this machine's kernel: check the configuration we ask for."""
    from localflow.engine.interfaces import ContainerSpec
    from localflow.runtime.docker_runtime import DockerRuntime
    rt = DockerRuntime()
    why = rt.privileged_refused()
    spec = ContainerSpec(name="dind", image="alpine", command=["true"], privileged=True, cap_add=["NET_ADMIN"])
    from localflow.engine.interfaces import PodSpec
    pod = PodSpec(run_name="privtest", node_id="privtest-1", node_name="n", display_name="n",
                  pod_name="privtest-pod", main=spec)
    c = rt._create(pod, spec, "main", None)
    try:
        c.reload()
        host = c.attrs["HostConfig"]
        assert host["Privileged"] is True
        assert "NET_ADMIN" in host["CapAdd"]
        assert c.labels["localflow.run"] == "privtest"
    finally:
        c.remove(force=True)
        rt.close()
    if why:
        kernel_refuses(why)


def test_daemon_probe_gates_next_step_and_is_stopped_with_scope(tmp_path):
    proc = localflow("submit", "-o", "json", str(_write(tmp_path, """
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: db, template: db}
      - {name: use, template: use, depends: db, arguments: {parameters: [{name: ip, value: "{{tasks.db.ip}}"}]}}
  - name: db
    daemon: true
    container:
      image: alpine
      # answers only after a few seconds: without the gate, use's single wget would fail
      command: [sh, -c, "sleep 4; mkdir -p /www; echo pong > /www/ping; httpd -f -p 8086 -h /www"]
      readinessProbe: {httpGet: {path: /ping, port: 8086}, initialDelaySeconds: 1, periodSeconds: 1,
                       failureThreshold: 30}
  - name: use
    inputs: {parameters: [{name: ip}]}
    container:
      image: alpine
      # no retry and no pipe: wget's exit code is the step's, so the probe must have gated this step
      command: [sh, -c, "wget -S -O /dev/null http://{{inputs.parameters.ip}}:8086/ping 2>/tmp/h; rc=$?; head -2 /tmp/h; exit $rc"]
""")))
    assert proc.returncode == 0, proc.stderr
    wf = json.loads(proc.stdout)
    nodes = {n["displayName"]: n for n in wf["status"]["nodes"].values()}
    assert nodes["db"]["phase"] == "Succeeded" and nodes["db"].get("daemoned")
    assert nodes["db"]["podIP"]
    assert nodes["use"]["phase"] == "Succeeded"
    assert leftovers(wf["metadata"]["name"]) == (0, 0, 0)


def _write(tmp_path, body: str):
    p = tmp_path / "wf.yaml"
    p.write_text(HEAD + body)
    return p
