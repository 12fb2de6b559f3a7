"""localflow.artifacts: where artifacts live and how they move.

repository  S3Repository: a bucket through the minio client, streamed and verified transfers
config      LOCALFLOW_S3_* and Argo's `artifactRepository` (s3) configuration
archive     Docker archive tars <-> Argo's stored forms (gzipped tar, or raw)
transfer    save_output / load_input: container <-> repository, what the engine calls
sources     http, git and s3 input sources fetched to local files
server      the local artifact server container (MinIO, or SeaweedFS) and its networks
run_store   a run's view over the above (Argo-shaped artifact dicts)
"""
