"""The resident process: a Python process with `submit`'s modules already imported that runs each
`localflow submit` handed to it in a fork of itself, so that a run pays neither Python's start-up nor
the imports (two thirds of localflow's own time in a one-step run; docs/performance.md, figure 1).

A `submit` that finds none for its home starts one as it ends (LOCALFLOW_RESIDENT=auto, the default;
`manual`: only `localflow resident start` starts one; `off`: none is used), for the commands after it,
as a CI job or a session that runs many workflows makes them. It ends after its idle time without a
command (AUTO_IDLE_SECONDS when a `submit` started it, `--idle` with `resident start`), on
`localflow resident stop`, or as soon as its code changes (localflow's files, PyYAML's; a command that finds it out of
date runs in its own process, and starts the next one). One runs per home: it holds a lock beside its
socket for its life, so that `submit`s that end together start one between them.

The protocol, over a unix socket in localflow's home (only its owner may connect, checked both ways):
the client sends one message (a 4-byte length, JSON: the arguments, working directory, environment,
umask, interpreter and its streams' settings) with its standard streams' file descriptors; the
resident answers `run PID` from the fork that will run the command with those streams, folder and
environment once the client says `go` (a client that gave up waiting runs it itself, never both), or
one word (`stale`, `other`) and the client runs the command itself. While it runs,
the client forwards the signals a terminal or CI sends it (`sig N`); the fork answers `exit CODE`.
A client that goes away stops its run as SIGTERM would (its containers are removed).

Kept apart from what it runs: the fork calls `localflow.cli.main.main` as the command line would.
"""

from __future__ import annotations

import os
import sys
from typing import Any

SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")
PRELOAD = ("asyncio", "json", "sqlite3", "http.client", "yaml",
           "localflow.cli.submit", "localflow.cli.submit_flags", "localflow.cli.render", "localflow.cli.child_runs",
           "localflow.spec.load", "localflow.spec.validate", "localflow.spec.workflow_ref",
           "localflow.engine.run", "localflow.engine.preflight", "localflow.engine.resources",
           "localflow.runtime.docker_runtime", "localflow.artifacts.run_store",
           "localflow.store.db", "localflow.store.recorder", "localflow.store.locks", "localflow.store.memo_cache",
           "localflow.store.secrets")
_MAX_MESSAGE = 1 << 22
ANSWER_SECONDS = 10.0
AUTO_IDLE_SECONDS = 300.0
LOCK_SECONDS = 3.0  # how long a new resident waits for the one it replaces to end
_forked = False  # in a fork that runs a command: that command runs here, never handed over again


def socket_path(environ: Any = os.environ) -> str:
    """`resident.sock` in localflow's home; a home too deep for a socket's path (108 bytes) gets one in
    $XDG_RUNTIME_DIR or /tmp named after it."""
    from localflow.store.paths import home_path

    home = os.path.abspath(home_path(environ))
    path = os.path.join(home, "resident.sock")
    if len(path.encode()) < 100:
        return path
    import hashlib
    digest = hashlib.sha256(home.encode()).hexdigest()[:20]
    return os.path.join(environ.get("XDG_RUNTIME_DIR") or "/tmp", f"localflow-{os.getuid()}-{digest}.sock")


def _peer_is_us(sock: Any) -> bool:
    import socket
    import struct
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1] == os.getuid()


def _package_dir() -> str:
    import localflow
    return os.path.dirname(os.path.abspath(localflow.__file__))


def identity() -> dict[str, str]:
    """What a resident and a command must share to be one: the interpreter, the copy of localflow, and
    the process's place on the machine (namespaces: files, network, processes, users; control groups),
    so that a command from a container or a job that shares the home is not run in another's."""
    return {"executable": os.path.realpath(sys.executable), "package": _package_dir(), "context": _context()}


def _context() -> str:
    parts = []
    for ns in ("mnt", "net", "pid", "user", "ipc", "uts"):
        try:
            parts.append(os.readlink(f"/proc/self/ns/{ns}"))
        except OSError:
            parts.append(f"{ns}:?")
    try:
        with open("/proc/self/cgroup", encoding="utf-8", errors="replace") as f:
            parts.append(f.read().strip())
    except OSError:
        pass
    return "\n".join(parts)


