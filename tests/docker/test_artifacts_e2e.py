"""Artifacts through whole runs: passing, archives, git/http/s3/raw inputs, credentials from secrets."""

from __future__ import annotations

import functools
import http.server
import json
import subprocess
import threading

import pytest

from helpers import leftovers, localflow

pytestmark = pytest.mark.docker

HEAD = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: arts-}\nspec:\n"


def run(tmp_path, body: str, env: dict, *args: str):
    p = tmp_path / "wf.yaml"
    p.write_text(HEAD + body)
    proc = localflow("submit", "-o", "json", str(p), *args, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    wf = json.loads(proc.stdout)
    assert leftovers(wf["metadata"]["name"]) == (0, 0, 0)
    return proc, wf


def logs(name: str, env: dict) -> str:
    return localflow("logs", name, env=env).stdout


@pytest.fixture
def http_server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "hello.txt").write_text("hello over http\n")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


@pytest.fixture
def git_repo(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "README").write_text("from git v1\n")
    g = ["git", "-C", str(src), "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(src)], check=True)
    subprocess.run(g + ["add", "."], check=True)
    subprocess.run(g + ["commit", "-qm", "v1"], check=True)
    subprocess.run(g + ["tag", "v1"], check=True)
    (src / "README").write_text("from git v2\n")
    subprocess.run(g + ["commit", "-qam", "v2"], check=True)
    return f"file://{src}"


def test_passing_tar_and_none_archives_and_optional(tmp_path, artifact_env):
    proc, wf = run(tmp_path, """
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: gen, template: gen}
    - - name: use
        template: use
        arguments:
          artifacts:
          - {name: dir, from: "{{steps.gen.outputs.artifacts.dir}}"}
          - {name: raw, from: "{{steps.gen.outputs.artifacts.raw}}"}
  - name: gen
    container:
      image: alpine
      command: [sh, -c, "mkdir -p /out/sub && echo one > /out/a && echo two > /out/sub/b && echo plain > /tmp/p"]
    outputs:
      artifacts:
      - {name: dir, path: /out}
      - {name: raw, path: /tmp/p, archive: {none: {}}}
      - {name: missing, path: /nope, optional: true}
  - name: use
    inputs:
      artifacts:
      - {name: dir, path: /in/dir}
      - {name: raw, path: /in/raw, mode: 0600}
    container:
      image: alpine
      command: [sh, -c, "cat /in/dir/a /in/dir/sub/b /in/raw; stat -c %a /in/raw"]
""", artifact_env)
    assert wf["status"]["phase"] == "Succeeded", proc.stderr
    out = logs(wf["metadata"]["name"], artifact_env)
    # the use step's lines, exactly: both files of the tar artifact, the raw one, and its mode 0600
    assert [line for line in out.splitlines() if line.startswith("use: ")] == [
        "use: one", "use: two", "use: plain", "use: 600"], out
    gen = next(n for n in wf["status"]["nodes"].values() if n["displayName"] == "gen")
    keys = {a["name"]: a["s3"]["key"] for a in gen["outputs"]["artifacts"]}
    assert keys["dir"].endswith("/dir.tgz") and keys["dir"].startswith(wf["metadata"]["name"] + "/")
    assert keys["raw"].endswith("/p") and "missing" not in keys


def test_missing_required_output_errors_the_node(tmp_path, artifact_env):
    proc, wf = run(tmp_path, """
  entrypoint: gen
  templates:
  - name: gen
    container: {image: alpine, command: ["true"]}
    outputs:
      artifacts: [{name: out, path: /not/there}]
""", artifact_env)
    assert wf["status"]["phase"] == "Error"
    assert "failed to save output artifact 'out'" in proc.stdout


def test_http_git_raw_and_s3_inputs_with_secrets(tmp_path, artifact_env, http_server, git_repo, s3_endpoint):
    from minio import Minio
    import io
    client = Minio(s3_endpoint.endpoint, s3_endpoint.access_key, s3_endpoint.secret_key, secure=False)
    if not client.bucket_exists("inputs"):
        client.make_bucket("inputs")
    client.put_object("inputs", "data/file.txt", io.BytesIO(b"from s3\n"), 8)
    assert localflow("secret", "create", "s3-creds", f"--from-literal=ak={s3_endpoint.access_key}",
                     f"--from-literal=sk={s3_endpoint.secret_key}", env=artifact_env).returncode == 0
    proc, wf = run(tmp_path, f"""
  entrypoint: main
  templates:
  - name: main
    inputs:
      artifacts:
      - name: web
        path: /in/web.txt
        http: {{url: "{http_server}/hello.txt"}}
      - name: code
        path: /src
        git: {{repo: "{git_repo}", revision: v1}}
      - name: note
        path: /in/note
        raw: {{data: "raw text for {{{{workflow.name}}}}"}}
      - name: obj
        path: /in/obj.txt
        s3:
          endpoint: {s3_endpoint.endpoint}
          bucket: inputs
          key: data/file.txt
          insecure: true
          accessKeySecret: {{name: s3-creds, key: ak}}
          secretKeySecret: {{name: s3-creds, key: sk}}
    container:
      image: alpine
      command: [sh, -c, "cat /in/web.txt /src/README /in/note; echo; cat /in/obj.txt"]
""", artifact_env)
    assert wf["status"]["phase"] == "Succeeded", proc.stdout
    out = logs(wf["metadata"]["name"], artifact_env)
    assert "hello over http" in out
    assert "from git v1" in out  # the revision, not the branch head
    assert f"raw text for {wf['metadata']['name']}" in out
    assert "from s3" in out


def test_input_artifact_from_the_local_disk(tmp_path, artifact_env):
    data = tmp_path / "data"
    data.mkdir()
    (data / "x.txt").write_text("local stub\n")
    proc, wf = run(tmp_path, """
  entrypoint: show
  templates:
  - name: show
    inputs:
      artifacts: [{name: data, path: /in/data}]
    container: {image: alpine, command: [cat, /in/data/x.txt]}
""", artifact_env, "--input-artifact", f"data={data}")
    assert wf["status"]["phase"] == "Succeeded", proc.stderr
    assert "local stub" in logs(wf["metadata"]["name"], artifact_env)


def test_archive_logs_stores_main_logs(tmp_path, artifact_env):
    proc, wf = run(tmp_path, """
  entrypoint: hello
  archiveLogs: true
  templates:
  - name: hello
    container: {image: alpine, command: [echo, logged line]}
""", artifact_env)
    assert wf["status"]["phase"] == "Succeeded", proc.stderr
    root = wf["status"]["nodes"][wf["metadata"]["name"]]
    (art,) = root["outputs"]["artifacts"]
    assert art["name"] == "main-logs" and art["s3"]["key"].endswith("/main.log")
    dest = tmp_path / "dl"
    got = localflow("artifacts", "get", wf["metadata"]["name"], root["displayName"], "main-logs", "-o", str(dest),
                    env=artifact_env)
    assert got.returncode == 0, got.stderr
    assert "logged line" in open(got.stdout.strip()).read()


def test_artifact_repository_ref_and_repository_file(tmp_path, s3_endpoint):
    env = {"LOCALFLOW_S3_ENDPOINT": ""}  # no LOCALFLOW_S3_*: the ref decides
    assert localflow("secret", "create", "repo-creds", f"--from-literal=ak={s3_endpoint.access_key}",
                     f"--from-literal=sk={s3_endpoint.secret_key}", env=env).returncode == 0
    repo_yaml = (f"s3:\n  endpoint: {s3_endpoint.endpoint}\n  bucket: from-ref\n  insecure: true\n"
                 "  accessKeySecret: {name: repo-creds, key: ak}\n  secretKeySecret: {name: repo-creds, key: sk}\n")
    cm = tmp_path / "cm.yaml"
    cm.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: artifact-repositories}\ndata:\n  my-key: |\n"
                  + "".join(f"    {line}\n" for line in repo_yaml.splitlines()))
    assert localflow("apply", "-f", str(cm), env=env).returncode == 0
    body = """
  entrypoint: main
  artifactRepositoryRef: {key: my-key}
  templates:
  - name: main
    container: {image: alpine, command: [sh, -c, "echo hi > /tmp/x"]}
    outputs: {artifacts: [{name: x, path: /tmp/x}]}
"""
    proc, wf = run(tmp_path, body, env)
    assert wf["status"]["phase"] == "Succeeded", proc.stderr
    (art,) = wf["status"]["nodes"][wf["metadata"]["name"]]["outputs"]["artifacts"]
    assert art["s3"]["bucket"] == "from-ref" and art["s3"]["endpoint"] == s3_endpoint.endpoint
    # the same repository from a file in Argo's format, with LOCALFLOW_ARTIFACT_REPOSITORY
    f = tmp_path / "repo.yaml"
    f.write_text("artifactRepository:\n" + "".join(f"  {line}\n" for line in repo_yaml.replace(
        "from-ref", "from-file").splitlines()))
    proc, wf = run(tmp_path, body.replace("  artifactRepositoryRef: {key: my-key}\n", ""),
                   dict(env, LOCALFLOW_ARTIFACT_REPOSITORY=str(f)))
    assert wf["status"]["phase"] == "Succeeded", proc.stderr
    (art,) = wf["status"]["nodes"][wf["metadata"]["name"]]["outputs"]["artifacts"]
    assert art["s3"]["bucket"] == "from-file"


