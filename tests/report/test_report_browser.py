"""The HTML report as a person sees it, in headless Chromium (skipped, with the reason, where Chromium
is not installed: `apt-get install -y chromium`).

The DOM after the page's scripts ran (--dump-dom) must show the step names, phases and log lines, and
hold one SVG shape per node; a probe script measures where the browser drew each shape; a screenshot
(--screenshot, read with pngread) must have each shape painted in its phase's colour at that place.
Set LOCALFLOW_REPORT_SCREENSHOTS=DIR to keep the screenshots.
"""

from __future__ import annotations

import os
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import report_factory as F
from pngread import read_png

from localflow.report.html import render_html

NOW = F.T0.timestamp() + 70
WINDOW = (1280, 1600)
COLOURS = {"ok": (0x1F, 0x9D, 0x55), "bad": (0xD6, 0x45, 0x45), "skip": (0x9A, 0xA0, 0xA6),
           "run": (0x2F, 0x74, 0xD0), "pend": (0xD4, 0x9B, 0x0B)}
PHASE_COLOUR = {"Succeeded": "ok", "Failed": "bad", "Error": "bad", "Skipped": "skip", "Omitted": "skip",
                "Running": "run", "Pending": "pend"}

PROBE = """<script>
(function () {
  var out = [];
  var shapes = document.querySelectorAll('#graph-svg [data-node-id]');
  for (var i = 0; i < shapes.length; i++) {
    var r = shapes[i].getBoundingClientRect();
    out.push([shapes[i].getAttribute('data-node-id'), r.left, r.top, r.width, r.height].join(' '));
  }
  var box = document.querySelector('.graph-box');
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.setAttribute('data-page-overflow', document.documentElement.scrollWidth - window.innerWidth);
  pre.setAttribute('data-graph-overflow', box.scrollWidth - box.clientWidth);
  pre.textContent = out.join('\\n');
  document.body.appendChild(pre);
})();
</script>
</body>"""


class DomText(HTMLParser):
    """Visible text (script and style left out), elements by tag, and attributes of some elements."""

    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.skip = 0
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.in_svg = 0
        self.svg_shapes: list[dict[str, str]] = []
        self.probe: dict[str, str] = {}
        self._in_probe = False
        self.probe_text = ""

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        self.elements.append((tag, a))
        if tag in ("script", "style"):
            self.skip += 1
        if tag == "svg" and a.get("id") == "graph-svg":
            self.in_svg += 1
        if self.in_svg and "data-node-id" in a and tag in ("rect", "circle"):
            self.svg_shapes.append(dict(a, tag=tag))
        if tag == "pre" and a.get("id") == "probe":
            self.probe, self._in_probe = a, True

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1
        if tag == "svg" and self.in_svg:
            self.in_svg -= 1
        if tag == "pre":
            self._in_probe = False

    def handle_data(self, data):
        if self._in_probe:
            self.probe_text += data
        elif not self.skip:
            self.text.append(data)

    def visible(self) -> str:
        return " ".join(" ".join(self.text).split())


def dom(html: str) -> DomText:
    p = DomText()
    p.feed(html)
    return p


def write(tmp_path: Path, name: str, html: str) -> Path:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return path


