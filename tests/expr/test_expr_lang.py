"""expr-lang evaluation: literals, operators, precedence, members, closures, builtins."""

from __future__ import annotations

import datetime as dt

import pytest

from localflow.errors import ExprError, UndefinedVariable
from localflow.expr import check_syntax, evaluate, evaluate_bool, identifiers
from localflow.expr._gofmt import Duration

ENV = {
    "inputs": {
        "parameters": {"num": "2", "message": "hello world", "should-print": "true"}
    },
    "steps": {
        "flip-coin": {"outputs": {"result": "heads"}},
        "heads": {"outputs": {"result": "it was heads"}},
        "tails": {"outputs": {"result": "it was tails"}},
        "skipped": {"outputs": {"result": None}},
    },
    "items": [1, 2, 3, 4],
    "users": [{"name": "a", "age": 30}, {"name": "b", "age": 17}],
    "m": {"k": "v", "x-y": 1},
    "n": None,
}


def ev(source, env=ENV):
    return evaluate(source, env)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # literals
        ("42", 42),
        ("0x2A", 42),
        ("0o52", 42),
        ("0b101010", 42),
        ("1_000", 1000),
        ("0.5", 0.5),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("'single'", "single"),
        ('"double"', "double"),
        ("`raw \\n`", "raw \\n"),
        ("'tab\\there'", "tab\there"),
        ("'\\u00e9\\x41\\101'", "éAA"),
        ("'\\u{1F600}'", "\U0001f600"),
        ("true", True),
        ("false", False),
        ("nil", None),
        ("[1, 'a', nil]", [1, "a", None]),
        ("[1, 2,]", [1, 2]),
        (
            "{a: 1, 'b': 2, 3: 'c', (1 + 1 == 2 ? 'd' : 'e'): 4}",
            {"a": 1, "b": 2, "3": "c", "d": 4},
        ),
        ("{}", {}),
        # arithmetic
        ("1 + 2", 3),
        ("1 + 2.5", 3.5),
        ("7 / 2", 3.5),
        ("6 / 3", 2.0),
        ("7 % 3", 1),
        ("-7 % 3", -1),
        ("2 ** 10", 1024.0),
        ("2 ^ 3", 8.0),
        ("-2 ** 2", -4.0),
        ("'a' + 'b'", "ab"),
        ("1..3", [1, 2, 3]),
        ("3..1", []),
        # precedence
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 2 - 3", 5),
        ("2 ** 3 ** 2", 512.0),
        ("!true == false", True),
        ("not true || true", True),
        ("1 < 2 < 3", True),
        ("3 > 2 > 1", True),
        ("1 < 3 < 2", False),
        ("true ? 1 : 2", 1),
        ("false ? 1 : true ? 2 : 3", 2),
        ("true ?: false", True),
        ("nil ?? 5", 5),
        ("0 ?? 5", 0),
        ("n ?? 'x' ?? 'y'", "x"),
        # comparison and logic
        ("1 == 1.0", True),
        ("m.k == 1", False),  # unknown type at compile time: compared at run time
        ("nil == nil", True),
        ("[1, 2] == [1, 2]", True),
        ("'abc' < 'abd'", True),
        ("true and false", False),
        ("true && !false", True),
        ("false or true", True),
        ("2 in [1, 2]", True),
        ("'k' in m", True),
        ("'z' not in m", True),
        ("'abc' matches '^a.c$'", True),
        ("'abc' not matches 'z'", True),
        ("'hello' contains 'ell'", True),
        ("'hello' startsWith 'he'", True),
        ("'hello' endsWith 'lo'", True),
        ("n contains 'x'", False),
        ("3 in nil", False),
        # members
        ("inputs.parameters.num", "2"),
        ("inputs.parameters['should-print']", "true"),
        ("inputs.parameters[\"should-print\"] == 'true'", True),
        ("m['x-y']", 1),
        ("m.missing", None),
        ("items[0]", 1),
        ("items[-1]", 4),
        ("items[1.9]", 2),
        ("items[1:3]", [2, 3]),
        ("items[:2]", [1, 2]),
        ("items[2:]", [3, 4]),
        ("items[:]", [1, 2, 3, 4]),
        ("items[-2:]", [3, 4]),
        ("items[3:1]", []),
        ("'hello'[1:3]", "el"),
        ("m.k[0]", 118),  # a string of unknown type at compile time: Go's byte
        ("n?.x", None),
        ("n?.x.y.z", None),
        ("n?.[0]", None),
        ("m?.k", "v"),
        ("steps.skipped.outputs.result ?? 'none'", "none"),
        ("$env.m.k", "v"),
        ("'m' in $env", True),
        # sequences and variables
        ("1; 2; 3", 3),
        ("let x = 2; x * x", 4),
        ("let x = 2; let y = 3; x * y", 6),
        ("if 1 > 2 { 'a' } else { 'b' }", "b"),
        ("if false { 1 } else if true { 2 } else { 3 }", 2),
        # comments
        ("1 /* one */ + // two\n 2", 3),
        # pipes
        ("'Hello World' | lower() | split(' ')", ["hello", "world"]),
        ("items | filter(# > 2) | map(# * 10)", [30, 40]),
        ("items | len() + 1", 5),
    ],
)
def test_values(source, expected):
    result = ev(source)
    assert result == expected
    assert isinstance(result, type(expected))  # Go's []int/[]string are list subclasses
    assert isinstance(result, bool) == isinstance(expected, bool)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("filter(items, {# > 2})", [3, 4]),
        ("filter(items, # % 2 == 0)", [2, 4]),
        ("map(items, {# * 2})", [2, 4, 6, 8]),
        ("map(users, .name)", ["a", "b"]),
        ("map(users, #.age)", [30, 17]),
        ("filter(users, .age >= 18)[0].name", "a"),
        ("map(items, #index)", [0, 1, 2, 3]),
        ("all(items, # > 0)", True),
        ("any(items, # > 3)", True),
        ("none(items, # > 4)", True),
        ("one(items, # == 2)", True),
        ("one(items, # > 2)", False),
        ("count(items, # > 1)", 3),
        ("count([true, false, true])", 2),
        ("sum(items)", 10),
        ("sum(items, # * 0.5)", 5.0),
        ("find(items, # > 2)", 3),
        ("find(items, # > 9)", None),
        ("findIndex(items, # > 2)", 2),
        ("findLast(items, # < 3)", 2),
        ("findLastIndex(items, # < 3)", 1),
        ("reduce(items, #acc + #)", 10),
        ("reduce(items, #acc + #, 100)", 110),
        ("groupBy(items, # % 2 == 0)", {False: [1, 3], True: [2, 4]}),
        ("sortBy(users, .age)[0].name", "b"),
        ("sortBy(items, #, 'desc')", [4, 3, 2, 1]),
        ("filter(map(items, {# * 2}), {# > 4})", [6, 8]),
        ("map(items, {let d = # * 2; d + 1})", [3, 5, 7, 9]),
        ("map([[1, 2], [3]], {len(#)})", [2, 1]),
        ("map([[1, 2]], {map(#, {# * 10})})", [[10, 20]]),
        ("filter(['a/main.log', 'b.log'], {# endsWith \"main.log\"})", ["a/main.log"]),
    ],
)
def test_predicates(source, expected):
    assert ev(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("len('héllo')", 5),
        ("len(items)", 4),
        ("len(m)", 2),
        ("abs(-3)", 3),
        ("abs(-2.5)", 2.5),
        ("ceil(1.2)", 2.0),
        ("floor(1.8)", 1.0),
        ("round(2.5)", 3.0),
        ("round(-2.5)", -3.0),
        ("int('42')", 42),
        ("int(3.9)", 3),
        ("int(-3.9)", -3),
        ("float('1.5')", 1.5),
        ("float(2)", 2.0),
        ("string(42)", "42"),
        ("string(3.0)", "3"),
        ("string(0.1)", "0.1"),
        ("string(1e6)", "1e+06"),
        ("string(123456.0)", "123456"),
        ("string(nil)", "<nil>"),
        ("string([1, 'a'])", "[1 a]"),
        ("string({'b': 1, 'a': 2})", "map[a:2 b:1]"),
        ("string(true)", "true"),
        ("type(1)", "int"),
        ("type(1.5)", "float"),
        ("type('s')", "string"),
        ("type([])", "array"),
        ("type({})", "map"),
        ("type(nil)", "nil"),
        ("trim('  x  ')", "x"),
        ("trim('__x__', '_')", "x"),
        ("trimPrefix('HelloWorld', 'Hello')", "World"),
        ("trimSuffix('HelloWorld', 'World')", "Hello"),
        ("upper('abc')", "ABC"),
        ("lower('ABC')", "abc"),
        ("split('a,b,c', ',')", ["a", "b", "c"]),
        ("split('a,b,c', ',', 2)", ["a", "b,c"]),
        ("splitAfter('a,b', ',')", ["a,", "b"]),
        ("replace('aaa', 'a', 'b')", "bbb"),
        ("replace('aaa', 'a', 'b', 2)", "bba"),
        ("repeat('ab', 3)", "ababab"),
        ("join(['a', 'b'], '-')", "a-b"),
        ("join(['a', 'b'])", "ab"),
        ("indexOf('hello', 'l')", 2),
        ("lastIndexOf('hello', 'l')", 3),
        ("indexOf('héllo', 'l')", 3),
        ("hasPrefix('hello', 'he')", True),
        ("hasSuffix('hello', 'lo')", True),
        ("max(1, 5, 3)", 5),
        ("max(items)", 4),
        ("min(2.5, 1)", 1),
        ("mean([1, 2, 3, 4])", 2.5),
        ("median([3, 1, 2])", 2.0),
        ("toJSON({'a': [1, 2]})", '{\n  "a": [\n    1,\n    2\n  ]\n}'),
        ("fromJSON('{\"a\": [1, 2.5]}')", {"a": [1.0, 2.5]}),
        ("toBase64('hello')", "aGVsbG8="),
        ("fromBase64('aGVsbG8=')", "hello"),
        ("first(items)", 1),
        ("last(items)", 4),
        ("first([])", None),
        ("get(items, 10)", None),
        ("get(m, 'k')", "v"),
        ("take(items, 2)", [1, 2]),
        ("keys({'a': 1})", ["a"]),
        ("values({'a': 1})", [1]),
        ("toPairs({'a': 1})", [["a", 1]]),
        ("fromPairs([['a', 1]])", {"a": 1}),
        ("reverse(items)", [4, 3, 2, 1]),
        ("uniq([1, 2, 1, 2.0])", [1, 2]),
        ("concat([1], [2, 3])", [1, 2, 3]),
        ("flatten([1, [2, [3]]])", [1, 2, 3]),
        ("sort([3, 1, 2])", [1, 2, 3]),
        ("sort(['b', 'a'], 'desc')", ["b", "a"]),
        ("bitand(6, 3)", 2),
        ("bitor(6, 3)", 7),
        ("bitxor(6, 3)", 5),
        ("bitnot(0)", -1),
        ("bitshl(1, 3)", 8),
        ("bitshr(8, 3)", 1),
    ],
)
def test_builtins(source, expected):
    result = ev(source)
    assert result == expected
    assert isinstance(result, type(expected))  # Go's []int/[]string are list subclasses
    assert isinstance(result, bool) == isinstance(expected, bool)


