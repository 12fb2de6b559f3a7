"""Text rendering of a workflow object (Argo's JSON shape): the `argo get` header and node tree."""

from __future__ import annotations

from typing import Any

from localflow.report.common import SYMBOLS, output_artifacts
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
    """Rows of the node tree: (prefix, node) in Argo's order, StepGroup nodes folded away as `argo get` does."""
    nodes: dict[str, dict] = wf.get("status", {}).get("nodes", {})
    name = wf.get("metadata", {}).get("name")
    root = nodes.get(name)
    rows: list[dict[str, Any]] = []
    if root is None:
        return rows

    def visible_children(n: dict) -> list[dict]:
        out = []
        for cid in n.get("children", []):
            c = nodes.get(cid)
            if c is None:
                continue
            if c["type"] == "StepGroup":
                out.extend(visible_children(c))
            else:
                out.append(c)
        return out

    seen: set[str] = set()

    def walk(n: dict, prefix: str, last: bool, depth: int) -> None:
        if n["id"] in seen:
            return
        seen.add(n["id"])
        branch = "" if depth == 0 else ("└─" if last else "├─")
        rows.append({"prefix": prefix + branch, "node": n})
        kids = visible_children(n)
        child_prefix = prefix + ("" if depth == 0 else ("  " if last else "│ "))
        for i, c in enumerate(kids):
            walk(c, child_prefix, i == len(kids) - 1, depth + 1)

    walk(root, "", True, 0)
    exit_node = nodes.get(next((k for k, v in nodes.items() if v.get("name") == f"{name}.onExit"), ""))
    if exit_node is not None:
        walk(exit_node, "", True, 0)
    return rows


def columns(table: list[tuple[str, ...]], gap: str = "  ") -> list[str]:
    """Rows as text columns (Go's tabwriter with `gap` as padding): every column but the last padded
    to its widest cell."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]) - 1)]
    return [gap.join([c.ljust(w) for c, w in zip(row, widths)] + [row[-1]]).rstrip() for row in table]


def _node_cells(row: dict[str, Any], now: float | None) -> tuple[str, str, str, str]:
    """STEP, TEMPLATE, PODNAME and DURATION of a tree row."""
    n = row["node"]
    label = f"{row['prefix']}{SYMBOLS.get(n.get('phase', ''), '?')} {n.get('displayName', n['name'])}"
    pod = n["id"] if n["type"] == "Pod" else ""
    dur = short_duration(elapsed(n, now)) if n["type"] in ("Pod", "Steps", "DAG", "Retry") else ""
    return label, n.get("templateName", "") or "", pod, dur


def plain_tree(wf: dict, now: float | None = None) -> str:
    table = [("STEP", "TEMPLATE", "PODNAME", "DURATION", "MESSAGE")]
    for r in tree_rows(wf):
        table.append((*_node_cells(r, now), r["node"].get("message", "")))
    return "\n".join(columns(table))


def wide_tree(wf: dict, now: float | None = None) -> str:
    """`get -o wide`: the tree with each node's output artifacts and its full name."""
    table = [("STEP", "TEMPLATE", "PODNAME", "DURATION", "ARTIFACTS", "MESSAGE", "NODENAME")]
    for r in tree_rows(wf):
        n = r["node"]
        arts = ",".join(a.get("name", "") for a in (n.get("outputs") or {}).get("artifacts") or [])
        table.append((*_node_cells(r, now), arts, n.get("message", "") or "", n["name"]))
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
