"""Where a remote engine is (DOCKER_HOST, as the docker CLI and Testcontainers read it) and the stall
watch, without an engine (the real engine's behaviour: tests/docker/test_remote_engine.py)."""

from __future__ import annotations

import threading

import pytest

from localflow.runtime.remote import engine_address, probe_ports
from localflow.runtime.stall import _WAITS_BY_DESIGN, StallWatch


@pytest.mark.parametrize("env, publish, reach", [
    ({}, "127.0.0.1", "127.0.0.1"),
    ({"DOCKER_HOST": "unix:///var/run/docker.sock"}, "127.0.0.1", "127.0.0.1"),
    ({"DOCKER_HOST": "tcp://127.0.0.1:2375"}, "127.0.0.1", "127.0.0.1"),
    ({"DOCKER_HOST": "tcp://localhost:2376"}, "127.0.0.1", "127.0.0.1"),
    # remote: published on the engine's own address only (not 0.0.0.0), reached there
    ({"DOCKER_HOST": "tcp://10.213.7.2:2376"}, "10.213.7.2", "10.213.7.2"),
    ({"DOCKER_HOST": "tcp://docker:2375", "LOCALFLOW_HOST_OVERRIDE": "203.0.113.9",
      "LOCALFLOW_PUBLISH_ADDRESS": "0.0.0.0"}, "0.0.0.0", "203.0.113.9"),
])
def test_where_ports_are_published_and_reached(env, publish, reach):
    engine = engine_address(env)
    assert engine.remote == (reach != "127.0.0.1")
    assert engine.publish_address(env) == publish
    assert engine.reach_host(env) == reach


def test_ssh_keeps_loopback_unless_told():
    env = {"DOCKER_HOST": "ssh://me@build-host"}
    engine = engine_address(env)
    assert engine.remote and engine.scheme == "ssh"
    assert engine.publish_address(env) == "127.0.0.1"


def test_probe_ports_are_published_only_for_a_remote_engine(monkeypatch):
    probes = [{"httpGet": {"path": "/ping", "port": 8086}}, None, {"tcpSocket": {"port": "5432"}},
              {"tcpSocket": {"host": "example.org", "port": 80}}, {"exec": {"command": ["true"]}}]
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    assert probe_ports(probes) is None
    monkeypatch.setenv("DOCKER_HOST", "tcp://10.213.7.2:2375")
    assert probe_ports(probes) == {"5432/tcp": ("10.213.7.2", None), "8086/tcp": ("10.213.7.2", None)}


class _Api:
    """A client whose calls block until `answer` is set (a frozen engine)."""

    def __init__(self):
        self.answer = threading.Event()

    def send(self, request, **kwargs):
        self.answer.wait()
        return "ok"

    def ping(self):
        return True


class _Request:
    def __init__(self, url):
        self.url = url


def test_a_call_without_answer_is_named_once_and_again_when_the_engine_answers():
    api, lines = _Api(), []
    seen = threading.Event()
    watch = StallWatch(api.ping, "tcp://10.213.7.2:2375", lambda m: (lines.append(m), seen.set()), after=0.2,
                       ping_every=3600)
    watch.hook(api)
    try:
        result = []
        t = threading.Thread(target=lambda: result.append(api.send(_Request("http://e/v1.41/containers/json"))))
        t.start()
        assert seen.wait(30)
        api.answer.set()
        t.join(30)
        assert result == ["ok"]
        assert lines == ["the Docker engine at tcp://10.213.7.2:2375 has not answered for 0 s; waiting "
                         "(Ctrl-C stops the run)", "the Docker engine at tcp://10.213.7.2:2375 answers again"]
    finally:
        watch.close()
    assert api.send.__func__ is _Api.send  # close puts the client's own send back


def test_calls_that_wait_by_design_are_not_a_stall():
    for url in ("http://e/v1.41/containers/abc/wait", "http://e/v1.41/containers/abc/logs?stdout=1&follow=1",
                "http://e/v1.41/exec/abc/start", "http://e/v1.41/containers/abc/stop?t=10"):
        assert _WAITS_BY_DESIGN.search(url), url
    for url in ("http://e/v1.41/containers/abc/json", "http://e/v1.41/containers/abc/logs?stdout=1&follow=0"):
        assert not _WAITS_BY_DESIGN.search(url), url