def test_argo_example_expressions():
    # examples/expression-tag-template.yaml, conditional-parameters.yaml, fibonacci
    assert ev("asInt(inputs.parameters.num) * 10") == 20
    assert ev("asFloat(inputs.parameters.num) / 4") == 0.5
    flip = (
        "steps['flip-coin'].outputs.result == 'heads' ? steps.heads.outputs.result "
        ": steps.tails.outputs.result"
    )
    assert ev(flip) == "it was heads"
    fib = (
        "asInt(inputs.parameters.num) == 1? 1: asInt(inputs.parameters.num) == 2? 1: "
        "steps['fibonacci-helper'].outputs.parameters.result"
    )
    assert ev(fib) == 1


def test_retry_expression_from_retry_conditional_yaml():
    source = (
        'asInt(lastRetry.exitCode) > 1 && lastRetry.status != "Error" && '
        "asInt(lastRetry.duration) < 120 && "
        "(false == true || lastRetry.message matches 'imminent node shutdown|pod deleted')"
    )
    env = {
        "lastRetry": {
            "exitCode": "2",
            "status": "Failed",
            "duration": "10",
            "message": "x",
        }
    }
    assert evaluate_bool(source, env) is False
    env["lastRetry"]["message"] = "the pod deleted by someone"
    assert evaluate_bool(source, env) is True
    env["lastRetry"]["exitCode"] = "1"
    assert evaluate_bool(source, env) is False