def _send(sock: Any, message: dict, fds: list[int] | None = None) -> None:
    import json
    import socket
    data = json.dumps(message).encode()
    data = len(data).to_bytes(4, "big") + data
    if fds:
        socket.send_fds(sock, [data], fds)
    else:
        sock.sendall(data)


def _receive(sock: Any) -> tuple[dict, list[int]]:
    import json
    import socket
    data, fds, _flags, _addr = socket.recv_fds(sock, 65536, 3)
    if len(data) < 4:
        raise ValueError("no message")
    size = int.from_bytes(data[:4], "big")
    if size > _MAX_MESSAGE:
        raise ValueError("message too long")
    while len(data) < 4 + size:
        more = sock.recv(min(1 << 20, 4 + size - len(data)))
        if not more:
            raise ValueError("message cut short")
        data += more
    return json.loads(data[4:4 + size]), fds


def _connect(path: str, timeout: float | None = None) -> Any:
    """A connection to the resident at `path`, or None (none there, or not ours)."""
    import socket
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
        if _peer_is_us(sock):
            return sock
    except OSError:
        pass
    sock.close()
    return None


# --- the client: a command's process hands its command over ---------------------------------------------

def _streams() -> list[dict | None]:
    out: list[dict | None] = []
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        if stream is None or not hasattr(stream, "encoding"):
            out.append(None)
            continue
        out.append({"encoding": stream.encoding, "errors": stream.errors,
                    "line_buffering": bool(getattr(stream, "line_buffering", False))})
    return out


def _standard_fds() -> list[int]:
    fds = []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
            fds.append(fd)
        except OSError:  # a closed stream is /dev/null in the fork
            fds.append(os.open(os.devnull, os.O_RDWR))
    return fds


def mode(environ: Any = os.environ) -> str:
    """LOCALFLOW_RESIDENT: `off` (0, no, false), `manual`, or `auto` (unset, or any other value)."""
    value = environ.get("LOCALFLOW_RESIDENT", "").strip().lower()
    if value in ("0", "off", "no", "false"):
        return "off"
    return "manual" if value == "manual" else "auto"


def hand_over(argv: list[str]) -> int | None:
    """Run `argv` (sys.argv, a `submit`: `main` asks only for it) in the resident process if one is running
    for this home and this copy of localflow: its exit code, or None when the caller should run the
    command itself (then, in `auto` mode with no current resident, one is started as this process ends)."""
    how = "off" if _forked else mode()
    if how == "off":
        return None
    path = socket_path()
    sock = _connect(path) if os.path.exists(path) else None
    if sock is None:
        if how == "auto":
            _start_at_exit(path)
        return None
    with sock:
        mask = os.umask(0)
        os.umask(mask)
        _send(sock, {"op": "run", "argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "umask": mask,
                     **identity(), "streams": _streams()},
              _standard_fds())
        sock.settimeout(ANSWER_SECONDS)  # a resident that does not answer (stopped, stuck): run here instead
        reader = sock.makefile("rb")
        try:
            first = reader.readline().split()
        except OSError:
            return None  # (the connection closes with this process: a late fork finds no caller and ends)
        if first[:1] != [b"run"]:
            if first[:1] == [b"stale"] and how == "auto":  # that resident ends: the next one is of this code
                _start_at_exit(path)
            return None
        sock.settimeout(None)
        sock.sendall(b"go\n")  # the fork runs the command only now: never both it and this process
        return _follow(sock, reader)


def _start_at_exit(path: str) -> None:
    import atexit

    def start() -> None:
        try:
            spawn(path, AUTO_IDLE_SECONDS)
        except OSError:  # a home that cannot hold the log, no interpreter any more: the command is done anyway
            pass
    atexit.register(start)


