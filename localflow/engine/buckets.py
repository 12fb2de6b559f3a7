"""Buckets that `s3` sources name, on localflow's own artifact server.

Decision: Argo's examples assume the bucket of Argo's test environment (and quick-start), a MinIO
whose bucket `my-bucket` exists (`data-transformations.yaml` lists it with a data template). When the
run's repository is localflow's own local server, which localflow started for itself, a bucket that a
data template's `s3` source names is created (empty) on first use: the listing is empty, as on a fresh
Argo install, rather than a NoSuchBucket error. On an S3 endpoint the user gave (LOCALFLOW_S3_*,
LOCALFLOW_ARTIFACT_REPOSITORY, an artifactRepositoryRef) localflow never creates buckets: a missing
bucket stays an error there, naming the bucket.
"""

from __future__ import annotations

import os
from typing import Any

from localflow.spec import model as M


def on_own_server(store: Any, spec: M.WorkflowSpec) -> bool:
    """Whether `store` is localflow's own artifact server rather than an endpoint the user gave.

    A store that says so itself (an `own_server` attribute) is believed. Otherwise the choice the CLI
    makes (`store_for_run`: artifactRepositoryRef, LOCALFLOW_ARTIFACT_REPOSITORY, LOCALFLOW_S3_*, else the
    local server with localflow's default bucket) is read back; anything configured means "not ours".
    """
    flag = getattr(store, "own_server", None)
    if flag is not None:
        return bool(flag)
    from localflow.artifacts.config import DEFAULT_BUCKET, ENV_PREFIX
    if os.environ.get(ENV_PREFIX + "ENDPOINT", "").strip() or os.environ.get("LOCALFLOW_ARTIFACT_REPOSITORY"):
        return False
    if spec.artifact_repository_ref is not None:
        return False
    repo = getattr(store, "repo", None)
    return repo is not None and getattr(repo, "bucket", None) == DEFAULT_BUCKET


def ensure_named_bucket(store: Any, spec: M.WorkflowSpec, repo: Any) -> None:
    """Create the bucket `repo` names when it is another bucket of localflow's own server."""
    if repo is getattr(store, "repo", None) or not on_own_server(store, spec):
        return
    if getattr(repo, "endpoint", None) != getattr(store.repo, "endpoint", None):
        return  # another endpoint altogether: not ours to change
    repo.ensure_bucket()
