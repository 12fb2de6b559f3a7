"""The one lark parser factory (localflow/expr/_lark.py): built once, on first use."""

from __future__ import annotations

import threading

from localflow.expr import _lark

GRAMMAR = 'start: WORD\n%import common.WORD\n'


def test_a_parser_is_built_on_first_use_and_only_once(monkeypatch, tmp_path):
    monkeypatch.setenv("LOCALFLOW_HOME", str(tmp_path))
    built = []
    real = _lark.build_parser
    monkeypatch.setattr(_lark, "build_parser", lambda *a, **k: built.append(a) or real(*a, **k))
    get = _lark.lazy_parser("test-word", GRAMMAR)
    assert built == []
    threads = [threading.Thread(target=get) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1 and get() is get()
    assert get().parse("hello").children[0] == "hello"
    assert (tmp_path / "cache" / "lark-test-word.cache").exists()  # LALR analysis kept on disk


def test_an_earley_parser_is_not_cached_on_disk(monkeypatch, tmp_path):
    monkeypatch.setenv("LOCALFLOW_HOME", str(tmp_path))
    get = _lark.lazy_parser("test-earley", GRAMMAR, parser="earley")
    assert get().parse("x").children[0] == "x"
    assert not (tmp_path / "cache" / "lark-test-earley.cache").exists()


def test_lark_errors_become_one_syntax_failure():
    """parse_tree names what went wrong; each language words it (expr-lang's and depends' tables)."""
    import pytest
    from lark import Transformer

    get = _lark.lazy_parser("test-pair", 'start: WORD "," WORD\n%import common.WORD\n', parser="earley")
    cases = {"a,b": None, "a;b": ("character", 2, ";"), "a,": ("end", None, "")}
    for text, expected in cases.items():
        if expected is None:
            assert _lark.parse_tree(get, Transformer(), text).data == "start"
            continue
        with pytest.raises(_lark.SyntaxFailure) as failure:
            _lark.parse_tree(get, Transformer(), text)
        why = failure.value.why
        assert why.kind == expected[0], (text, why)
        if expected[1] is not None:
            assert (why.column, why.char) == expected[1:]
