"""The HTML report without a browser: self-contained, escaped, one SVG shape per node, a layout that
keeps a 200-node fan-out readable, the timeline's geometry."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import report_factory as F

from localflow.report import layout as LY
from localflow.report.html import build_view, render_html

NOW = F.T0.timestamp() + 70


class Shapes(HTMLParser):
    """Elements inside <svg id=graph-svg> that carry data-node-id; every tag and attribute seen."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.shapes: list[dict[str, str]] = []
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        if tag == "svg" and a.get("id") == "graph-svg":
            self.depth = 1
        elif self.depth and tag == "svg":
            self.depth += 1
        if self.depth and "data-node-id" in a:
            self.shapes.append(dict(a, tag=tag))

    def handle_endtag(self, tag):
        if tag == "svg" and self.depth:
            self.depth -= 1


def parse(html: str) -> Shapes:
    p = Shapes()
    p.feed(html)
    return p


def test_self_contained():
    wf, logs = F.mixed()
    html = render_html(wf, logs, now=NOW)
    assert "http://" not in html and "https://" not in html
    p = parse(html)
    for tag, attrs in p.tags:
        assert tag not in ("link", "img", "iframe", "object", "embed"), tag
        assert "src" not in attrs, (tag, attrs)
        href = attrs.get("href")
        if href is not None:
            assert href.startswith("#"), href
    assert "<style>" in html and html.count("<script>") == 1


def test_one_shape_per_node_coloured_by_phase():
    wf, logs = F.mixed()
    shapes = parse(render_html(wf, logs, now=NOW)).shapes
    nodes = wf["status"]["nodes"]
    assert sorted(s["data-node-id"] for s in shapes) == sorted(nodes)
    for s in shapes:
        phase = nodes[s["data-node-id"]]["phase"]
        assert s["data-phase"] == phase
        want = {"Succeeded": "ok", "Failed": "bad", "Error": "bad", "Skipped": "skip", "Omitted": "skip"}[phase]
        assert want in s["class"].split()
        assert s["tag"] == "rect"


def test_group_nodes_are_dots_and_running_is_blue():
    wf, logs = F.steps_with_exit_handler()
    shapes = {s["data-node-id"]: s for s in parse(render_html(wf, logs, now=NOW)).shapes}
    assert len(shapes) == len(wf["status"]["nodes"])
    assert shapes["steps-xyz-g0"]["tag"] == "circle"
    assert "run" in shapes["steps-xyz-b"]["class"].split()


def test_user_text_is_escaped():
    wf, logs = F.mixed()
    logs["ci-mixed-abcde-1"].append("<script>alert('x')</script>")
    html = render_html(wf, logs, now=NOW)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&lt;b&gt;hi&lt;/b&gt; &amp; bye" in html  # a parameter
    assert "compiling &lt;main.go&gt; &amp; friends" in html
    assert "\x1b" not in html and "\x00" not in html
    assert "ok build finished" in html


def test_sections_have_what_the_run_has():
    wf, logs = F.mixed()
    view = build_view(wf, logs, now=NOW)
    assert view["phase"] == "Failed" and view["duration"] == "1m"
    assert view["parameters"] == [("greeting", "<b>hi</b> & bye")]
    assert view["outputs"] == [("version", "1.2.3")]
    assert view["artifacts"] == [{"name": "source", "key": "ci-mixed-abcde/ci-mixed-abcde-1/source.tgz",
                                  "size": "20.0 KiB", "path": "/src", "node": "checkout",
                                  "node_id": "ci-mixed-abcde-1"}]
    steps = {s["display"]: s for s in view["steps"]}
    assert steps["unit-tests"]["open"] and not steps["build"]["open"]
    assert steps["unit-tests"]["logs"][-1] == "FAILED test_db: expected <1> got  2"
    assert steps["build"]["inputs"] == [("target", "linux/amd64")]
    assert steps["build"]["outputs"] == [("image", "app:1.2.3")]
    assert dict(view["counts"]) == {"Succeeded": 3, "Failed": 1, "Error": 1, "Skipped": 1, "Omitted": 1}


