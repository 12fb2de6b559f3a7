"""The engine's declared run context (engine/interfaces.RunContext): WorkflowRun provides it, and the
strategy modules of engine/ use nothing else of the run."""

from __future__ import annotations

import re
from pathlib import Path

from localflow.engine.interfaces import RunContext

ENGINE = Path(__file__).resolve().parents[2] / "localflow" / "engine"
# `run.x`, `self.run.x`, `job.run.x`, `ex.run.x`, and child_workflows' `self.parent.x` (its run)
USE = re.compile(r"\b(?:self\.run|job\.run|ex\.run|run|self\.parent)\.([A-Za-z_]\w*)")
HEAD = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: s-}\nspec:\n"


def members() -> set[str]:
    names = set(RunContext.__annotations__)
    names.update(n for n, v in vars(RunContext).items() if callable(v) and not n.startswith("_"))
    return names


def test_workflow_run_provides_every_member(h):
    run = h.run(HEAD + "  entrypoint: a\n  templates:\n  - name: a\n    container: {image: alpine}\n")
    missing = sorted(n for n in members() if not hasattr(run, n))
    assert not missing, f"RunContext members WorkflowRun lacks: {missing}"


def test_engine_modules_use_only_the_run_context():
    declared = members()
    undeclared = {}
    for path in sorted(ENGINE.glob("*.py")):
        if path.name in ("run.py", "interfaces.py"):
            continue
        for m in USE.finditer(path.read_text(encoding="utf-8")):
            if m.group(1) not in declared:
                undeclared.setdefault(m.group(1), set()).add(path.name)
    assert not undeclared, "declare these in engine/interfaces.RunContext (or do not use them): " + ", ".join(
        f"{k} ({', '.join(sorted(v))})" for k, v in sorted(undeclared.items()))


def test_the_scan_sees_uses():
    assert USE.findall("x = run.nodes[1]; self.run.finish(n)") == ["nodes", "finish"]
