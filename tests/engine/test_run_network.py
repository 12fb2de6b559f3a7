"""A run asks the runtime for a network of its own only when pods are reached by address."""

from __future__ import annotations

import pytest

HEAD = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: net-}
spec:
  entrypoint: main
  templates:
"""

PLAIN = HEAD + """
  - name: main
    steps:
    - - {name: a, template: say}
  - name: say
    container: {image: alpine, command: [echo, hi]}
"""

DAEMON = HEAD + """
  - name: main
    steps:
    - - {name: server, template: server}
    - - {name: client, template: say}
  - name: server
    daemon: true
    container: {image: alpine, command: [sleep, "60"]}
  - name: say
    container: {image: alpine, command: [echo, hi]}
"""

USES_IP = HEAD + """
  - name: main
    steps:
    - - {name: a, template: say}
    - - name: b
        template: say2
        arguments: {parameters: [{name: ip, value: "{{steps.a.ip}}"}]}
  - name: say
    container: {image: alpine, command: [echo, hi]}
  - name: say2
    inputs: {parameters: [{name: ip}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.ip}}"]}
"""

PROBE = HEAD + """
  - name: main
    container:
      image: alpine
      command: [echo, hi]
    sidecars:
    - name: web
      image: nginx
      readinessProbe: {httpGet: {path: /, port: 80}}
"""


@pytest.mark.parametrize("text,own", [(PLAIN, False), (DAEMON, True), (USES_IP, True), (PROBE, True)],
                         ids=["plain", "daemon", "uses-ip", "probe"])
def test_run_network_only_when_pods_are_reached_by_address(h, text, own):
    run = h.run(text)
    assert h.runtime.run_networks[run.name] is own


def test_executor_plugins_get_a_network(h):
    text = PLAIN.replace("  entrypoint: main\n", "  entrypoint: main\n  executorPlugins:\n"
                         "  - metadata: {name: p}\n    spec:\n      sidecar:\n        container:\n          name: p\n"
                         "          image: alpine\n          ports: [{containerPort: 4355}]\n"
                         "          resources: {requests: {cpu: 100m}, limits: {cpu: 200m}}\n"
                         "          securityContext: {runAsNonRoot: true}\n")
    run = h.run(text)
    assert h.runtime.run_networks[run.name] is True
