"""The artifact repository as a run uses it: save outputs, build input tars from any source.

Artifacts are Argo-shaped dicts (`{"name": .., "s3": {"key": ..}, "archive": ..}`); this module
turns them into objects in S3 and into tars for Docker's put_archive.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from localflow.errors import ArtifactError

from .repository import S3Repository

if TYPE_CHECKING:  # archive and transfer (tarfile, gzip, threads) load when an artifact moves
    from localflow.spec import model as M

    from . import archive as arc

SecretResolver = Callable[[str, str], str]  # (secret name, key) -> value


def archive_kind(archive: dict | None) -> tuple[str, int | None]:
    """Argo's `archive` strategy dict → ("tar" | "none", compression level)."""
    if not archive or "tar" in archive:
        level = ((archive or {}).get("tar") or {}).get("compressionLevel")
        return "tar", level
    if "none" in archive:
        return "none", None
    raise ArtifactError("archive strategy zip is not supported for outputs (tar or none)")


class RunArtifactStore:
    """One repository (bucket) where a run's outputs go."""

    def __init__(self, repo: S3Repository | None, resolve_secret: SecretResolver | None = None):
        """`repo` None: no repository is configured (the engine then places raw and local inputs only)."""
        self.repo = repo
        self.resolve_secret = resolve_secret
        self.run_name: str | None = None
        # localflow's own artifact server (True) or an endpoint the user gave (False): on our own server,
        # buckets a workflow names are made on first use (engine/buckets.py); None: not known
        self.own_server: bool | None = None

    def location(self, key: str) -> dict:
        return {"key": key, "bucket": self.repo.bucket, "endpoint": self.repo.endpoint,
                "insecure": not self.repo.secure}

    def save(self, key_prefix: str, name: str, path: str, tar_stream: Iterable[bytes], archive: dict | None,
             key: str | None = None) -> dict:
        from . import transfer
        kind, level = archive_kind(archive)
        saved = transfer.save_output(tar_stream, self.repo, key_prefix, name, path, kind, level, key=key)
        art: dict[str, Any] = {"name": name, "s3": self.location(saved.key), "size": saved.size}
        if kind == "none":
            art["archive"] = {"none": {}}
        return art

    def input_tar(self, art: dict, dest_path: str, mode: int | None, sub_path: str | None = None) -> arc.DockerTar:
        return input_tar(self, art, dest_path, mode, sub_path)

    def is_own_server(self, spec: M.WorkflowSpec) -> bool:
        return on_own_server(self, spec)

    def repo_for(self, s3: dict) -> S3Repository:
        """The repository an `s3` location names: ours when it names no other endpoint/bucket."""
        endpoint = s3.get("endpoint") or self.repo.endpoint
        bucket = s3.get("bucket") or self.repo.bucket
        if endpoint == self.repo.endpoint and bucket == self.repo.bucket and not s3.get("accessKeySecret"):
            return self.repo
        access = secret = ""
        if s3.get("accessKeySecret") or s3.get("secretKeySecret"):
            if self.resolve_secret is None:
                raise ArtifactError("s3 credentials come from secrets, but no secret store is available")
            a, s = s3.get("accessKeySecret") or {}, s3.get("secretKeySecret") or {}
            access = self.resolve_secret(a.get("name", ""), a.get("key", ""))
            secret = self.resolve_secret(s.get("name", ""), s.get("key", ""))
        elif endpoint == self.repo.endpoint:
            access = getattr(self.repo, "access_key", "")
            secret = getattr(self.repo, "secret_key", "")
        if "insecure" in s3:
            secure = not s3["insecure"]
        else:  # our own server unless told otherwise; another endpoint: TLS, as Argo's default
            secure = self.repo.secure if endpoint == self.repo.endpoint else True
        return S3Repository(endpoint, access, secret, bucket, secure=secure, region=s3.get("region"))


