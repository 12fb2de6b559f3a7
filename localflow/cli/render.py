"""Text rendering of a workflow object (Argo's JSON shape): the `argo get` header and node tree."""

from __future__ import annotations

import datetime as _dt
from typing import Any

SYMBOLS = {"Succeeded": "✔", "Failed": "✖", "Error": "⚠", "Skipped": "○", "Omitted": "○", "Running": "●",
           "Pending": "◷"}
COLORS = {"Succeeded": "green", "Failed": "red", "Error": "red", "Skipped": "dim", "Omitted": "dim",
          "Running": "cyan", "Pending": "yellow"}
HIDDEN_TYPES = {"StepGroup", "TaskGroup"}


def parse_ts(v: str | None) -> float | None:
    if not v:
        return None
    return _dt.datetime.strptime(v, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc).timestamp()


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}m{s}s" if s else f"{m}m"
    h, m = divmod(m, 60)
    return f"{h}h{m}m"


def node_duration(n: dict, now: float | None = None) -> float | None:
    start = parse_ts(n.get("startedAt"))
    end = parse_ts(n.get("finishedAt")) or now
    if start is None or end is None:
        return None
    return max(0.0, end - start)


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
    dur = node_duration(st, now)
    if dur is not None:
        rows.append(("Duration", human_duration(dur)))
    params = (wf.get("spec", {}).get("arguments") or {}).get("parameters") or []
    if params:
        rows.append(("Parameters", ""))
        for p in params:
            rows.append((f"  {p['name']}", str(p.get("value", ""))))
    outs = (st.get("outputs") or {}).get("parameters") or []
    if outs:
        rows.append(("Outputs", ""))
        for p in outs:
            rows.append((f"  {p['name']}", str(p.get("value", ""))))
    return rows


def tree_rows(wf: dict, now: float | None = None, wide: bool = False) -> list[dict[str, Any]]:
    """Rows of the node tree: (prefix, node) in Argo's order, group nodes folded away as `argo get` does."""
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
            if c["type"] in HIDDEN_TYPES and c["type"] == "StepGroup":
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


def plain_tree(wf: dict, now: float | None = None) -> str:
    rows = tree_rows(wf, now)
    table = [("STEP", "TEMPLATE", "PODNAME", "DURATION", "MESSAGE")]
    for r in rows:
        n = r["node"]
        sym = SYMBOLS.get(n.get("phase", ""), "?")
        label = f"{r['prefix']}{sym} {n.get('displayName', n['name'])}"
        pod = n["id"] if n["type"] == "Pod" else ""
        dur = human_duration(node_duration(n, now)) if n["type"] in ("Pod", "Steps", "DAG", "Retry") else ""
        table.append((label, n.get("templateName", "") or "", pod, dur, n.get("message", "")))
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    lines = []
    for row in table:
        cells = [row[i].ljust(widths[i]) for i in range(4)] + [row[4]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def artifacts_table(wf: dict) -> str:
    rows = []
    for n in wf.get("status", {}).get("nodes", {}).values():
        for a in (n.get("outputs") or {}).get("artifacts", []):
            rows.append((n.get("displayName", n["name"]), a["name"], str(a.get("size", "")),
                         (a.get("s3") or {}).get("key", "")))
    if not rows:
        return ""
    table = [("NODE", "ARTIFACT", "SIZE", "KEY")] + rows
    widths = [max(len(r[i]) for r in table) for i in range(3)]
    return "\n".join("  ".join([r[0].ljust(widths[0]), r[1].ljust(widths[1]), r[2].rjust(widths[2]), r[3]])
                     for r in table)


def plain_get(wf: dict, now: float | None = None) -> str:
    rows = header(wf, now)
    w = max(len(k) for k, _ in rows) + 2
    head = "\n".join(f"{k + ':':<{w}}{v}" for k, v in rows)
    text = head + "\n\n" + plain_tree(wf, now)
    arts = artifacts_table(wf)
    return text + ("\n\n" + arts if arts else "")
