"""The local Docker engine's HTTP API over its unix socket, with the standard library only.

A one-step run makes a handful of calls (version, image inspect, create, start, logs, wait, remove);
with the docker SDK each of them first costs the import of docker, requests and urllib3 (~50-70 ms
of a ~0.3 s run). Here: HTTP/1.1 with `http.client` over an AF_UNIX socket, one kept-alive connection
per thread, JSON in and out, Docker's error body (`{"message": ...}`) raised as `APIError` (`NotFound`,
`ImageNotFound`) with the SDK's wording, connection failures as `TransportError`. Containers made here
are `Container`s with the SDK model's methods localflow uses (archives included); exec, rarer, goes to
the SDK's model of the same container, whose client is made on first use.

Only for a local engine (DOCKER_HOST unset or unix://); TCP, TLS and SSH engines use the SDK throughout.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlencode

from . import remote

DEFAULT_TIMEOUT = 300
ARCHIVE_CHUNK = 2 * 1024 * 1024  # the SDK's DEFAULT_DATA_CHUNK_SIZE


class APIError(Exception):
    """The engine answered with an error status (as docker.errors.APIError prints it)."""

    def __init__(self, status: int, reason: str, url: str, explanation: str):
        super().__init__(explanation)
        self.status_code, self.reason, self.url, self.explanation = status, reason, url, explanation

    def __str__(self) -> str:
        kind = "Client" if self.status_code < 500 else "Server"
        text = f"{self.status_code} {kind} Error for http+docker://localhost{self.url}: {self.reason}"
        return f'{text} ("{self.explanation}")' if self.explanation else text


class NotFound(APIError):
    pass


class ImageNotFound(NotFound):
    pass


class TransportError(Exception):
    """No answer: the socket refused, closed, or timed out (requests' wording)."""


def _sdk(name: str) -> tuple[type, ...]:
    """The SDK's exception class `name`, if the SDK is loaded (if not, nothing could have raised it)."""
    mod = sys.modules.get("docker.errors")
    return (getattr(mod, name),) if mod is not None else ()


def api_errors() -> tuple[type, ...]:
    return (APIError, *_sdk("APIError"))


def not_found() -> tuple[type, ...]:
    return (NotFound, *_sdk("NotFound"))


def image_not_found() -> tuple[type, ...]:
    return (ImageNotFound, *_sdk("ImageNotFound"))


def lost() -> tuple[type, ...]:
    """Errors of an engine that does not answer (requests' when the SDK is in use)."""
    mod = sys.modules.get("requests")
    return (TransportError, *((mod.RequestException,) if mod is not None else ()))


def refused_or_lost() -> tuple[type, ...]:
    """What a call may raise when the engine refuses it or does not answer."""
    return (*api_errors(), *lost())


def engine_errors() -> tuple[type, ...]:
    return (*refused_or_lost(), *_sdk("DockerException"))


def _error(status: int, reason: str, url: str, raw: bytes) -> APIError:
    try:
        explanation = str(json.loads(raw).get("message") or "")
    except (ValueError, AttributeError):
        explanation = raw.decode(errors="replace").strip()
    cls = APIError
    if status == 404:
        image = any(s in explanation for s in ("No such image", "not found: does not exist or no pull access",
                                               "repository does not exist"))
        cls = ImageNotFound if image else NotFound
    return cls(status, reason, url, explanation)


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float | None):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class Engine:
    """The engine at a unix socket path. `watch(url, call)`, when set, times every call (stall.StallWatch);
    `sdk()` gives the SDK client for the calls made through it."""

    def __init__(self, path: str, timeout: float = DEFAULT_TIMEOUT):
        self.path, self.timeout = path, timeout
        self.local = threading.local()
        self.prefix = ""
        self.watch: Callable[[str, Callable[[], Any]], Any] | None = None
        self.sdk: Callable[[], Any] = _no_sdk

    def start(self) -> None:
        """Ask the engine's API version, as the SDK does before its first call (paths carry it), from the
        header of `/_ping` as the docker CLI does (`/version`, the SDK's, takes the engine ~5 ms more)."""
        try:
            resp = self.call("GET", "/_ping", versioned=False, stream=True)
            version = resp.getheader("Api-Version")
            resp.read()
            resp.close()
            resp.localflow_conn.close()
            if not version:  # an engine older than API 1.25
                version = self.json("GET", "/version", versioned=False)["ApiVersion"]
        except (TransportError, OSError, http.client.HTTPException) as e:
            why = e if isinstance(e, TransportError) else _transport(e, self.timeout)
            raise TransportError(f"Error while fetching server API version: {why}") from e
        self.prefix = "/v" + str(version)

    def ping(self) -> bool:
        return self.call("GET", "/_ping", versioned=False) == b"OK"

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        raw = self.call(method, path, **kwargs)
        return json.loads(raw) if raw else None

    def call(self, method: str, path: str, params: dict | None = None, body: Any = None,
             timeout: float | None | str = "default", stream: bool = False, versioned: bool = True,
             data: Any = None) -> Any:
        """The answer's body (bytes), or with `stream` the open response (read it, then close it). `body` is
        sent as JSON, `data` (bytes, or an iterable of bytes: sent chunked) as it is."""
        url = (self.prefix if versioned else "") + path + ("?" + urlencode(params) if params else "")
        wait = self.timeout if timeout == "default" else timeout
        payload = data if body is None else json.dumps(body).encode()
        send = lambda: self._send(method, url, payload, body is not None, wait, stream)  # noqa: E731
        return self.watch(url, send) if self.watch is not None else send()

    def _connection(self, fresh: bool) -> tuple[_UnixConnection, bool]:
        conn = None if fresh else getattr(self.local, "conn", None)
        if conn is not None:
            return conn, True
        conn = _UnixConnection(self.path, self.timeout)
        if not fresh:
            self.local.conn = conn
        return conn, False

    def _send(self, method: str, url: str, data: Any, is_json: bool, timeout: float | None, stream: bool) -> Any:
        headers = {"Content-Type": "application/json"} if is_json else {}
        once_more = data is None or isinstance(data, (bytes, bytearray))  # an iterable body cannot be sent twice
        for attempt in (1, 2):
            conn, reused = self._connection(fresh=stream)
            reused = reused and conn.sock is not None
            conn.timeout = timeout
            if conn.sock is not None:
                conn.sock.settimeout(timeout)
            try:
                conn.request(method, url, body=data, headers=headers)
                resp = conn.getresponse()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                refused = None
                if data is not None and not isinstance(e, http.client.RemoteDisconnected):
                    refused = _early_error(conn, url)
                conn.close()  # a kept-alive connection the engine closed meanwhile: once more on a new one
                if refused is not None:
                    raise refused from None
                if not reused or attempt == 2 or not once_more:
                    raise _transport(e, timeout) from e
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                raise _transport(e, timeout) from e
            except BaseException:  # a body that failed half-way (an artifact's stream): never reuse that connection
                conn.close()
                raise
        if resp.status >= 400 or not stream:
            try:
                raw = resp.read()
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                raise _transport(e, timeout) from e
            if stream:
                conn.close()
            if resp.status >= 400:
                raise _error(resp.status, resp.reason, url, raw)
            return raw
        if conn.sock is not None:
            conn.sock.settimeout(None)  # a stream waits as long as the container is silent (as the SDK's)
        resp.localflow_conn = conn
        return resp

    def stream(self, method: str, path: str, params: dict | None = None, tty: bool = False) -> Iterator[bytes]:
        """A streamed answer's payload: raw with a TTY, else the frames' data (8-byte headers removed). The
        request is sent now (an error status raises here), the payload read as it is iterated."""
        resp = self.call(method, path, params=params, stream=True)
        return _closing(resp, _raw(resp) if tty else _frames(resp))


