"""The store says whether it is localflow's own artifact server (where a workflow's buckets may be made)."""

from __future__ import annotations

from localflow.artifacts import run_store as S


class _Repo:
    bucket = "localflow"
    endpoint = "127.0.0.1:9000"
    secure = False

    def ensure_bucket(self):
        pass


def test_default_store_on_the_local_server_is_ours(monkeypatch):
    import localflow.artifacts.config as C
    monkeypatch.setattr(C, "repository_from_env", lambda: None)
    assert S.default_store(local_server=_Repo).own_server is True


def test_an_endpoint_from_the_environment_is_not_ours(monkeypatch):
    import localflow.artifacts.config as C
    monkeypatch.setattr(C, "repository_from_env", lambda: _Repo())
    assert S.default_store(local_server=_no_server).own_server is False


def _no_server():
    raise AssertionError("the local server is not started when LOCALFLOW_S3_* names an endpoint")
