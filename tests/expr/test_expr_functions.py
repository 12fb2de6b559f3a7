"""Argo's extra expression functions: asInt, asFloat, toJson, jsonpath, sprig.*."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from localflow.errors import ExprError
from localflow.expr import evaluate

CONFIG = json.dumps(
    {
        "a": "1",
        "b": 2,
        "c": [1, 2],
        "employees": [
            {"name": "Baris", "age": 43, "tags": ["x"]},
            {"name": "Mo", "age": 42},
            {"name": "Ann", "age": 50},
        ],
        "length": "not a count",
    }
)
WEATHER = {
    "weekWeather": base64.b64encode(
        json.dumps({"temps": [34, 27, 15, 57, 46]}).encode()
    ).decode()
}
ENV = {
    "workflow": {
        "parameters": {
            "config": CONFIG,
            "json": '[{"value": "true"}]',
            "weather": json.dumps(WEATHER),
        },
        "creationTimestamp": "2024-05-01T10:00:00Z",
    },
    "inputs": {
        "parameters": {"week-temps": '{"avg": 25.5, "min": 20, "max": 30}', "foo": "10"}
    },
}


def ev(source):
    return evaluate(source, ENV)


# ----------------------------------------------------------------------------------------
# jsonpath (examples/expression-*.yaml, data-transformations)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.a", "1"),
        ("$.b", 2.0),
        ("$.c", [1.0, 2.0]),
        ("$.c[0]", 1.0),
        ("$.c[-1]", 2.0),
        ("$.employees[*].name", ["Baris", "Mo", "Ann"]),
        ("$.employees[0:1]", [{"name": "Baris", "age": 43.0, "tags": ["x"]}]),
        ("$.employees[0,2].name", ["Baris", "Ann"]),
        ("$.employees[::2].name", ["Baris", "Ann"]),
        ("$.employees[?(@.age>42 && @.age<44)].age", [43.0]),
        ('$.employees[?(@.name=="Baris")].age', [43.0]),
        ("$.employees[?(@.name=='Mo' || @.age == 50)].name", ["Mo", "Ann"]),
        ("$.employees[?(@.tags)].name", ["Baris"]),
        ("$.employees[?(!(@.age > 42))].name", ["Mo"]),
        ("$.employees[?(@.age > 42)][0].name", "Baris"),
        ("$.employees[?(@.name =~ '^A')].name", ["Ann"]),
        ("$.employees[?(@.age in [42, 50])].name", ["Mo", "Ann"]),
        ("$.employees.length", 3.0),
        ("$.length", "not a count"),
        ("$['employees'][1]['name']", "Mo"),
        ("$..name", ["Baris", "Mo", "Ann"]),
        ("$.employees[(@.length-1)].name", "Ann"),
        ("$.employees[?(@.age > 49)].name", ["Ann"]),
    ],
)
def test_jsonpath(path, expected):
    assert (
        evaluate("jsonpath(workflow.parameters.config, p)", {**ENV, "p": path})
        == expected
    )


def test_jsonpath_in_expressions_from_examples():
    assert ev("jsonpath(workflow.parameters.json, '$[0].value') == 'true'") is True
    assert ev("jsonpath(inputs.parameters['week-temps'], '$.avg')") == 25.5
    assert ev("jsonpath(inputs.parameters['week-temps'], '$.max')") == 30.0


@pytest.mark.parametrize("path", ["$.nope", "$.c[5]", "$.a.b"])
def test_jsonpath_missing_is_an_error(path):
    with pytest.raises(ExprError):
        evaluate("jsonpath(workflow.parameters.config, p)", {**ENV, "p": path})


@pytest.mark.parametrize("path", ["a.b", "$.[", "$[?(@.a >)]", ""])
def test_jsonpath_bad_path(path):
    with pytest.raises(ExprError):
        evaluate("jsonpath('{}', p)", {"p": path})


def test_jsonpath_bad_json_and_types():
    with pytest.raises(ExprError, match="invalid JSON"):
        ev("jsonpath('{not json', '$.a')")
    with pytest.raises(ExprError, match="jsonpath"):
        ev("jsonpath(1, '$.a')")


def test_reusing_verbose_snippets_example():
    # examples/expression-reusing-verbose-snippets.yaml
    source = """
        map([
            jsonpath(sprig.b64dec(jsonpath(workflow.parameters.weather, '$.weekWeather')), '$.temps')
          ], {
            toJson({
              avg: sprig.add(#[0], #[1], #[2], #[3], #[4]) / 5,
              min: sprig.min(#[0], #[1], #[2], #[3], #[4]),
              max: sprig.max(#[0], #[1], #[2], #[3], #[4])
            })
        })[0]
    """
    assert ev(source) == '{"avg":35.8,"max":57,"min":15}'


# ----------------------------------------------------------------------------------------
# asInt, asFloat, toJson


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("asInt('42')", 42),
        ("asInt('-7')", -7),
        ("asInt(3.9)", 3),
        ("asFloat('2.5')", 2.5),
        ("asFloat('1e3')", 1000.0),
        ("asFloat(2)", 2.0),
        ("toJson([1, 2])", "[1,2]"),
        ("toJson({'b': [1.0], 'a': nil})", '{"a":null,"b":[1]}'),
        ("toJson('<&>')", '"\\u003c\\u0026\\u003e"'),
        ("toJson(0.1 + 0.2)", "0.30000000000000004"),
        ("toJson(1e-7)", "1e-7"),
        ("toJson(1e21)", "1e+21"),
        ("toJson(123456789.0)", "123456789"),
        ("toJson(-0.0)", "-0"),
        ("toJson('é\\n')", '"é\\n"'),
    ],
)
def test_argo_functions(source, expected):
    result = ev(source)
    assert result == expected
    assert isinstance(result, type(expected))  # Go's int64/[]string are int/list subclasses
    assert isinstance(result, bool) == isinstance(expected, bool)


@pytest.mark.parametrize(
    "source", ["asInt('1.5')", "asInt(' 1')", "asInt('1_000')", "asFloat('x')"]
)
def test_argo_conversion_errors(source):
    with pytest.raises(ExprError):
        ev(source)


def test_to_json_of_nan_is_an_error():
    with pytest.raises(ExprError, match="unsupported value"):
        ev("toJson(0.0 / 0.0)")


# ----------------------------------------------------------------------------------------
# sprig


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("sprig.add(1, 2, 3)", 6),
        ("sprig.add('1', 2.9)", 3),
        ("sprig.add(1, 'x')", 1),
        ("sprig.add('0x10', '010')", 24),
        ("sprig.add('1.0', 1)", 2),
        ("sprig.sub(5, 3)", 2),
        ("sprig.mul(2, 3, 4)", 24),
        ("sprig.div(7, 2)", 3),
        ("sprig.div(-7, 2)", -3),
        ("sprig.mod(-7, 2)", -1),
        ("sprig.add1(1)", 2),
        ("sprig.max(1, 5, 3)", 5),
        ("sprig.min(4, 2.9)", 2),
        ("sprig.maxf(1, 2.5)", 2.5),
        ("sprig.addf(1.1, 2.2)", 3.3),
        ("sprig.round(3.14159, 2)", 3.14),
        ("sprig.floor(1.9)", 1.0),
        ("sprig.ceil('1.1')", 2.0),
        ("sprig.atoi('12')", 12),
        ("sprig.atoi('x')", 0),
        ("sprig.int('12')", 12),
        ("sprig.int64(3.7)", 3),
        ("sprig.float64('1.5')", 1.5),
        ("sprig.toString(1.5)", "1.5"),
        ("sprig.toString(nil)", "<nil>"),
        ("sprig.trim('  x  ')", "x"),
        ("sprig.trimAll('$', '$5.00$')", "5.00"),
        ("sprig.trimPrefix('-', '-x')", "x"),
        ("sprig.trimSuffix('-', 'x-')", "x"),
        ("sprig.upper('abc')", "ABC"),
        ("sprig.lower('ABC')", "abc"),
        ("sprig.title('hello wide-world')", "Hello Wide-World"),
        ("sprig.untitle('Hello')", "hello"),
        ("sprig.replace(' ', '-', 'a b c')", "a-b-c"),
        ("sprig.repeat(3, 'ab')", "ababab"),
        ("sprig.substr(1, 3, 'hello')", "el"),
        ("sprig.substr(2, -1, 'hello')", "llo"),
        ("sprig.trunc(3, 'hello')", "hel"),
        ("sprig.trunc(-3, 'hello')", "llo"),
        ("sprig.abbrev(5, 'hello world')", "he..."),
        ("sprig.initials('hello wide world')", "hww"),
        ("sprig.nospace('a b\tc')", "abc"),
        ("sprig.contains('ell', 'hello')", True),
        ("sprig.hasPrefix('he', 'hello')", True),
        ("sprig.hasSuffix('lo', 'hello')", True),
        ("sprig.quote('a', 1, nil)", '"a" "1"'),
        ("sprig.squote('a')", "'a'"),
        ("sprig.cat('a', 1, nil, 'b')", "a 1 b"),
        ("sprig.indent(2, 'a\\nb')", "  a\n  b"),
        ("sprig.nindent(2, 'a')", "\n  a"),
        ("sprig.plural('one', 'many', 2)", "many"),
        ("sprig.join('-', ['a', 1, nil])", "a-1"),
        ("sprig.join(',', 'solo')", "solo"),
        ("sprig.splitList(',', 'a,b')", ["a", "b"]),
        ("sprig.split(',', 'a,b')", {"_0": "a", "_1": "b"}),
        ("sprig.splitn(',', 2, 'a,b,c')", {"_0": "a", "_1": "b,c"}),
        ("sprig.sortAlpha(['b', 'a'])", ["a", "b"]),
        ("sprig.b64enc('hello')", "aGVsbG8="),
        ("sprig.b64dec('aGVsbG8=')", "hello"),
        ("sprig.b32enc('hi')", "NBUQ===="),
        ("sprig.b32dec('NBUQ====')", "hi"),
        (
            "sprig.sha256sum('abc')",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        ("sprig.sha1sum('abc')", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("sprig.adler32sum('abc')", "38600999"),
        ("sprig.default('d', '')", "d"),
        ("sprig.default('d', 'x')", "x"),
        ("sprig.default('d', 0)", "d"),
        ("sprig.default('d')", "d"),
        ("sprig.empty('')", True),
        ("sprig.empty([1])", False),
        ("sprig.empty(nil)", True),
        ("sprig.coalesce('', nil, 'x')", "x"),
        ("sprig.ternary('yes', 'no', true)", "yes"),
        ("sprig.toJson({'a': '<'})", '{"a":"\\u003c"}'),
        ("sprig.toRawJson({'a': '<'})", '{"a":"<"}'),
        ("sprig.toPrettyJson([1])", "[\n  1\n]"),
        ("sprig.fromJson('{\"a\": 1}')", {"a": 1.0}),
        ("sprig.fromJson('bad')", None),
        ("sprig.regexMatch('^[a-z]+$', 'abc')", True),
        ("sprig.regexMatch('(', 'abc')", False),
        ("sprig.regexFind('[0-9]+', 'ab12cd34')", "12"),
        ("sprig.regexFindAll('[0-9]+', 'ab12cd34', -1)", ["12", "34"]),
        ("sprig.regexFindAll('[0-9]+', 'ab12cd34', 1)", ["12"]),
        ("sprig.regexReplaceAll('a(x*)b', '-ab-axxb-', '${1}W')", "-W-xxW-"),
        ("sprig.regexReplaceAll('a(x*)b', '-ab-axxb-', '$1W')", "---"),
        ("sprig.regexReplaceAllLiteral('a(x*)b', '-ab-', '${1}')", "-${1}-"),
        ("sprig.regexSplit('z+', 'pizza', -1)", ["pi", "a"]),
        ("sprig.regexQuoteMeta('1.2')", "1\\.2"),
        ("sprig.list(1, 'a')", [1, "a"]),
        ("sprig.first([1, 2])", 1),
        ("sprig.last([1, 2])", 2),
        ("sprig.rest([1, 2, 3])", [2, 3]),
        ("sprig.initial([1, 2, 3])", [1, 2]),
        ("sprig.reverse([1, 2])", [2, 1]),
        ("sprig.uniq([1, 1, 2])", [1, 2]),
        ("sprig.without([1, 2, 3], 2)", [1, 3]),
        ("sprig.has(2, [1, 2])", True),
        ("sprig.append([1], 2)", [1, 2]),
        ("sprig.prepend([1], 0)", [0, 1]),
        ("sprig.concat([1], [2])", [1, 2]),
        ("sprig.compact(['a', '', nil, 0, 'b'])", ["a", "b"]),
        ("sprig.slice([1, 2, 3], 1)", [2, 3]),
        ("sprig.chunk(2, [1, 2, 3])", [[1, 2], [3]]),
        ("sprig.until(3)", [0, 1, 2]),
        ("sprig.untilStep(0, 10, 4)", [0, 4, 8]),
        ("sprig.seq(3)", "1 2 3"),
        ("sprig.seq(5, -2, 1)", "5 3 1"),
        ("sprig.dict('a', 1, 'b')", {"a": 1, "b": ""}),
        ("sprig.get({'a': 1}, 'a')", 1),
        ("sprig.get({'a': 1}, 'b')", ""),
        ("sprig.hasKey({'a': 1}, 'a')", True),
        ("sprig.keys({'a': 1})", ["a"]),
        ("sprig.values({'a': 1})", [1]),
        ("sprig.pick({'a': 1, 'b': 2}, 'a')", {"a": 1}),
        ("sprig.omit({'a': 1, 'b': 2}, 'a')", {"b": 2}),
        ("sprig.pluck('a', {'a': 1}, {'b': 2}, {'a': 3})", [1, 3]),
        ("sprig.merge({'a': 1}, {'a': 2, 'b': 3})", {"a": 1, "b": 3}),
        ("sprig.mergeOverwrite({'a': 1}, {'a': 2})", {"a": 2}),
        ("sprig.dig('a', 'b', 'none', {'a': {'b': 'v'}})", "v"),
        ("sprig.dig('a', 'x', 'none', {'a': {'b': 'v'}})", "none"),
        ("sprig.typeOf(1)", "int"),
        ("sprig.typeOf('s')", "string"),
        ("sprig.kindOf([1])", "slice"),
        ("sprig.kindIs('map', {})", True),
        ("sprig.deepEqual([1], [1])", True),
        ("sprig.base('/a/b.txt')", "b.txt"),
        ("sprig.dir('/a/b.txt')", "/a"),
        ("sprig.ext('/a/b.txt')", ".txt"),
        ("sprig.clean('/a//b/../c')", "/a/c"),
        ("sprig.isAbs('/a')", True),
        ("sprig.duration('95')", "1m35s"),
        ("sprig.hello()", "Hello!"),
        ("sprig.toDecimal('0777')", 511),
        ("sprig.date('2006-01-02', 0)", "1970-01-01"),
        ("sprig.dateInZone('15:04', 3600, 'UTC')", "01:00"),
        ("sprig.htmlDate(86400)", "1970-01-02"),
        ("sprig.toDate('2006-01-02', '2024-05-01').Year()", 2024),
        ("sprig.unixEpoch(sprig.toDate('2006-01-02', '1970-01-02'))", "86400"),
        ("sprig.dateModify('1h', sprig.toDate('2006-01-02', '2024-05-01')).Hour()", 1),
    ],
)
def test_sprig(source, expected):
    result = ev(source)
    assert result == expected
    assert isinstance(result, type(expected))  # Go's int64/[]string are int/list subclasses
    assert isinstance(result, bool) == isinstance(expected, bool)


def test_sprig_date_with_a_string_means_now():
    # sprig's date() ignores values that are not times or integers
    assert ev("sprig.date('2006', workflow.creationTimestamp)") == str(
        dt.datetime.now(dt.timezone.utc).year
    )


def test_sprig_random_and_uuid():
    assert len(ev("sprig.uuidv4()")) == 36
    assert ev("sprig.uuidv4()") != ev("sprig.uuidv4()")
    assert len(ev("sprig.randAlphaNum(8)")) == 8
    assert ev("sprig.randNumeric(5)").isdigit()
    assert isinstance(ev("sprig.now()"), dt.datetime)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("sprig.upper(1)", "reflect: Call using int as type string"),
        ("sprig.repeat('3', 'x')", "reflect: Call using string as type int"),
        ("sprig.fail('boom')", "boom"),
        ("sprig.div(1, 0)", "integer divide by zero"),
        ("sprig.first(1)", "Cannot find first on type int"),
        ("sprig.nosuch(1)", "cannot call nil"),
        ("sprig.substr(4, 2, 'hello')", "slice bounds out of range"),
    ],
)
def test_sprig_errors(source, message):
    with pytest.raises(ExprError) as info:
        ev(source)
    assert message in str(info.value)


def test_sprig_has_no_env_functions():
    with pytest.raises(ExprError):
        ev("sprig.env('HOME')")
    with pytest.raises(ExprError):
        ev("sprig.expandenv('$HOME')")


def test_every_sprig_function_used_in_argo_examples_exists():
    from localflow.expr._sprig import FUNCTIONS

    for name in ("add", "b64dec", "date", "max", "min"):
        assert name in FUNCTIONS


def test_jsonpath_keys_with_hyphens():
    doc = '{"my-key": {"x-y": [1, 2]}}'
    assert evaluate("jsonpath(d, '$.my-key.x-y[1]')", {"d": doc}) == 2.0
    assert evaluate("jsonpath(d, \"$['my-key']['x-y']\")", {"d": doc}) == [1.0, 2.0]
