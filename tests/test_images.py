"""The offline stand-in images (scripts/images/build.py) provide what the examples need.

What each image must provide comes from shared/argo-images.md.  The docker tests run
real containers through the docker CLI; every container and network they create is
labelled localflow.test=images plus this session's id, and removed at the end.
Without a Docker engine they are skipped, except under CI (CI=true) where they fail (need).
"""
import datetime
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from needs import need

ROOT = Path(__file__).resolve().parents[1]
BUILD_PY = ROOT / "scripts" / "images" / "build.py"
BUILD_SH = ROOT / "scripts" / "images" / "build.sh"
SEEDS = ROOT.parent / "shared" / "seed-workflows"
SESSION = uuid.uuid4().hex[:10]
LABELS = ["--label", "localflow.test=images", "--label", "localflow.test.session=" + SESSION]


def _load_build():
    spec = importlib.util.spec_from_file_location("localflow_images_build", BUILD_PY)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


build = _load_build()


# ---------------------------------------------------------------- no docker needed
def test_every_tag_is_in_the_table_of_build_sh():
    header = BUILD_SH.read_text()
    for tag, recipe in build.TAGS.items():
        assert re.search(r"[ ,]%s[, ]" % re.escape(tag), header), tag
        assert recipe in build.DOCS, recipe


def test_local_tier_images_of_argo_images_md_have_stand_ins():
    needed = ["busybox", "alpine:3.23", "alpine", "alpine:latest", "python:alpine3.23",
              "argoproj/argosay:v2", "argoproj/argosay:v1", "curlimages/curl:latest",
              "nginx:1.13", "nginx:latest", "influxdb:1.2", "node:9.1-alpine",
              "stedolan/jq:latest", "debian:9.1", "debian:8.9", "alpine:3.6", "ubuntu:17.10",
              "debian:latest", "docker/whalesay:latest"]
    tags = {build.normalise(t) for t in build.TAGS}
    assert [n for n in needed if build.normalise(n) not in tags] == []


def _images_in(node, out):
    if isinstance(node, dict):
        image = node.get("image")
        if isinstance(image, str):
            if "tag" in node and isinstance(node["tag"], (str, int, float)):
                out.add("%s:%s" % (image, node["tag"]))
            elif "{{" not in image:
                out.add(image)
        for value in node.values():
            _images_in(value, out)
    elif isinstance(node, list):
        for value in node:
            _images_in(value, out)