def _early_error(conn: _UnixConnection, url: str) -> APIError | None:
    """The error the engine gave to an upload it refused before reading all of it (Go's server answers, then
    closes the connection, and the rest of the body meets a broken pipe), as the SDK reads it; else None."""
    try:
        resp = conn.getresponse()
        raw = resp.read()
    except (OSError, http.client.HTTPException):
        return None
    return _error(resp.status, resp.reason, url, raw) if resp.status >= 400 else None


def _closing(resp: http.client.HTTPResponse, chunks: Iterator[bytes]) -> Iterator[bytes]:
    try:
        yield from chunks
    except (OSError, http.client.HTTPException) as e:
        raise _transport(e, None) from e
    finally:
        resp.close()
        resp.localflow_conn.close()


def _transport(e: BaseException, timeout: float | None) -> TransportError:
    if isinstance(e, TimeoutError):
        return TransportError(f"Read timed out. (read timeout={timeout})")
    return TransportError(f"('Connection aborted.', {e!r})")


def _raw(resp: http.client.HTTPResponse, size: int = 0) -> Iterator[bytes]:
    """The body as it comes (`size` 0), or in pieces of `size` bytes (the last one shorter)."""
    while chunk := (resp.read(size) if size else resp.read1(65536)):
        yield chunk


