"""Docker API calls without the docker SDK's hidden round trips.

The SDK's `containers.create` inspects the new container before returning it, and every `logs` call
inspects the container to learn whether it has a TTY. localflow knows both answers already (it made the
container), so these helpers save two to three requests per pod. They use the SDK's request plumbing
(`_url`, `_get`, `_get_result_tty`, stable since docker-py 2) and fall back to the public calls if it
ever changes.
"""

from __future__ import annotations

from typing import Any

import docker
from docker.models.containers import Container


def create(client: docker.DockerClient, kwargs: dict[str, Any]) -> Container:
    """`client.containers.create(**kwargs)` without the inspect that follows it.

    The returned model carries the labels it was created with (what localflow reads back); anything else
    needs `reload()`."""
    try:
        from docker.models.containers import _create_container_args
    except ImportError:  # pragma: no cover - a future SDK
        return client.containers.create(**kwargs)
    image = kwargs.get("image")
    args = _create_container_args({"command": None, **kwargs, "image": getattr(image, "id", image),
                                   "version": client.api._version})
    resp = client.api.create_container(**args)
    attrs = {"Id": resp["Id"], "Name": "/" + str(kwargs.get("name") or ""),
             "Config": {"Labels": dict(kwargs.get("labels") or {}), "Tty": bool(kwargs.get("tty"))},
             "State": {"Status": "created"}}
    return client.containers.prepare_model(attrs)


def logs(container: Container, *, stdout: bool = True, stderr: bool = True, follow: bool = False,
         stream: bool = False) -> Any:
    """`container.logs(...)` without the inspect the SDK makes to learn whether the container has a TTY."""
    api = container.client.api
    tty = bool(((container.attrs or {}).get("Config") or {}).get("Tty"))
    try:
        url = api._url("/containers/{0}/logs", container.id)
        res = api._get(url, params={"stdout": int(stdout), "stderr": int(stderr), "timestamps": 0,
                                    "follow": int(follow), "tail": "all"}, stream=stream)
        out = api._get_result_tty(stream, res, tty)
    except AttributeError:  # pragma: no cover - a future SDK
        return container.logs(stdout=stdout, stderr=stderr, follow=follow, stream=stream)
    if stream:
        from docker.types import CancellableStream
        return CancellableStream(out, res)
    return out
