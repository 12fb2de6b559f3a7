"""Fixtures for the report tests: a private LOCALFLOW_HOME, the in-memory workflows of
report_factory, and headless Chromium (need("chromium"): skipped, or failed in CI, without it)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from needs import need  # noqa: E402



@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("LOCALFLOW_HOME", str(home))
    return home


class Chromium:
    """Headless Chromium as root in a container-friendly way: no sandbox, no GPU, no network chatter,
    a fresh profile per call."""

    FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio")

    def __init__(self, path: str):
        self.path = path

    def _run(self, extra: list[str], url: str, timeout: float = 90) -> subprocess.CompletedProcess:
        with tempfile.TemporaryDirectory(prefix="lf-chromium-") as profile:
            cmd = [self.path, *self.FLAGS, f"--user-data-dir={profile}", *extra, url]
            return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout)

    def dump_dom(self, url: str, window: str = "1280,1600") -> str:
        """The DOM after the page's scripts ran (`--dump-dom`), as HTML text."""
        proc = self._run([f"--window-size={window}", "--virtual-time-budget=2000", "--dump-dom"], url)
        assert proc.returncode == 0 and proc.stdout.strip(), f"chromium --dump-dom failed: {proc.stderr[-2000:]}"
        return proc.stdout

    def screenshot(self, url: str, out: Path, window: str = "1280,1600") -> Path:
        proc = self._run([f"--window-size={window}", f"--screenshot={out}"], url)
        assert proc.returncode == 0 and out.is_file(), f"chromium --screenshot failed: {proc.stderr[-2000:]}"
        return out


@pytest.fixture(scope="session")
def chromium() -> Chromium:
    return Chromium(need("chromium"))
