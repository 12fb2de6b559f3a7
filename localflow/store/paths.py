"""Where localflow keeps its state: $LOCALFLOW_HOME, else the XDG data directory."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    env = os.environ.get("LOCALFLOW_HOME")
    if env:
        p = Path(env)
    else:
        base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
        p = Path(base) / "localflow"
    p.mkdir(parents=True, exist_ok=True, mode=0o700)
    return p
