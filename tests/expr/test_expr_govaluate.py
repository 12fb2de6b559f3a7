"""`when` conditions: govaluate with bare words as strings (steps.go shouldExecute)."""

from __future__ import annotations

import itertools

import pytest

from localflow.errors import ExprError
from localflow.expr import check_when_syntax, evaluate_when, parse_when

# Conditions as the Argo examples write them, after substitution.
TRUE_CASES = [
    "heads == heads",
    "tails == tails",
    "Failed != Succeeded",
    "Succeeded == Succeeded",
    "YES == YES",
    "3 != 1 && 3 != 2",
    "1 < 2",
    "2 <= 2",
    "3 > 2.5",
    "even == even",
    "heads =~ hea",
    "heads !~ tai",
    "true",
    "true == true",
    "false == false",
    "( heads == heads &&\n  tails == tails\n) ||\n( heads == tails &&\n  tails == tails )",
    "'a' < 'b'",
    "abc > abb",
    "'hello world' == 'hello world'",
    '"double" == double',
    "[with spaces] == 'with spaces'",
    "1 in (1, 2, 3)",
    "b in (a, b)",
    "!false",
    "!(1 == 2)",
    "-1 < 0",
    "1 + 1 == 2",
    "10 - 2 - 3 == 5",
    "2 ** 3 ** 2 == 64",
    "7 % 4 == 3",
    "1 / 2 == 0.5",
    "a + b == ab",
    "1 + 'a' == '1a'",
    "0x10 == 16",
    "01 == 1",
    ".5 == 0.5",
    "'2024-01-01' < '2024-02-01'",
    "'2024-01-01T00:00:00Z' == '2024-01-01'",
    "value == 'value'",
    "true ? true : false",
    "false ? false : true",
    "(a == b) == false",
    "6 & 3 == 2",
    "6 | 3 == 7",
    "1 << 3 == 8",
    "() == ()",
]

FALSE_CASES = [
    "heads == tails",
    "Succeeded != Succeeded",
    "10 < 9",
    "1 == '1'",
    "true == 'true'",
    "heads =~ '^t'",
    "a in (b, c)",
    "!true",
    "3 != 1 && 3 != 3",
    "false || false",
    "abc < abb",
    "(a ==)",
]


@pytest.mark.parametrize("text", TRUE_CASES)
def test_true(text):
    assert evaluate_when(text) is True


@pytest.mark.parametrize("text", FALSE_CASES)
def test_false(text):
    assert evaluate_when(text) is False


def test_empty_when_is_true():
    assert evaluate_when("") is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a b", "Cannot transition token types from VARIABLE [a] to VARIABLE [b]"),
        (
            "== a",
            "Cannot transition token types from UNKNOWN [<nil>] to COMPARATOR [==]",
        ),
        ("(true", "Unbalanced parenthesis"),
        ("'abc", "Unclosed string literal"),
        ("[abc", "Unclosed parameter bracket"),
        ("1.2.3 == 1", "Unable to parse numeric value '1.2.3' to float64"),
        ("a ==-1", "Invalid token: '==-'"),
        ("{{x}} == y", "Invalid token: '{{'"),
        ("foo.bar == x", "Unable to access unexported field 'bar' in token 'foo.bar'"),
        ("foo. == x", "Hanging accessor on token 'foo.'"),
        ("f(1)", "Undefined function f"),
        ("a ==", "Unexpected end of expression"),
        ("  ", "Unexpected end of expression"),
        (
            "abc =~ ^a",
            "Cannot transition token types from COMPARATOR [=~] to MODIFIER [^]",
        ),
    ],
)
def test_parse_errors(text, message):
    with pytest.raises(ExprError, match="Invalid 'when' expression") as info:
        evaluate_when(text)
    assert message in str(info.value)
    assert repr(text)[1:-1] in str(info.value) or text in str(info.value)


def test_invalid_token_gets_argo_hint():
    with pytest.raises(
        ExprError, match=r"hint: try wrapping the affected expression in quotes"
    ):
        evaluate_when("a ==-1")


