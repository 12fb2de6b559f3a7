"""`{{...}}` substitution (util/template) and `expand` (util/expand)."""

from __future__ import annotations

import pytest

from localflow.errors import ExprError, UndefinedVariable
from localflow.expr import argo_strict, expand, find_tags, render

VALUES = {
    "inputs.parameters.message": "hi",
    "inputs.parameters.foo": "10",
    "inputs.parameters.should-print": "true",
    "steps.gen.outputs.result": "3",
    "steps.flip-coin.outputs.result": "heads",
    "workflow.name": "wf-abcde",
    "workflow.creationTimestamp": "2024-05-01T10:00:00Z",
    "tasks.skipped.outputs.result": None,
    "multi": 'line1\nline2 "quoted"',
}


# ----------------------------------------------------------------------------------------
# find_tags


def test_find_tags_fields():
    tags = find_tags("a {{ x }} b {{= 1 + 2 }} {{ =y}}{{z}}")
    assert [t.raw for t in tags] == ["{{ x }}", "{{= 1 + 2 }}", "{{ =y}}", "{{z}}"]
    assert [t.inner for t in tags] == ["x", "= 1 + 2", "=y", "z"]
    assert [t.is_expression for t in tags] == [False, True, False, False]
    assert tags[1].expression == "1 + 2"
    assert tags[0].expression == ""
    assert (tags[0].start, tags[0].end) == (2, 9)


def test_find_tags_takes_first_closing_braces():
    tags = find_tags("{{a{{b}}}}")
    assert [t.raw for t in tags] == ["{{a{{b}}"]


def test_find_tags_unclosed_is_an_error():
    with pytest.raises(ExprError, match="Cannot find end tag"):
        find_tags("hello {{ world")


def test_find_tags_none():
    assert find_tags("no tags } here {") == []


# ----------------------------------------------------------------------------------------
# simple tags


def test_simple_tags_are_exact_lookups_of_trimmed_text():
    text = "say {{inputs.parameters.message}} {{ steps.gen.outputs.result }}!"
    assert render(text, VALUES) == "say hi 3!"


def test_values_go_in_as_they_are():
    assert render("{{multi}}", VALUES) == 'line1\nline2 "quoted"'


def test_unknown_simple_tags_stay():
    assert render("{{unknown}} and {{ steps.nope.outputs.result }}", VALUES) == (
        "{{unknown}} and {{ steps.nope.outputs.result }}"
    )


def test_strict_unknown_tag_raises_undefined_variable():
    with pytest.raises(UndefinedVariable) as info:
        render("{{steps.nope.outputs.result}}", VALUES, strict=argo_strict())
    assert info.value.name == "steps.nope.outputs.result"
    # non-strict prefixes stay unresolved
    assert (
        render("{{workflow.nope}}", VALUES, strict=argo_strict()) == "{{workflow.nope}}"
    )


def test_argo_strict_prefix_rule():
    strict = argo_strict()
    assert strict("steps.a.outputs.result")
    assert strict("tasks.a.outputs.parameters.x")
    assert strict("steps")
    assert not strict("stepsX.a")
    assert not strict("workflow.name")
    assert not strict("steps.a.outputs.artifacts.x")  # optional artifacts resolve later


def test_absent_optional_is_an_error():
    with pytest.raises(ExprError, match="absent optional"):
        render("{{tasks.skipped.outputs.result}}", VALUES)


def test_non_string_value_is_an_error():
    with pytest.raises(ExprError, match="to string"):
        render("{{n}}", {"n": 3})


def test_nested_tag_resolves_inner_and_keeps_outer():
    text = "{{steps.{{x}}.outputs.result}}"
    assert render(text, {"x": "gen"}) == "{{steps.gen.outputs.result}}"
    assert render("{{a{{x}}}}", {"x": "b"}) == "{{ab}}"


def test_text_without_tags_is_returned_unchanged():
    text = "plain } text {"
    assert render(text, VALUES) is text


# ----------------------------------------------------------------------------------------
# expression tags


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{=asInt(inputs.parameters.foo) * 10}}", "100"),
        ("{{= inputs.parameters['should-print'] == 'true'}}", "true"),
        ("{{=inputs.parameters.message + '!'}}", "hi!"),
        ("{{=toJson(filter([1, 3], {# > 1}))}}", "[3]"),
        ("{{=filter([1, 2, 3], {# > 1})}}", "[2,3]"),
        ("{{=[1.0, 2.5, 1e21]}}", "[1,2.5,1e+21]"),
        ("{{={'b': 1, 'a': '<x>'} }}", '{"a":"\\u003cx\\u003e","b":1}'),
        ("{{=1 / 4}}", "0.25"),
        ("{{=7 / 7}}", "1"),
        ("{{=nil ?? 'fallback'}}", "fallback"),
        ("{{=tasks.skipped.outputs.result ?? 'fallback'}}", "fallback"),
        ("{{=tasks.skipped.outputs.result == ''}}", "false"),
        ("{{=steps['flip-coin'].outputs.result}}", "heads"),
        ("x={{=1+1}} y={{inputs.parameters.message}}", "x=2 y=hi"),
    ],
)
def test_expression_tags(text, expected):
    assert render(text, VALUES) == expected


