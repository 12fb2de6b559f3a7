"""Naming a stalled engine: when a Docker call has had no answer for a while, say so once, and again
when the engine answers.

Every request is timed (the SDK's session is hooked; engine_api calls `timed` itself), except the ones that wait by design (a container's wait,
attach, followed logs, events, an exec's output, a pull, a stop with its grace period). A light ping
every few seconds makes a frozen engine show up even while localflow only waits for containers.
Nothing here stops anything: deadlines run on the engine's event loop, not in these calls.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable
from typing import Any

STALL_SECONDS = 15.0
PING_SECONDS = 5.0
_WAITS_BY_DESIGN = re.compile(
    r"/containers/[^/]+/(wait|attach|stop|restart)\b|/events\b|/exec/[^/]+/start\b|/images/create\b|/build\b"
    r"|/logs\?(.*&)?follow=(1|True|true)")


class StallWatch:
    def __init__(self, ping: Callable[[], Any], where: str, notice: Callable[[str], None],
                 after: float = STALL_SECONDS, ping_every: float = PING_SECONDS):
        self.ping, self.where, self.notice, self.after = ping, where, notice, after
        self.pending: dict[int, float] = {}
        self.ids = itertools.count()
        self.lock = threading.Lock()
        self.stalled = False
        self.done = threading.Event()
        self.hooked: list[tuple[Any, Any]] = []
        for target, name in ((self._check, "check"), (self._ping, "ping")):
            threading.Thread(target=target, args=(ping_every,), daemon=True,
                             name=f"localflow-stall-{name}").start()

    def hook(self, api: Any) -> None:
        """Time every request of an SDK client's session (requests.Session.request calls self.send)."""
        send = api.send
        self.hooked.append((api, send))
        api.send = lambda request, **kwargs: self.timed(request.url or "", lambda: send(request, **kwargs))

    def timed(self, url: str, call: Callable[[], Any]) -> Any:
        """`call()`, the request to `url`, watched unless it waits by design."""
        if _WAITS_BY_DESIGN.search(url):
            return call()
        n = next(self.ids)
        with self.lock:
            self.pending[n] = time.monotonic()
        try:
            return call()
        finally:
            with self.lock:
                self.pending.pop(n, None)
                answered, self.stalled = self.stalled, False
            if answered:
                self.notice(f"the Docker engine at {self.where} answers again")

    def _check(self, _every: float) -> None:
        while not self.done.wait(1.0):
            with self.lock:
                oldest = min(self.pending.values(), default=None)
                silent = oldest is not None and time.monotonic() - oldest >= self.after and not self.stalled
                if silent:
                    self.stalled = True
            if silent:
                self.notice(f"the Docker engine at {self.where} has not answered for {self.after:.0f} s; "
                            "waiting (Ctrl-C stops the run)")

    def _ping(self, every: float) -> None:
        while not self.done.wait(every):
            try:
                self.ping()
            except Exception:  # noqa: BLE001 - a failing ping is the caller's business, not ours
                pass

    def close(self) -> None:
        self.done.set()
        for api, send in self.hooked:
            api.send = send
