"""localflow.runtime.labels: a run's network is removed even when Docker refuses the first attempts
(endpoints released late, the bridge driver's firewall clean-up failing once after many containers)."""

from __future__ import annotations

import docker.errors

from localflow.runtime import labels as L


class Api:
    """The low-level calls remove_run_objects makes; remove_network fails `refusals` times first."""

    def __init__(self, refusals: int):
        self.refusals, self.disconnected, self.removed = refusals, [], []

    def containers(self, all, filters):  # noqa: A002 - docker's own keyword
        return []

    def networks(self, filters):
        return [{"Id": "net1"}]

    def volumes(self, filters):
        return {"Volumes": []}

    def inspect_network(self, net):
        return {"Containers": {"c1": {}} if not self.removed else {}}

    def disconnect_container_from_network(self, cid, net, force):
        self.disconnected.append((cid, net, force))

    def remove_network(self, net):
        if self.refusals:
            self.refusals -= 1
            raise docker.errors.APIError("error while removing network: exit status 1")
        self.removed.append(net)


class Client:
    def __init__(self, api):
        self.api = api


def test_network_refused_a_few_times_is_removed_after_disconnecting(monkeypatch):
    sleeps: list[float] = []
    monkeypatch.setattr(L.time, "sleep", sleeps.append)
    api = Api(refusals=5)
    assert L.remove_run_objects(Client(api), "r") == {"containers": 0, "networks": 1, "volumes": 0}
    assert api.removed == ["net1"]
    assert api.disconnected[0] == ("c1", "net1", True)
    assert sleeps == [0.25, 0.5, 1.0, 2.0, 4.0]  # back-off between the attempts


def test_a_network_that_stays_refused_is_given_up_after_the_patience(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(L.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(L.time, "sleep", lambda s: clock.__setitem__(0, clock[0] + s))
    api = Api(refusals=10**6)
    assert L.remove_run_objects(Client(api), "r")["networks"] == 0
    assert 7.0 <= clock[0] <= 10.0  # ten seconds of (fake) patience, then `localflow gc` later


# ---- starts on a run network are serialised (Docker 20.10 loses endpoint counts otherwise) ----

class Container:
    """Records, at start(), whether the runtime held the start lock of `network`."""

    def __init__(self, runtime, network):
        self.runtime, self.network, self.held = runtime, network, None

    def start(self):
        lock = self.runtime.start_locks.get(self.network)
        self.held = lock is not None and lock.locked()


def _runtime():
    from localflow.runtime.docker_runtime import DockerRuntime
    return DockerRuntime(client=object())


def test_a_start_on_a_run_network_holds_that_networks_lock():
    rt = _runtime()
    c = Container(rt, "localflow-run1")
    rt._start(c, "localflow-run1")
    assert c.held is True
    assert not rt.start_locks["localflow-run1"].locked()  # released after the start


def test_starts_on_the_default_bridge_or_a_shared_namespace_take_no_lock():
    rt = _runtime()
    for net in ("bridge", "container:abc", None):
        c = Container(rt, net)
        rt._start(c, net)
        assert c.held is False
    assert rt.start_locks == {}
