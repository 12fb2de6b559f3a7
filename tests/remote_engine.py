"""A second Docker engine in a network namespace of its own, reached over TCP (the test harness for
remote engines: GitLab's docker:dind service, DOCKER_HOST=tcp://...).

    engine = RemoteEngine.start(images=["alpine:3.7"])   # netns, veth, dockerd, images copied
    engine.docker_host                                    # tcp://10.213.N.2:2375
    engine.stop()                                         # everything removed again

Or from a shell (for trials by hand): `python3 tests/remote_engine.py start|stop [N]`.

What it keeps apart from the host's engine (each of these can make two dockerds trip over each
other): its own network namespace (iptables chains, docker0, docker-proxy ports live there), its own
--data-root, --exec-root (so its own containerd, socket and shims), --pidfile (the host's
/var/run/docker.pid is what ensure-docker.sh trusts), its own unix socket, --cgroup-parent (so no
cgroup directory is shared) and address ranges (10.213.N.0/30 for the veth pair, 10.214.N.0/24 for
its docker0, 10.215.N.0/24 for its networks). Traffic goes only to the namespace's own address.

The namespace is entered with `nsenter --net=...` only: `ip netns exec` also remounts /sys, and
dockerd then finds no cgroups.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(os.environ.get("LOCALFLOW_REMOTE_ENGINE_DIR", "/var/lib/localflow-remote"))


def _run(*cmd: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=check, capture_output=True, text=True, **kw)


@dataclass
class RemoteEngine:
    index: int
    root: Path
    netns: str
    host_veth: str
    host_ip: str
    ns_ip: str
    pid: int | None = None
    port: int = 2375
    tls: bool = False
    kind: str = "docker"  # or "podman": `podman system service` (its Docker-compatible API) over TCP

    @property
    def docker_host(self) -> str:
        return f"tcp://{self.ns_ip}:{self.port}"

    @property
    def socket(self) -> str:
        return str(self.root / "docker.sock")

    @property
    def api(self) -> str:
        """Where the harness itself talks to the engine (`docker -H`)."""
        return f"unix://{self.socket}" if self.kind == "docker" else self.docker_host

    @property
    def netns_path(self) -> str:
        return f"/var/run/netns/{self.netns}"

    @classmethod
    def plan(cls, index: int) -> RemoteEngine:
        return cls(index=index, root=BASE_DIR / str(index), netns=f"lf-remote-{index}",
                   host_veth=f"lfr{index}h", host_ip=f"10.213.{index}.1", ns_ip=f"10.213.{index}.2")

    @classmethod
    def start(cls, images: list[str] = (), index: int | None = None, tls: bool = False,
              kind: str = "docker") -> RemoteEngine:
        """tls: port 2376 with --tlsverify and certificates made here, as docker:dind makes them for
        GitLab (DOCKER_TLS_VERIFY=1, DOCKER_CERT_PATH=<root>/certs/client)."""
        engine = cls.plan(index if index is not None else _free_index())
        engine.port, engine.tls = (2376, True) if tls else (2375, False)
        engine.kind = kind
        engine.stop()  # leftovers of an earlier, killed trial
        try:
            engine._network()
            if kind == "podman":
                engine._daemon(podman_command(engine))
            else:
                engine._daemon(engine._dockerd_command(engine._make_certs() if tls else ()))
            if images:
                engine.load_images(images)
        except BaseException:
            engine.stop()
            raise
        return engine

    # -- set-up ---------------------------------------------------------------------------------
    def _network(self) -> None:
        ns_veth = f"lfr{self.index}n"
        _run("ip", "netns", "add", self.netns)
        _run("ip", "link", "add", self.host_veth, "type", "veth", "peer", "name", ns_veth)
        _run("ip", "link", "set", ns_veth, "netns", self.netns)
        _run("ip", "addr", "add", f"{self.host_ip}/30", "dev", self.host_veth)
        _run("ip", "link", "set", self.host_veth, "up")
        self.nsenter("ip", "addr", "add", f"{self.ns_ip}/30", "dev", ns_veth)
        self.nsenter("ip", "link", "set", ns_veth, "up")
        self.nsenter("ip", "link", "set", "lo", "up")

    def nsenter(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        return _run("nsenter", f"--net={self.netns_path}", *cmd, check=check)

    def _dockerd_command(self, extra_args: tuple[str, ...]) -> list[str]:
        i = self.index
        return ["dockerd", "--data-root", str(self.root / "data"), "--exec-root", str(self.root / "x"),
                "--pidfile", str(self.root / "docker.pid"),
                "-H", f"unix://{self.socket}", "-H", f"tcp://{self.ns_ip}:{self.port}",
                "--bip", f"10.214.{i}.1/24", "--default-address-pool", f"base=10.215.{i}.0/24,size=28",
                "--cgroup-parent", f"/localflow-remote-{i}", "--storage-driver", "overlay2", *extra_args]

    def _daemon(self, cmd: list[str]) -> None:
        """Start the engine in the namespace (nsenter execs it: its pid is the engine's) and wait for it."""
        self.root.mkdir(parents=True, exist_ok=True)
        log = open(self.root / "dockerd.log", "ab")  # noqa: SIM115 - the daemon keeps it open
        proc = subprocess.Popen(["nsenter", f"--net={self.netns_path}", *cmd], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        self.pid = proc.pid
        (self.root / "harness.pid").write_text(str(proc.pid))
        (self.root / "harness.api").write_text(self.api)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"second engine exited ({proc.returncode}): {self.log_tail()}")
            if _run("docker", "-H", self.api, "version", check=False, env=host_env()).returncode == 0:
                return
            time.sleep(0.5)
        raise RuntimeError(f"second engine did not answer within 60 s: {self.log_tail()}")

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join((self.root / "dockerd.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def load_images(self, images: list[str]) -> None:
        """Copy images from the host's engine: `docker save | docker load` (layers shared once)."""
        save = subprocess.Popen(["docker", "save", *images], stdout=subprocess.PIPE, env=host_env())
        load = subprocess.run(["docker", "-H", self.api, "load", "-q"], stdin=save.stdout,
                              capture_output=True, text=True, env=host_env())
        save.stdout.close()
        if save.wait() != 0 or load.returncode != 0:
            raise RuntimeError(f"copying images failed: {load.stderr.strip()}")

    def env(self) -> dict[str, str]:
        if self.tls:
            return {"DOCKER_HOST": self.docker_host, "DOCKER_TLS_VERIFY": "1",
                    "DOCKER_CERT_PATH": str(self.root / "certs" / "client")}
        return {"DOCKER_HOST": self.docker_host}

    def _make_certs(self) -> tuple[str, ...]:
        """A CA, a server certificate for the namespace's address, a client certificate (openssl)."""
        certs = self.root / "certs"
        (certs / "client").mkdir(parents=True, exist_ok=True)
        ca, server, client = certs / "ca", certs / "server", certs / "client"

        def ssl(*args: str) -> None:
            _run("openssl", *args)
        ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localflow test CA",
            "-keyout", f"{ca}-key.pem", "-out", f"{ca}.pem")
        for name, ext in ((server, f"subjectAltName=IP:{self.ns_ip}\nextendedKeyUsage=serverAuth"),
                          (client, "extendedKeyUsage=clientAuth")):
            key, csr, crt = (f"{name}-key.pem", f"{name}.csr", f"{name}-cert.pem")
            ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name.name}", "-keyout", key, "-out", csr)
            extfile = f"{name}.ext"
            Path(extfile).write_text(ext)
            ssl("x509", "-req", "-in", csr, "-CA", f"{ca}.pem", "-CAkey", f"{ca}-key.pem", "-CAcreateserial",
                "-days", "2", "-extfile", extfile, "-out", crt)
        shutil.copy(f"{ca}.pem", client / "ca.pem")
        shutil.copy(f"{client}-cert.pem", client / "cert.pem")
        shutil.copy(f"{client}-key.pem", client / "key.pem")
        return ("--tlsverify", "--tlscacert", f"{ca}.pem", "--tlscert", f"{server}-cert.pem",
                "--tlskey", f"{server}-key.pem")

    def client(self, timeout: int = 60):  # noqa: ANN201
        import docker
        return docker.DockerClient(base_url=self.api, timeout=timeout)

    # -- freezing (a stalled engine) ------------------------------------------------------------
    def freeze(self) -> None:
        os.kill(self._pid(), signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self._pid(), signal.SIGCONT)

    def _pid(self) -> int:
        if self.pid is None:
            self.pid = int((self.root / "harness.pid").read_text())
        return self.pid

    # -- teardown -------------------------------------------------------------------------------
    def stop(self) -> None:
        """Remove its containers, stop dockerd (and its containerd), the veth pair, the namespace,
        the directories. Safe to call twice, and on a half-made engine."""
        pid = None
        with _suppress():
            pid = int((self.root / "harness.pid").read_text())
        if pid is not None and _alive(pid):
            with _suppress():
                os.kill(pid, signal.SIGCONT)  # a frozen engine cannot stop
            api = self.api
            with _suppress():
                api = (self.root / "harness.api").read_text()
            ids = _run("docker", "-H", api, "ps", "-aq", check=False, timeout=30, env=host_env()).stdout.split()
            if ids:
                _run("docker", "-H", api, "rm", "-f", "-v", *ids, check=False, timeout=60, env=host_env())
            os.kill(pid, signal.SIGTERM)
            _wait_gone(pid, 30)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
                _wait_gone(pid, 10)
        self._kill_leftover_processes()
        _run("ip", "link", "del", self.host_veth, check=False)
        _run("ip", "netns", "del", self.netns, check=False)
        self._unmount_all()
        shutil.rmtree(self.root, ignore_errors=True)
        for cg in [*Path("/sys/fs/cgroup").glob(f"*/localflow-remote-{self.index}"),
                   *Path("/sys/fs/cgroup").glob(f"*/libpod_parent/conmon")]:
            with _suppress():
                cg.rmdir()

    def _kill_leftover_processes(self) -> None:
        """containerd and shims of this engine only (their command lines name its exec-root)."""
        marker = str(self.root) + "/"
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            with _suppress():
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                if marker in cmdline and int(proc.name) != os.getpid():
                    os.kill(int(proc.name), signal.SIGKILL)

    def _unmount_all(self) -> None:
        prefix = str(self.root) + "/"
        with open("/proc/self/mountinfo") as f:
            points = [line.split()[4] for line in f if line.split()[4].startswith(prefix)]
        for point in sorted(points, key=len, reverse=True):
            _run("umount", "-l", point, check=False)


def podman_command(engine: RemoteEngine) -> list[str]:
    """`podman system service` on the namespace's address, with everything under the engine's root,
    and the configuration that works on this kind of machine (see README, "Podman"): runc (crun 1.8
    refuses cgroup v1 hybrid mounts), cgroupfs, a file events log, and default ulimits no higher than
    this process's own hard limits (Podman's defaults, nofile 1048576, need CAP_SYS_RESOURCE)."""
    import resource
    engine.port = 8888
    root = engine.root / "podman"
    root.mkdir(parents=True, exist_ok=True)
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc = min(resource.getrlimit(resource.RLIMIT_NPROC)[1], 32768)
    conf = root / "containers.conf"
    conf.write_text(f"""[containers]
default_ulimits = ["nofile={nofile}:{nofile}", "nproc={nproc}:{nproc}"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
tmp_dir = "{root}/tmp"
[network]
network_config_dir = "{root}/networks"
""")
    return ["env", f"CONTAINERS_CONF={conf}", "podman", "--root", str(root / "storage"), "--runroot",
            str(root / "run"), "system", "service", "--time=0", f"tcp://{engine.ns_ip}:{engine.port}"]


def _free_index() -> int:
    used = set(_run("ip", "netns", "list", check=False).stdout.split())
    for index in range(1, 250):
        if f"lf-remote-{index}" not in used and not (BASE_DIR / str(index)).exists():
            return index
    raise RuntimeError("no free index for a second engine")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    with _suppress():
        if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            os.waitpid(pid, os.WNOHANG)
            return False
    return True


def _wait_gone(pid: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return exc[0] is not None and issubclass(exc[0], (OSError, ValueError, ChildProcessError))


def host_env() -> dict[str, str]:
    """The environment for the `docker` CLI to talk to the host's engine (no DOCKER_HOST, no TLS)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}


def host_engine_runs_a_container() -> str | None:
    """None when the host's engine still starts a container; else what went wrong."""
    out = _run("docker", "run", "--rm", "--label", "localflow.run=remote-engine-check", "alpine:3.7",
               "true", check=False, timeout=60, env=host_env())
    return None if out.returncode == 0 else (out.stderr.strip() or f"exit {out.returncode}")


if __name__ == "__main__":
    action = sys.argv[1] if len(sys.argv) > 1 else "start"
    if action in ("start", "start-podman"):
        images = sys.argv[2:] or ["alpine:3.7"]
        eng = RemoteEngine.start(images=images, kind="podman" if action == "start-podman" else "docker")
        print(f"export DOCKER_HOST={eng.docker_host}  # index {eng.index}; stop: python3 {__file__} stop {eng.index}")
    else:
        RemoteEngine.plan(int(sys.argv[2])).stop()
        print("stopped")
