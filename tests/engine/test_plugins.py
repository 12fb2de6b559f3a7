"""`plugin` templates through `spec.executorPlugins` (localflow/engine/plugins.py): the agent's calls to a
plugin server on 127.0.0.1 (the fake runtime gives the plugin's container that address)."""

from __future__ import annotations

import http.server
import json
import threading

import pytest

from localflow.engine import plugins as P
from localflow.runtime.fake import Outcome

REPLIES: dict[str, list] = {}


class PluginServer(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.calls.append((self.path, self.headers.get("Authorization"), body))
        key = next(iter(body["template"].get("plugin", {})), "")
        status, reply = (REPLIES.get(key) or [(200, {})]).pop(0) if REPLIES.get(key) else (200, {})
        data = json.dumps(reply).encode() if not isinstance(reply, bytes) else reply
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


@pytest.fixture
def plugin(h):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PluginServer)
    srv.calls = []
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    h.runtime.on("hello-plugin", Outcome(ip="127.0.0.1"))
    REPLIES.clear()
    yield srv
    srv.shutdown()


def wf(port: int, plugin_key: str = "hello") -> str:
    return f"""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{generateName: plug-}}
spec:
  entrypoint: main
  executorPlugins:
  - metadata: {{name: hello}}
    spec:
      sidecar:
        container:
          name: hello-plugin
          image: python:alpine3.23
          ports: [{{containerPort: {port}}}]
          resources: {{requests: {{cpu: 100m, memory: 32Mi}}, limits: {{cpu: 200m, memory: 64Mi}}}}
          securityContext: {{runAsNonRoot: true, readOnlyRootFilesystem: true}}
  templates:
  - name: main
    steps:
    - - {{name: a, template: call}}
    - - {{name: b, template: call, arguments: {{parameters: [{{name: x, value: "{{{{steps.a.outputs.parameters.foo}}}}"}}]}}}}
  - name: call
    inputs: {{parameters: [{{name: x, value: none}}]}}
    plugin:
      {plugin_key}: {{say: "{{{{inputs.parameters.x}}}}"}}
"""


def test_plugin_node_from_the_reply(h, plugin):
    ok = {"node": {"phase": "Succeeded", "message": "Hello!", "outputs": {"parameters": [{"name": "foo", "value": "bar"}]}}}
    REPLIES["hello"] = [(200, ok), (200, ok)]
    run = h.run(wf(plugin.server_address[1]))
    assert run.phase == "Succeeded", run.message
    nodes = h.by_name(run)
    assert nodes["wf[0].a"].type == "Plugin" and nodes["wf[0].a"].message == "Hello!"
    (path, auth, body), (_, _, second) = plugin.calls
    assert path == "/api/v1/template.execute"
    assert body["workflow"]["metadata"] == {"name": "wf", "namespace": run.namespace, "uid": run.uid}
    assert body["template"]["plugin"] == {"hello": {"say": "none"}}
    assert second["template"]["plugin"] == {"hello": {"say": "bar"}}  # outputs of the reply are the node's
    # one agent for the run: the plugin's container started once, as the agent's user, with its token
    [pod] = [p for p in h.runtime.pods if p.template_name == "hello-plugin"]
    assert pod.daemon and pod.main.user == "8737" and pod.main.read_only_rootfs
    assert [(m.target, m.source) for m in pod.main.mounts] == [("/var/run/argo", "wf-agent-0"), ("/.localflow-agent", "wf-agent-0")]
    token = auth.removeprefix("Bearer ")
    assert token and token.encode() in pod.main.input_files[0].tar()


def test_no_plugin_executes_an_unknown_plugin(h, plugin):
    run = h.run(wf(plugin.server_address[1], plugin_key="other"))  # the server answers {}
    node = h.by_name(run)["wf[0].a"]
    assert (node.phase, node.message) == ("Failed", "no plugin executed the template")


def test_requeue_then_done_and_fatal_status(h, plugin):
    REPLIES["hello"] = [(200, {"node": {"phase": "Running", "message": "started"}, "requeue": "2m"}),
                        (200, {"node": {"phase": "Succeeded", "outputs": {"parameters": [{"name": "foo", "value": "1"}]}}}),
                        (500, b"boom")]
    run = h.run(wf(plugin.server_address[1]))
    nodes = h.by_name(run)
    assert nodes["wf[0].a"].phase == "Succeeded"
    assert 120 in h.clock.sleeps
    assert (nodes["wf[1].b"].phase, nodes["wf[1].b"].message) == ("Failed", "500 Internal Server Error: boom")


def test_404_is_not_asked_again_and_503_is_retried(monkeypatch):
    answers = [(503, "Service Unavailable", b"busy"), (200, "OK", b'{"node": {"phase": "Succeeded"}}'),
               (404, "Not Found", b"")]
    monkeypatch.setattr(P, "post", lambda address, token, body: answers.pop(0))
    waits = []
    plugin = P.Plugin("p", "http://x", "t")
    assert P.call(plugin, b"{}", sleep=waits.append) == {"node": {"phase": "Succeeded"}}
    assert len(waits) == 1 and 1.0 <= waits[0] <= 1.2
    assert P.call(plugin, b"{}", sleep=waits.append) is None and not plugin.implements
    assert P.call(plugin, b"{}", sleep=waits.append) is None and answers == []


def test_checked_before_anything_runs():
    from localflow.engine.preflight import static_images
    from localflow.errors import SpecError
    from localflow.spec.load import load_text
    from localflow.spec.validate import validate_workflow

    def check(text: str, lint: bool = False):
        wf = load_text(text, "p.yaml").workflows[0]
        validate_workflow(wf, file="p.yaml", lint=lint)
        return wf

    wf_text = "\n".join(line for line in wf(4356).splitlines() if "{name: b," not in line)
    loaded = check(wf_text)
    assert static_images(loaded.spec, None)["python:alpine3.23"] == (
        None, "spec.executorPlugins[0].spec.sidecar.container.image")
    with pytest.raises(SpecError, match=r"spec.executorPlugins\[0\].spec.sidecar.container.ports: at least one port is mandatory"):
        check(wf_text.replace("ports: [{containerPort: 4356}]", "ports: []"))
    alone = wf_text.split("  executorPlugins:")[0] + "  templates:" + wf_text.split("  templates:")[1]
    with pytest.raises(SpecError, match=r"p.yaml: spec.templates\[1\].plugin: no executor plugin can run plugin 'hello'"):
        check(alone)
    check(alone, lint=True)  # Argo's controller may have plugins of its own: lint accepts it