def test_data_template_lists_and_transforms(tmp_path, artifact_env, s3_endpoint):
    import io

    from minio import Minio
    client = Minio(s3_endpoint.endpoint, s3_endpoint.access_key, s3_endpoint.secret_key, secure=False)
    if not client.bucket_exists("logs-bucket"):
        client.make_bucket("logs-bucket")
    for key in ("a/main.log", "b/main.log", "b/other.txt"):
        client.put_object("logs-bucket", key, io.BytesIO(b"x"), 1)
    proc, wf = run(tmp_path, """
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: list, template: list}
    - - name: each
        template: say
        withParam: "{{steps.list.outputs.result}}"
        arguments: {parameters: [{name: f, value: "{{item}}"}]}
  - name: list
    data:
      source:
        artifactPaths:
          name: logs
          s3: {bucket: logs-bucket}
      transformation:
      - expression: "filter(data, {# endsWith \\"main.log\\"})"
  - name: say
    inputs: {parameters: [{name: f}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.f}}"]}
""", artifact_env)
    assert wf["status"]["phase"] == "Succeeded", proc.stderr
    names = {n["displayName"] for n in wf["status"]["nodes"].values()}
    assert {"each(0:a/main.log)", "each(1:b/main.log)"} <= names
    assert not any("other.txt" in n for n in names)