@pytest.mark.need("shared")
def test_every_seed_image_has_a_stand_in_or_a_reason():
    import yaml

    images = set()
    for path in sorted(SEEDS.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            _images_in(doc, images)
    assert images, "no images found in the seeds"
    tags = {build.normalise(t) for t in build.TAGS}
    missing = sorted(i for i in images
                     if build.normalise(i) not in tags and i.split(":")[0] not in build.NOT_PROVIDED)
    assert missing == []


def test_plan_never_replaces_a_real_image():
    refs = {"busybox:latest": "busybox", "alpine:3.7": "busybox", "nginx:1.13": "nginx",
            "influxdb:1.2": "influxdb"}
    hashes = {"busybox": "h1", "nginx": "h2", "influxdb": "h3"}
    std = build.LABEL
    found = {
        "busybox:latest": ("sha256:a", None),                                  # pulled by the user
        "alpine:3.7": ("sha256:b", {std: "true", std + ".hash": "h1"}),        # current stand-in
        "nginx:1.13": ("sha256:c", {std: "true", std + ".hash": "old"}),       # outdated stand-in
    }
    plan = build.plan_tags(refs, found, hashes)
    assert plan == {"busybox:latest": "real image kept", "alpine:3.7": "ok",
                    "nginx:1.13": "stale", "influxdb:1.2": "absent"}
    forced = build.plan_tags(refs, found, hashes, force=True)
    assert forced["busybox:latest"] == "real image kept"
    assert forced["alpine:3.7"] == "stale"


def test_normalise():
    assert build.normalise("busybox") == "busybox:latest"
    assert build.normalise("docker/whalesay") == "docker/whalesay:latest"
    assert build.normalise("python:alpine3.6") == "python:alpine3.6"
    assert build.normalise("localhost:5000/x") == "localhost:5000/x:latest"


def test_debian_mirror_is_read_from_apt_sources():
    mirror = build.debian_mirror()
    assert re.match(r"https?://", mirror), mirror
    assert "security" not in mirror


# ---------------------------------------------------------------- docker helpers
def run(*args, timeout=120, check=True):
    proc = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise AssertionError("docker %s -> %d\nstdout: %s\nstderr: %s"
                             % (" ".join(args), proc.returncode, proc.stdout, proc.stderr))
    return proc


def drun(image, *cmd, entrypoint=None, check=True, extra=(), timeout=120):
    """docker run --rm IMAGE CMD... (labelled), returning the CompletedProcess."""
    args = ["run", "--rm", *LABELS, *extra]
    if entrypoint is not None:
        args += ["--entrypoint", entrypoint]
    return run(*args, image, *cmd, check=check, timeout=timeout)


@pytest.fixture(scope="module")
def images():
    need("docker")
    env = dict(os.environ, LOCALFLOW_SKIP_MINIO="1")
    proc = subprocess.run([sys.executable, str(BUILD_PY)], capture_output=True, text=True,
                          env=env, timeout=1800, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    yield
    mine = "label=localflow.test.session=" + SESSION
    containers = run("ps", "-aq", "--filter", mine, check=False).stdout.split()
    if containers:
        run("rm", "-f", *containers, check=False)
    networks = run("network", "ls", "-q", "--filter", mine, check=False).stdout.split()
    if networks:
        run("network", "rm", *networks, check=False)


@pytest.fixture
def network(images):
    name = "lf-test-images-" + uuid.uuid4().hex[:8]
    run("network", "create", *LABELS, name)
    started = []
    yield name, started
    if started:
        run("rm", "-f", *started, check=False)
    run("network", "rm", name, check=False)


def start(network_and_list, image, *cmd, alias):
    net, started = network_and_list
    cid = run("run", "-d", *LABELS, "--network", net, "--network-alias", alias, image, *cmd).stdout.strip()
    started.append(cid)
    return cid


BUSYBOX_TAGS = ["busybox", "busybox:latest", "alpine", "alpine:latest", "alpine:3.6",
                "alpine:3.7", "alpine:3.23"]
ALL_STANDIN_TAGS = list(build.TAGS)


# ---------------------------------------------------------------- busybox / alpine
@pytest.mark.docker
@pytest.mark.parametrize("tag", BUSYBOX_TAGS)
def test_busybox_shell_arithmetic_seq_date(images, tag):
    out = drun(tag, "sh", "-c", "echo $((1+2)); seq 1 3 | wc -l; date +%Y; echo $RANDOM").stdout.split()
    assert out[0] == "3" and out[1] == "3"
    assert re.fullmatch(r"20\d\d", out[2])
    assert out[3].isdigit()


@pytest.mark.docker
def test_alpine_applets(images):
    applets = ["sh", "echo", "cat", "tee", "sleep", "ls", "find", "head", "wc", "mkdir", "dirname",
               "date", "seq", "touch", "true", "chmod", "grep", "awk", "od", "uname", "printf",
               "cp", "nc", "wget", "tr", "sed", "cut", "sort", "env", "id", "rm", "mv", "basename"]
    script = "for a in %s; do command -v $a >/dev/null || echo MISSING $a; done" % " ".join(applets)
    assert drun("alpine:3.23", "sh", "-c", script).stdout == ""


@pytest.mark.docker
def test_alpine_runs_with_no_command(images):
    assert drun("alpine:3.23").returncode == 0
    assert drun("alpine").returncode == 0


@pytest.mark.docker
def test_busybox_date_yesterday_and_sleep_suffixes(images):
    out = drun("busybox", "sh", "-c",
               "date -u -d yesterday +%Y-%m-%d; sleep 0.1; sleep 1s; echo slept").stdout.split()
    today = datetime.datetime.now(datetime.timezone.utc).date()
    allowed = {str(today - datetime.timedelta(days=1)), str(today), str(today - datetime.timedelta(days=2))}
    assert out[0] in allowed
    assert out[1] == "slept"


@pytest.mark.docker
def test_alpine_random_number_pipeline(images):
    out = drun("alpine:3.23", "sh", "-c",
               "cat /dev/urandom | od -N2 -An -i | awk -v f=1 -v r=100 '{printf \"%i\\n\", f + r * $1 / 65536}'")
    # busybox od reads the 2 bytes as a signed number, GNU od (debian) as unsigned
    assert -100 <= int(out.stdout.strip()) <= 101


@pytest.mark.docker
def test_alpine_nc_daemon_stays_up(images):
    cid = run("run", "-d", *LABELS, "alpine:3.23", "nc", "-lk", "-p", "9999", "-e", "/bin/true").stdout.strip()
    try:
        time.sleep(1)
        state = run("inspect", "--format", "{{.State.Running}}", cid).stdout.strip()
        assert state == "true", run("logs", cid, check=False).stderr
    finally:
        run("rm", "-f", cid, check=False)


@pytest.mark.docker
@pytest.mark.parametrize("tag", ["debian:9.1", "debian:8.9", "alpine:3.6", "ubuntu:17.10", "debian"])
def test_os_release_for_loops_maps(images, tag):
    out = drun(tag, "cat", "/etc/os-release").stdout
    assert "NAME=" in out
    assert drun(tag, "sh", "-c", "uname && ls / >/dev/null").stdout.strip() == "Linux"


@pytest.mark.docker
def test_busybox_user_files_and_tmp(images):
    out = drun("busybox", "sh", "-c", "id -un; id -un nobody; stat -c %a /tmp").stdout.split()
    assert out == ["root", "nobody", "1777"]


# ---------------------------------------------------------------- debian / python / node
@pytest.mark.docker
def test_debian_bash_script_like_scripts_bash(images):
    script = ("cat /dev/urandom | od -N2 -An -i | "
              "awk -v f=1 -v r=100 '{printf \"%i\\n\", f + r * $1 / 65536}'")
    out = drun("debian:9.4", "bash", "-c", script).stdout.strip()
    assert 1 <= int(out) <= 101


@pytest.mark.docker
@pytest.mark.parametrize("tag", ["python:alpine3.6", "python:alpine3.23", "python:3.6", "python:3.8"])
def test_python_images(images, tag):
    out = drun(tag, "python", "-c",
               "import json, random, sys, os, time; print(json.dumps(random.randint(1, 100)))")
    assert 1 <= int(out.stdout) <= 100
    out = drun(tag, "sh", "-c", "printf 'import sys\\nprint(sys.version_info[0])\\n' > /tmp/s.py && python /tmp/s.py && cat /tmp/s.py | head -1 && echo ok")
    assert out.stdout.split() == ["3", "import", "sys", "ok"]


@pytest.mark.docker
def test_python_alpine_sh_is_ash(images):
    out = drun("python:alpine3.23", "sh", "-c", "echo $RANDOM; true >& /tmp/out && echo redirected").stdout.split()
    assert out[0].isdigit() and out[1] == "redirected"


@pytest.mark.docker
def test_node_image(images):
    out = drun("node:9.1-alpine", "sh", "-c",
               "echo 'var r = Math.floor(Math.random() * 100); console.log(r);' > /tmp/s.js && node /tmp/s.js")
    assert 0 <= int(out.stdout) < 100


@pytest.mark.docker
def test_jq_image(images):
    out = drun("stedolan/jq:latest", "-c", "echo '[{\"a\":1},{\"a\":2}]' > /tmp/items && cat /tmp/items | jq '.[1]'",
               entrypoint="sh")
    assert json.loads(out.stdout) == {"a": 2}
    assert drun("stedolan/jq:latest", "--version").stdout.startswith("jq-")


# ---------------------------------------------------------------- cowsay / argosay
@pytest.mark.docker
@pytest.mark.parametrize("tag", ["docker/whalesay", "docker/whalesay:latest"])
def test_whalesay_cowsay(images, tag):
    out = drun(tag, "cowsay", "hello world").stdout
    assert "< hello world >" in out
    assert "##" in out  # the whale


@pytest.mark.docker
def test_whalesay_sh_outputs(images):
    out = drun("docker/whalesay:latest", "sh", "-c",
               "cowsay hello world | tee /tmp/hello_world.txt >/dev/null; echo -n hello world > /tmp/p; "
               "grep -c hello /tmp/hello_world.txt; cat /tmp/p").stdout
    assert out == "1\nhello world"


@pytest.mark.docker
def test_argosay_v2(images):
    img = "argoproj/argosay:v2"
    assert drun(img).stdout == "hello argo\n"
    assert drun(img, "echo").stdout == "hello argo\n"
    assert drun(img, "echo", "hi there").stdout == "hi there\n"
    assert drun(img, "exit", "3", check=False).returncode == 3
    assert drun(img, "exit").returncode == 0
    assert drun(img, "sleep", "100ms").returncode == 0
    assert drun(img, "bogus", check=False).returncode == 1
    out = drun(img, "-c", "/argosay echo 'my msg' /tmp/a/b/out && /argosay cat /tmp/a/b/out && echo && "
               "/argosay assert_contains /tmp/a/b/out msg && echo yes && "
               "! /argosay assert_contains /tmp/a/b/out nope 2>/dev/null && echo no && "
               "printf 'echo from-sh\\n' > /tmp/s && /argosay sh /tmp/s && "
               "cowsay moo | grep -c moo && bash -c 'echo bash-$((2*3))'", entrypoint="sh").stdout
    assert out.split("\n") == ["my msg", "yes", "no", "from-sh", "1", "bash-6", ""]


@pytest.mark.docker
def test_argosay_v1(images):
    img = "argoproj/argosay:v1"
    assert drun(img).returncode == 0  # CMD cowsay, no stdin
    out = drun(img, "cowsay", "hello argo").stdout
    assert "< hello argo >" in out and "(oo)" in out
    assert drun(img, "bash", "-c", "sleep 0.1 && echo ok").stdout == "ok\n"


# ---------------------------------------------------------------- curl and the HTTP stubs
@pytest.mark.docker
@pytest.mark.parametrize("tag", ["curlimages/curl:latest", "appropriate/curl:latest", "appropriate/curl"])
def test_curl_images(images, tag):
    out = drun(tag, "sh", "-c", "curl --version | head -1; seq 1 2 | wc -l; echo $RANDOM", entrypoint="").stdout
    lines = out.split()
    assert lines[0] == "curl"
    assert "2" in lines and lines[-1].isdigit()
    assert drun(tag, "--version").stdout.startswith("curl ")  # the image's own ENTRYPOINT


WAIT_GET = ("for i in $(seq 1 100); do curl --silent -G {url} && exit 0; sleep 0.2; done; "
            "echo never answered >&2; exit 1")


@pytest.mark.docker
@pytest.mark.parametrize("cmd", [(), ("nginx", "-g", "daemon off;")], ids=["default-cmd", "nginx-g"])
def test_nginx_stub_answers_get(images, network, cmd):
    start(network, "nginx:1.13", *cmd, alias="web")
    out = drun("curlimages/curl:latest", "sh", "-c", WAIT_GET.format(url="http://web:80/"),
               extra=["--network", network[0]], entrypoint="").stdout
    assert "Welcome to nginx!" in out
    code = drun("curlimages/curl:latest", "sh", "-c",
                "curl -s -o /dev/null -w '%{http_code}' http://web/missing", entrypoint="",
                extra=["--network", network[0]]).stdout
    assert code == "404"


@pytest.mark.docker
def test_nginx_as_sidecar_on_localhost(images, network):
    """sidecar-nginx: the main container reaches the sidecar on 127.0.0.1 (shared netns)."""
    cid = start(network, "nginx:latest", alias="side")
    out = drun("appropriate/curl", "-c",
               "until `curl -G 'http://127.0.0.1/' >& /tmp/out`; do echo sleep && sleep 1; done && cat /tmp/out",
               entrypoint="sh", extra=["--network", "container:" + cid], timeout=60).stdout
    assert "Welcome to nginx!" in out


@pytest.mark.docker
@pytest.mark.parametrize("cmd", [(), ("influxd",)], ids=["default-cmd", "influxd"])
def test_influxdb_stub_write_and_query(images, network, cmd):
    start(network, "influxdb:1.2", *cmd, alias="influx")
    script = "\n".join([
        "set -e",
        "for i in $(seq 1 100); do [ \"$(curl -s -o /dev/null -w '%{http_code}' http://influx:8086/ping)\" = 204 ] && break; sleep 0.2; done",
        "curl -s -XPOST 'http://influx:8086/query' --data-urlencode 'q=CREATE DATABASE mydb' >/dev/null",
        "for i in $(seq 1 3); do curl -s -XPOST 'http://influx:8086/write?db=mydb' -d \"cpu,host=server01,region=uswest load=$i\"; done",
        "curl -s -XPOST 'http://influx:8086/write?db=mydb' -d \"cpu,host=server02,region=uswest load=$((RANDOM % 100))\"",
        "curl -s -XPOST 'http://influx:8086/write?db=mydb' -d 'cpu,host=server03,region=useast load=15.4'",
        "curl --silent -G 'http://influx:8086/query?pretty=true' --data-urlencode 'db=mydb' --data-urlencode 'q=SELECT * FROM cpu'",
    ])
    out = drun("appropriate/curl:latest", "-c", script, entrypoint="sh",
               extra=["--network", network[0]]).stdout
    assert "\n    " in out  # pretty=true indents
    result = json.loads(out)
    series = result["results"][0]["series"][0]
    assert series["name"] == "cpu"
    assert series["columns"] == ["time", "host", "load", "region"]
    assert len(series["values"]) == 5
    assert series["values"][0][1:] == ["server01", 1, "uswest"]
    assert series["values"][-1][1:] == ["server03", 15.4, "useast"]


# ---------------------------------------------------------------- labels / idempotence
@pytest.mark.docker
def test_stand_ins_are_labelled(images):
    found = build.inspect(ALL_STANDIN_TAGS)
    assert set(found) == {build.normalise(t) for t in ALL_STANDIN_TAGS}
    for tag in ALL_STANDIN_TAGS:
        labels = found[build.normalise(tag)][1] or {}
        if labels.get(build.LABEL) != "true":
            continue  # a real image the user has: left alone
        assert labels[build.LABEL + ".recipe"] == build.TAGS[tag]
        assert re.fullmatch(r"[0-9a-f]{16}", labels[build.LABEL + ".hash"])


@pytest.mark.docker
def test_build_is_fast_when_everything_is_built(images):
    env = dict(os.environ, LOCALFLOW_SKIP_MINIO="1")
    t0 = time.monotonic()
    proc = subprocess.run(["bash", str(BUILD_SH)], capture_output=True, text=True, env=env,
                          timeout=300, stdin=subprocess.DEVNULL)
    elapsed = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr
    assert "(0 recipe(s) built)" in proc.stdout
    assert elapsed < 10, elapsed  # < 2 s normally; slack for a loaded machine
