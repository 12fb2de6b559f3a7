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
    try:  # mkdir leaves a folder that already existed as it was
        if os.stat(p).st_mode & 0o077:
            os.chmod(p, 0o700)
    except OSError:
        pass
    return p
