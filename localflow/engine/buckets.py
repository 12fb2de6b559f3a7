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

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localflow.spec import model as M

    from .interfaces import ArtifactStore


def ensure_named_bucket(store: ArtifactStore, spec: M.WorkflowSpec, repo: Any) -> None:
    """Create the bucket `repo` names when it is another bucket of localflow's own server."""
    if repo is store.repo or not store.is_own_server(spec):
        return
    if getattr(repo, "endpoint", None) != getattr(store.repo, "endpoint", None):
        return  # another endpoint altogether: not ours to change
    repo.ensure_bucket()
