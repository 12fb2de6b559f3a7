"""`localflow report NAME --html FILE --junit FILE`: a stored run as an HTML page and/or JUnit XML.

Registered from `localflow/cli/main.py` with `report_cmd.register(app)`. `submit --junit FILE` writes
its file with `localflow.report.junit.write_junit_for`.

Exit codes: 0 the files were written (whatever the run's phase), 1 a file could not be written,
2 usage (no --html/--junit, or an unknown run).
"""

from __future__ import annotations

from typing import Annotated

import typer

from . import output as O


def _counts(c: dict[str, int]) -> str:
    parts = [f"{c['tests']} test{'s' if c['tests'] != 1 else ''}"]
    parts += [f"{c[k]} {k}" for k in ("failures", "errors", "skipped") if c.get(k)]
    return ", ".join(parts)


def report_cmd(
    name: Annotated[str, typer.Argument(help="run name, or @latest")],
    html: Annotated[str | None, typer.Option(
        "--html", help="write a self-contained HTML page (graph, timeline, logs) to FILE; - for stdout",
        metavar="FILE")] = None,
    junit: Annotated[str | None, typer.Option(
        "--junit", help="write JUnit XML (one test case per step) to FILE; - for stdout",
        metavar="FILE")] = None,
) -> None:
    """Write a run's report: an HTML page to open in a browser and/or JUnit XML for CI.

    Example: localflow report @latest --html report.html --junit junit.xml
    """
    if not html and not junit:
        O.usage("report: give --html FILE and/or --junit FILE")
    if html == "-" and junit == "-":
        O.usage("report: only one of --html and --junit can be - (standard output)")
    try:
        with O.user_errors():
            _write(name, html, junit)
    except OSError as e:
        O.fail(f"report: {getattr(e, 'filename', '') or ''}: {e.strerror or e}")


def _write(name: str, html: str | None, junit: str | None) -> None:
    from localflow.report.collect import load_run, write_text
    from localflow.store.db import Store
    store = Store()
    run = store.resolve(name)
    wf, logs = load_run(run, store)
    if html:
        from localflow.report.html import render_html
        write_text(html, render_html(wf, logs))
        if html != "-":
            O.err(f"report: {html}: HTML report of {run} ({wf['status'].get('phase', '')})")
    if junit:
        from localflow.report.junit import render_junit, summary
        write_text(junit, render_junit(wf, logs))
        if junit != "-":
            O.err(f"report: {junit}: JUnit XML of {run} ({_counts(summary(wf))})")


def register(app: typer.Typer) -> None:
    app.command("report")(report_cmd)
