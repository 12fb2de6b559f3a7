"""JUnit XML of a run, for CI systems (GitLab's `artifacts:reports:junit`, GitHub test reporters).

One `<testsuite>` named after the workflow; one `<testcase>` per leaf step (`common.test_nodes`):
classname = the workflow's name, name = the step's display name, time = its duration in seconds.
Failed -> `<failure>`, Error -> `<error>` (message = the node's message; text = the last 50 log
lines), Skipped/Omitted -> `<skipped>`, a step still Pending/Running -> `<skipped message="...">`.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any

from localflow.timefmt import elapsed

from .common import (
    PHASES_ACTIVE,
    PHASES_ERROR,
    PHASES_FAILED,
    PHASES_SKIPPED,
    clean,
    display,
    test_nodes,
    workflow_name,
)

TAIL_LINES = 50


def _tail(lines: list[str], n: int = TAIL_LINES) -> str:
    tail = [clean(x) for x in lines[-n:]]
    head = f"[... {len(lines) - n} earlier lines: localflow logs]\n" if len(lines) > n else ""
    return head + "\n".join(tail)


def _names(cases: list[dict[str, Any]], wf_name: str) -> list[str]:
    """Display names; where two steps share one (a template called twice), the node's path instead."""
    counts = Counter(display(c) for c in cases)
    out = []
    for c in cases:
        name = display(c)
        if counts[name] > 1:
            full = str(c.get("name") or name)
            name = full[len(wf_name) + 1:] if full.startswith(wf_name + ".") else full
        out.append(clean(name))
    return out


def build_junit(workflow: dict[str, Any], logs: dict[str, list[str]] | None = None) -> ET.Element:
    """The `<testsuites>` element (see `render_junit`)."""
    logs = logs or {}
    wf_name = workflow_name(workflow)
    status = workflow.get("status") or {}
    cases = test_nodes(workflow)
    counts = Counter()
    total_time = 0.0
    suite = ET.Element("testsuite", name=clean(wf_name))
    for case, name in zip(cases, _names(cases, wf_name)):
        seconds = elapsed(case) or 0.0
        total_time += seconds
        tc = ET.SubElement(suite, "testcase", classname=clean(wf_name), name=name, time=f"{seconds:.3f}")
        phase = case.get("phase") or ""
        message = clean(case.get("message") or phase)
        lines = logs.get(case.get("id", ""), [])
        counts["tests"] += 1
        if phase in PHASES_FAILED:
            counts["failures"] += 1
            el = ET.SubElement(tc, "failure", message=message, type=phase)
            el.text = _tail(lines)
        elif phase in PHASES_ERROR:
            counts["errors"] += 1
            el = ET.SubElement(tc, "error", message=message, type=phase)
            el.text = _tail(lines)
        elif phase in PHASES_SKIPPED:
            counts["skipped"] += 1
            ET.SubElement(tc, "skipped", message=message)
        elif phase in PHASES_ACTIVE or not phase:
            counts["skipped"] += 1
            ET.SubElement(tc, "skipped", message=f"not finished when the report was made ({phase or 'unknown'})")
        attempts = case.get("attempts") or []
        if len(attempts) > 1:
            out = ET.SubElement(tc, "system-out")
            out.text = "\n".join(
                f"attempt {i + 1} ({display(a)}): {a.get('phase', '')}"
                + (f": {clean(a.get('message'))}" if a.get("message") else "")
                for i, a in enumerate(attempts))
    attrs = {"tests": counts["tests"], "failures": counts["failures"], "errors": counts["errors"],
             "skipped": counts["skipped"], "time": f"{total_time:.3f}"}
    for k, v in attrs.items():
        suite.set(k, str(v))
    if status.get("startedAt"):
        suite.set("timestamp", str(status["startedAt"]).rstrip("Z"))
    props = ET.Element("properties")
    ET.SubElement(props, "property", name="phase", value=clean(status.get("phase", "")))
    if status.get("message"):
        ET.SubElement(props, "property", name="message", value=clean(status["message"]))
    for p in ((workflow.get("spec") or {}).get("arguments") or {}).get("parameters") or []:
        ET.SubElement(props, "property", name=f"parameter.{clean(p.get('name', ''))}", value=clean(p.get("value", "")))
    suite.insert(0, props)
    root = ET.Element("testsuites", name=clean(wf_name))
    for k, v in attrs.items():
        root.set(k, str(v))
    root.append(suite)
    return root


def render_junit(workflow: dict[str, Any], logs: dict[str, list[str]] | None = None) -> str:
    """JUnit XML (a `<testsuites>` document, UTF-8 declared) of a run. See the module's docstring."""
    root = build_junit(workflow, logs)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def summary(workflow: dict[str, Any]) -> dict[str, int]:
    """{tests, failures, errors, skipped} as `render_junit` counts them."""
    root = build_junit(workflow, {})
    return {k: int(root.get(k, "0")) for k in ("tests", "failures", "errors", "skipped")}


def write_junit_for(run_name: str, path: str | os.PathLike[str], store: Any = None) -> dict[str, int]:
    """Write the JUnit XML of a stored run (`@latest` works; "-" is standard output) atomically;
    return {tests, failures, errors, skipped}. What `localflow submit --junit FILE` calls."""
    from .collect import load_run, write_text
    wf, logs = load_run(run_name, store)
    write_text(path, render_junit(wf, logs))
    return summary(wf)


__all__ = ["build_junit", "render_junit", "summary", "write_junit_for"]