def test_timeline_bars():
    wf, logs = F.mixed()
    tl = build_view(wf, logs, now=NOW)["timeline"]
    rows = {r["label"]: r for r in tl["rows"]}
    # Pods that started; the Retry node is drawn through its attempts; skipped steps have no bar
    assert set(rows) == {"checkout", "build", "unit-tests", "e2e-tests", "flaky(0)", "flaky(1)"}
    assert rows["checkout"]["left"] == 0 and rows["checkout"]["width"] == 5.0
    assert rows["unit-tests"]["left"] == round(100 * 20 / 60, 3)
    assert rows["unit-tests"]["width"] == round(100 * 25 / 60, 3)
    for r in tl["rows"]:
        assert 0 <= r["left"] <= 100 and 0 <= r["left"] + r["width"] <= 100.001
    assert tl["ticks"][0]["label"] == "0s" and tl["ticks"][-1]["left"] <= 100


def test_layout_of_a_200_way_fan_out_stays_readable():
    wf, _ = F.fan_out(200)
    nodes = wf["status"]["nodes"]
    lay = LY.layout(nodes)
    assert set(lay.nodes) == set(nodes)
    assert lay.width <= 1200  # fits a laptop's page: no horizontal scrolling
    boxes = [(p.x - LY.BOX_W / 2, p.y - LY.BOX_H / 2, p.x + LY.BOX_W / 2, p.y + LY.BOX_H / 2)
             for p in lay.nodes.values()]
    boxes.sort()
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if b[0] >= a[2]:
                break
            assert a[3] <= b[1] or b[3] <= a[1], f"boxes overlap: {a} {b}"
    # parent above child
    for a, b in lay.edges:
        assert lay.nodes[a].y < lay.nodes[b].y
    # the fan-out is one block; its 400 edges are drawn as 2 bundles
    assert len(lay.blocks) == 1 and next(iter(lay.blocks.values())).count == 200
    assert len(lay.drawn) <= 6
    view = build_view(wf, {}, now=NOW)
    work = next(s for s in view["graph"]["nodes"] if s["id"] == "fan-out-200-w7")
    assert "after: work" in work["title"]


def test_layout_orders_children_under_their_parents():
    b = F.Builder("two-abcde")
    b.node("r", "r", "DAG")
    for side in ("L", "R"):
        b.node(side, side, parent="r")
        for i in range(2):
            b.node(f"{side}{i}", f"{side}{i}", parent=side)
    lay = LY.layout(b.build()["status"]["nodes"])
    xs = {k: p.x for k, p in lay.nodes.items()}
    assert xs["L"] < xs["R"]
    assert max(xs["L0"], xs["L1"]) < min(xs["R0"], xs["R1"])


def test_exit_handler_is_drawn_below_the_run():
    wf, _ = F.steps_with_exit_handler()
    lay = LY.layout(wf["status"]["nodes"])
    main_bottom = max(p.y for k, p in lay.nodes.items() if k not in ("steps-xyz-exit", "steps-xyz-notify"))
    assert lay.nodes["steps-xyz-exit"].y > main_bottom


def test_a_cycle_or_a_dangling_child_does_not_break_the_report():
    b = F.Builder("cyc-abcde")
    b.node("a", "a", parent=None)
    b.node("b", "b", parent="a")
    b.nodes["b"]["children"] = ["a", "missing"]
    html = render_html(b.build(), {}, now=NOW)
    assert len(parse(html).shapes) == 2
    assert re.search(r'<path class="edge', html)


def test_empty_run():
    b = F.Builder("empty-abcde", phase="Error", message="spec.entrypoint: no such template")
    html = render_html(b.build(), {}, now=NOW)
    assert "No step has started." in html and "spec.entrypoint: no such template" in html
    assert parse(html).shapes == []