def spawn(path: str, idle: float) -> Any:
    """Start a resident for the socket `path` in the background: its own session, its output in
    `logs/resident.log` of the home, none of this process's descriptors (a caller reading this process's
    output to its end is not kept waiting), localflow found where this process found it. Its Popen."""
    import subprocess

    from localflow.store.paths import home
    logs = home() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    where = os.path.dirname(_package_dir())
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (where, os.environ.get("PYTHONPATH")) if p)}
    with open(logs / "resident.log", "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "localflow.cli.resident", path, str(idle)], cwd="/", env=env,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)


def _follow(sock: Any, reader: Any) -> int:
    """Forward the signals this process gets to the fork until it answers its exit code."""
    import signal

    def forward(signum: int, _frame: Any) -> None:
        try:
            sock.sendall(b"sig %d\n" % signum)
        except OSError:
            pass

    for name in SIGNALS:
        signal.signal(getattr(signal, name), forward)
    for line in reader:
        word, _, value = line.strip().partition(b" ")
        if word == b"exit":
            return int(value)
    sys.stderr.write("localflow: the resident process ended the command without an exit code\n")
    return 1


def request(path: str, op: str, timeout: float = 5.0) -> dict | None:
    """`status` or `stop` asked of the resident at `path`: its answer, or None when none answers."""
    sock = _connect(path, timeout)
    if sock is None:
        return None
    with sock:
        try:
            _send(sock, {"op": op})
            answer, _ = _receive(sock)
            return answer
        except (OSError, ValueError):
            return None


# --- the resident ----------------------------------------------------------------------------------------

def _code_folders(package: str) -> list[str]:
    """The folders of the code the resident holds, once PRELOAD is imported: localflow's, and those of
    the other libraries it preloads (PyYAML: an upgrade under it makes it out of date too)."""
    folders = [package]
    for name in {m.split(".")[0] for m in PRELOAD} - set(sys.stdlib_module_names) - {"localflow"}:
        where = getattr(sys.modules.get(name), "__file__", None)
        if where:
            folders.append(os.path.dirname(where))
    return folders


def _code_state(folders: list[str]) -> tuple[int, int]:
    """What changes when the files in `folders` do: their count and newest modification."""
    count = newest = 0
    for top in folders:
        for folder, _dirs, files in os.walk(top):
            for name in files:
                if name.endswith(".py"):
                    count += 1
                    newest = max(newest, os.stat(os.path.join(folder, name)).st_mtime_ns)
    return count, newest


class Resident:
    def __init__(self, path: str, idle: float) -> None:
        import time
        self.path, self.idle = path, idle
        self.identity = identity()
        self.folders: list[str] = []  # (once the preloaded modules are: serve)
        self.code = (0, 0)
        self.started = time.time()
        self.last = time.monotonic()
        self.children: set[int] = set()
        self.served = 0
        self.stopping = False
        self.lock: int | None = None

    def serve(self) -> None:
        import importlib
        import socket
        import time

        self.lock = _lock(self.path + ".lock")
        if self.lock is None:
            print(f"another resident process serves {self.path}: this one ends", file=sys.stderr)
            return
        for name in PRELOAD:
            importlib.import_module(name)
        self.folders = _code_folders(self.identity["package"])
        self.code = _code_state(self.folders)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.lexists(self.path):
            os.unlink(self.path)  # left by a resident that was killed (a live one would hold the lock)
        old = os.umask(0o177)
        try:
            server.bind(self.path)
        finally:
            os.umask(old)
        server.listen(64)
        server.settimeout(1.0)
        try:
            while not self.stopping:
                self._reap()
                if not self.children and time.monotonic() - self.last > self.idle:
                    break
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    continue
                with conn:
                    conn.settimeout(10.0)
                    self._answer(conn, server)
        finally:
            server.close()
            try:
                os.unlink(self.path)
            except OSError:
                pass

    def _reap(self) -> None:
        import time
        for pid in list(self.children):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                self.children.discard(pid)
                self.last = time.monotonic()

    def _answer(self, conn: Any, server: Any) -> None:
        """One connection: `status`, `stop` (which do not count as use), or a command to run in a fork."""
        import time
        try:
            if not _peer_is_us(conn):
                return
            message, fds = _receive(conn)
        except (OSError, ValueError):
            return
        op = message.get("op")
        if op in ("status", "stop"):
            self.stopping = op == "stop"
            self._reap()
            _send(conn, {"pid": os.getpid(), "started": self.started, "served": self.served, "running": len(self.children),
                         "idle": self.idle, **self.identity, "current": _code_state(self.folders) == self.code})
            return
        try:
            if op != "run" or len(fds) != 3:
                return
            if any(message.get(k) != v for k, v in self.identity.items()):
                conn.sendall(b"other\n")  # another interpreter or copy of localflow: it runs its own
                return
            if _code_state(self.folders) != self.code:
                conn.sendall(b"stale\n")  # localflow's files changed since the start: this resident ends
                self.stopping = True
                return
            pid = os.fork()
            if pid == 0:
                server.close()
                os.close(self.lock)  # (the lock is the resident's, which ends before a long run may)
                _run_forked(conn, message, fds)  # never returns
            self.children.add(pid)
            self.served += 1
            self.last = time.monotonic()
        finally:
            for fd in fds:
                os.close(fd)


def _lock(path: str) -> int | None:
    """An exclusive lock on `path` held by this process until it ends (its descriptor), or None when another
    process still holds it after LOCK_SECONDS."""
    import fcntl
    import time
    old = os.umask(0o177)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    finally:
        os.umask(old)
    deadline = time.monotonic() + LOCK_SECONDS
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                return None
            time.sleep(0.05)


def _streams_from(settings: list[dict | None]) -> None:
    """sys.stdin/stdout/stderr on the client's descriptors (now 0, 1, 2), set up as the client's were."""
    for fd, name, mode in ((0, "stdin", "r"), (1, "stdout", "w"), (2, "stderr", "w")):
        s = settings[fd] if fd < len(settings) else None
        if s is None:
            continue
        stream = open(fd, mode, buffering=1 if s["line_buffering"] else -1, encoding=s["encoding"], errors=s["errors"],
                      closefd=False)
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _run_forked(conn: Any, message: dict, fds: list[int]) -> None:
    """In the fork: become the client's command (streams, folder, environment, umask, argv), run it,
    answer its exit code, end without returning to the resident's loop."""
    import random
    import signal
    import threading

    global _forked
    _forked, code = True, 1
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        os.chdir(message["cwd"])
        os.umask(int(message["umask"]))
        os.environ.clear()
        os.environ.update(message["env"])
        sys.argv = list(message["argv"])
        random.seed()  # a fork's names (generateName) are its own, not the resident's sequence
        signal.signal(signal.SIGINT, signal.default_int_handler)  # the dispositions Python starts with
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        for name in ("SIGTERM", "SIGHUP", "SIGQUIT", "SIGCHLD"):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
        _streams_from(message.get("streams") or [])
        conn.settimeout(None)
        reader = conn.makefile("rb")
        try:
            conn.sendall(b"run %d\n" % os.getpid())
            go = reader.readline()
        except OSError:
            go = b""
        if go != b"go\n":  # the caller gave up waiting and runs the command itself
            os._exit(1)
        done = threading.Event()
        threading.Thread(target=_relay_signals, args=(reader, done), daemon=True).start()
        code = _main_exit_code()
        done.set()
        _finalize()
    except BaseException:  # a fault of the hand-over itself: on the client's stderr, as a process would print it
        import traceback
        traceback.print_exc()
        raise
    finally:
        try:
            conn.sendall(b"exit %d\n" % code)
        except OSError:
            pass
        os._exit(code)


def _finalize() -> None:
    """What the interpreter does at its end, in its order: wait for the threads that are not daemons (and
    run what `threading._register_atexit` registered: thread pools), then the exit handlers, then flush."""
    import atexit
    import threading
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        shutdown()
    else:  # pragma: no cover - another Python
        for t in threading.enumerate():
            if t is not threading.current_thread() and not t.daemon:
                t.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


def _main_exit_code() -> int:
    from localflow.cli.main import main
    try:
        main()
        return 0
    except SystemExit as e:
        if e.code is None:
            return 0
        if isinstance(e.code, int):
            return e.code
        sys.stderr.write(f"{e.code}\n")
        return 1
    except KeyboardInterrupt:
        return 130


def _relay_signals(reader: Any, done: Any) -> None:
    """The client's signals, raised in this process; the client gone: stop as on SIGTERM."""
    import signal
    for line in reader:
        word, _, value = line.strip().partition(b" ")
        if word == b"sig" and value.isdigit():
            os.kill(os.getpid(), int(value))
    if not done.is_set():
        os.kill(os.getpid(), signal.SIGTERM)


def main() -> None:
    """`python -m localflow.cli.resident PATH IDLE`: what `localflow resident start` runs, detached."""
    from localflow.cli import resident  # this module by its name (run as __main__ it is another copy)
    resident.Resident(sys.argv[1], float(sys.argv[2])).serve()


if __name__ == "__main__":
    main()
