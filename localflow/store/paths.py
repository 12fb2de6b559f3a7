"""Where localflow keeps its state: $LOCALFLOW_HOME, else the XDG data directory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def home_path(environ: Mapping[str, str] = os.environ) -> str:
    """The folder's path, not made (what a command's start-up can ask without pathlib)."""
    env = environ.get("LOCALFLOW_HOME")
    if env:
        return env
    base = environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "localflow")


def home() -> Path:
    from pathlib import Path

    p = Path(home_path())
    p.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:  # mkdir leaves a folder that already existed as it was
        if os.stat(p).st_mode & 0o077:
            os.chmod(p, 0o700)
    except OSError:
        pass
    return p
