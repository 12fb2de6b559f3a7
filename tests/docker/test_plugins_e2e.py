"""Executor plugins for real: Argo's workflow-level example's plugin server in a container, called by the agent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import leftovers, localflow

pytestmark = pytest.mark.docker

EXAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "argo-examples" / "workflow-level-executor-plugin.yaml"
SERVER = '''
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
token = open("/var/run/argo/token").read().strip()
class Plugin(BaseHTTPRequestHandler):
    def do_POST(self):
        args = json.loads(self.rfile.read(int(self.headers.get("Content-Length"))))
        ok = self.headers.get("Authorization") == "Bearer " + token
        node = {"phase": "Succeeded" if ok else "Failed", "message": "hi " + args["workflow"]["metadata"]["name"],
                "outputs": {"parameters": [{"name": "said", "value": args["template"]["plugin"]["hello"]["say"]}]}}
        data = json.dumps({"node": node} if "hello" in args["template"]["plugin"] else {}).encode()
        self.send_response(200); self.end_headers(); self.wfile.write(data)
HTTPServer(("", 4355), Plugin).serve_forever()
'''


def test_plugin_reads_its_token_and_answers(tmp_path):
    container = {"name": "hello-plugin", "image": "python:alpine3.23", "command": ["python", "-u", "-c"],
                 "args": [SERVER], "ports": [{"containerPort": 4355}],
                 "resources": {"requests": {"cpu": "100m", "memory": "32Mi"}, "limits": {"cpu": "200m", "memory": "64Mi"}},
                 "securityContext": {"runAsNonRoot": True, "readOnlyRootFilesystem": True}}
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "plug-"},
          "spec": {"entrypoint": "main", "executorPlugins": [{"metadata": {"name": "hello"},
                                                              "spec": {"sidecar": {"container": container}}}],
                   "templates": [
                       {"name": "main", "steps": [[{"name": "a", "template": "call"}],
                                                  [{"name": "b", "template": "echo", "arguments": {"parameters": [
                                                      {"name": "m", "value": "{{steps.a.outputs.parameters.said}}"}]}}]]},
                       {"name": "call", "plugin": {"hello": {"say": "{{workflow.name}}"}},
                        "outputs": {"parameters": [{"name": "said", "valueFrom": {"supplied": {}}}]}},
                       {"name": "echo", "inputs": {"parameters": [{"name": "m"}]},
                        "container": {"image": "alpine", "command": ["echo", "{{inputs.parameters.m}}"]}}]}}
    p = tmp_path / "wf.yaml"
    p.write_text(json.dumps(wf))
    proc = localflow("submit", "-o", "json", str(p))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    name = out["metadata"]["name"]
    nodes = {n["displayName"]: n for n in out["status"]["nodes"].values()}
    assert nodes["a"]["type"] == "Plugin" and nodes["a"]["message"] == f"hi {name}"
    assert nodes["b"]["inputs"]["parameters"][0]["value"] == name
    assert leftovers(name) == (0, 0, 0)


@pytest.mark.need("shared")
def test_argos_workflow_level_example():
    proc = localflow("submit", "-o", "json", str(EXAMPLE))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"]["phase"] == "Succeeded"
