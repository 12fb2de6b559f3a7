"""Images: the pull policy, with one clear line when an image is missing and cannot be pulled."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from localflow.errors import RuntimeFailure

from .engine_api import Engine, api_errors, lost


def normalise(image: str) -> str:
    """`docker/whalesay` → `docker/whalesay:latest` (a digest or a tag is kept)."""
    last = image.rsplit("/", 1)[-1]
    if "@" in image or ":" in last:
        return image
    return image + ":latest"


class Images:
    """Checks each image once per process; pulls per policy (IfNotPresent by default). `client()` gives the
    docker SDK client (pulls); a local `engine` answers the inspections without it."""

    def __init__(self, client: Callable[[], Any], notice: Callable[[str], None], engine: Engine | None = None):
        self.client, self.engine = client, engine
        self.notice = notice
        self.ready: dict[str, str] = {}
        self.locks: dict[str, threading.Lock] = {}
        self.guard = threading.Lock()

    def _exists(self, image: str) -> bool:
        try:
            if self.engine is not None:
                self.engine.call("GET", f"/images/{quote(image, safe='/:')}/json")
            else:
                self.client().images.get(image)
            return True
        except api_errors():
            return False

    def _pull(self, image: str) -> str | None:
        try:
            self.client().images.pull(image)
            return None
        except api_errors() as e:
            return str(e.explanation or e)[:200]
        except lost() as e:
            text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            return text[:200]

    def ensure(self, image: str, policy: str | None) -> str:
        name = normalise(image)
        key = f"{name}|{policy or ''}"
        if key in self.ready:
            return self.ready[key]
        with self.guard:
            lock = self.locks.setdefault(key, threading.Lock())
        with lock:
            if key in self.ready:
                return self.ready[key]
            policy = policy or "IfNotPresent"
            if policy == "Never":
                if not self._exists(name):
                    raise RuntimeFailure(f"image {image!r} is not present and imagePullPolicy is Never")
            elif policy == "Always":
                why = self._pull(name)
                if why is not None:
                    if not self._exists(name):
                        raise RuntimeFailure(f"image {image!r} cannot be pulled ({why}) and is not present locally")
                    self.notice(f"image {image!r} could not be pulled ({why}); using the local copy")
            else:
                if not self._exists(name):
                    why = self._pull(name)
                    if why is not None:
                        raise RuntimeFailure(f"image {image!r} is not present locally and cannot be pulled ({why})")
            self.ready[key] = name
            return name
