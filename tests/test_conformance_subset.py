"""CI runs a fast subset of Argo's own examples (scripts/conformance.py --ci-subset): one or two per
feature area; any difference from Argo, or an example skipped (a missing image...), fails."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "conformance.py"
AREAS = {"steps", "dag", "loops", "conditions", "retries", "exit handlers", "outputs", "artifacts", "daemons",
         "sidecars", "volumes", "suspend", "expressions"}  # issue 18's list


def _script():
    if "conformance" not in sys.modules:  # (its dataclasses need the module registered)
        spec = importlib.util.spec_from_file_location("conformance", SCRIPT)
        sys.modules["conformance"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules["conformance"])
    return sys.modules["conformance"]


def test_the_subset_covers_every_feature_area():
    subset = _script().CI_SUBSET
    assert AREAS <= set(subset.values())
    assert 15 <= len(subset) <= 25


@pytest.mark.docker
@pytest.mark.need("shared")
def test_the_ci_subset_matches_argo():
    r = subprocess.run([sys.executable, str(SCRIPT), "--ci-subset", "--jobs", "2"], capture_output=True, text=True,
                       timeout=900, stdin=subprocess.DEVNULL, cwd=str(REPO))
    assert r.returncode == 0, r.stdout[-5000:] + r.stderr[-3000:]
    n = len(_script().CI_SUBSET)
    assert re.search(rf"^conformance: {n} examples: {n} match, 0 differ, 0 skipped$", r.stdout, re.M), r.stdout[-3000:]
