"""Text rendering of a workflow object (Argo's JSON shape): the `argo get` header and node tree."""

from __future__ import annotations

from typing import Any

from localflow.engine.nodes import pod_name, template_of
from localflow.report.common import SYMBOLS, output_artifacts, template_label
from localflow.timefmt import elapsed, long_duration, short_duration


def header(wf: dict, now: float | None = None) -> list[tuple[str, str]]:
    st = wf.get("status", {})
    meta = wf.get("metadata", {})
    rows = [("Name", meta.get("name", "")), ("Namespace", meta.get("namespace", "default")),
            ("Status", st.get("phase", ""))]
    if st.get("message"):
        rows.append(("Message", st["message"]))
    rows.append(("Created", meta.get("creationTimestamp", "")))
    if st.get("startedAt"):
        rows.append(("Started", st["startedAt"]))
    if st.get("finishedAt"):
        rows.append(("Finished", st["finishedAt"]))
    dur = elapsed(st, now)
    if dur is not None:
        rows.append(("Duration", long_duration(dur)))
    for title, holder in (("Parameters", wf.get("spec", {}).get("arguments")), ("Outputs", st.get("outputs"))):
        params = (holder or {}).get("parameters") or []
        if params:
            rows.append((title, ""))
            rows.extend((f"  {p['name']}", str(p.get("value", ""))) for p in params)
    return rows


def tree_rows(wf: dict) -> list[dict[str, Any]]:
    """Rows of the node tree: (prefix, node) in Argo's order, StepGroup nodes folded away as `argo get` does.
    Depth first with a stack, not recursion: a 100,000-node run is one call per node at most."""
    nodes: dict[str, dict] = wf.get("status", {}).get("nodes", {})
    name = wf.get("metadata", {}).get("name")
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    exit_id = next((k for k, v in nodes.items() if v.get("name") == f"{name}.onExit"), None)
    for top in (nodes.get(name), nodes.get(exit_id) if exit_id else None):
        if top is None:
            if not rows:
                return rows  # no root: nothing to show
            continue
        stack: list[tuple[dict, str, str]] = [(top, "", "")]  # node, its prefix, its children's prefix
        while stack:
            n, prefix, child_prefix = stack.pop()
            if n["id"] in seen:
                continue
            seen.add(n["id"])
            rows.append({"prefix": prefix, "node": n})
            kids = _visible_children(nodes, n)
            last = len(kids) - 1
            for i in range(last, -1, -1):
                end = i == last
                stack.append((kids[i], child_prefix + ("└─" if end else "├─"), child_prefix + ("  " if end else "│ ")))
    return rows


def _visible_children(nodes: dict[str, dict], n: dict) -> list[dict]:
    """A node's children, those of its StepGroup children in their place."""
    out = []
    for cid in n.get("children", ()):
        c = nodes.get(cid)
        if c is None:
            continue
        if c["type"] == "StepGroup":
            out.extend(_visible_children(nodes, c))
        else:
            out.append(c)
    return out


def columns(table: list[tuple[str, ...]], gap: str = "  ") -> list[str]:
    """Rows as text columns (Go's tabwriter with `gap` as padding): every column but the last padded
    to its widest cell."""
    widths = [max(map(len, col)) for col in list(zip(*table))[:-1]]
    fmt = gap.join(f"{{:<{w}}}" for w in widths) + gap + "{}"
    return [fmt.format(*row).rstrip() for row in table]


_TIMED_TYPES = frozenset(("Pod", "Steps", "DAG", "Retry"))


def _node_cells(row: dict[str, Any], now: float | None, durations: dict, wf_name: str) -> tuple[str, str, str, str]:
    """STEP, TEMPLATE, PODNAME and DURATION of a tree row (`durations`: a cache by start and end, which
    the nodes of a large run share)."""
    n = row["node"]
    label = f"{row['prefix']}{SYMBOLS.get(n.get('phase', ''), '?')} {n.get('displayName', n['name'])}"
    pod = pod_name(wf_name, template_of(n), n["name"], n["id"]) if n["type"] == "Pod" else ""
    dur = ""
    if n["type"] in _TIMED_TYPES:
        key = (n.get("startedAt"), n.get("finishedAt"))
        dur = durations.get(key)
        if dur is None:
            dur = durations[key] = short_duration(elapsed(n, now))
    return label, template_label(n), pod, dur


def plain_tree(wf: dict, now: float | None = None) -> str:
    table = [("STEP", "TEMPLATE", "PODNAME", "DURATION", "MESSAGE")]
    durations: dict = {}
    wf_name = wf.get("metadata", {}).get("name", "")
    for r in tree_rows(wf):
        table.append((*_node_cells(r, now, durations, wf_name), r["node"].get("message", "")))
    return "\n".join(columns(table))


def wide_tree(wf: dict, now: float | None = None) -> str:
    """`get -o wide`: the tree with each node's output artifacts and its full name."""
    table = [("STEP", "TEMPLATE", "PODNAME", "DURATION", "ARTIFACTS", "MESSAGE", "NODENAME")]
    durations: dict = {}
    wf_name = wf.get("metadata", {}).get("name", "")
    for r in tree_rows(wf):
        n = r["node"]
        arts = ",".join(a.get("name", "") for a in (n.get("outputs") or {}).get("artifacts") or [])
        table.append((*_node_cells(r, now, durations, wf_name), arts, n.get("message", "") or "", n["name"]))
    return "\n".join(columns(table, "   "))


def artifacts_table(wf: dict) -> str:
    rows = [(n.get("displayName", n["name"]), a["name"], str(a.get("size", "")), (a.get("s3") or {}).get("key", ""))
            for n, a in output_artifacts(wf)]
    if not rows:
        return ""
    table = [("NODE", "ARTIFACT", "SIZE", "KEY")] + rows
    widths = [max(len(r[i]) for r in table) for i in range(3)]
    return "\n".join("  ".join([r[0].ljust(widths[0]), r[1].ljust(widths[1]), r[2].rjust(widths[2]), r[3]])
                     for r in table)


def _head(wf: dict, now: float | None) -> str:
    rows = header(wf, now)
    w = max(len(k) for k, _ in rows) + 2
    return "\n".join(f"{k + ':':<{w}}{v}" for k, v in rows)


def plain_get(wf: dict, now: float | None = None) -> str:
    text = _head(wf, now) + "\n\n" + plain_tree(wf, now)
    arts = artifacts_table(wf)
    return text + ("\n\n" + arts if arts else "")


def wide_get(wf: dict, now: float | None = None) -> str:
    return _head(wf, now) + "\n\n" + wide_tree(wf, now)
