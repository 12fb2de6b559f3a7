"""The create body localflow sends (runtime/calls.create_body) is the one the docker SDK's own
`containers.create` builds for the same arguments: the SDK (imported here only) is the reference."""

from __future__ import annotations

import pytest

from localflow.runtime.calls import create_body

import docker  # noqa: E402 - the reference, a dependency of localflow

LABELS = {"localflow.run": "r", "localflow.role": "main"}
MOUNTS = [{"Target": "/data", "Source": "vol", "Type": "volume", "ReadOnly": False},
          {"Target": "/src", "Source": "/tmp/x", "Type": "bind", "ReadOnly": True},
          {"Target": "/scratch", "Source": None, "Type": "tmpfs", "ReadOnly": False}]
BASE = dict(image="alpine:3.7", command=["echo", "hi"], entrypoint=None, environment=None, working_dir=None,
            mounts=None, labels=LABELS, name="wf-main", detach=True, tty=False, user=None, privileged=False,
            cap_add=None, cap_drop=None, read_only=False, mem_limit=None, nano_cpus=None, init=True)
CASES = {
    "one step, default bridge": dict(BASE, ports=None, hostname="wf-1"),
    "no network": dict(BASE, network_mode="none"),
    "shared namespace": dict(BASE, network_mode="container:abc123"),
    "run network, published probe port": dict(BASE, network="localflow-r", hostname="h",
                                              ports={"8080/tcp": ("10.1.2.3", None), "81/tcp": ("10.1.2.3", None)}),
    "everything set": dict(BASE, command=[], entrypoint=["sh", "-c"], environment={"A": "1", "B": "x=y"},
                           working_dir="/w", mounts=MOUNTS, tty=True, user="1000:1000", privileged=True,
                           cap_add=["NET_ADMIN"], cap_drop=["ALL"], read_only=True, mem_limit=536870912,
                           nano_cpus=500000000, network="localflow-r", ports=None, hostname="h"),
}


def _sdk_body(kwargs: dict) -> tuple[dict, str]:
    """What docker-py 7 sends: containers.create -> _create_container_args -> create_container_config,
    posted by _post_json (which drops the top level's None values)."""
    from docker.models.containers import _create_container_args
    api = docker.APIClient(base_url="unix:///nonexistent.sock", version="1.41")
    mounts = kwargs.get("mounts")
    if mounts:
        kwargs = dict(kwargs, mounts=[docker.types.Mount(m["Target"], m["Source"], type=m["Type"],
                                                         read_only=m["ReadOnly"]) for m in mounts])
    args = _create_container_args({"command": None, **kwargs, "version": "1.41"})
    name = args.pop("name")
    config = api.create_container_config(**args)
    return {k: v for k, v in config.items() if v is not None}, name


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_body_is_the_sdks(case):
    ours, name = create_body(dict(CASES[case]))
    theirs, their_name = _sdk_body(dict(CASES[case]))
    assert name == their_name
    assert ours == theirs


def test_an_argument_it_does_not_know_is_refused():
    with pytest.raises(TypeError):
        create_body(dict(BASE, volumes={"/x": {}}))