def test_hook_expressions():
    assert evaluate_bool(
        'steps["step-1"].status == "Running"',
        {"steps": {"step-1": {"status": "Running"}}},
    )
    # a step that does not exist yet is nil, and reading its status fails (as in Go)
    with pytest.raises(UndefinedVariable, match="steps.step-1"):
        evaluate_bool('steps["step-1"].status == "Running"', {"steps": {}})
    assert evaluate_bool('steps["step-1"]?.status == "Running"', {"steps": {}}) is False
    assert evaluate_bool(
        'workflow.status == "Running"', {"workflow": {"status": "Running"}}
    )


def test_cron_when_expression_with_times():
    source = (
        "cronworkflow.lastScheduledTime == nil || "
        "(now() - cronworkflow.lastScheduledTime).Seconds() > 360"
    )
    assert evaluate_bool(source, {"cronworkflow": {"lastScheduledTime": None}})
    recent = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=10)
    assert not evaluate_bool(source, {"cronworkflow": {"lastScheduledTime": recent}})
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    assert evaluate_bool(source, {"cronworkflow": {"lastScheduledTime": old}})


def test_time_builtins():
    assert ev("duration('1h30m')") == Duration(5_400_000_000_000)
    assert ev("duration('1h30m').Minutes()") == 90.0
    assert ev("string(duration('90s'))") == "1m30s"
    assert ev("date('2024-05-01').Year()") == 2024
    assert ev("date('2024-05-01T10:00:00Z').Unix()") == 1714557600
    assert ev("date('01/05/2024', '02/01/2006').Month()") == 5
    assert ev("date('2024-05-02') - date('2024-05-01')") == Duration(86_400_000_000_000)
    assert ev("date('2024-05-01') + duration('24h') == date('2024-05-02')") is True
    assert ev("date('2024-05-01') < date('2024-05-02')") is True
    assert ev("date('2024-05-01T10:00:00Z').Format('Jan 2, 2006 at 3:04pm (MST)')") == (
        "May 1, 2024 at 10:00am (UTC)"
    )
    assert isinstance(ev("now()"), dt.datetime)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("m.k + 1", "invalid operation: string + int"),
        ("1 - m.k", "invalid operation: int - string"),
        ("1.5 % 2", "invalid operation: float64 % int"),
        ("1 % 0", "integer divide by zero"),
        ("items[10]", "index out of range: 10 (array length is 4)"),
        ("items['a']", "invalid operation: int(string)"),
        ("m['x-y'] && true", "not bool"),
        ("!m.k", "not bool"),
        ("m['x-y'] ? 2 : 3", "not bool"),
        ("asInt('x')", "invalid operation: int(x)"),
        ("len(1)", "invalid argument for len (type int)"),
        ("n.x", "cannot fetch x from <nil>"),
        ("1 < m.k", "invalid operation: int < string"),
        ("3 in 'abc'", 'operator "in" not defined on string'),
        ("'a' matches '('", "error parsing regexp"),
        ("m.k()", "cannot call non-function"),
        ("repeat('a', -1)", "expected positive integer"),
    ],
)
def test_runtime_errors(source, message):
    with pytest.raises(ExprError) as info:
        ev(source)
    assert message in str(info.value)
    assert not isinstance(info.value, UndefinedVariable)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("'a' + 1", "invalid operation: + (mismatched types string and int)"),
        ("1 && true", "invalid operation: && (mismatched types int and bool)"),
        ("!'x'", "invalid operation: ! (mismatched type string)"),
        ("1 ? 2 : 3", "non-bool expression (type int) used as condition"),
        ("1 < 'a'", "invalid operation: < (mismatched types int and string)"),
        ("'1' == 1", "invalid operation: == (mismatched types string and int)"),
        ("'abc'[1]", "type string[int] is undefined"),
        ("items == 1", "invalid operation: == (mismatched types []interface {} and int)"),
    ],
)
def test_compile_time_type_errors(source, message):
    """expr-lang's checker knows literals' and top-level variables' types (expr-lang's wording)."""
    with pytest.raises(ExprError) as info:
        ev(source)
    assert message in str(info.value)


