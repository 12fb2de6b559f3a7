"""localflow.report: a stored run as a self-contained HTML page and as JUnit XML.

- `html.render_html(workflow, logs) -> str` and `junit.render_junit(workflow, logs) -> str` work on
  Argo's workflow shape (`Store().get_run(name)`) and `{node_id: [log line, ...]}`;
- `collect.load_run(name)` reads both from the history (local Secrets masked);
  `junit.write_junit_for(run, path)` and `collect.write_html_for(run, path)` write the files
  (`localflow report`, `localflow submit --junit`).

Imports nothing heavy at import time; the layers below it are store (and errors) only.
"""
