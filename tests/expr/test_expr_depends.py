"""DAG `depends` logic: parsing, truth tables, continueOn expansion (ancestry.go, dag.go)."""

from __future__ import annotations

import itertools

import pytest

from localflow.errors import ExprError
from localflow.expr import dependencies_to_depends, parse_depends
from localflow.expr.depends import RESULTS

PHASE_RESULTS = ["Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned"]


def phases(**by_task: str):
    """result(task, kind) for tasks that each ended with one result."""
    return lambda task, kind: by_task[task] == kind


@pytest.mark.parametrize(
    ("text", "tasks"),
    [
        ("A", {"A"}),
        ("flip-coin", {"flip-coin"}),
        ("task.Succeeded", {"task"}),
        ("(A.Failed || B.Errored) && !C.Skipped", {"A", "B", "C"}),
        ("A && (C.Succeeded || C.Failed)", {"A", "C"}),
        (
            "should-execute-2.Succeeded || should-not-execute",
            {"should-execute-2", "should-not-execute"},
        ),
        (
            "producer-1 && producer-2 && producer-3",
            {"producer-1", "producer-2", "producer-3"},
        ),
        ("task-1.AnySucceeded || task-2.AllFailed", {"task-1", "task-2"}),
        (
            "(task-2.Succeeded || task-2.Skipped) && !task-3.Failed",
            {"task-2", "task-3"},
        ),
        ("  B &&\n  C ", {"B", "C"}),
        ("1st-task", {"1st-task"}),
    ],
)
def test_tasks_referenced(text, tasks):
    assert parse_depends(text).tasks == tasks


def test_item_tasks_are_those_with_group_results():
    d = parse_depends("task-1.AnySucceeded || task-2.AllFailed || task-3")
    assert d.item_tasks == {"task-1", "task-2"}


@pytest.mark.parametrize(
    "text",
    [
        "A &&",
        "&& A",
        "A B",
        "A and B",
        "(A",
        "A)",
        "A || || B",
        "A.Bogus",
        "A.succeeded",
        "A.Succeeded == true",
        "A..Succeeded",
        "-A",
        "A.",
        "!",
    ],
)
def test_syntax_errors(text):
    with pytest.raises(ExprError):
        parse_depends(text)


def test_invalid_result_message_names_task_and_result():
    with pytest.raises(
        ExprError, match="task result 'Finished' for task 'A' is invalid"
    ):
        parse_depends("A.Finished")


@pytest.mark.parametrize("phase", PHASE_RESULTS)
def test_bare_name_truth_table(phase):
    expected = phase in ("Succeeded", "Skipped", "Daemoned")
    assert parse_depends("A").evaluate(phases(A=phase)) is expected


@pytest.mark.parametrize(
    ("continue_on", "phase", "expected"),
    [
        ((True, False), "Failed", True),
        ((True, False), "Errored", False),
        ((False, True), "Errored", True),
        ((False, True), "Failed", False),
        ((True, True), "Failed", True),
        ((True, True), "Errored", True),
        ((True, True), "Omitted", False),
        ((False, False), "Failed", False),
    ],
)
def test_bare_name_with_continue_on(continue_on, phase, expected):
    d = parse_depends("A")
    assert d.evaluate(phases(A=phase), {"A": continue_on}) is expected


def test_continue_on_applies_only_to_its_task():
    d = parse_depends("A && B")
    result = phases(A="Failed", B="Failed")
    assert d.evaluate(result, {"A": (True, False)}) is False
    assert d.evaluate(result, {"A": (True, False), "B": (True, False)}) is True


def test_explicit_results_ignore_continue_on():
    d = parse_depends("A.Succeeded")
    assert d.evaluate(phases(A="Failed"), {"A": (True, True)}) is False


@pytest.mark.parametrize(("a", "b"), list(itertools.product(PHASE_RESULTS, repeat=2)))
def test_enhanced_depends_truth_table(a, b):
    # docs/enhanced-depends-logic.md and dag-enhanced-depends.yaml
    result = phases(A=a, B=b)
    assert parse_depends("A.Succeeded && B.Failed").evaluate(result) is (
        a == "Succeeded" and b == "Failed"
    )
    assert parse_depends("A.Failed || B.Errored").evaluate(result) is (
        a == "Failed" or b == "Errored"
    )
    assert parse_depends("!A.Skipped").evaluate(result) is (a != "Skipped")
    expected = (a in ("Succeeded", "Skipped", "Daemoned")) or b == "Failed"
    assert parse_depends("A || B.Failed").evaluate(result) is expected


def test_precedence_and_binds_tighter_than_or():
    result = phases(A="Succeeded", B="Failed", C="Failed")
    assert (
        parse_depends("A.Succeeded || B.Succeeded && C.Succeeded").evaluate(result)
        is True
    )
    assert (
        parse_depends("(A.Succeeded || B.Succeeded) && C.Succeeded").evaluate(result)
        is False
    )
    assert parse_depends("!A.Succeeded || C.Failed").evaluate(result) is True
    assert parse_depends("!(A.Succeeded || C.Failed)").evaluate(result) is False


def test_group_results():
    def result(task, kind):
        return {("loop", "AnySucceeded"): True, ("loop", "AllFailed"): False}.get(
            (task, kind), False
        )

    assert parse_depends("loop.AnySucceeded").evaluate(result) is True
    assert parse_depends("loop.AllFailed").evaluate(result) is False


def test_all_results_are_known():
    assert set(RESULTS) == {
        "Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed",
    }  # fmt: skip
    for kind in RESULTS:
        assert parse_depends(f"x.{kind}").tasks == {"x"}


def test_dependencies_to_depends_is_an_and():
    text = dependencies_to_depends(["A", "B", "C"])
    assert text == "A && B && C"
    d = parse_depends(text)
    assert d.evaluate(phases(A="Succeeded", B="Skipped", C="Daemoned")) is True
    assert d.evaluate(phases(A="Succeeded", B="Skipped", C="Failed")) is False


def test_empty_depends_always_holds():
    d = parse_depends("")
    assert d.tasks == set()
    assert d.evaluate(lambda t, k: False) is True


def test_expanded_text_matches_argo_expansion():
    d = parse_depends("A && B.Failed")
    assert d.expanded() == "(A.Succeeded || A.Skipped || A.Daemoned) && B.Failed"
    assert d.expanded({"A": (True, True)}) == (
        "(A.Succeeded || A.Skipped || A.Daemoned || A.Errored || A.Failed) && B.Failed"
    )


def test_parse_is_cached():
    assert parse_depends("A && B") is parse_depends("A && B")