def test_sprig_date_of_a_string_is_now():
    # sprig.date treats anything but a time or an int as "now"
    out = render("{{=sprig.date('2006', workflow.creationTimestamp)}}", VALUES)
    assert len(out) == 4 and out.isdigit()


@pytest.mark.parametrize(
    "text",
    [
        "{{=item}}",
        "{{=item.name}}",
        "{{=retries + 1}}",
        "{{=lastRetry.exitCode}}",
        "{{=workflow.status == 'Succeeded'}}",
        "{{=workflow.failures}}",
    ],
)
def test_late_bound_variables_leave_tag_unresolved(text):
    assert render(text, VALUES) == text
    assert render(text, VALUES, strict=argo_strict()) == text


def test_nil_result_is_unresolved():
    assert (
        render("{{=inputs.parameters.nope}}", VALUES) == "{{=inputs.parameters.nope}}"
    )


def test_failure_without_strict_is_unresolved():
    assert render("{{=asInt('x')}}", VALUES) == "{{=asInt('x')}}"
    assert render("{{=nothere + 1}}", VALUES) == "{{=nothere + 1}}"


def test_failure_with_strict_and_all_variables_present_is_an_error():
    with pytest.raises(ExprError, match="failed to evaluate expression"):
        render("{{=asInt(inputs.parameters.message)}}", VALUES, strict=argo_strict())


def test_strict_missing_variable_in_expression():
    with pytest.raises(UndefinedVariable) as info:
        render("{{=steps.nope.outputs.result}}", VALUES, strict=argo_strict())
    assert info.value.name == "steps.nope"


def test_guarded_strict_path_is_not_required():
    text = "{{=steps.gen.outputs.nope ?? 'd'}}"
    assert render(text, VALUES, strict=argo_strict()) == "d"


def test_syntax_error_in_expression_tag_is_always_an_error():
    with pytest.raises(ExprError):
        render("{{=1 +}}", VALUES)


def test_expression_values_are_used_for_expressions_only():
    out = render(
        "{{x}} {{=x}}",
        {"x": "simple"},
        expression_values={"x": "from-expression"},
    )
    assert out == "simple from-expression"


def test_first_closing_braces_end_an_expression_tag():
    # as in Argo, `}}}` closes the tag at the first `}}`: the map literal is cut short
    with pytest.raises(ExprError):
        render("{{={'a': 1}}}", VALUES)


def test_leading_space_before_equals_is_a_simple_tag():
    assert render("{{ =1+1}}", VALUES) == "{{ =1+1}}"


# ----------------------------------------------------------------------------------------
# expand


def test_expand_nests_dotted_keys():
    assert expand({"a.b.c": 1, "a.d": 2, "e": 3}) == {
        "a": {"b": {"c": 1}, "d": 2},
        "e": 3,
    }


def test_expand_drops_parent_when_child_exists():
    assert expand({"a": 1, "a.b": 2}) == {"a": {"b": 2}}
    assert expand({"a.b": 1, "a.b.c": 2}) == {"a": {"b": {"c": 2}}}


def test_expand_keeps_sibling_with_hyphen():
    assert expand({"a": 1, "a-b": 9, "a.b": 2}) == {"a": {"b": 2}, "a-b": 9}


def test_expand_argo_variables():
    env = expand(VALUES)
    assert env["inputs"]["parameters"]["should-print"] == "true"
    assert env["steps"]["flip-coin"]["outputs"]["result"] == "heads"
    assert env["tasks"]["skipped"]["outputs"]["result"] is None
    assert env["workflow"]["name"] == "wf-abcde"


@pytest.mark.parametrize("value", ["\x1b[31mred", "x\x7fy", "a\x07b", "a\x0bb"])
def test_values_strconv_quote_cannot_write_as_json_are_an_error(value):
    """Argo quotes a value with strconv.Quote into the template's JSON (argo-truth
    template-042/043): `\\x1b`, `\\x7f`, `\\a`, `\\v` are not JSON, so it fails."""
    with pytest.raises(ExprError, match="invalid JSON"):
        render("{{inputs.parameters.x}}", {"inputs.parameters.x": value})
    assert render("{{inputs.parameters.x}}", {"inputs.parameters.x": "a\tb\nc"}) == "a\tb\nc"


def test_a_result_that_marshals_to_a_json_string_goes_in_without_quotes():
    """argo-truth template-082 and template-098."""
    assert render("{{=date('2024-01-02')}}", {}) == "2024-01-02T00:00:00Z"
    assert render("{{=sprig.toDate('2006-01-02', '2024-03-05')}}", {}) == "2024-03-05T00:00:00Z"