def test_bare_word_after_prefix_fails_on_second_parse():
    # `!foo` parses as PREFIX VARIABLE, but a string may not follow a prefix.
    with pytest.raises(ExprError, match="Failed to parse 'when' expression '!foo'"):
        evaluate_when("!foo")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "5 < 10 && foo",
            "Value 'foo' cannot be used with the logical operator '&&', it is not a bool",
        ),
        (
            "1 > 'a'",
            "Value '1' cannot be used with the comparator '>', it is not a number",
        ),
        (
            "heads-tails == x",
            "Value 'heads' cannot be used with the modifier '-', it is not a number",
        ),
        ("v1.2 == v1.2", "No parameter 'v1' found."),
        (
            "a in (b)",
            "Value 'b' cannot be used with the comparator 'in', it is not a number",
        ),
        ("-'a' == 1", "Cannot transition"),
    ],
)
def test_evaluation_errors(text, message):
    with pytest.raises(ExprError) as info:
        evaluate_when(text)
    assert message in str(info.value)


def test_non_bool_result_is_an_error():
    with pytest.raises(ExprError, match=r"Expected boolean evaluation for '5'\. Got 5"):
        evaluate_when("5")
    with pytest.raises(ExprError, match="Got yes"):
        evaluate_when("true ? yes : no")


def test_short_circuit_skips_type_errors():
    assert evaluate_when("false && foo") is False
    assert evaluate_when("true || foo") is True


def test_trailing_tokens_after_complete_expression_are_ignored_like_govaluate():
    assert evaluate_when("(true) (false)") is True
    assert evaluate_when("true) || (false") is True


def test_cron_variant_keeps_variables():
    with pytest.raises(ExprError, match="No parameter 'heads' found"):
        evaluate_when("heads == heads", bare_words_as_strings=False)
    assert evaluate_when("1 == 1", bare_words_as_strings=False) is True


@pytest.mark.parametrize(
    ("left", "right"),
    list(itertools.product(["heads", "tails", "1", "2.5", "true", "'x y'"], repeat=2)),
)
def test_equality_truth_table(left, right):
    # numbers compare as float64, words and quoted text as strings, booleans as bools
    def value(tok):
        if tok == "true":
            return True
        try:
            return float(tok)
        except ValueError:
            return tok.strip("'")

    expected = type(value(left)) is type(value(right)) and value(left) == value(right)
    assert evaluate_when(f"{left} == {right}") is expected
    assert evaluate_when(f"{left} != {right}") is (not expected)


@pytest.mark.parametrize(("a", "b"), list(itertools.product([True, False], repeat=2)))
def test_logic_truth_table(a, b):
    ta, tb = str(a).lower(), str(b).lower()
    assert evaluate_when(f"{ta} && {tb}") is (a and b)
    assert evaluate_when(f"{ta} || {tb}") is (a or b)
    assert evaluate_when(f"!{ta} || {tb}") is ((not a) or b)
    assert evaluate_when(f"!({ta} && {tb})") is (not (a and b))


def test_parse_when_only_checks_syntax():
    parse_when("x == y")
    parse_when("5")  # not a bool, but it parses
    with pytest.raises(ExprError):
        parse_when("x ==")


@pytest.mark.parametrize(
    "text",
    [
        "{{steps.flip-coin.outputs.result}} == heads",
        "{{inputs.parameters.num}} != 1 && {{inputs.parameters.num}} != 2",
        "{{steps.iterate-counter.outputs.result}} < {{inputs.parameters.limit}}",
        "{{= inputs.parameters[\"should-print\"] == 'true'}}",
        "'{{workflow.status}}' == 'Succeeded'",
        "{{item.evenness}} == even",
    ],
)
def test_check_when_syntax_with_tags(text):
    check_when_syntax(text)


def test_check_when_syntax_reports_errors():
    with pytest.raises(ExprError, match="Unexpected end of expression"):
        check_when_syntax("{{steps.a.outputs.result}} ==")
    with pytest.raises(ExprError, match="Cannot find end tag"):
        check_when_syntax("{{steps.a.outputs.result == x")


def test_quotes_and_escapes():
    assert evaluate_when(r"'it\'s' == [it's]") is True
    assert evaluate_when("\"a b\" == 'a b'") is True
    # a string ends at either quote character, as in govaluate
    with pytest.raises(ExprError, match="Unclosed string literal"):
        evaluate_when('"it\'s" == x')


def test_quoted_dates_compare_as_times():
    assert evaluate_when("'2024-01-01 10:00' == '2024-01-01T10:00:00Z'") is True
    assert evaluate_when("'2024-01-01' > '2023-12-31T23:59:59Z'") is True
    # bare dates are arithmetic: 2024 - 1 - 1
    assert evaluate_when("2024-01-01 == 2022") is True


def test_when_parse_is_cached():
    from localflow.expr.govaluate import _compile

    assert _compile("x == y", True) is _compile("x == y", True)
