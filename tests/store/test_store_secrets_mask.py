"""The one masking of local Secret values (store/secrets.py), used by `get`/`logs`/`watch`, the reports
and every line the CLI prints."""

from __future__ import annotations

import pytest

from localflow.store import secrets as S


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCALFLOW_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_secret_values_are_the_decodable_ones_of_three_characters_or_more_longest_first(home):
    S.save(S.secret_manifest("a", {"pw": b"hunter2", "pin": b"12", "bin": b"\xff\xfe\xfd", "long": b"hunter22"}))
    S.save({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b"}, "stringData": {"tok": "abc"}})
    assert S.secret_values() == ["hunter22", "hunter2", "abc"]


def test_an_unreadable_secret_store_masks_nothing(home):
    S.save(S.secret_manifest("a", {"pw": b"hunter2"}))
    (home / "secrets" / "a.json").write_text("{not json")
    assert S.secret_values() == []


def test_mask_replaces_in_text_lists_and_dicts_and_leaves_the_rest():
    values = S.longest_first(["hunter2", "hunter22", "", "hunter2"])
    assert values == ["hunter22", "hunter2"]
    obj = {"msg": "pw=hunter22 and hunter2", "lines": ["hunter2", 7], "n": None}
    assert S.mask(obj, values) == {"msg": "pw=*** and ***", "lines": ["***", 7], "n": None}
    assert S.mask("hunter2", []) == "hunter2"