def on_own_server(store: Any, spec: M.WorkflowSpec) -> bool:
    """Whether `store` is localflow's own artifact server rather than an endpoint the user gave.

    A store that says so itself (its `own_server`) is believed. Otherwise the choice `store_for_run`
    makes (artifactRepositoryRef, LOCALFLOW_ARTIFACT_REPOSITORY, LOCALFLOW_S3_*, else the local server
    with localflow's default bucket) is read back; anything configured means "not ours".
    """
    flag = getattr(store, "own_server", None)
    if flag is not None:
        return bool(flag)
    from .config import DEFAULT_BUCKET, ENV_PREFIX
    if os.environ.get(ENV_PREFIX + "ENDPOINT", "").strip() or os.environ.get("LOCALFLOW_ARTIFACT_REPOSITORY"):
        return False
    if spec.artifact_repository_ref is not None:
        return False
    repo = getattr(store, "repo", None)
    return repo is not None and getattr(repo, "bucket", None) == DEFAULT_BUCKET


def _secret(store: RunArtifactStore | None, ref: dict | None) -> str | None:
    if not ref:
        return None
    if store is None or store.resolve_secret is None:
        raise ArtifactError(f"secret {ref.get('name')!r} is needed but no secret store is available")
    return store.resolve_secret(ref.get("name", ""), ref.get("key", ""))


def input_tar(store: RunArtifactStore | None, art: dict, dest_path: str, mode: int | None,
              sub_path: str | None = None) -> arc.DockerTar:
    """A tar that places artifact `art` exactly at `dest_path` in a container (put at "/")."""
    from . import archive as arc
    from . import transfer
    archive = art.get("archive")
    explicit = None if not archive else ("none" if "none" in archive else "tar")
    if "raw" in art:
        return arc.raw_to_docker_tar((art["raw"] or {}).get("data", ""), dest_path, mode)
    if "local" in art:
        return arc.local_path_to_docker_tar(art["local"], dest_path, mode)
    if "s3" in art:
        s3 = art["s3"] or {}
        if store is None:
            raise ArtifactError("an s3 artifact needs an artifact repository")
        repo = store.repo_for(s3)
        key = s3.get("key") or ""
        if sub_path:
            key = key.rstrip("/") + "/" + sub_path.lstrip("/")
        return transfer.load_input(repo, key, dest_path, mode, explicit)
    tmpdir = tempfile.mkdtemp(prefix="localflow-art-")
    try:
        if "http" in art:
            from .sources import fetch_http
            h = art["http"] or {}
            target = os.path.join(tmpdir, "download")
            auth = h.get("auth") or {}
            basic = auth.get("basicAuth") or {}
            fetch_http(h.get("url", ""), h.get("headers"), target,
                       username=_secret(store, basic.get("usernameSecret")),
                       password=_secret(store, basic.get("passwordSecret")))
            with open(target, "rb") as f:
                return arc.stored_to_docker_tar(f, dest_path, mode, explicit)
        if "git" in art:
            from .sources import fetch_git
            g = art["git"] or {}
            target = os.path.join(tmpdir, "repo")
            fetch_git(g.get("repo", ""), target, revision=g.get("revision"), depth=g.get("depth"),
                      fetch=g.get("fetch") or (), single_branch=bool(g.get("singleBranch")),
                      branch=g.get("branch"),
                      username=_secret(store, g.get("usernameSecret")),
                      password=_secret(store, g.get("passwordSecret")),
                      ssh_private_key=_secret(store, g.get("sshPrivateKeySecret")),
                      insecure_ignore_host_key=bool(g.get("insecureIgnoreHostKey")),
                      disable_submodules=bool(g.get("disableSubmodules")))
            return arc.local_path_to_docker_tar(target, dest_path, mode)
        kinds = [k for k in ("gcs", "oss", "azure", "hdfs", "artifactory", "plugin") if k in art]
        raise ArtifactError(f"{kinds[0] if kinds else 'this'} artifacts need a cloud service; localflow "
                            "supports s3, http, git and raw")
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


