"""A run as one self-contained HTML page: inline CSS, JS and SVG, no external URL.

Sections: the header (phase, times, counts), the node graph (SVG, coloured by phase, laid out by
`layout.py`), a timeline (a bar per step from startedAt to finishedAt), the workflow's parameters and
outputs, the artifacts (name, key, size), and every step with its inputs, outputs and logs
(collapsible; failed steps open). Everything user-supplied is escaped by jinja2's autoescape.
Durations read as `argo get` prints them (timefmt.short_duration); the timeline's as Argo's UI draws
its own (timefmt.ui_duration).
"""

from __future__ import annotations

import json
import time
from typing import Any

from localflow.timefmt import elapsed, iso, parse_ts, short_duration, ui_duration

from .common import (
    GROUP_TYPES,
    SYMBOLS,
    clean,
    display,
    human_size,
    nodes_of,
    template_label,
    test_nodes,
    workflow_name,
)
from .layout import BOX_H, BOX_W, DOT_R, PER_ROW, layout

LABEL_CHARS = 19
TIMELINE_TYPES = ("Pod", "Suspend")
PHASE_CLASS = {"Succeeded": "ok", "Failed": "bad", "Error": "bad", "Skipped": "skip", "Omitted": "skip",
               "Running": "run", "Pending": "pend"}


def _phase_class(phase: str | None) -> str:
    return PHASE_CLASS.get(phase or "", "pend")


def _short(text: str, n: int = LABEL_CHARS) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _value(v: Any) -> str:
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return clean(v)


def _params(items: Any) -> list[tuple[str, str]]:
    out = []
    for p in items or []:
        if isinstance(p, dict) and "name" in p:
            out.append((clean(p["name"]), _value(p.get("value", ""))))
    return out


def _artifact_key(a: dict[str, Any]) -> str:
    for src, field in (("s3", "key"), ("gcs", "key"), ("oss", "key"), ("azure", "blob"), ("http", "url"),
                       ("artifactory", "url"), ("git", "repo"), ("hdfs", "path")):
        loc = a.get(src)
        if isinstance(loc, dict) and loc.get(field):
            bucket = loc.get("bucket") or loc.get("container")
            return clean(f"{bucket}/{loc[field]}" if bucket and src != "s3" else loc[field])
    if isinstance(a.get("raw"), dict):
        return "(raw)"
    return clean(a.get("path", ""))


def _artifacts(items: Any) -> list[dict[str, str]]:
    out = []
    for a in items or []:
        if isinstance(a, dict):
            out.append({"name": clean(a.get("name", "")), "key": _artifact_key(a),
                        "size": human_size(a.get("size")) if a.get("size") is not None else "",
                        "path": clean(a.get("path", ""))})
    return out


def _graph(nodes: dict[str, dict[str, Any]], per_row: int) -> dict[str, Any]:
    lay = layout(nodes, per_row=per_row)
    parents: dict[str, list[str]] = {}
    for a, b in lay.edges:
        parents.setdefault(b, []).append(display(nodes[a]))
    shapes = []
    for nid, p in lay.nodes.items():
        n = nodes[nid]
        phase = n.get("phase") or "Pending"
        name = display(n)
        title = [f"{name} ({phase})", f"type: {n.get('type', '')}"]
        if template_label(n):
            title.append(f"template: {template_label(n)}")
        d = elapsed(n)
        if d is not None:
            title.append(f"duration: {short_duration(d)}")
        if n.get("message"):
            title.append(str(n["message"]))
        if parents.get(nid):
            after = parents[nid]
            title.append("after: " + ", ".join(after[:5]) + (f" and {len(after) - 5} more" if len(after) > 5 else ""))
        shapes.append({
            "id": nid, "kind": p.kind, "x": p.x, "y": p.y, "left": p.x - BOX_W / 2, "top": p.y - BOX_H / 2,
            "w": BOX_W, "h": BOX_H, "r": DOT_R, "phase": phase, "cls": _phase_class(phase),
            "symbol": SYMBOLS.get(phase, "?"), "label": clean(_short(name)), "title": clean("\n".join(title)),
            "link": n.get("type") not in GROUP_TYPES,
        })
    edges = [{"d": e.path, "from": e.source, "to": e.target,
              "bundled": e.source.startswith("block:") or e.target.startswith("block:")} for e in lay.drawn]
    blocks = [{"layer": b.layer, "x": b.left, "y": b.top, "w": b.right - b.left, "h": b.bottom - b.top,
               "count": b.count} for b in lay.blocks.values()]
    return {"width": lay.width, "height": lay.height, "nodes": shapes, "edges": edges, "blocks": blocks}


def _nice_step(span: float, target: int = 8) -> float:
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400):
        if span / step <= target:
            return float(step)
    return 86400.0 * max(1, int(span / 86400 / target) + 1)


