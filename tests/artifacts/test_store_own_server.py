"""The store says whether it is localflow's own artifact server (where a workflow's buckets may be made)."""

from __future__ import annotations

from localflow.artifacts import store as S


class _Repo:
    bucket = "localflow"
    endpoint = "127.0.0.1:9000"
    secure = False

    def ensure_bucket(self):
        pass


class _Endpoint:
    def repository(self, bucket=None):
        return _Repo()


def test_default_store_on_the_local_server_is_ours(monkeypatch):
    import localflow.artifacts.config as C
    import localflow.artifacts.server as srv
    monkeypatch.setattr(C, "repository_from_env", lambda: None)
    monkeypatch.setattr(srv, "ensure_server", lambda client: _Endpoint())
    assert S.default_store(client=None).own_server is True


def test_an_endpoint_from_the_environment_is_not_ours(monkeypatch):
    import localflow.artifacts.config as C
    monkeypatch.setattr(C, "repository_from_env", lambda: _Repo())
    assert S.default_store(client=None).own_server is False
