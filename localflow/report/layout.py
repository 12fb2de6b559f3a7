"""A layered drawing of a run's node graph (edges = `children`), top to bottom, for the HTML report.

Each weakly connected part (the run, then its exit handler) is drawn below the previous one. Inside a
part, a node sits in the layer after its deepest parent (networkx's topological generations); the
nodes of a layer are ordered by the mean position of their parents (one barycentre sweep, so a
fan-out's children stay under their parent), and a layer wider than `per_row` nodes wraps onto more
rows, so a 200-way fan-out becomes a block of rows rather than a strip 30,000 pixels wide. Edges into
or out of such a block are bundled: one line per parent to the block's top, one line per child from
its bottom (200 crossing lines would hide the nodes); each node's tooltip names its parents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from .common import GROUP_TYPES

BOX_W, BOX_H = 168, 34  # a step's box
DOT_R = 7  # a StepGroup/TaskGroup: a small circle, as in Argo's UI
GAP_X, WRAP_GAP, LAYER_GAP, PART_GAP, MARGIN = 18, 12, 40, 64, 16
PER_ROW = 6
BLOCK_PAD = 8


@dataclass
class Placed:
    id: str
    x: float  # centre
    y: float  # centre
    kind: str  # "box" | "dot"
    layer: int
    row: int


@dataclass
class Block:
    """A layer drawn on several rows: the box around its nodes."""
    layer: int
    left: float
    top: float
    right: float
    bottom: float
    count: int


@dataclass
class Edge:
    path: str
    source: str  # a node id, or "block:<layer>"
    target: str
    to_node: str  # the (first) node id the edge leads to, for its colour


@dataclass
class Layout:
    nodes: dict[str, Placed] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)  # the graph's edges
    drawn: list[Edge] = field(default_factory=list)  # what is drawn (bundled at blocks)
    blocks: dict[int, Block] = field(default_factory=dict)
    width: float = 0.0
    height: float = 0.0


def _acyclic(g: nx.DiGraph) -> nx.DiGraph:
    """Drop the edges that close a cycle (never in a well-formed run, but a report must not fail)."""
    if nx.is_directed_acyclic_graph(g):
        return g
    h = g.copy()
    while True:
        try:
            cycle = nx.find_cycle(h)
        except nx.NetworkXNoCycle:
            return h
        h.remove_edge(*cycle[-1][:2])


def layout(nodes: dict[str, dict[str, Any]], per_row: int = PER_ROW) -> Layout:
    g = nx.DiGraph()
    for nid in nodes:
        g.add_node(nid)
    edges: list[tuple[str, str]] = []
    for nid, n in nodes.items():
        for c in n.get("children") or []:
            if c in nodes and c != nid and not g.has_edge(nid, c):
                g.add_edge(nid, c)
                edges.append((nid, c))
    dag = _acyclic(g)
    order = {nid: i for i, nid in enumerate(nodes)}
    parts = sorted(nx.weakly_connected_components(dag), key=lambda comp: min(order[x] for x in comp))
    rows: list[list[str]] = []  # every drawn row, top to bottom
    row_info: list[tuple[int, int]] = []  # (layer number, part number) of each row
    layer_no = 0
    for part_no, comp in enumerate(parts):
        sub = dag.subgraph(comp)
        pos: dict[str, float] = {}
        for gen in nx.topological_generations(sub):
            def key(nid: str, pos: dict[str, float] = pos) -> tuple[float, int]:
                ps = [pos[p] for p in dag.predecessors(nid) if p in pos]
                return (sum(ps) / len(ps) if ps else -1.0, order[nid])
            gen = sorted(gen, key=key)
            for i, nid in enumerate(gen):
                pos[nid] = i / max(1, len(gen) - 1) if len(gen) > 1 else 0.5
            for start in range(0, len(gen), per_row):
                rows.append(gen[start:start + per_row])
                row_info.append((layer_no, part_no))
            layer_no += 1
    widest = max((len(r) for r in rows), default=1)
    slot = BOX_W + GAP_X
    width = 2 * MARGIN + widest * slot - GAP_X
    out = Layout(edges=edges, width=float(width))
    y = MARGIN + BOX_H / 2
    prev: tuple[int, int] | None = None
    for r, (row, (layer, part)) in enumerate(zip(rows, row_info)):
        if prev is not None:
            y += BOX_H + (PART_GAP if part != prev[1] else LAYER_GAP if layer != prev[0] else WRAP_GAP)
        prev = (layer, part)
        row_w = len(row) * slot - GAP_X
        x0 = (width - row_w) / 2 + BOX_W / 2
        for i, nid in enumerate(row):
            kind = "dot" if nodes[nid].get("type") in GROUP_TYPES else "box"
            out.nodes[nid] = Placed(nid, x0 + i * slot, y, kind, layer, r)
    out.height = float((y + BOX_H / 2 + MARGIN) if rows else 2 * MARGIN)
    _blocks(out)
    _draw_edges(out)
    return out


def _half_h(p: Placed) -> float:
    return DOT_R if p.kind == "dot" else BOX_H / 2


def _blocks(out: Layout) -> None:
    by_layer: dict[int, list[Placed]] = {}
    for p in out.nodes.values():
        by_layer.setdefault(p.layer, []).append(p)
    for layer, ps in by_layer.items():
        if len({p.row for p in ps}) < 2:
            continue
        out.blocks[layer] = Block(layer, min(p.x for p in ps) - BOX_W / 2 - BLOCK_PAD,
                                  min(p.y - _half_h(p) for p in ps) - BLOCK_PAD,
                                  max(p.x for p in ps) + BOX_W / 2 + BLOCK_PAD,
                                  max(p.y + _half_h(p) for p in ps) + BLOCK_PAD, len(ps))


def _draw_edges(out: Layout) -> None:
    seen: set[tuple[str, str]] = set()
    for a, b in out.edges:
        pa, pb = out.nodes[a], out.nodes[b]
        ba, bb = out.blocks.get(pa.layer), out.blocks.get(pb.layer)
        src = f"block:{pa.layer}" if ba is not None else a
        dst = f"block:{pb.layer}" if bb is not None else b
        if (src, dst) in seen or src == dst:
            continue
        seen.add((src, dst))
        if ba is not None:
            x1, y1 = min(max(pb.x, ba.left + 12), ba.right - 12), ba.bottom
        else:
            x1, y1 = pa.x, pa.y + _half_h(pa)
        if bb is not None:
            x2, y2 = min(max(x1, bb.left + 12), bb.right - 12), bb.top
        else:
            x2, y2 = pb.x, pb.y - _half_h(pb)
        out.drawn.append(Edge(_curve(x1, y1, x2, y2), src, dst, b))


def _curve(x1: float, y1: float, x2: float, y2: float) -> str:
    """An SVG path from (x1, y1) down to (x2, y2): a gentle S-curve."""
    dy = (y2 - y1) / 2 if y2 > y1 else 30.0
    return f"M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 + dy:.1f} {x2:.1f},{y2 - dy:.1f} {x2:.1f},{y2:.1f}"
