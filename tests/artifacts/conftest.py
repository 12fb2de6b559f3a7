"""Fixtures for localflow.artifacts: a real S3 server (SeaweedFS) and a real Docker engine."""

from __future__ import annotations

import contextlib
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parents[1]
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from artifacts_helpers import TEST_LABEL, busybox_rootfs_tar
from needs import need
from s3server import S3Server, s3_server_fixture

from localflow.artifacts.repository import S3Repository

s3_server = s3_server_fixture()


@pytest.fixture
def repo(s3_server: S3Server) -> Iterator[S3Repository]:
    """A fresh bucket per test, removed afterwards."""
    bucket = "lf-test-" + secrets.token_hex(4)
    repository = S3Repository(s3_server.endpoint, s3_server.access_key, s3_server.secret_key, bucket,
                              part_size=5 * 1024 * 1024)
    repository.ensure_bucket()
    yield repository
    repository.delete_prefix("")
    repository.client.remove_bucket(bucket)


@pytest.fixture(scope="session")
def docker_client():  # type: ignore[no-untyped-def]
    yield need("docker")


@pytest.fixture(scope="session")
def busybox_image(docker_client) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A throwaway FROM-scratch busybox image (no registry needed), removed at the end."""
    need("busybox")
    tag = f"localflow-test/artifacts-busybox:{secrets.token_hex(4)}"
    repository, _, version = tag.partition(":")
    docker_client.api.import_image_from_data(
        busybox_rootfs_tar(), repository=repository, tag=version,
        changes=["LABEL localflow.test=artifacts", 'CMD ["sh"]'],
    )
    yield tag
    with contextlib.suppress(Exception):  # best effort: a concurrent user may hold it
        docker_client.images.remove(tag, force=True)


@pytest.fixture
def make_container(docker_client, busybox_image):  # type: ignore[no-untyped-def]
    """Start busybox containers (sleeping) labelled for cleanup; removed after the test."""
    created = []

    def make(**kwargs):  # type: ignore[no-untyped-def]
        container = docker_client.containers.run(
            busybox_image, ["sleep", "300"], detach=True, labels=TEST_LABEL, **kwargs
        )
        created.append(container)
        return container

    yield make
    for container in created:
        with contextlib.suppress(Exception):
            container.remove(force=True)