def _frames(resp: http.client.HTTPResponse) -> Iterator[bytes]:
    while len(header := resp.read(8)) == 8:
        size = int.from_bytes(header[4:], "big")
        if size:
            yield resp.read(size)


def _no_sdk() -> Any:
    raise RuntimeError("no docker SDK client for this engine")


def local_engine(timeout: float = DEFAULT_TIMEOUT) -> Engine | None:
    """The engine at DOCKER_HOST's unix socket (or the default one); None for any other engine."""
    address = remote.engine_address()
    if address.scheme != "unix":
        return None
    path = address.url.split("://", 1)[1] if "://" in address.url else address.url
    return Engine(path, timeout)


class Container:
    """A container made through an Engine, with the methods of the SDK's model that localflow uses."""

    def __init__(self, engine: Engine, attrs: dict):
        self.engine, self.attrs = engine, attrs
        self._model: Any = None

    @property
    def id(self) -> str:
        return self.attrs["Id"]

    @property
    def name(self) -> str:
        return str(self.attrs.get("Name") or "").lstrip("/")

    @property
    def labels(self) -> dict[str, str]:
        return (self.attrs.get("Config") or {}).get("Labels") or {}

    @property
    def status(self) -> str:
        return (self.attrs.get("State") or {}).get("Status", "")

    def _path(self, what: str = "") -> str:
        return f"/containers/{quote(self.id, safe='')}{what}"

    def start(self) -> None:
        self.engine.call("POST", self._path("/start"))

    def wait(self, timeout: float | None = None) -> dict:
        return self.engine.json("POST", self._path("/wait"), timeout=timeout)

    def stop(self, timeout: int | None = None) -> None:
        grace = None if timeout is None else self.engine.timeout + timeout  # the SDK's allowance
        self.engine.call("POST", self._path("/stop"), params=None if timeout is None else {"t": timeout},
                         timeout=grace)

    def kill(self) -> None:
        self.engine.call("POST", self._path("/kill"))

    def remove(self, v: bool = False, force: bool = False) -> None:
        self.engine.call("DELETE", self._path(), params={"v": int(v), "link": 0, "force": int(force)})

    def reload(self) -> None:
        self.attrs = self.engine.json("GET", self._path("/json"))
        self._model = None

    def logs(self, stdout: bool = True, stderr: bool = True, follow: bool = False, stream: bool = False) -> Any:
        params = {"stdout": int(stdout), "stderr": int(stderr), "timestamps": 0, "follow": int(follow), "tail": "all"}
        chunks = self.engine.stream("GET", self._path("/logs"), params, tty=bool(self.attrs["Config"].get("Tty")))
        return chunks if stream else b"".join(chunks)

    def put_archive(self, path: str, data: Any) -> bool:
        """Extract a tar (bytes, or an iterable of bytes) into the directory `path`."""
        self.engine.call("PUT", self._path("/archive"), params={"path": path}, data=data)
        return True

    def get_archive(self, path: str, chunk_size: int = ARCHIVE_CHUNK) -> tuple[Iterator[bytes], dict | None]:
        """(the tar of `path` in pieces of chunk_size bytes, its stat), as the SDK's get_archive."""
        resp = self.engine.call("GET", self._path("/archive"), params={"path": path}, stream=True)
        stat = resp.getheader("X-Docker-Container-Path-Stat")
        return _closing(resp, _raw(resp, chunk_size)), json.loads(base64.b64decode(stat)) if stat else None

    def sdk_model(self) -> Any:
        """The SDK's model of this container (its client made on first use), for exec."""
        if self._model is None:
            self._model = self.engine.sdk().containers.prepare_model(self.attrs)
        return self._model

    def exec_run(self, cmd: Any, **kwargs: Any) -> Any:
        return self.sdk_model().exec_run(cmd, **kwargs)