def test_values_of_unknown_type_are_checked_at_run_time():
    assert ev("m.k == 1") is False
    assert ev("inputs.parameters.num == 2") is False


def test_undefined_variables():
    with pytest.raises(UndefinedVariable) as info:
        ev("nosuch + 1")
    assert info.value.name == "nosuch"
    with pytest.raises(UndefinedVariable) as info:
        ev("steps.nope.outputs.result")
    assert info.value.name == "steps.nope"
    with pytest.raises(UndefinedVariable) as info:
        ev("asInt(inputs.nope.x)")
    assert info.value.name == "inputs.nope"


def test_undefined_variable_in_unevaluated_branch_is_fine():
    assert ev("true || nosuch") is True
    assert ev("false ? nosuch : 1") == 1


@pytest.mark.parametrize(
    "source",
    [
        "1 +",
        "(1",
        "[1, 2",
        "{a: }",
        "a ?? b + c",
        "a ?? b || c",
        "a ?? b == c",
        "#",
        "filter(items)",
        "filter(items, #, 1)",
        "{# > 1}",
        "f({# > 1})",
        "map(items, #acc)",
        "#foo",
        "1 = 2",
        "'unterminated",
        "'bad \\q escape'",
        "a.",
        "a b",
        "let x = 1",
        "1 +* 2",
        "@",
        "",
        "   ",
    ],
)
def test_syntax_errors(source):
    with pytest.raises(ExprError):
        check_syntax(source)


