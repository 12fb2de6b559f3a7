"""What the HTML and JUnit reports share: phases, sizes, text clean-up, the leaf steps (timestamps and
durations: localflow.timefmt).

A workflow here is Argo's JSON shape (`Store().get_run(name)`): `metadata`, `spec`, `status.nodes`
keyed by node id, each node with `type`, `phase`, `displayName`, `startedAt`/`finishedAt` (RFC 3339,
UTC) and `children`. Logs are `{node_id: [line, ...]}` (see `collect.run_logs`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from localflow.timefmt import parse_ts

PHASES_FAILED = ("Failed",)
PHASES_ERROR = ("Error",)
PHASES_SKIPPED = ("Skipped", "Omitted")
PHASES_ACTIVE = ("Pending", "Running")
SYMBOLS = {"Succeeded": "✔", "Failed": "✖", "Error": "⚠", "Skipped": "○", "Omitted": "○", "Running": "●",
           "Pending": "◷"}
GROUP_TYPES = ("StepGroup", "TaskGroup")
LEAF_TYPES = ("Pod", "Skipped", "Suspend")

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
# what XML 1.0 (and so HTML's text) cannot carry: C0 controls but tab/newline/CR, lone surrogates, FFFE/FFFF
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def human_size(size: Any) -> str:
    try:
        n = float(size)
    except (TypeError, ValueError):
        return ""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{int(n)} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""


def clean(text: Any) -> str:
    """Printable text: ANSI colour codes and characters XML cannot hold removed."""
    s = str(text) if text is not None else ""
    s = _ANSI.sub("", s)
    return _INVALID_XML.sub("", s)


def nodes_of(wf: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return ((wf.get("status") or {}).get("nodes") or {})


def output_artifacts(wf: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(node, artifact) for each output artifact of each node, in `status.nodes` order."""
    for n in nodes_of(wf).values():
        for a in (n.get("outputs") or {}).get("artifacts") or []:
            yield n, a


def workflow_name(wf: dict[str, Any]) -> str:
    return str((wf.get("metadata") or {}).get("name") or "workflow")


def display(n: dict[str, Any]) -> str:
    return str(n.get("displayName") or n.get("name") or n.get("id") or "")


def test_nodes(wf: dict[str, Any]) -> list[dict[str, Any]]:
    """The steps a CI reads as test cases, in the order they started: every Pod, Skipped (when-false or
    omitted) and Suspend node. Of a retried step (a Retry node's Pod children) only the last attempt
    counts, under the Retry node's name and phase, with the earlier attempts in `attempts`."""
    nodes = nodes_of(wf)
    out: list[dict[str, Any]] = []
    in_retry: set[str] = set()
    for nid, n in nodes.items():
        if n.get("type") != "Retry":
            continue
        ids = [c for c in n.get("children") or [] if c in nodes and nodes[c].get("type") == "Pod"]
        in_retry.update(ids)
        attempts = [dict(nodes[c], id=c) for c in ids]
        if not attempts:
            continue
        last = attempts[-1]
        case = dict(last)
        case.update(displayName=display(n), name=n.get("name", case.get("name")),
                    phase=n.get("phase") or last.get("phase"), message=n.get("message") or last.get("message"),
                    startedAt=n.get("startedAt") or last.get("startedAt"),
                    finishedAt=n.get("finishedAt") or last.get("finishedAt"))
        case["attempts"] = attempts
        out.append(case)
    for nid, n in nodes.items():
        if nid in in_retry or n.get("type") not in LEAF_TYPES:
            continue
        if n.get("type") != "Pod" and n.get("children"):
            continue
        case = dict(n)
        case.setdefault("id", nid)
        out.append(case)
    order = {nid: i for i, nid in enumerate(nodes)}
    out.sort(key=lambda c: (parse_ts(c.get("startedAt")) is None, parse_ts(c.get("startedAt")) or 0.0,
                            order.get(c.get("id", ""), 0)))
    return out


def template_label(node: dict[str, Any]) -> str:
    """`argo get`'s TEMPLATE: `<name>/<template>` of a templateRef, else the templateName."""
    ref = node.get("templateRef")
    if isinstance(ref, dict):
        return f"{ref.get('name', '')}/{ref.get('template', '')}"
    return node.get("templateName") or ""