def keep(png: Path) -> None:
    where = os.environ.get("LOCALFLOW_REPORT_SCREENSHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(where) / png.name)


def geometry(chromium, tmp_path: Path, html: str, name: str) -> tuple[dict[str, tuple[float, ...]], DomText]:
    probe = write(tmp_path, f"probe-{name}", html.replace("</body>", PROBE, 1))
    d = dom(chromium.dump_dom(probe.as_uri(), window=f"{WINDOW[0]},{WINDOW[1]}"))
    boxes = {}
    for line in d.probe_text.strip().splitlines():
        nid, *nums = line.split()
        boxes[nid] = tuple(float(x) for x in nums)
    return boxes, d


def test_page_shows_names_phases_and_logs(chromium, tmp_path):
    wf, logs = F.mixed()
    logs["ci-mixed-abcde-1"].append("<script>alert('pwned')</script>")
    page = write(tmp_path, "mixed.html", render_html(wf, logs, now=NOW))
    d = dom(chromium.dump_dom(page.as_uri()))
    text = d.visible()
    nodes = wf["status"]["nodes"]
    for n in nodes.values():
        assert n["displayName"] in text, n["displayName"]
    for phase in ("Succeeded", "Failed", "Error", "Skipped", "Omitted"):
        assert phase in text, phase
    for line in ("Cloning into '/src'...", "test line 12", "test line 60", "pulling e2e:latest",
                 "attempt two passed", "compiling <main.go> & friends"):
        assert line in text, line
    # the log line that looks like markup is text, not a script element
    assert "<script>alert('pwned')</script>" in text
    assert sum(1 for tag, _ in d.elements if tag == "script") == 1
    # one shape per node, each with its phase
    assert sorted(s["data-node-id"] for s in d.svg_shapes) == sorted(nodes)
    assert {s["data-node-id"]: s["data-phase"] for s in d.svg_shapes} == {k: n["phase"] for k, n in nodes.items()}
    # failed steps are open, the others closed
    details = {a["id"]: a for tag, a in d.elements if tag == "details"}
    assert "open" in details["node-ci-mixed-abcde-3"] and "open" in details["node-ci-mixed-abcde-4"]
    assert "open" not in details["node-ci-mixed-abcde-2"]


def test_a_link_to_a_step_opens_its_logs(chromium, tmp_path):
    wf, logs = F.mixed()
    page = write(tmp_path, "mixed.html", render_html(wf, logs, now=NOW))
    d = dom(chromium.dump_dom(page.as_uri() + "#node-ci-mixed-abcde-2"))
    details = {a["id"]: a for tag, a in d.elements if tag == "details"}
    assert "open" in details["node-ci-mixed-abcde-2"], "the page's script did not open the linked step"


def test_screenshot_has_each_node_in_its_phase_colour(chromium, tmp_path):
    wf, logs = F.mixed()
    html = render_html(wf, logs, now=NOW)
    boxes, d = geometry(chromium, tmp_path, html, "mixed.html")
    nodes = wf["status"]["nodes"]
    assert set(boxes) == set(nodes)
    assert int(float(d.probe["data-page-overflow"])) <= 0, "the page scrolls sideways"
    assert int(float(d.probe["data-graph-overflow"])) <= 0, "the graph does not fit its box"
    png = chromium.screenshot(write(tmp_path, "mixed.html", html).as_uri(), tmp_path / "report-mixed.png",
                              window=f"{WINDOW[0]},{WINDOW[1]}")
    keep(png)
    img = read_png(png)
    assert (img.width, img.height) == WINDOW
    for nid, (left, top, w, h) in boxes.items():
        assert w > 20 and h > 20, (nid, w, h)
        x, y = int(left + 5), int(top + h / 2)
        want = COLOURS[PHASE_COLOUR[nodes[nid]["phase"]]]
        got = img.pixel(x, y)
        assert all(abs(got[k] - want[k]) <= 16 for k in range(3)), (nodes[nid]["displayName"], got, want)
    # boxes do not overlap
    items = list(boxes.values())
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            apart = a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0] or a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1]
            assert apart, (a, b)
    # the phase bar at the top of the page is red (the run Failed)
    assert img.pixel(WINDOW[0] // 2, 2) == COLOURS["bad"] or img.count(COLOURS["bad"], box=(0, 0, 1280, 6)) > 1000


def test_a_200_node_fan_out_fits_the_page(chromium, tmp_path):
    wf, logs = F.fan_out(200)
    html = render_html(wf, logs, now=NOW)
    boxes, d = geometry(chromium, tmp_path, html, "fan-out.html")
    assert len(boxes) == len(wf["status"]["nodes"]) == 204
    assert int(float(d.probe["data-page-overflow"])) <= 0, "the page scrolls sideways"
    assert int(float(d.probe["data-graph-overflow"])) <= 0, "the graph is wider than its box"
    sizes = {(round(w), round(h)) for nid, (_, _, w, h) in boxes.items() if nid != "fan-out-200-group"}
    assert len(sizes) == 1 and next(iter(sizes))[0] >= 150, f"boxes drawn at unreadable sizes: {sizes}"
    png = chromium.screenshot(write(tmp_path, "fan-out.html", html).as_uri(), tmp_path / "report-fan-out.png",
                              window=f"{WINDOW[0]},{WINDOW[1]}")
    keep(png)
    img = read_png(png)
    failed = boxes["fan-out-200-w7"]
    assert failed[1] + failed[3] < WINDOW[1], "the first failed shard is not on the first screen"
    x, y = int(failed[0] + 5), int(failed[1] + failed[3] / 2)
    assert all(abs(a - b) <= 16 for a, b in zip(img.pixel(x, y), COLOURS["bad"]))
    assert img.count(COLOURS["ok"], step=4) > 5000


@pytest.mark.parametrize("window", ["390,844"])
def test_narrow_window_still_shows_the_graph(chromium, tmp_path, window):
    wf, logs = F.mixed()
    page = write(tmp_path, "mixed.html", render_html(wf, logs, now=NOW))
    png = chromium.screenshot(page.as_uri(), tmp_path / "report-narrow.png", window=window)
    keep(png)
    img = read_png(png)
    assert img.count(COLOURS["bad"], step=2) > 200  # the failed run's colours are on screen
