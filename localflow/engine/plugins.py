"""`plugin` templates, run as Argo's agent runs them with the executor plugins of `spec.executorPlugins`.

Argo (workflow/controller/agent.go, workflow/executor/agent.go, workflow/util/plugin/plugin.go): the
plugins' sidecar containers run in one agent pod per workflow (as user 8737 unless the container sets
its own, `/var/run/argo/token` holding the token the agent sends as `Authorization: Bearer ...`). For each
plugin node the agent POSTs `{"workflow": {"metadata": {name, namespace, uid}}, "template": ...}` to
`http://localhost:<first containerPort>/api/v1/template.execute` of every plugin in turn:
a reply with a `node` decides (Succeeded ends it; another phase is asked again after `requeue`), `{}`
passes to the next plugin, none deciding fails the node with "no plugin executed the template". A 404
means the plugin does not implement the method (it is not asked again), connection errors, timeouts
(30 s) and 503 are retried (5 tries, 1 s doubling), any other status fails the node with the status and
body. Here the sidecars start, once per run, on the first plugin node, and stay up until the run ends.

Where localflow differs: only workflow-level plugins exist (plugins installed as ConfigMaps in a
cluster do not; validation says so before anything runs), and a reply that leaves the node unfinished
without a `requeue` is an Error here (Argo would leave the node waiting until a deadline).
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from localflow.spec import model as M

from . import nodes as N
from .interfaces import InputFile, MountSpec, PodSpec
from .pods import tar_of_file
from .scope import StepError

if TYPE_CHECKING:
    from .executor import TemplateJob
    from .interfaces import RunContext

AGENT_USER = "8737"  # MinimalPodSC of Argo's agent pod
TOKEN_DIR = "/var/run/argo"
TOKEN_COPY_DIR = "/.localflow-agent"
METHOD = "template.execute"
CALL_TIMEOUT = 30.0
BACKOFF = (1.0, 2.0, 4.0, 8.0)  # waits between Argo's 5 tries (factor 2, jitter 0.2)


class PluginCallError(Exception):
    """A fatal answer of a plugin (the node fails with this message)."""


@dataclass
class Plugin:
    name: str
    address: str
    token: str
    implements: bool = True  # false after a 404: not asked again


def plugin_container(raw: dict, where: str) -> tuple[M.Container, int]:
    """The sidecar container of one `spec.executorPlugins` entry and the port the agent calls."""
    data = ((raw.get("spec") or {}).get("sidecar") or {}).get("container")
    if not isinstance(data, dict):
        raise StepError(f"{where}.spec.sidecar.container: an executor plugin needs a sidecar container")
    c = M.from_dict(M.Container, data, f"{where}.spec.sidecar.container", None)
    ports = [p.container_port for p in c.ports or [] if p.container_port]
    if not ports:
        raise StepError(f"{where}.spec.sidecar.container.ports: an executor plugin needs a containerPort")
    return c, int(ports[0])


def post(address: str, token: str, body: bytes) -> tuple[int, str, bytes]:
    """One POST of the agent to a plugin: (status code, status text, body)."""
    import requests
    r = requests.post(f"{address}/api/v1/{METHOD}", data=body, timeout=CALL_TIMEOUT,
                      headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
    return r.status_code, r.reason or "", r.content


def call(plugin: Plugin, body: bytes, sleep=None) -> dict | None:
    """Argo's plugin Client.Call: the reply, None when the plugin does not implement the method."""
    import time

    import requests
    sleep = sleep or time.sleep
    if not plugin.implements:
        return None
    last: Exception | None = None
    for attempt in range(len(BACKOFF) + 1):
        if attempt:
            wait = BACKOFF[attempt - 1]
            sleep(wait + wait * 0.2 * random.random())
        try:
            status, reason, data = post(plugin.address, plugin.token, body)
        except requests.RequestException as e:  # connection refused, timeouts: transient
            last = e
            continue
        if status == 200:
            try:
                reply = json.loads(data or b"{}")
            except ValueError as e:
                raise PluginCallError(f"executor plugin {plugin.name!r}: the reply is not JSON: {e}") from e
            return reply if isinstance(reply, dict) else {}
        if status == 404:
            plugin.implements = False
            return None
        text = data.decode(errors="replace")
        if status == 503:
            last = PluginCallError(text)
            continue
        raise PluginCallError(f"{status} {reason}: {text}".strip())
    raise PluginCallError(f"executor plugin {plugin.name!r} at {plugin.address}: {str(last).splitlines()[0][:300]}")


