"""`http` templates against a server on 127.0.0.1 (no containers involved)."""

from __future__ import annotations

import http.server
import json
import threading

import pytest


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        code = 200 if self.path != "/missing" else 404
        body = json.dumps({"path": self.path, "token": self.headers.get("X-Token")}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


WF = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: http-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: get, template: get}
    - - name: use
        template: say
        arguments: {parameters: [{name: m, value: "{{=jsonpath(steps.get.outputs.result, '$.path')}}"}]}
  - name: get
    http:
      url: URL/hello
      headers: [{name: X-Token, value: abc}]
      successCondition: "response.statusCode == 200 && response.body contains 'abc'"
  - name: say
    inputs: {parameters: [{name: m}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}
"""


def test_http_result_and_success_condition(h, server):
    run = h.run(WF.replace("URL", server))
    nodes = h.by_name(run)
    assert run.phase == "Succeeded", run.message
    assert json.loads(nodes["wf[0].get"].outputs["result"])["token"] == "abc"
    assert nodes["wf[1].use"].inputs["parameters"][0]["value"] == "/hello"


def test_http_non_2xx_fails_with_argos_message(h, server):
    run = h.run(WF.replace("URL/hello", server + "/missing").replace(
        "      successCondition: \"response.statusCode == 200 && response.body contains 'abc'\"\n", ""))
    node = h.by_name(run)["wf[0].get"]
    assert node.phase == "Failed"
    assert node.message == "received non-2xx response code: 404"


def test_http_condition_false(h, server):
    run = h.run(WF.replace("URL", server).replace("contains 'abc'", "contains 'zzz'"))
    node = h.by_name(run)["wf[0].get"]
    assert node.phase == "Failed"
    assert node.message.startswith("successCondition '") and node.message.endswith("evaluated false")
