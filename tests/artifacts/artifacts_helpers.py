"""Helpers shared by the artifacts tests (a module, so tests can import it)."""

from __future__ import annotations

import io
import subprocess
import tarfile

from needs import BUSYBOX  # (tests/ is on sys.path: tests/conftest.py)

TEST_LABEL = {"localflow.test": "artifacts"}


def busybox_rootfs_tar() -> bytes:
    """A minimal root filesystem: static busybox with its applets as links, and /tmp."""
    buf = io.BytesIO()
    data = BUSYBOX.read_bytes()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("bin/busybox")
        info.size, info.mode = len(data), 0o755
        tar.addfile(info, io.BytesIO(data))
        applets = subprocess.run([str(BUSYBOX), "--list"], capture_output=True, text=True, check=True).stdout
        for applet in applets.split():
            if applet == "busybox":
                continue
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type, link.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(link)
        tmp = tarfile.TarInfo("tmp")
        tmp.type, tmp.mode = tarfile.DIRTYPE, 0o1777
        tar.addfile(tmp)
    return buf.getvalue()


def run(container, *command: str) -> str:  # type: ignore[no-untyped-def]
    """Run a command in a container; its output (fails the test on a non-zero exit)."""
    result = container.exec_run(list(command))
    output = result.output.decode()
    assert result.exit_code == 0, output
    return output


def sh(container, script: str) -> str:  # type: ignore[no-untyped-def]
    return run(container, "sh", "-c", script)
