"""Shared helpers for the spec tests: where the example workflows are, and small YAML builders."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3] / "shared"
SEEDS = SHARED / "seed-workflows"
EXAMPLES = SHARED / "argo-examples"

# Files that Argo itself rejects, and the message localflow gives for them.
REJECTED = {
    # Its fragment of a workflow leaves out the flip-coin and heads templates.
    "coinflip-recursive-fragment.yaml": 'no template named "flip-coin"',
    # `annotations` appears twice under metadata; Argo's strict YAML parser refuses duplicate keys.
    "k8s-patch-json-workflow.yaml": 'duplicate key "annotations"',
}


def example_files() -> list[Path]:
    if not SHARED.is_dir():
        return []
    files = sorted(SEEDS.glob("*.yaml")) + sorted(EXAMPLES.rglob("*.yaml")) + sorted(EXAMPLES.rglob("*.json"))
    return files


needs_shared = pytest.mark.need("shared")  # tests/needs.py: skips, or fails in CI, without ../shared


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")
