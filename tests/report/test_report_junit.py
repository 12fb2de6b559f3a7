"""JUnit XML of a run: counts, one test case per leaf step, failure/error/skipped bodies, escaping."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import report_factory as F

from localflow.report.junit import TAIL_LINES, render_junit, summary


def parse(wf, logs):
    text = render_junit(wf, logs)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(text.encode("utf-8"))


def cases(root):
    return {tc.get("name"): tc for tc in root.iter("testcase")}


def test_counts_of_a_mixed_run():
    wf, logs = F.mixed()
    root = parse(wf, logs)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    # checkout, build, unit-tests (Failed), e2e-tests (Error), docs (Skipped), flaky (retried), deploy (Omitted)
    expected = {"tests": "7", "failures": "1", "errors": "1", "skipped": "2"}
    for k, v in expected.items():
        assert suite.get(k) == v, k
        assert root.get(k) == v, k
    assert len(suite.findall("testcase")) == 7
    assert summary(wf) == {k: int(v) for k, v in expected.items()}
    assert suite.get("name") == "ci-mixed-abcde"
    assert suite.get("timestamp") == "2024-05-06T07:08:00"


def test_testcase_attributes():
    wf, logs = F.mixed()
    tcs = cases(parse(wf, logs))
    assert set(tcs) == {"checkout", "build", "unit-tests", "e2e-tests", "docs", "flaky", "deploy"}
    assert {tc.get("classname") for tc in tcs.values()} == {"ci-mixed-abcde"}
    assert float(tcs["build"].get("time")) == 17.0
    assert float(tcs["unit-tests"].get("time")) == 25.0
    assert float(tcs["docs"].get("time")) == 0.0
    assert list(tcs["checkout"]) == [] and list(tcs["build"]) == []


def test_failure_carries_message_and_last_50_log_lines():
    wf, logs = F.mixed()
    failure = cases(parse(wf, logs))["unit-tests"].find("failure")
    assert failure is not None
    assert failure.get("message") == "Error (exit code 3)"
    assert failure.get("type") == "Failed"
    body = failure.text.splitlines()
    assert body[0].startswith("[... 11 earlier lines")
    assert body[1:] == [f"test line {i}" for i in range(12, 61)] + ["FAILED test_db: expected <1> got  2"]
    assert len(body[1:]) == TAIL_LINES


def test_error_is_an_error_not_a_failure():
    wf, logs = F.mixed()
    tc = cases(parse(wf, logs))["e2e-tests"]
    assert tc.find("failure") is None
    err = tc.find("error")
    assert err.get("message") == "image pull failed: no such image: e2e:latest"
    assert err.text == "pulling e2e:latest"


def test_skipped_and_omitted():
    wf, logs = F.mixed()
    tcs = cases(parse(wf, logs))
    assert tcs["docs"].find("skipped").get("message") == "when 'false == true' evaluated false"
    assert tcs["deploy"].find("skipped").get("message") == "omitted: depends condition not met"


def test_retried_step_counts_once_with_its_final_phase():
    wf, logs = F.mixed()
    tc = cases(parse(wf, logs))["flaky"]
    assert tc.find("failure") is None and tc.find("error") is None
    out = tc.find("system-out").text
    assert "attempt 1 (flaky(0)): Failed: Error (exit code 1)" in out
    assert "attempt 2 (flaky(1)): Succeeded" in out


def test_running_steps_are_skipped_with_a_reason():
    wf, logs = F.steps_with_exit_handler()
    root = parse(wf, logs)
    tcs = cases(root)
    assert set(tcs) == {"hello", "sleepy", "waiting", "notify"}
    assert root.get("skipped") == "3"
    assert "not finished" in tcs["sleepy"].find("skipped").get("message")


def test_fan_out_of_200():
    wf, logs = F.fan_out(200)
    root = parse(wf, logs)
    assert root.get("tests") == "202"  # generate + 200 + aggregate
    assert root.get("failures") == "4"


def test_duplicate_display_names_get_their_node_path():
    b = F.Builder("dup-abcde")
    b.node("dup-abcde", "dup-abcde", "DAG")
    b.node("dup-abcde-1", "A", parent="dup-abcde")
    b.nodes["dup-abcde-1"]["name"] = "dup-abcde.one.A"
    b.node("dup-abcde-2", "A", parent="dup-abcde")
    b.nodes["dup-abcde-2"]["name"] = "dup-abcde.two.A"
    names = sorted(cases(parse(b.build(), {})))
    assert names == ["one.A", "two.A"]


def test_text_xml_cannot_hold_is_removed_and_markup_escaped():
    b = F.Builder("esc-abcde", phase="Failed")
    b.node("esc-abcde", "esc-abcde", "DAG", "Failed")
    b.node("esc-abcde-1", "<evil> & \"step\"", phase="Failed", parent="esc-abcde",
           message="bad \x1b[31mred\x1b[0m <tag> \x07")
    text = render_junit(b.build(), {"esc-abcde-1": ["\x1b[1mbold\x1b[0m", "nul\x00byte", "]]> <![CDATA[ x"]})
    root = ET.fromstring(text.encode())
    tc = root.find("testsuite/testcase")
    assert tc.get("name") == "<evil> & \"step\""
    f = tc.find("failure")
    assert f.get("message") == "bad red <tag> "
    assert f.text.splitlines() == ["bold", "nulbyte", "]]> <![CDATA[ x"]


def test_empty_run():
    b = F.Builder("empty-abcde", phase="Error", message="no such template")
    root = parse(b.build(), {})
    assert root.get("tests") == "0"
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["phase"] == "Error"
    assert props["message"] == "no such template"
