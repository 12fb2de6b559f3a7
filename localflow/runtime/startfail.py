"""A command that cannot start, worded as Argo's executor words it.

Every container runs under Docker's init (`init: true`: tini as PID 1, the user's process its child), as
every container of an Argo pod runs under the emissary (cmd/argoexec/commands/emissary.go): signals reach
the user's process with their default actions, so `kill $$` ends with 143 and a sidecar's `sleep` stops
at SIGTERM instead of after the grace period.

When the command cannot be executed, tini logs `[FATAL tini (N)] exec NAME failed: REASON` and exits 127
(126 for a permission error). Argo's emissary looks the command up first (`exec.LookPath(name)`; Go's
os/exec errors), returns `failed to find name in PATH: <err>`, argoexec's main prints it, writes it as
the termination message and exits 64; the controller's inferFailedReason then words the node
`main: Error (exit code 64): <message>` (workflow/controller/operator.go) and the node is Failed.
"""

from __future__ import annotations

import re

ARGO_EXIT_CODE = 64  # cmd/argoexec/main.go: an error that is not the command's own exit status
TINI_EXEC_CODES = (126, 127)
_TINI_FATAL = re.compile(r"^\[FATAL tini \(\d+\)\] exec (?P<name>.+) failed: (?P<why>.+)$")


def argo_text(line: str) -> str | None:
    """Argo's message for tini's exec failure line, or None when the line is something else."""
    m = _TINI_FATAL.match(line.strip())
    if m is None:
        return None
    name, why = m.group("name"), m.group("why")
    if "/" not in name:  # searched in $PATH: LookPath skips what it cannot execute
        err = f'exec: "{name}": executable file not found in $PATH'
    elif why == "Permission denied":
        err = f'exec: "{name}": permission denied'
    else:  # a path: LookPath stats it
        err = f'exec: "{name}": stat {name}: {why[:1].lower()}{why[1:]}'
    return f"failed to find name in PATH: {err}"


def log_line(line: str) -> str:
    """A container's log line as the user would see it under Argo (the executor's error, not tini's)."""
    return argo_text(line) or line


def from_logs(code: int, logs: bytes | str) -> str | None:
    """Argo's termination message when a container exited because its command could not start."""
    if code not in TINI_EXEC_CODES:
        return None
    text = logs.decode(errors="replace") if isinstance(logs, bytes) else logs
    lines = [x for x in text.splitlines() if x.strip()]
    return argo_text(lines[-1]) if lines else None