# The default bucket on localflow's own artifact server, started on first need (the CLI hands it in:
# cli/artifact_server.local_repository, over the runtime's Docker client).
LocalServer = Callable[[], S3Repository]


def default_store(local_server: LocalServer, resolve_secret: SecretResolver | None = None) -> RunArtifactStore:
    """LOCALFLOW_S3_* when set, else the local artifact server (started on first need)."""
    from .config import repository_from_env
    repo = repository_from_env()
    own = repo is None
    if repo is None:
        repo = local_server()
    repo.ensure_bucket()
    store = RunArtifactStore(repo, resolve_secret)
    store.own_server = own
    return store


def repository_config_file(path: str, resolve_secret: SecretResolver | None) -> S3Repository:
    """LOCALFLOW_ARTIFACT_REPOSITORY: a file in Argo's format (the controller's `artifactRepository`
    block, or an ArtifactRepository with `s3:`)."""
    import yaml

    from .config import parse_artifact_repository
    try:
        with open(path) as f:
            data = yaml.safe_load(f) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ArtifactError(f"LOCALFLOW_ARTIFACT_REPOSITORY={path}: cannot read it: {e}") from e
    if isinstance(data, dict) and data.get("kind") == "ConfigMap":  # the controller's config map itself
        inner = (data.get("data") or {}).get("artifactRepository")
        data = yaml.safe_load(inner) if isinstance(inner, str) else {}
    return _repo(parse_artifact_repository(data, _need(resolve_secret)))


def _need(resolve_secret: SecretResolver | None) -> SecretResolver:
    def fail(name: str, key: str) -> str:
        raise ArtifactError(f"secret {name!r} is needed for the artifact repository but no secret store is available")
    return resolve_secret or fail


def _repo(cfg: Any) -> S3Repository:
    return S3Repository(cfg.endpoint, cfg.access_key, cfg.secret_key, cfg.bucket, secure=cfg.secure,
                        region=cfg.region)


def repository_from_ref(ref: dict, config_maps: dict[str, dict[str, str]],
                        resolve_secret: SecretResolver | None) -> S3Repository | None:
    """`artifactRepositoryRef`: the repository in config map `configMap` (default `artifact-repositories`)
    under `key` (default: its only key, or `default-v1`). None when that config map is not here."""
    import yaml

    from .config import parse_artifact_repository
    name = ref.get("configMap") or "artifact-repositories"
    data = config_maps.get(name)
    if data is None:
        return None
    key = ref.get("key") or ("default-v1" if "default-v1" in data else next(iter(data), None))
    if key not in data:
        raise ArtifactError(f"artifactRepositoryRef: config map {name!r} has no key {key!r}")
    return _repo(parse_artifact_repository(yaml.safe_load(data[key]) or {}, _need(resolve_secret)))


def store_for_run(local_server: LocalServer, spec_ref: dict | None, config_maps: dict[str, dict[str, str]],
                  resolve_secret: SecretResolver | None, notice: Callable[[str], None]) -> RunArtifactStore:
    """Where this run's artifacts go: artifactRepositoryRef, LOCALFLOW_ARTIFACT_REPOSITORY,
    LOCALFLOW_S3_*, or the local artifact server — in that order."""
    repo = None
    if spec_ref is not None:
        repo = repository_from_ref(spec_ref, config_maps, resolve_secret)
        if repo is None:
            notice(f"artifactRepositoryRef: config map {spec_ref.get('configMap') or 'artifact-repositories'!r} "
                   "not found (localflow configmap create ...); using the default artifact repository")
    if repo is None and os.environ.get("LOCALFLOW_ARTIFACT_REPOSITORY"):
        repo = repository_config_file(os.environ["LOCALFLOW_ARTIFACT_REPOSITORY"], resolve_secret)
    if repo is None:
        return default_store(local_server, resolve_secret)
    repo.ensure_bucket()
    store = RunArtifactStore(repo, resolve_secret)
    store.own_server = False
    return store