class PluginAgent:
    """The run's executor plugins: started on first use, shared by every plugin node."""

    def __init__(self, run: RunContext):
        self.run = run
        self._plugins: list[Plugin] | None = None
        self._lock = asyncio.Lock()

    async def plugins(self) -> list[Plugin]:
        async with self._lock:
            if self._plugins is None:
                self._plugins = [await self._start(i, raw) for i, raw in enumerate(self.run.spec.executor_plugins)]
        return self._plugins

    async def _start(self, i: int, raw: dict) -> Plugin:
        run = self.run
        where = f"spec.executorPlugins[{i}]"
        c, port = plugin_container(raw, where)
        name = c.name or ((raw.get("metadata") or {}).get("name")) or f"plugin-{i}"
        pod = f"{run.name}-agent"
        spec_c = run.pods.container_spec(c, name, M.Template(name=name), pod, {})
        spec_c.user = spec_c.user or AGENT_USER
        if spec_c.readiness_probe is None:  # the agent calls it once it listens
            spec_c.readiness_probe = {"tcpSocket": {"port": port}, "periodSeconds": 1, "failureThreshold": 30}
        token = secrets.token_hex(20)
        # the token goes in through a second mount of the same volume: Docker refuses to copy into a read-only
        # root filesystem unless the path is a volume, and /var/run is a symlink in many images
        volume = f"{run.name}-agent-{i}"
        spec_c.mounts += [MountSpec(target=TOKEN_DIR, source=volume, kind="volume", auto="run"),
                          MountSpec(target=TOKEN_COPY_DIR, source=volume, kind="volume", auto="run")]
        spec_c.input_files.append(InputFile(TOKEN_COPY_DIR, lambda: tar_of_file(f"{TOKEN_COPY_DIR}/token",
                                                                                token.encode()), "executor plugin token"))
        node_name = f"{run.name}-agent-{name}"
        spec = PodSpec(run_name=run.name, node_id=N.node_id(run.name, node_name), node_name=node_name,
                       display_name=f"agent/{name}", pod_name=f"{pod}-{i}", main=spec_c, template_name=name,
                       capture_stdout=False, daemon=True, want_ip=True)
        handle, result = await run.runtime.start_daemon(spec, run.log_sink)
        if handle is None or not result.ip:
            raise StepError(f"{where}: executor plugin {name!r} did not start: {result.message or 'no address'}")
        return Plugin(name, f"http://{result.ip}:{port}", token)  # it stops with the run (end_run)


def agent_of(run: RunContext) -> PluginAgent:
    if run.plugin_agent is None:
        run.plugin_agent = PluginAgent(run)
    return run.plugin_agent


async def execute_plugin(job: TemplateJob) -> None:
    run, node, tmpl = job.run, job.node, job.tmpl
    loop = asyncio.get_running_loop()
    try:
        plugins = await agent_of(run).plugins()
    except StepError as e:
        run.finish(node, N.ERROR, str(e))
        return
    body = json.dumps({"workflow": {"metadata": {"name": run.name, "namespace": run.namespace, "uid": run.uid}},
                       "template": M.to_dict(tmpl)}).encode()
    while True:
        decided: dict | None = None
        requeue = ""
        try:
            for plugin in plugins:
                reply = await loop.run_in_executor(None, call, plugin, body)
                if reply and reply.get("node") is not None:
                    decided, requeue = reply["node"] or {}, reply.get("requeue") or ""
                    break
        except PluginCallError as e:
            run.finish(node, N.FAILED, str(e))
            return
        if decided is None:
            run.finish(node, N.FAILED, "no plugin executed the template")
            return
        phase = decided.get("phase") or ""
        if decided.get("outputs"):
            node.outputs = decided["outputs"]
        if phase in N.DONE_PHASES:
            run.finish(node, phase, decided.get("message") or "")
            return
        if not requeue:
            run.finish(node, N.ERROR, f"the executor plugin left the node {phase or 'without a phase'} and asked "
                                      "for no requeue")
            return
        node.message = decided.get("message") or node.message
        run.changed(node)
        await run.clock.sleep(run.parse_seconds(requeue, "requeue of the executor plugin's reply"))
