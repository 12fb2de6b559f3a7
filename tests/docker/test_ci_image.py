"""localflow's own image (./Dockerfile) as a CI job uses it: built offline, run with the host's Docker
socket mounted and nothing else shared (a CI container has no filesystem in common with the engine).

The build context is a copy of the package, the examples and a wheelhouse made on this machine with
pip (for the base image's Python), so `docker build` needs no network. The base image is
$LOCALFLOW_CI_IMAGE_BASE, else the first present of python:3.11-slim and python:3.8 (the offline
stand-in: Debian with python3 and no pip). Skipped (failed in CI: needs.lacking), with the reason,
when neither is present or the wheelhouse cannot be made.
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
from needs import lacking

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
    lacking("no local base image with python3 >= 3.10 to build localflow's image from: " + ", ".join(tried))


def _pip(*args: str, cwd: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "pip", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, check=False, env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1"))
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        lacking(f"cannot make the wheelhouse for an offline docker build (pip {args[0]}): {last}")


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
    given = os.environ.get("LOCALFLOW_CI_IMAGE")
    if given:  # an image built beforehand (docs/ci.md): test that one instead of building
        if not _image_exists(client, given):
            pytest.fail(f"LOCALFLOW_CI_IMAGE={given}: no such image")
        yield given
        return
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
        lacking(f"no artifact server image ({STANDIN_MINIO}: scripts/images/minio/build.sh builds it)")
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


# ---- the recipes of docs/ci.md, read from the page and run as the runners run them ----
DOC = REPO / "docs" / "ci.md"
APP_TEST_OK = "import unittest\n\n\nclass AppTest(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(1 + 1, 2)\n"
APP_TEST_RED = APP_TEST_OK.replace("self.assertEqual(1 + 1, 2)", "self.assertEqual(1 + 1, 3, 'red on purpose')")


def _doc_block(first_line: str) -> str:
    """The ```yaml block of docs/ci.md that starts with `first_line` (a comment naming the file)."""
    for body in re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.DOTALL):
        if body.startswith(first_line):
            return body
    raise AssertionError(f"docs/ci.md has no yaml block starting with {first_line!r}")


def _project_tar(root: str, red: bool) -> bytes:
    """A checkout of the repository the recipes assume: ci/workflow.yaml (from the page) and a test."""
    files = {"ci/workflow.yaml": _doc_block("# ci/workflow.yaml"), "app.py": "x = 1\n",
             "tests/test_app.py": APP_TEST_RED if red else APP_TEST_OK}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for d in ("", "/ci", "/tests"):
            info = tarfile.TarInfo(root.strip("/") + d)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{root.strip('/')}/{name}")
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _run_names(output: str) -> list[str]:
    return re.findall(r"^Name:\s+(\S+)", output, re.MULTILINE)


def _require_report_command(image: str) -> None:
    code, out, container = _run(image, ["report", "--help"])
    container.remove(force=True)
    assert code == 0, f"the recipes call `localflow report`, which this image's localflow lacks: {out[-2000:]}"


@pytest.mark.parametrize("red", [False, True], ids=["green", "red"])
def test_gitlab_recipe(ci_image, tmp_path, red):
    """.gitlab-ci.yml of docs/ci.md: its script in one shell (set -e, as GitLab runs it) in the image with
    the entrypoint overridden, the checkout in the job's folder, the socket mounted; then its artifacts."""
    import yaml
    _require_report_command(ci_image)
    job = yaml.safe_load(_doc_block("# .gitlab-ci.yml"))["workflow-tests"]
    assert job["image"]["entrypoint"] == [""]
    project = "/builds/group/project"
    env = {"CI": "true", "CI_PROJECT_DIR": project, **{k: str(v).replace("$CI_PROJECT_DIR", project)
                                                         for k, v in (job.get("variables") or {}).items()}}
    client = _client()
    container = client.containers.create(ci_image, entrypoint=["sh", "-c"], command=["set -e\n" + "\n".join(job["script"])],
                                         working_dir=project, environment=env,
                                         volumes={SOCKET: {"bind": SOCKET, "mode": "rw"}},
                                         labels={"localflow-test": "ci-image"})
    try:
        container.put_archive("/", _project_tar(project, red))
        container.start()
        code = container.wait(timeout=600)["StatusCode"]
        out = container.logs().decode(errors="replace")
        assert code == (1 if red else 0), out[-4000:]
        got = _copy_out(container, f"{project}/reports", tmp_path)
    finally:
        container.remove(force=True)
    assert job["artifacts"]["when"] == "always" and job["artifacts"]["paths"] == ["reports/"]
    junit = got / Path(job["artifacts"]["reports"]["junit"]).relative_to("reports")
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures")) == ("2", "1" if red else "0")
    if red:
        assert "red on purpose" in root.find(".//testcase[@name='unit-tests']/failure").text
    page = (got / "report.html").read_text()
    assert "unit-tests" in page and ("red on purpose" in page) == red
    for run in _run_names(out):
        _no_leftovers(run)


def test_github_recipe(ci_image, tmp_path):
    """The GitHub Actions job of docs/ci.md as a container job runs: the image started with the job's
    volumes (the socket), the checkout in the workspace, each `run:` step a `docker exec` with
    `sh -e`, steps after a failure skipped unless `if: always()`; then the uploaded path."""
    import yaml
    _require_report_command(ci_image)
    job = yaml.safe_load(_doc_block("# .github/workflows/workflows.yml"))["jobs"]["localflow"]
    volumes = {}
    for v in job["container"]["volumes"]:
        src, dst = v.split(":", 1)
        volumes[src] = {"bind": dst, "mode": "rw"}
    assert SOCKET in volumes
    workspace = "/__w/project/project"
    client = _client()
    container = client.containers.create(ci_image, entrypoint=["tail"], command=["-f", "/dev/null"],
                                         working_dir=workspace, volumes=volumes,
                                         environment={"CI": "true", "GITHUB_ACTIONS": "true"},
                                         labels={"localflow-test": "ci-image"})
    failed, outputs, ran, uploaded, junit_paths = False, [], [], None, None
    try:
        container.start()
        for step in job["steps"]:
            if failed and step.get("if") != "always()":
                continue
            uses = step.get("uses", "")
            if uses.startswith("actions/checkout"):
                container.put_archive("/", _project_tar(workspace, red=True))
            elif uses.startswith("actions/upload-artifact"):
                uploaded = step["with"]["path"]
            elif "junit" in uses:
                junit_paths = step["with"]["report_paths"]
            elif "run" in step:
                code, out = container.exec_run(["sh", "-e", "-c", step["run"]], workdir=workspace)
                outputs.append(out.decode(errors="replace"))
                ran.append((step.get("name"), code))
                failed = failed or code != 0
            else:
                raise AssertionError(f"a step this test does not know how to run: {step}")
        got = _copy_out(container, f"{workspace}/{uploaded.rstrip('/')}", tmp_path) if uploaded else None
    finally:
        container.remove(force=True)
    output = "\n".join(outputs)
    assert ran == [("lint", 0), ("run the workflow", 1), ("HTML report", 0)], output[-4000:]
    assert failed and got is not None and junit_paths == "reports/junit.xml"
    root = ET.parse(got / "junit.xml").getroot()
    assert (root.get("tests"), root.get("failures")) == ("2", "1")
    assert "red on purpose" in (got / "report.html").read_text()
    for run in _run_names(output):
        _no_leftovers(run)
