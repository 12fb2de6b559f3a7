"""Docker API calls localflow makes in one shape for both transports.

A container's create body (the engine API's JSON, as the SDK's `containers.create` would send it for
the same keyword arguments) is built here once, sent by engine_api on a local engine and by the SDK's
low-level `create_container_from_config` on any other. Neither inspects the new container (the SDK's
`containers.create` does): localflow knows what it made. `logs` reads a container's log without the
inspect the SDK makes to learn whether the container has a TTY.
"""

from __future__ import annotations

from typing import Any

from . import engine_api

# keyword argument (the SDK's containers.create names) -> the body's field
_CONFIG = {"hostname": "Hostname", "user": "User", "tty": "Tty", "environment": "Env", "command": "Cmd",
           "image": "Image", "entrypoint": "Entrypoint", "working_dir": "WorkingDir", "labels": "Labels"}
_HOST = {"mem_limit": "Memory", "privileged": "Privileged", "read_only": "ReadonlyRootfs", "cap_add": "CapAdd",
         "cap_drop": "CapDrop", "init": "Init", "nano_cpus": "NanoCpus", "mounts": "Mounts"}
_SENT_WHEN_SET = ("read_only", "init", "mounts")  # sent even when false or empty, as the SDK does


def create_body(kwargs: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """(the API's create body, the container's name) for `containers.create(**kwargs, detach=True)` with
    the arguments localflow uses (memory in bytes, mounts as the API's dicts, ports as {"8080/tcp":
    (host ip, None)})."""
    unknown = set(kwargs) - set(_CONFIG) - set(_HOST) - {"name", "detach", "network", "network_mode", "ports"}
    if unknown:
        raise TypeError(f"create_body: unexpected arguments {sorted(unknown)}")
    body: dict[str, Any] = {field: kwargs.get(key) for key, field in _CONFIG.items()}
    body["Tty"] = bool(body["Tty"])
    env = body["Env"]
    if isinstance(env, dict):
        body["Env"] = [k if v is None else f"{k}={v}" for k, v in env.items()]
    body.update(OpenStdin=False, StdinOnce=False, AttachStdin=False, AttachStdout=False, AttachStderr=False,
                NetworkDisabled=False)
    host: dict[str, Any] = {field: kwargs[key] for key, field in _HOST.items()
                            if kwargs.get(key) or (key in _SENT_WHEN_SET and kwargs.get(key) is not None)}
    network = kwargs.get("network")
    host["NetworkMode"] = network or kwargs.get("network_mode") or "default"
    if network:
        body["NetworkingConfig"] = {network: None}
    ports = kwargs.get("ports") or {}
    if ports:
        body["ExposedPorts"] = {key: {} for key in sorted(ports)}
        host["PortBindings"] = {key: [{"HostIp": ip, "HostPort": "" if port is None else str(port)}]
                                for key, (ip, port) in ports.items()}
    body["HostConfig"] = host
    return {k: v for k, v in body.items() if v is not None}, kwargs.get("name")


def create(target: Any, kwargs: dict[str, Any]) -> Any:
    """A container made from `kwargs` on `target` (an engine_api.Engine, or an SDK client), not inspected:
    the returned object carries the labels it was created with (what localflow reads back); anything else
    needs `reload()`."""
    body, name = create_body(kwargs)
    local = isinstance(target, engine_api.Engine)
    if local:
        resp = target.json("POST", "/containers/create", params={"name": name} if name else None, body=body)
    else:
        resp = target.api.create_container_from_config(body, name)
    attrs = {"Id": resp["Id"], "Name": "/" + str(name or ""), "Config": {"Labels": dict(body.get("Labels") or {}),
                                                                         "Tty": body["Tty"]},
             "State": {"Status": "created"}}
    return engine_api.Container(target, attrs) if local else target.containers.prepare_model(attrs)


def logs(container: Any, *, stdout: bool = True, stderr: bool = True, follow: bool = False,
         stream: bool = False) -> Any:
    """`container.logs(...)` without the inspect the SDK makes to learn whether the container has a TTY."""
    if isinstance(container, engine_api.Container):
        return container.logs(stdout=stdout, stderr=stderr, follow=follow, stream=stream)
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
