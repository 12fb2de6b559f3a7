"""For every test: `tests/` on sys.path (`from needs import need`), no resident process unless the test
asks for one, the `need` and `docker` markers, the skip count and CI's skip rule, and the leftover guard
of docker-backed tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# a `submit` would start a resident process for each test's home (LOCALFLOW_RESIDENT=auto, the default):
# the tests that are about it say so (tests/cli/test_resident.py, the `resident` fixture of test_robustness)
os.environ["LOCALFLOW_RESIDENT"] = "off"

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from leftovers import labelled_objects, mine  # noqa: E402
from needs import KERNEL_REFUSES, in_ci, need  # noqa: E402

# fixtures that hand a test the real engine: a test using one gets the `docker` marker
ENGINE_FIXTURES = {"docker_client", "busybox_image", "make_container", "standin_image", "engine", "images"}


def pytest_configure(config):
    config.addinivalue_line("markers", "docker: needs a real Docker engine (need('docker'): skips, or fails "
                                       "in CI, without one); its runs' leftovers fail the test")
    config.addinivalue_line("markers", "need(what): tests/needs.py need(what) before the test: skips, "
                                       "or fails in CI, with the reason")


def pytest_collection_modifyitems(config, items):
    for item in items:
        in_docker_dir = TESTS / "docker" in Path(str(item.fspath)).parents
        if in_docker_dir or ENGINE_FIXTURES & set(getattr(item, "fixturenames", ())):
            if item.get_closest_marker("docker") is None:
                item.add_marker(pytest.mark.docker)


def pytest_runtest_setup(item):
    for marker in item.iter_markers("need"):
        for what in marker.args:
            need(what)
    if item.get_closest_marker("docker") is not None:
        need("docker")


@pytest.fixture(autouse=True)
def leftover_guard(request):
    """A docker-backed test fails if it leaves containers, networks or volumes labelled
    `localflow.run` of its own runs (those recorded in a history under its tmp_path, or created by
    this pytest process during the test). Objects of other processes on the engine are not counted."""
    if request.node.get_closest_marker("docker") is None:
        yield
        return
    tmp = request.getfixturevalue("tmp_path")
    before = {key for key, _, _ in mine(labelled_objects(), tmp)}
    yield
    left = sorted((what, run) for key, what, run in mine(labelled_objects(), tmp) if key not in before)
    if left:  # removed (so that one failure does not pile up on the engine), then reported
        from localflow.runtime.labels import remove_run_objects
        for run in {run for _, run in left}:
            remove_run_objects(need("docker"), run)
    assert not left, "the test left Docker objects of its runs behind: " + "; ".join(w for w, _ in left)


# ---- skips: counted, reasons listed at the end; in CI only the kernel's refusal may skip ----
_skips: list[tuple[str, str]] = []


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        _skips.append((report.nodeid, _skip_reason(report)))


def pytest_collectreport(report):
    if report.skipped:
        _skips.append((report.nodeid, _skip_reason(report)))


def _forbidden() -> list[tuple[str, str]]:
    return [(n, r) for n, r in _skips if not r.startswith(KERNEL_REFUSES)] if in_ci() else []


def pytest_sessionfinish(session, exitstatus):
    if _forbidden() and session.exitstatus == 0:
        session.exitstatus = 1


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter):
    """After pytest's own summary (the -rs lines): how many skipped and why, grouped by reason."""
    yield
    tr = terminalreporter
    reasons: dict[str, int] = {}
    for _, reason in _skips:
        reasons[reason] = reasons.get(reason, 0) + 1
    tr.write_line(f"skipped: {len(_skips)}")
    for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1]):
        tr.write_line(f"  {count} x {reason}")
    forbidden = _forbidden()
    if forbidden:
        tr.write_line(f"CI allows no skip but '{KERNEL_REFUSES}': {len(forbidden)} other skip(s), run failed",
                      red=True)
        for nodeid, reason in forbidden[:50]:
            tr.write_line(f"  {nodeid}: {reason}", red=True)
