"""localflow's own image (./Dockerfile) as a CI job uses it: built offline, run with the host's Docker
socket mounted and nothing else shared (a CI container has no filesystem in common with the engine).

The build context is a copy of the package, the examples and a wheelhouse made on this machine with
pip (for the base image's Python), so `docker build` needs no network. The base image is
$LOCALFLOW_CI_IMAGE_BASE, else the first present of python:3.11-slim and python:3.8 (the offline
stand-in: Debian with python3 and no pip). Skipped, with the reason, when neither is present or
the wheelhouse cannot be made.
"""

from __future__ import annotations

import io
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers import REPO, leftovers

pytestmark = pytest.mark.docker

BASES = ("python:3.11-slim", "python:3.8")
SOCKET = "/var/run/docker.sock"
STANDIN_MINIO = "localflow/minio-standin:latest"
DEFAULT_MINIO = "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z"


def _client():
    import docker
    return docker.from_env(timeout=600)


def _image_exists(client, name: str) -> bool:
    import docker
    try:
        client.images.get(name)
        return True
    except docker.errors.ImageNotFound:
        return False


def _python_of(client, image: str) -> tuple[int, int] | None:
    try:
        out = client.containers.run(image, entrypoint=["python3"], remove=True,
                                    command=["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
    except Exception:  # noqa: BLE001 - no python3 in that image
        return None
    major, minor = out.decode().strip().split(".")
    return int(major), int(minor)


def _pick_base(client) -> tuple[str, tuple[int, int]]:
    wanted = os.environ.get("LOCALFLOW_CI_IMAGE_BASE")
    candidates = (wanted,) if wanted else BASES
    tried = []
    for base in candidates:
        if not _image_exists(client, base):
            tried.append(f"{base} (absent)")
            continue
        py = _python_of(client, base)
        if py is None or py < (3, 10):
            tried.append(f"{base} (python3 {py or 'missing'})")
            continue
        return base, py
    pytest.skip("no local base image with python3 >= 3.10 to build localflow's image from: " + ", ".join(tried))


def _pip(*args: str, cwd: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "pip", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, check=False, env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1"))
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        pytest.skip(f"cannot make the wheelhouse for an offline docker build (pip {args[0]}): {last}")


def _context(tmp: Path, py: tuple[int, int]) -> Path:
    """Dockerfile, .dockerignore, the package, the examples and ./wheelhouse, in a fresh folder."""
    ctx = tmp / "context"
    ctx.mkdir()
    for f in ("Dockerfile", ".dockerignore", "pyproject.toml", "README.md"):
        shutil.copy(REPO / f, ctx / f)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(REPO / "localflow", ctx / "localflow", ignore=ignore)
    shutil.copytree(REPO / "examples", ctx / "examples", ignore=ignore)
    wheels = ctx / "wheelhouse"
    if py == sys.version_info[:2]:
        _pip("wheel", "--quiet", "--wheel-dir", str(wheels), ".", "pip", cwd=ctx)
    else:  # the image's Python differs from ours: binary wheels for its version
        _pip("wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), ".", cwd=ctx)
        own = next(wheels.glob("localflow-*.whl"))
        arch = platform.machine()
        _pip("download", "--quiet", "--dest", str(wheels), "--only-binary=:all:",
             "--python-version", f"{py[0]}.{py[1]}", "--implementation", "cp",
             "--platform", f"manylinux2014_{arch}", "--platform", f"manylinux_2_17_{arch}",
             "--platform", f"manylinux_2_28_{arch}", str(own), "pip", cwd=ctx)
    for junk in ("build", "localflow.egg-info"):
        shutil.rmtree(ctx / junk, ignore_errors=True)
    return ctx


@pytest.fixture(scope="module")
def ci_image(tmp_path_factory):
    client = _client()
    base, py = _pick_base(client)
    ctx = _context(tmp_path_factory.mktemp("ci-image"), py)
    tag = f"localflow-test/ci-image:{uuid.uuid4().hex[:10]}"
    import docker
    try:
        client.images.build(path=str(ctx), tag=tag, buildargs={"BASE": base}, rm=True, forcerm=True,
                            pull=False, network_mode="none")
    except docker.errors.BuildError as e:
        log = "".join(str(chunk.get("stream", chunk.get("error", ""))) for chunk in e.build_log)
        pytest.fail(f"docker build --build-arg BASE={base} failed offline:\n{log[-3000:]}")
    try:
        yield tag
    finally:
        try:
            client.images.remove(tag, force=True)
        except docker.errors.APIError:
            pass


def _run(image: str, command: list[str], *, entrypoint: list[str] | None = None, env: dict | None = None,
         stdin: bytes | None = None, timeout: float = 300) -> tuple[int, str, object]:
    """`docker run -v /var/run/docker.sock:/var/run/docker.sock IMAGE ...` -> (exit code, output, container);
    the container is kept until the caller removes it (to copy reports out of it)."""
    client = _client()
    container = client.containers.create(image, command=command, entrypoint=entrypoint, environment=env or {},
                                         volumes={SOCKET: {"bind": SOCKET, "mode": "rw"}},
                                         stdin_open=stdin is not None, labels={"localflow-test": "ci-image"})
    if stdin is not None:
        sock = container.attach_socket(params={"stdin": 1, "stream": 1})
        container.start()
        raw = getattr(sock, "_sock", sock)
        raw.sendall(stdin)
        raw.shutdown(1)  # EOF on the container's stdin
    else:
        container.start()
    try:
        code = container.wait(timeout=timeout)["StatusCode"]
    except Exception:  # noqa: BLE001 - a hung run: kill it and fail with what it printed
        container.kill()
        code = -1
    out = container.logs(stdout=True, stderr=True).decode(errors="replace")
    return code, out, container


def _run_name(output: str) -> str:
    m = re.search(r"^Name:\s+(\S+)", output, re.MULTILINE)
    assert m, f"no run name in the output:\n{output[-3000:]}"
    return m.group(1)


def _copy_out(container, path: str, dest: Path) -> Path:
    """`docker cp CONTAINER:path dest` through the archive API."""
    bits, _ = container.get_archive(path)
    with tarfile.open(fileobj=io.BytesIO(b"".join(bits))) as tar:
        tar.extractall(dest, filter="data")
    return dest / Path(path).name


def _no_leftovers(run: str) -> None:
    deadline = time.monotonic() + 10
    while leftovers(run) != (0, 0, 0) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert leftovers(run) == (0, 0, 0), f"containers, networks, volumes labelled localflow.run={run} remain"


def test_hello_world_in_the_image(ci_image):
    code, out, container = _run(ci_image, ["submit", "examples/hello-world.yaml"])
    container.remove(force=True)
    assert code == 0, out[-3000:]
    assert re.search(r"^Status:\s+Succeeded", out, re.MULTILINE), out[-3000:]
    assert "hello world" in out
    _no_leftovers(_run_name(out))


def test_version_is_the_entrypoint(ci_image):
    code, out, container = _run(ci_image, ["version"])
    container.remove(force=True)
    assert code == 0 and out.startswith("localflow "), out


def test_workflow_from_stdin_without_any_mount(ci_image):
    """A workflow that is not in the image: piped in, as docs/ci.md shows for runners without a shared disk."""
    wf = (REPO / "examples" / "fan-out-fan-in.yaml").read_bytes()
    code, out, container = _run(ci_image, ["-c", "cat > /tmp/wf.yaml && localflow submit /tmp/wf.yaml -p shards=3"],
                                entrypoint=["sh"], stdin=wf)
    container.remove(force=True)
    assert code == 0, out[-3000:]
    assert "3 shards, 66 records kept" in out
    _no_leftovers(_run_name(out))


def test_ci_recipe_reports_come_out_of_the_container(ci_image, tmp_path):
    """The GitLab recipe's script in the image: submit the CI example with --junit, make the HTML report,
    then copy both out of the container (as the runner collects artifacts from the job's folder)."""
    client = _client()
    if not (_image_exists(client, STANDIN_MINIO) or _image_exists(client, DEFAULT_MINIO)):
        pytest.skip(f"no artifact server image ({STANDIN_MINIO}: scripts/images/minio/build.sh builds it)")
    script = ("mkdir -p /job/reports && cd /job && cp -r /opt/localflow/examples . && "
              "localflow submit examples/ci-pipeline.yaml -p break-tests=true --junit reports/junit.xml; rc=$?; "
              # (`localflow report` once main.py registers it; the same function through Python before that)
              "if localflow report --help >/dev/null 2>&1; then localflow report @latest --html reports/report.html; "
              "else python3 -c 'from localflow.report.collect import write_html_for as w; "
              "w(\"@latest\", \"reports/report.html\")'; fi; exit $rc")
    code, out, container = _run(ci_image, ["-c", script], entrypoint=["sh"],
                                env={"LOCALFLOW_MINIO_IMAGE": os.environ.get("LOCALFLOW_MINIO_IMAGE", STANDIN_MINIO)},
                                timeout=600)
    try:
        assert code == 1, f"a red pipeline must exit 1:\n{out[-4000:]}"
        assert re.search(r"^Status:\s+Failed", out, re.MULTILINE), out[-3000:]
        reports = _copy_out(container, "/job/reports", tmp_path)
    finally:
        container.remove(force=True)
    run = _run_name(out)
    root = ET.parse(reports / "junit.xml").getroot()
    assert root.get("name") == run
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("8", "1", "0", "1")
    failure = root.find(".//testcase[@name='unit-tests']/failure")
    assert failure is not None and "asked to fail" in failure.text
    page = (reports / "report.html").read_text()
    assert run in page and "asked to fail" in page and "integration-tests(1:users)" in page
    _no_leftovers(run)