def _timeline(wf: dict[str, Any], nodes: dict[str, dict[str, Any]], now: float) -> dict[str, Any]:
    status = wf.get("status") or {}
    items = []
    for nid, n in nodes.items():
        if n.get("type") not in TIMELINE_TYPES:
            continue
        start = parse_ts(n.get("startedAt"))
        if start is None:
            continue
        end = parse_ts(n.get("finishedAt"))
        if end is None:
            end = parse_ts(status.get("finishedAt")) or now
        items.append((start, max(start, end), nid, n))
    if not items:
        return {"rows": [], "ticks": []}
    t0 = min([i[0] for i in items] + [parse_ts(status.get("startedAt")) or items[0][0]])
    t1 = max([i[1] for i in items] + [parse_ts(status.get("finishedAt")) or 0.0])
    span = max(1.0, t1 - t0)
    items.sort(key=lambda i: (i[0], i[1]))
    rows = []
    for start, end, nid, n in items:
        phase = n.get("phase") or "Pending"
        rows.append({"id": nid, "label": clean(display(n)), "phase": phase, "cls": _phase_class(phase),
                     "symbol": SYMBOLS.get(phase, "?"),
                     "left": round(100.0 * (start - t0) / span, 3), "width": round(100.0 * (end - start) / span, 3),
                     "duration": ui_duration(end - start), "offset": ui_duration(start - t0)})
    step = _nice_step(span)
    ticks = []
    t = 0.0
    while t <= span + 1e-9:
        ticks.append({"left": round(100.0 * t / span, 3), "label": ui_duration(t)})
        t += step
    return {"rows": rows, "ticks": ticks, "span": ui_duration(span)}


def _steps(nodes: dict[str, dict[str, Any]], order: list[str], logs: dict[str, list[str]],
           now: float) -> list[dict[str, Any]]:
    out = []
    for nid in order:
        n = nodes[nid]
        if n.get("type") in GROUP_TYPES:
            continue
        phase = n.get("phase") or "Pending"
        outputs = n.get("outputs") or {}
        lines = [clean(x) for x in logs.get(nid, [])]
        out.append({
            "id": nid, "display": clean(display(n)), "name": clean(n.get("name", "")), "type": n.get("type", ""),
            "template": clean(template_label(n)), "phase": phase, "cls": _phase_class(phase),
            "symbol": SYMBOLS.get(phase, "?"), "message": clean(n.get("message", "") or ""),
            "duration": short_duration(elapsed(n, now if phase in ("Running", "Pending") else None)),
            "started": n.get("startedAt") or "", "finished": n.get("finishedAt") or "",
            "pod": nid if n.get("type") == "Pod" else "", "ip": n.get("podIP", ""),
            "inputs": _params((n.get("inputs") or {}).get("parameters")),
            "input_artifacts": _artifacts((n.get("inputs") or {}).get("artifacts")),
            "outputs": _params(outputs.get("parameters")) if isinstance(outputs.get("parameters"), list) else [],
            "result": clean(outputs.get("result", "")) if "result" in outputs and n.get("type") == "Pod" else None,
            "exit_code": clean(outputs.get("exitCode", "")),
            "artifacts": _artifacts(outputs.get("artifacts")),
            "logs": lines, "open": phase in ("Failed", "Error"),
        })
    return out


def build_view(workflow: dict[str, Any], logs: dict[str, list[str]] | None = None, *, per_row: int = PER_ROW,
               now: float | None = None) -> dict[str, Any]:
    """Everything the template shows, as plain values (tested without a browser)."""
    logs = logs or {}
    now = time.time() if now is None else now
    nodes = nodes_of(workflow)
    meta = workflow.get("metadata") or {}
    status = workflow.get("status") or {}
    phase = status.get("phase") or "Pending"
    graph = _graph(nodes, per_row)
    order = [s["id"] for s in sorted(graph["nodes"], key=lambda s: (s["y"], s["x"]))]
    order += [nid for nid in nodes if nid not in set(order)]
    counts: dict[str, int] = {}
    for c in test_nodes(workflow):
        counts[c.get("phase") or "Pending"] = counts.get(c.get("phase") or "Pending", 0) + 1
    artifacts = []
    for nid in order:
        n = nodes[nid]
        for a in _artifacts((n.get("outputs") or {}).get("artifacts")):
            artifacts.append(dict(a, node=clean(display(n)), node_id=nid))
    return {
        "name": clean(workflow_name(workflow)), "namespace": clean(meta.get("namespace", "default")),
        "phase": phase, "cls": _phase_class(phase), "symbol": SYMBOLS.get(phase, "?"),
        "message": clean(status.get("message", "") or ""), "entrypoint": clean((workflow.get("spec") or {}).get(
            "entrypoint", "")), "created": meta.get("creationTimestamp") or "",
        "started": status.get("startedAt") or "", "finished": status.get("finishedAt") or "",
        "duration": short_duration(elapsed(status, now if phase in ("Running", "Pending") else None)),
        "counts": sorted(counts.items(), key=lambda kv: list(PHASE_CLASS).index(kv[0])
                         if kv[0] in PHASE_CLASS else 99),
        "node_count": len(nodes),
        "parameters": _params(((workflow.get("spec") or {}).get("arguments") or {}).get("parameters")),
        "outputs": _params((status.get("outputs") or {}).get("parameters")),
        "global_artifacts": _artifacts((status.get("outputs") or {}).get("artifacts")),
        "artifacts": artifacts, "graph": graph, "timeline": _timeline(workflow, nodes, now),
        "steps": _steps(nodes, order, logs, now),
        "generated": iso(now),
    }


def _environment() -> Any:
    import jinja2
    return jinja2.Environment(loader=jinja2.PackageLoader("localflow.report", "templates"),
                              autoescape=True, trim_blocks=True, lstrip_blocks=True,
                              undefined=jinja2.StrictUndefined)


def render_html(workflow: dict[str, Any], logs: dict[str, list[str]] | None = None, *, per_row: int = PER_ROW,
                now: float | None = None) -> str:
    """One self-contained HTML page of the run (see the module's docstring)."""
    from localflow import __version__
    env = _environment()
    view = build_view(workflow, logs, per_row=per_row, now=now)
    return env.get_template("report.html.j2").render(r=view, version=__version__)