def test_coalesce_mixing_with_parentheses_is_fine():
    assert ev("(n ?? 1) + 2") == 3
    assert ev("1 + (n ?? 2)") == 3
    assert ev("1 + n ?? 2") == 3  # `??` binds tighter than `+`


def test_argo_functions_can_be_turned_off():
    with pytest.raises(UndefinedVariable):
        evaluate("asInt('1')", {}, argo_functions=False)
    assert evaluate("int('1')", {}, argo_functions=False) == 1


def test_argo_functions_hide_variables_of_the_same_name():
    assert evaluate("asInt('3')", {"asInt": "shadow"}) == 3


def test_evaluate_bool_requires_a_bool():
    with pytest.raises(ExprError, match="unable to cast expression result '1' to bool"):
        evaluate_bool("1", {})


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("item.requiredKey", ("item", "item.requiredKey")),
        ("item.optionalKey ?? 'fallback'", ("item",)),
        ("item['optionalKey'] ?? ''", ("item",)),
        ("item?.optionalKey", ("item",)),
        ("item.a?.b", ("item",)),
        ("item.requiredKey + (item.optionalKey ?? 'x')", ("item", "item.requiredKey")),
        ("tasks.a.outputs.result ?? 'default'", ("tasks",)),
        (
            "tasks.a.outputs.result",
            ("tasks", "tasks.a", "tasks.a.outputs", "tasks.a.outputs.result"),
        ),
        (
            "steps['flip-coin'].outputs",
            ("steps", "steps.flip-coin", "steps.flip-coin.outputs"),
        ),
        ("asInt(x)", ("asInt", "x")),
        ("let v = 1; v + w", ("w",)),
        ("filter(xs, # > 1)", ("xs",)),
    ],
)
def test_identifiers_like_argo_get_identifiers(source, expected):
    # expression_template_test.go Test_getIdentifiers
    assert set(identifiers(source)) == set(expected)


def test_parse_is_cached():
    from localflow.expr import _expr_parser

    assert _expr_parser.parse("a + b") is _expr_parser.parse("a + b")


def test_any_mapping_and_tuple_work_as_go_maps_and_slices():
    from collections import ChainMap
    from types import MappingProxyType

    env = ChainMap({"a": MappingProxyType({"b": (1, 2, 3)})}, {"c": "d"})
    assert evaluate("a.b[1] + len(a.b)", env) == 5
    assert evaluate("c", env) == "d"
    assert evaluate("'b' in a", env) is True
    assert evaluate("filter(a.b, # > 1)", env) == [2, 3]
    assert evaluate("toJson(a)", env) == '{"b":[1,2,3]}'


def test_method_calls_on_times_need_known_methods():
    with pytest.raises(ExprError, match="has no method Nope"):
        ev("now().Nope()")
    with pytest.raises(ExprError, match="has no method"):
        ev("'abc'.Upper()")


def test_keywords_are_whole_words_only():
    names = [
        "notify",
        "index",
        "android",
        "orange",
        "inputs",
        "iffy",
        "elsewhere",
        "letter",
    ]
    env = {name: 1 for name in names}
    assert evaluate(" + ".join(names), env) == len(names)
    # operator words may name properties
    assert (
        evaluate("x.not + x.in + x.matches", {"x": {"not": 1, "in": 2, "matches": 3}})
        == 6
    )
