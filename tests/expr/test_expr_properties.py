"""Property tests: any text given to a parser or evaluator fails only with LocalflowError."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localflow.errors import LocalflowError
from localflow.expr import (
    check_syntax,
    check_when_syntax,
    evaluate,
    evaluate_when,
    find_tags,
    parse_depends,
    render,
)
from localflow.expr._jsonpath import query

# Text built from the pieces these languages are made of reaches deeper than random text.
PIECES = [
    "a", "b", "x-y", "steps", "item", "1", "0", "2.5", ".5", "0x1F", "1e3", "'s'", '"d"', "`r`",
    "[", "]", "(", ")", "{", "}", ",", ";", ":", "?", "??", "?.", ".", "..", "#", "#index",
    "#acc", "==", "!=", "<", ">", "<=", ">=", "=~", "!~", "&&", "||", "!", "not", "and", "or",
    "in", "matches", "contains", "+", "-", "*", "/", "%", "**", "^", "|", "&", "~", "<<", ">>",
    "nil", "true", "false", "let", "if", "else", "=", " ", "\n", "\\", "'", '"', "{{", "}}",
    "{{=", "filter", "map", "all", "len", "asInt", "sprig.add", "jsonpath", "toJson", "$env",
    ".Succeeded", ".Failed", ".AnySucceeded", "@", "$", "[?(@.a > 1)]", "[*]", "é", "\x00",
]  # fmt: skip
SOUP = st.lists(st.sampled_from(PIECES), max_size=25).map("".join)
TEXT = st.one_of(st.text(max_size=60), SOUP)

ENV = {
    "a": 1,
    "b": "two",
    "item": {"x": [1, 2]},
    "steps": {"x-y": {"outputs": {"result": "r"}}},
    "n": None,
}
VALUES = {"a": "1", "steps.x.outputs.result": "r", "gone": None}

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
    database=None,
)


def _only_localflow_errors(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except LocalflowError:
        pass


@SETTINGS
@given(TEXT)
def test_exprlang_check_syntax(text):
    _only_localflow_errors(check_syntax, text)


@SETTINGS
@given(TEXT)
def test_exprlang_evaluate(text):
    _only_localflow_errors(evaluate, text, ENV)


@SETTINGS
@given(TEXT)
def test_govaluate(text):
    _only_localflow_errors(evaluate_when, text)
    _only_localflow_errors(evaluate_when, text, bare_words_as_strings=False)
    _only_localflow_errors(check_when_syntax, text)


@SETTINGS
@given(TEXT)
def test_depends(text):
    _only_localflow_errors(parse_depends, text)
    try:
        d = parse_depends(text)
    except LocalflowError:
        return
    assert d.evaluate(lambda t, k: k == "Succeeded") in (True, False)


@SETTINGS
@given(TEXT)
def test_template(text):
    _only_localflow_errors(find_tags, text)
    _only_localflow_errors(render, text, VALUES)
    _only_localflow_errors(
        render, text, VALUES, strict=lambda name: name.startswith("steps.")
    )


@SETTINGS
@given(TEXT)
def test_jsonpath(text):
    _only_localflow_errors(query, '{"a": [1, {"b": 2}], "c": "d"}', text)


@pytest.mark.parametrize("depth", [50, 3000])
def test_deep_nesting_is_an_error_or_a_value(depth):
    expr = "(" * depth + "1" + ")" * depth
    _only_localflow_errors(evaluate, expr, {})
    _only_localflow_errors(evaluate, "[" * depth + "]" * depth, {})
    _only_localflow_errors(evaluate, "-" * depth + "1", {})
    _only_localflow_errors(evaluate_when, expr + " == 1")
    _only_localflow_errors(evaluate_when, "!" * depth + "true")
    _only_localflow_errors(parse_depends, "(" * depth + "A" + ")" * depth)
    _only_localflow_errors(parse_depends, "!" * depth + "A")
    _only_localflow_errors(query, "{}", "$" + ".a" * depth)


def test_shallow_nesting_still_works():
    assert evaluate("(" * 50 + "1" + ")" * 50, {}) == 1
    assert evaluate_when("(" * 50 + "true" + ")" * 50) is True
    assert parse_depends("(" * 50 + "A" + ")" * 50).tasks == {"A"}
