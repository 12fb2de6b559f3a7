"""The only code that runs containers: pods (on a per-run network when the run asks for one), daemons,
cleanup by label."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_all
from dataclasses import dataclass, field
from typing import Any

from localflow.engine.interfaces import (
    POD_DEADLINE_MESSAGE,
    STOPPED_MESSAGE,
    ArtifactSink,
    ContainerSpec,
    LogSink,
    PodReason,
    PodResult,
    PodSpec,
)
from localflow.errors import EngineLost, RuntimeFailure

from . import calls, engine_api, files, remote, stall, startfail
from . import labels as L
from .engine_api import api_errors, engine_errors, image_not_found, lost, not_found, refused_or_lost
from .images import Images
from .probes import wait_ready

def connect(timeout: int = 300) -> Any:
    """A docker SDK client for the engine at DOCKER_HOST (or the local socket), with one clear error line."""
    try:
        return remote.client_from_env(timeout=timeout, max_pool_size=128)  # it asks the engine's version
    except engine_errors() as e:
        raise _unreachable(e) from e


def connect_local(timeout: int = 300) -> engine_api.Engine | None:
    """The local engine over its socket without the SDK (None when DOCKER_HOST names another kind)."""
    engine = engine_api.local_engine(timeout)
    if engine is not None:
        try:
            engine.start()  # it asks the engine's version, as the SDK's client does
        except engine_errors() as e:
            raise _unreachable(e) from e
    return engine


def _unreachable(e: Exception) -> RuntimeFailure:
    return RuntimeFailure(f"cannot reach the Docker engine ({short(e)}); is it running? "
                          "(scripts/ensure-docker.sh starts one)")


def short(e: Exception) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:300]


def dns_label(text: str) -> str:
    s = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return s[:63] or "x"


@dataclass
class _Pod:
    spec: PodSpec
    containers: list[Any] = field(default_factory=list)
    main: Any = None
    owner: Any = None  # the container whose network namespace the pod shares
    log_threads: list[threading.Thread] = field(default_factory=list)
    stopped: bool = False


class DockerRuntime:
    def __init__(self, client: Any = None, *, workers: int = 96,
                 notice: Callable[[str], None] | None = None, keep: bool = False):
        """`client`: a docker SDK client to use for every call; without one, a local engine is spoken to
        over its socket (engine_api) and the SDK's client is made on first use by the rarer calls."""
        self.engine = None if client is not None else connect_local()
        self._client = client if client is not None or self.engine is not None else connect()
        self._client_lock = threading.Lock()
        self.keep = keep  # keep finished containers (for debugging); `localflow gc` removes them later
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="localflow-docker")
        self.images = Images(lambda: self.client, notice or (lambda m: None), self.engine)
        self.stall = None
        if notice:
            ping = self.engine.ping if self.engine is not None else self.client.api.ping
            self.stall = stall.StallWatch(ping, remote.engine_address().url, notice)
            if self._client is not None:
                self.stall.hook(self._client.api)
        if self.engine is not None:
            self.engine.watch = self.stall.timed if self.stall is not None else None
            self.engine.sdk = lambda: self.client
        self.networks: dict[str, Any] = {}
        # finished pods' containers on Docker's default bridge are removed here, off the step's path
        self.remover = ThreadPoolExecutor(max_workers=4, thread_name_prefix="localflow-remove")
        self.removals: set[Future] = set()
        self.stopping: set[str] = set()
        self.active: dict[str, _Pod] = {}
        self.lock = threading.Lock()
        self.start_locks: dict[str, threading.Lock] = {}  # per run network, see _start
        # per run: labelled objects asked for and not known to be removed (see _made, _end_run)
        self.outstanding: dict[str, int] = {}

    @property
    def client(self) -> Any:
        """The docker SDK client (made on first use when the engine is local)."""
        with self._client_lock:
            if self._client is None:
                self._client = connect()
                if self.stall is not None:
                    self.stall.hook(self._client.api)
            return self._client

    def _made(self, run_name: str, n: int) -> None:
        """Count labelled objects of a run: +1 before asking the engine for one (an answer lost on the way
        still counts), -1 when its removal is confirmed."""
        with self.lock:
            self.outstanding[run_name] = self.outstanding.get(run_name, 0) + n

    def privileged_refused(self) -> str | None:
        """Why this engine refuses privileged containers, or None when it allows them (checked once)."""
        if hasattr(self, "_privileged"):
            return self._privileged
        self._privileged = None
        images = self.client.images.list()
        if not images:
            return None
        c = None
        self._made("privileged-probe", 1)
        try:
            c = self.client.containers.create(images[0].id, entrypoint=["/localflow-privileged-probe"], privileged=True,
                                              labels=L.labels("privileged-probe", role="probe"), network_mode="none")
            c.start()
        except api_errors() as e:
            text = str(e.explanation or e)
            if "operation not permitted" in text or "apply caps" in text:
                self._privileged = "this Docker engine refuses privileged containers (" + (
                    "unable to apply caps: operation not permitted" if "apply caps" in text else short(e)) + ")"
        finally:
            if c is not None:
                self._remove([c])
        return self._privileged

    async def _call(self, fn: Callable, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)

    # ---- run lifecycle ----
    async def start_run(self, run_name: str, volumes: list[str], network: bool = True) -> None:
        await self._call(self._start_run, run_name, volumes, network)

    def _start_run(self, run_name: str, volumes: list[str], network: bool = True) -> None:
        """Volumes, and the run's own bridge network when pods are reached by address (daemons, IPs, probes);
        other runs' pods use Docker's default bridge (a user-defined network slows every container start)."""
        if network:
            self._made(run_name, 1)  # removed by _end_run's listing only
            try:
                net = self.client.networks.create(f"localflow-{run_name}", driver="bridge",
                                                  labels=L.labels(run_name, role="network"))
            except api_errors() as e:
                raise RuntimeFailure(f"cannot create the run's network: {short(e)}") from e
            self.networks[run_name] = net
            L.join_network_if_contained(self.client, net)
        for v in volumes:
            self._volume(v, run_name, "run")

    def _volume(self, name: str, run_name: str, auto: str | None) -> None:
        try:
            self.client.volumes.get(name)
            return
        except not_found():
            pass
        if auto is None:
            raise RuntimeFailure(f"persistentVolumeClaim {name!r}: no Docker volume of that name (create it with "
                                 f"`docker volume create {name}`, or add a PersistentVolumeClaim document named "
                                 f"{name!r} to the file)")
        lab = L.labels(run_name, role="volume") if auto == "run" else {L.PVC: name}
        if auto == "run":
            self._made(run_name, 1)
        self.client.volumes.create(name, labels=lab)

    async def end_run(self, run_name: str, keep: bool = False) -> None:
        await self._call(self._end_run, run_name, keep)

    def _end_run(self, run_name: str, keep: bool) -> None:
        self._await_removals()
        net = self.networks.pop(run_name, None)
        if net is not None:
            self.start_locks.pop(net.name, None)
        self.stopping.discard(run_name)
        with self.lock:
            left = self.outstanding.pop(run_name, 0)
        if not keep and left:  # else every object the run made is removed: no listing to wait for
            try:
                L.remove_run_objects(self.client, run_name)
            except engine_errors() as e:
                raise RuntimeFailure(f"could not remove the run's containers ({short(e)}); "
                                     "`localflow gc` removes them once the engine answers") from e

    async def stop_pods(self, run_name: str) -> None:
        self.stopping.add(run_name)
        await self._call(self._stop_pods, run_name)

    async def stop_nodes(self, node_ids: list[str]) -> None:
        await self._call(self._stop_where, lambda p: p.spec.node_id in set(node_ids))

    def _stop_pods(self, run_name: str) -> None:
        self._stop_where(lambda p: p.spec.run_name == run_name)

    def _stop_where(self, match: Callable[[_Pod], bool]) -> None:
        """SIGTERM the matching pods' containers, SIGKILL after the grace period (in parallel)."""
        with self.lock:
            pods = [p for p in self.active.values() if match(p)]
        threads = []
        for p in pods:
            p.stopped = True
            for c in p.containers:
                t = threading.Thread(target=self._stop_container, args=(c, p.spec.termination_grace), daemon=True)
                t.start()
                threads.append(t)
        for t in threads:
            t.join()

    @staticmethod
    def _stop_container(c: Any, grace: float) -> None:
        try:
            c.stop(timeout=int(grace))
        except refused_or_lost():
            pass

    async def resume_run(self, run_name: str) -> None:
        """Pods may start again (the exit handler of a stopped run)."""
        self.stopping.discard(run_name)

    # ---- containers ----
    def _create(self, pod: PodSpec, c: ContainerSpec, role: str, network: str | None,
                aliases: list[str] | None = None) -> Any:
        image = self.images.ensure(c.image, c.image_pull_policy)
        mounts = []
        for m in c.mounts:  # the API's mounts (what docker.types.Mount makes of these arguments)
            if m.kind == "volume":
                self._volume(m.source, pod.run_name, m.auto)
            kind = m.kind if m.kind in ("volume", "bind") else "tmpfs"
            mounts.append({"Target": m.target, "Source": None if kind == "tmpfs" else m.source, "Type": kind,
                           "ReadOnly": m.read_only})
        kwargs: dict[str, Any] = dict(
            image=image, command=c.args if c.command is None else None, entrypoint=c.command,
            environment=c.env or None, working_dir=c.working_dir, mounts=mounts or None,
            labels=L.labels(pod.run_name, node=pod.node_id, role=role, pod=pod.pod_name),
            name=f"{pod.pod_name}-{c.name}"[:200], detach=True, tty=c.tty, user=c.user or None,
            privileged=c.privileged, cap_add=c.cap_add or None, cap_drop=c.cap_drop or None,
            read_only=c.read_only_rootfs, mem_limit=c.memory_limit, nano_cpus=c.nano_cpus,
            init=True,  # the user's process is not PID 1, as under Argo's emissary (see startfail)
        )
        if c.command is not None:
            kwargs["command"] = c.args or []
        if network is None:
            kwargs["network_mode"] = "none"
        elif network.startswith("container:"):
            kwargs["network_mode"] = network
        else:
            if network != "bridge":  # Docker's default network needs no endpoint config
                kwargs["network"] = network
            kwargs["ports"] = remote.probe_ports(x.readiness_probe for x in [pod.main, *pod.sidecars])
            kwargs["hostname"] = dns_label(pod.pod_name)
        self._made(pod.run_name, 1)
        try:
            container = calls.create(self.engine or self.client, kwargs)
        except image_not_found() as e:
            raise RuntimeFailure(f"image {c.image!r} not found") from e
        except api_errors() as e:
            raise RuntimeFailure(f"cannot create container {c.name!r}: {short(e)}") from e
        if aliases and network and not network.startswith("container:"):
            # set the aliases on the run network (create() cannot take them on older engines)
            try:
                net = self.client.networks.get(network)
                net.disconnect(container.id)
                net.connect(container.id, aliases=aliases)
            except api_errors():
                pass
        for f in c.input_files:
            try:
                files.put_files(container, f.parent, f.tar)
            except Exception as e:
                self._remove([container])
                raise RuntimeFailure(f"failed to place {f.description or 'input'} at {f.parent}: {short(e)}") from e
        return container

    def _follow_logs(self, pod: _Pod, container: Any, cname: str, sink: LogSink,
                     lines: list[int] | None = None) -> threading.Thread:
        """Hand the container's log lines to the sink as they come. `lines` counts the lines handed on; a
        restarted container's log starts with its earlier runs' lines, which are skipped."""
        count = lines if lines is not None else [0]
        skip = count[0]

        def emit(text: str) -> None:
            nonlocal skip
            if skip > 0:
                skip -= 1
                return
            count[0] += 1
            sink(pod.spec.display_name, cname, startfail.log_line(text))

        def run() -> None:
            buf = b""
            try:
                for chunk in calls.logs(container, stream=True, follow=True):
                    buf += chunk
                    while b"\n" in buf:
                        line, buf = buf.split(b"\n", 1)
                        emit(line.decode(errors="replace").rstrip("\r"))
                if buf:
                    emit(buf.decode(errors="replace"))
            except refused_or_lost():
                pass

        t = threading.Thread(target=run, name=f"logs-{cname}", daemon=True)
        t.start()
        pod.log_threads.append(t)
        return t

    def _remove(self, containers: list[Any]) -> None:
        for c in containers:
            try:
                c.remove(force=True, v=True)
            except not_found():
                pass  # gone already
            except refused_or_lost():
                continue  # the engine is gone or refused: _end_run's listing (or `localflow gc`) removes it
            self._made(c.labels.get(L.RUN, ""), -1)

    def _remove_finished(self, p: _Pod) -> None:
        """Remove a finished pod's containers. On Docker's default bridge in the background: the step is
        done when its container has exited and its outputs are read, and the next step's create need not
        wait for this removal (a removal costs 10-25 ms of each step's slot; `_end_run` waits for them).
        On a run network as before, in the step: removals there overlap no more starts than they did
        (see `_start` for what concurrent endpoint changes do to a network on Docker 20.10)."""
        if self._network_for(p.spec) != "bridge":
            self._remove(p.containers)
            return
        fut = self.remover.submit(self._remove, list(p.containers))
        with self.lock:
            self.removals.add(fut)
        fut.add_done_callback(self._removed)

    def _removed(self, fut: Future) -> None:
        with self.lock:
            self.removals.discard(fut)

    def _await_removals(self) -> None:
        with self.lock:
            pending = list(self.removals)
        wait_all(pending)

    def _start(self, container: Any, network: str | None) -> None:
        """Start a container; on a run network one start at a time. Docker 20.10 loses endpoint-count
        updates when containers join one user-defined network concurrently while another container
        stays attached (a daemon): the network then refuses removal ("has active endpoints") until
        dockerd restarts (moby/moby#42119). Docker's default bridge and shared namespaces need no lock."""
        if network is None or network == "bridge" or network.startswith("container:"):
            container.start()
            return
        with self.lock:
            lock = self.start_locks.setdefault(network, threading.Lock())
        with lock:
            container.start()

    def _network_for(self, pod: PodSpec) -> str:
        net = self.networks.get(pod.run_name)
        return net.name if net is not None else "bridge"

    def _ip(self, container: Any, network: str) -> str | None:
        container.reload()
        nets = container.attrs.get("NetworkSettings", {}).get("Networks", {})
        info = nets.get(network) or next(iter(nets.values()), None)
        return (info or {}).get("IPAddress") or None

    def _exec(self, container: Any) -> Callable[[list[str]], int]:
        return lambda cmd: container.exec_run(cmd).exit_code

    def _alive(self, container: Any) -> Callable[[], bool]:
        def alive() -> bool:
            try:
                container.reload()
            except not_found():
                return False
            return container.status in ("created", "running")
        return alive

    def _run_container_set(self, p: _Pod, sink: LogSink) -> tuple[str | None, int, str | None]:
        """A containerSet: its containers in dependency order (independent ones in parallel).

        Returns (ip, exit code, message). A failed container fails the pod; its dependants never start.
        Each container has its own address on the run network (Argo shares one pod network namespace).
        """
        spec = p.spec
        network = self._network_for(spec)
        made = {c.name: self._create(spec, c, "main" if c is spec.main else "container", network)
                for c, _ in spec.container_set}
        p.containers.extend(made.values())
        p.main = made[spec.main.name]
        deps = {c.name: set(d) for c, d in spec.container_set}
        done: dict[str, int] = {}
        ip = None
        while len(done) < len(deps):
            ready = [n for n in deps if n not in done and deps[n] <= set(done)]
            if not ready:
                raise _PodError(f"containerSet: dependencies cannot be met: {sorted(set(deps) - set(done))}")
            results: dict[str, int] = {}

            def one(name: str) -> None:
                results[name] = self._run_attempts(p, made[name], name, sink)

            threads = [threading.Thread(target=one, args=(n,), daemon=True) for n in ready]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if ip is None:
                ip = self._ip(made[ready[0]], network)
            done.update(results)
            bad = [n for n in ready if results.get(n, 1) != 0]
            if bad:
                code, detail = self._exit_detail(made[bad[0]], results.get(bad[0], 1))
                return ip, code, f"{bad[0]}: Error (exit code {code})" + (f": {detail}" if detail else "")
        return ip, done.get(spec.main.name, 0), None

    def _run_attempts(self, p: _Pod, c: Any, name: str, sink: LogSink) -> int:
        """Run one container of a containerSet, again in the same container (its files kept) while it
        fails and its retryStrategy allows, as the emissary's retry.OnError loop around the command
        (cmd/argoexec/commands/emissary.go). A command that cannot start is not retried: the emissary
        looks it up before the loop."""
        spec = p.spec
        lines = [0]
        code = 1
        for attempt in range(spec.container_attempts):
            if attempt:
                time.sleep(spec.container_retry_delay)
            self._start(c, self._network_for(spec))
            follower = self._follow_logs(p, c, name, sink, lines)
            code = int(c.wait().get("StatusCode", 1))
            follower.join(timeout=5)  # the stream ends with the run; the next run's follower skips its lines
            if code == 0 or p.stopped or spec.run_name in self.stopping or self._exit_detail(c, code)[1]:
                break
        return code

    def _start_group(self, p: _Pod, sink: LogSink) -> str | None:
        """Create and start init containers, sidecars and main. Returns the pod IP."""
        spec = p.spec
        network = self._network_for(spec)
        aliases = spec.aliases or ([dns_label(spec.display_name)] if spec.daemon else [])
        for init in spec.init_containers:
            c = self._create(spec, init, "init", network)
            p.containers.append(c)
            self._start(c, network)
            self._follow_logs(p, c, init.name, sink)
            code, detail = self._exit_detail(c, int(c.wait().get("StatusCode", 1)))
            if code != 0:
                raise _PodError(f"{init.name}: Error (exit code {code})" + (f": {detail}" if detail else ""))
        owner_net = network
        ip = None
        for i, side in enumerate(spec.sidecars):
            c = self._create(spec, side, "sidecar", owner_net, aliases if i == 0 else None)
            p.containers.append(c)
            self._start(c, owner_net)
            self._follow_logs(p, c, side.name, sink)
            if i == 0:
                p.owner = c
                owner_net = f"container:{c.id}"
                ip = self._ip(c, network)
        for side, c in zip(spec.sidecars, [x for x in p.containers if x.labels.get(L.ROLE) == "sidecar"]):
            if side.readiness_probe:
                why = wait_ready(side.readiness_probe, ip or "127.0.0.1", self._exec(c), self._alive(c),
                                 give_up=lambda: p.stopped, reach=remote.probe_reach(p.owner))
                if why is not None:
                    raise _PodError(f"sidecar {side.name!r} did not get ready: {why}")
        main = self._create(spec, spec.main, "main", owner_net, aliases if p.owner is None else None)
        p.containers.append(main)
        p.main = main
        self._start(main, owner_net)
        self._follow_logs(p, main, "main", sink)
        if p.owner is None:
            p.owner = main
            ip = self._ip(main, network) if spec.want_ip else None
        return ip

    # ---- pods ----
    async def run_pod(self, pod: PodSpec, logs: LogSink, artifacts: ArtifactSink | None) -> PodResult:
        return await self._call(self._run_pod, pod, logs, artifacts)

    def _run_pod(self, spec: PodSpec, sink: LogSink, artifacts: ArtifactSink | None) -> PodResult:
        p = _Pod(spec)
        started = time.time()
        if spec.run_name in self.stopping:
            return PodResult(exit_code=None, phase="Failed", message=STOPPED_MESSAGE, reason=PodReason.STOPPED,
                             started_at=started, finished_at=started)
        with self.lock:
            self.active[spec.node_id] = p
        try:
            if spec.run_name in self.stopping:  # stopped between the engine's check and now
                return PodResult(exit_code=None, phase="Failed", message=STOPPED_MESSAGE,
                                 reason=PodReason.STOPPED, started_at=started, finished_at=started)
            if spec.container_set:
                try:
                    ip, code, why = self._run_container_set(p, sink)
                except (_PodError, RuntimeFailure, *refused_or_lost()) as e:
                    return PodResult(exit_code=None, phase="Error", message=str(e), started_at=started,
                                     finished_at=time.time())
                result = PodResult(exit_code=code, phase="Succeeded" if why is None else "Failed",
                                   message=why or "", ip=ip, started_at=started, finished_at=time.time())
                self._collect(p, spec, result, artifacts)
                return result
            try:
                ip = self._start_group(p, sink)
            except (_PodError, RuntimeFailure) as e:
                return PodResult(exit_code=None, phase="Error", message=str(e), started_at=started,
                                 finished_at=time.time())
            except api_errors() as e:  # a sidecar that failed by itself takes the pod's network with it
                why = self._stop_sidecars(p) if p.owner is not None and p.owner is not p.main else None
                return PodResult(exit_code=None, phase="Failed" if why else "Error", message=why or short(e),
                                 started_at=started, finished_at=time.time())
            except lost() as e:
                return PodResult(exit_code=None, phase="Error", message=f"lost the Docker engine: {short(e)}",
                                 reason=PodReason.ENGINE_LOST, started_at=started, finished_at=time.time())
            try:
                code, reason = self._wait(p, spec)
                code, detail = self._exit_detail(p.main, code)
            except RuntimeFailure as e:
                return PodResult(exit_code=None, phase="Error", message=str(e), started_at=started,
                                 reason=PodReason.ENGINE_LOST if isinstance(e, EngineLost) else None,
                                 finished_at=time.time())
            finished = time.time()
            side_failure = self._stop_sidecars(p)
            for t in p.log_threads:
                t.join(timeout=5)
            result = PodResult(exit_code=code, phase="Succeeded" if code == 0 else "Failed", ip=ip,
                               started_at=started, finished_at=finished)
            if reason == "deadline":
                result.phase, result.message, result.reason = "Failed", POD_DEADLINE_MESSAGE, PodReason.DEADLINE
            elif p.stopped or spec.run_name in self.stopping:
                result.phase, result.message, result.reason = "Failed", STOPPED_MESSAGE, PodReason.STOPPED
            elif code != 0:
                result.message = f"main: {reason or 'Error'} (exit code {code})"  # as Argo v4
                if detail:  # the termination message (operator.go inferFailedReason)
                    result.message += f": {detail}"
            elif side_failure:
                result.phase, result.message = "Failed", side_failure
            try:
                self._collect(p, spec, result, artifacts)
            except lost() as e:
                result.phase, result.message = "Error", f"lost the Docker engine: {short(e)}"
                result.reason = PodReason.ENGINE_LOST
            return result
        finally:
            with self.lock:
                self.active.pop(spec.node_id, None)
            if not self.keep:
                self._remove_finished(p)

    def _wait(self, p: _Pod, spec: PodSpec) -> tuple[int, str | None]:
        main = p.main
        while True:
            timeout = None
            if spec.deadline is not None:
                timeout = max(0.0, spec.deadline - time.monotonic())
            try:
                res = main.wait(timeout=timeout if timeout is not None else None)
                code = int(res.get("StatusCode", 1))
                break
            except lost() as e:
                if not self._engine_alive():
                    raise EngineLost(f"lost the Docker engine while waiting for the container: {short(e)}")
                if spec.deadline is not None and time.monotonic() >= spec.deadline:
                    try:
                        main.kill()
                    except api_errors():
                        pass
                    main.wait()
                    return 137, "deadline"
        reason = None
        if code != 0:
            try:
                main.reload()
                if main.attrs.get("State", {}).get("OOMKilled"):
                    reason = "OOMKilled"
            except api_errors():
                pass
        return code, reason

    @staticmethod
    def _exit_detail(container: Any, code: int) -> tuple[int, str | None]:
        """(exit code, termination message) as Argo reports a container whose command could not start."""
        if code not in startfail.TINI_EXEC_CODES:
            return code, None
        try:
            detail = startfail.from_logs(code, calls.logs(container))  # only the init's line: nothing ran
        except refused_or_lost():
            detail = None
        return (startfail.ARGO_EXIT_CODE, detail) if detail else (code, None)

    def _engine_alive(self) -> bool:
        try:
            (self.engine or self.client).ping()
            return True
        except engine_errors():
            return False

    def _stop_sidecars(self, p: _Pod) -> str | None:
        """Stop the sidecars (SIGTERM, SIGKILL after the grace period). Returns Argo's message for a sidecar
        that failed by itself: an exit code other than 137 and 143, which operator.go inferFailedReason
        ignores (the executor killed it)."""
        failed = None
        sidecars = [c for c in p.containers if c is not p.main and c.labels.get(L.ROLE) == "sidecar"]
        for side, c in zip(p.spec.sidecars, sidecars):
            try:
                c.stop(timeout=int(p.spec.termination_grace))
                code = int(c.wait().get("StatusCode", 0))
            except refused_or_lost():
                continue
            if failed is None and code not in (0, 137, 143):
                code, detail = self._exit_detail(c, code)
                failed = f"{side.name}: Error (exit code {code})" + (f": {detail}" if detail else "")
        return failed

    def _collect(self, p: _Pod, spec: PodSpec, result: PodResult, artifacts: ArtifactSink | None) -> None:
        main = p.main
        if spec.capture_stdout:
            try:
                result.stdout = files.result_text(calls.logs(main, stdout=True, stderr=False))
            except api_errors():
                result.stdout = ""
        for path in spec.output_parameter_paths:
            try:
                text = files.read_text_file(main, path)
            except api_errors():
                text = None
            result.output_parameters[path] = text
        if spec.archive_logs and artifacts is not None:
            try:
                data = calls.logs(main)
                result.output_artifacts["main-logs"] = artifacts("main-logs", "/main.log",
                                                                 [files.single_file_tar("main.log", data)])
            except Exception as e:  # noqa: BLE001 - reported on the node
                result.output_artifacts["main-logs"] = e
        for name, path in spec.output_artifact_paths:
            if artifacts is None:
                continue
            try:
                stream = files.archive_stream(main, path)
                result.output_artifacts[name] = None if stream is None else artifacts(name, path, stream)
            except Exception as e:  # noqa: BLE001 - the engine reports it on the node
                result.output_artifacts[name] = e

    # ---- daemons ----
    async def start_daemon(self, pod: PodSpec, logs: LogSink) -> tuple[Any, PodResult]:
        return await self._call(self._start_daemon, pod, logs)

    def _start_daemon(self, spec: PodSpec, sink: LogSink) -> tuple[Any, PodResult]:
        p = _Pod(spec)
        started = time.time()
        with self.lock:
            self.active[spec.node_id] = p
        try:
            ip = self._start_group(p, sink)
            probe = spec.main.readiness_probe
            if probe:
                why = wait_ready(probe, ip or "", self._exec(p.main), self._alive(p.main),
                                 give_up=lambda: p.stopped or spec.run_name in self.stopping,
                                 reach=remote.probe_reach(p.owner))
                if why is not None:
                    raise _PodError(f"daemon did not get ready: {why}")
            elif not self._alive(p.main)():
                raise _PodError("the daemon exited before it was ready")
            return p, PodResult(exit_code=None, phase="Running", ip=ip, started_at=started)
        except (_PodError, RuntimeFailure, *api_errors()) as e:
            with self.lock:
                self.active.pop(spec.node_id, None)
            self._remove(p.containers)
            phase = "Failed" if isinstance(e, _PodError) else "Error"
            return None, PodResult(exit_code=None, phase=phase, message=str(e) if not isinstance(
                e, api_errors()) else short(e), started_at=started, finished_at=time.time())

    async def stop_daemon(self, handle: Any) -> None:
        await self._call(self._stop_daemon, handle)

    def _stop_daemon(self, p: _Pod) -> None:
        p.stopped = True
        for c in reversed(p.containers):
            try:
                c.stop(timeout=int(p.spec.termination_grace))
            except api_errors():
                pass
        for t in p.log_threads:
            t.join(timeout=5)
        with self.lock:
            self.active.pop(p.spec.node_id, None)
        self._remove(p.containers)

    def close(self) -> None:
        if self.stall is not None:
            self.stall.close()
        self.remover.shutdown(wait=True)  # queued removals run: nothing finished is left behind
        self.pool.shutdown(wait=False, cancel_futures=True)


class _PodError(Exception):
    pass
