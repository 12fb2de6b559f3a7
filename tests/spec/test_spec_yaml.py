"""YAML is read as Argo's Go parser reads it (go-yaml v2 through sigs.k8s.io/yaml, strict)."""

from __future__ import annotations

import pytest

from localflow.errors import SpecError
from localflow.spec.yamlgo import load_all, resolve_plain


@pytest.mark.parametrize(
    "text, value",
    [
        ("yes", True),
        ("Yes", True),
        ("y", True),
        ("on", True),
        ("no", False),
        ("n", False),
        ("off", False),
        ("true", True),
        ("FALSE", False),
        ("~", None),
        ("null", None),
        ("", None),
        ("017", 15),  # YAML 1.1 octal
        ("0x1F", 31),
        ("0o17", 15),
        ("0b101", 5),
        ("1_000", 1000),
        ("+1", 1),
        ("-7", -7),
        ("1e3", 1000.0),  # a float to go-yaml (PyYAML would say a string)
        (".5", 0.5),
        ("1.5", 1.5),
        ("08", 8.0),
        ("2001-12-14", "2001-12-14"),  # timestamps stay strings
        ("1e400", "1e400"),  # out of range: a string
        ("-", "-"),
        ("yess", "yess"),
        ("12345678901234567890", 12345678901234567890),  # uint64
    ],
)
def test_plain_scalars(text, value):
    got = resolve_plain(text)
    assert got == value and type(got) is type(value)


def test_documents_and_json_shape():
    docs = load_all("a: 1\nb: [yes, 'yes', 3.0, 1.5]\n1: x\ntrue: t\n---\n# nothing\n---\n- 1\n")
    assert docs == [{"a": 1, "b": [True, "yes", 3, 1.5], "1": "x", "true": "t"}, None, [1]]
    assert isinstance(docs[0]["b"][2], int)  # Go writes 3.0 to JSON as 3


def test_anchors_aliases_and_merge():
    docs = load_all("base: &b {image: alpine, args: [x]}\nuse: *b\nmerged:\n  <<: *b\n  name: m\n")
    assert docs[0]["use"] == {"image": "alpine", "args": ["x"]}
    assert docs[0]["merged"] == {"image": "alpine", "args": ["x"], "name": "m"}
    # Each alias is its own copy.
    docs[0]["use"]["args"].append("y")
    assert docs[0]["base"]["args"] == ["x"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("a: 1\na: 2\n", 'line 2, column 1: duplicate key "a"'),
        ("x: &x {a: 1}\ny:\n  <<: *x\n  a: 2\n", 'line 4, column 3: duplicate key "a"'),  # strict mode refuses a merge override
        ("a: [1, 2\n", "invalid YAML at line 2, column 1:"),
        ("a: .nan\n", "'.nan' is not a number JSON can hold"),
        ("? [1]\n: 2\n", "a mapping key must be a plain value"),
        ("a: !!int x\n", "cannot decode 'x' as a !!int"),
        ("a: &a [*a]\n", "invalid YAML"),
        ("<<: 3\n", "map merge requires map or sequence of maps"),
    ],
)
def test_errors(text, message):
    with pytest.raises(SpecError) as info:
        load_all(text, "f.yaml")
    assert str(info.value).startswith("f.yaml: ")
    assert message in str(info.value)


def test_non_strict_lets_the_last_key_win():
    assert load_all("a: 1\na: 2\n", strict=False) == [{"a": 2}]


def test_float_keys_like_go():
    assert load_all("1.5: a\n0.1: b\n") == [{"1.5": "a", "0.1": "b"}]


def test_libyaml_parser_is_used_when_pyyaml_has_it():
    import yaml

    from localflow.spec import yamlgo

    assert (yamlgo._CComposer is not None) == bool(yaml.__with_libyaml__)


@pytest.mark.parametrize(
    "text, message",
    [
        ("a: *y\n", "line 1, column 4: found undefined alias 'y'"),
        ("a: @b\n", "found character '@' that cannot start any token"),
        ("a: \x01\n", "invalid YAML at character 4: special characters are not allowed (#x0001)"),
        ("a: \ud800\n", "special characters are not allowed (#xd800)"),
    ],
)
def test_parse_errors_in_pyyaml_words(text, message):
    # libyaml finds the same errors but says less; the pure-Python parser words them.
    with pytest.raises(SpecError) as info:
        load_all(text, "f.yaml")
    assert message in str(info.value)


def test_deep_flow_nesting_is_refused_without_a_crash():
    # libyaml composes by C recursion and overflows the C stack some 20,000 levels down.
    import subprocess
    import sys

    code = ("from localflow.spec.yamlgo import load_all\n"
            "from localflow.errors import SpecError\n"
            "try:\n    load_all('[' * 100000 + ']' * 100000)\n"
            "except SpecError as e:\n    print(e)\n")
    p = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "nested too deeply" in p.stdout


def test_the_collector_is_left_as_it_was():
    import gc

    was = gc.isenabled()
    try:
        gc.enable()
        load_all("a: 1\n")
        assert gc.isenabled()
        with pytest.raises(SpecError):
            load_all("a: [\n")
        assert gc.isenabled()
        gc.disable()
        load_all("a: 1\n")
        assert not gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()
