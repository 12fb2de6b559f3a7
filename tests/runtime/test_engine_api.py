"""runtime/engine_api: the engine's HTTP API over a unix socket without the SDK, against a small HTTP/1.1
server on a unix socket that answers as dockerd does (JSON, {"message": ...} errors, multiplexed logs).
Where the SDK is the reference (its error text), the SDK's own code builds the expected value."""

from __future__ import annotations

import base64
import http.server
import json
import socketserver
import struct
import threading

import pytest

from localflow.runtime import engine_api
from localflow.runtime.stall import StallWatch


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):  # one handler per connection: number it (an id() is reused once a closed socket is freed)
        super().setup()
        with self.server.lock:
            self.server.conns += 1
            self.conn_no = self.server.conns

    def _send(self, status, body: bytes, ctype="application/json", chunks=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if chunks is None:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for c in chunks:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(c), c))
        self.wfile.write(b"0\r\n\r\n")

    def do_GET(self):
        self.server.seen.append((self.path, self.conn_no))
        if self.path == "/_ping":  # as dockerd: the API version in a header (none before API 1.25)
            self.send_response(200)
            if not self.server.old:
                self.send_header("Api-Version", "1.41")
            self.send_header("Content-Length", "2")
            self.end_headers()
            return self.wfile.write(b"OK")
        if self.path == "/version":
            return self._send(200, b'{"ApiVersion": "1.41"}')
        if self.path.startswith("/v1.41/containers/abc/logs"):
            frame = lambda kind, data: struct.pack(">BxxxL", kind, len(data)) + data  # noqa: E731
            body = frame(1, b"out 1\n") + frame(2, b"err\n") + frame(1, b"out 2\n")
            return self._send(200, b"", "application/vnd.docker.raw-stream", [body[:5], body[5:13], body[13:]])
        if self.path.startswith("/v1.41/containers/tty/logs"):
            return self._send(200, b"", "application/vnd.docker.raw-stream", [b"raw ", b"\x01bytes\n"])
        if self.path.startswith("/v1.41/images/"):
            return self._send(404, b'{"message":"No such image: nope:latest"}')
        if self.path == "/v1.41/then-close":  # answers, then closes the kept-alive connection silently
            self.close_connection = True
            return self._send(200, b"{}")
        if self.path == "/v1.41/hang-up":  # closes without an answer
            self.close_connection = True
            return None
        if self.path.startswith("/v1.41/containers/abc/archive?path=%2Fout"):
            stat = base64.b64encode(b'{"name": "out", "size": 5}')
            self.send_response(200)
            self.send_header("X-Docker-Container-Path-Stat", stat.decode())
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for c in (b"abc", b"defgh", b"ij"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(c), c))
            return self.wfile.write(b"0\r\n\r\n")
        if self.path == "/v1.41/frozen":
            self.server.release.wait(30)
            return self._send(200, b"{}")
        return self._send(404, b'{"message":"No such container: gone"}')

    def do_PUT(self):  # an archive: keep what came (chunked or not)
        if "path=%2Fmissing" in self.path:  # as dockerd: refused before the body is read, then closed
            self.close_connection = True
            return self._send(404, b'{"message":"Could not find the file /missing in container abc"}')
        if self.headers.get("Transfer-Encoding") == "chunked":
            data = b""
            while size := int(self.rfile.readline().strip(), 16):
                data += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
        else:
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append((self.path, data))
        self._send(200, b"")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.server.seen.append((self.path, self.conn_no))
        self._send(201, json.dumps({"Id": "abc", "Got": body}).encode())


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@pytest.fixture
def server(tmp_path):
    path = str(tmp_path / "docker.sock")
    srv = _Server(path, _Handler)
    srv.seen, srv.release, srv.old = [], threading.Event(), False
    srv.lock, srv.conns = threading.Lock(), 0
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv, path
    srv.release.set()
    srv.shutdown()
    srv.server_close()


def _engine(path):
    engine = engine_api.Engine(path, timeout=30)
    engine.start()
    return engine


def test_calls_carry_the_api_version_and_share_one_connection_per_thread(server):
    srv, path = server
    engine = _engine(path)
    assert engine.json("POST", "/containers/create", params={"name": "n"}, body={"Image": "x"}) == {
        "Id": "abc", "Got": {"Image": "x"}}
    engine.call("POST", "/containers/abc/start")
    paths = [p for p, _ in srv.seen]
    assert paths == ["/_ping", "/v1.41/containers/create?name=n", "/v1.41/containers/abc/start"]
    assert len({conn for _, conn in srv.seen[1:]}) == 1


def test_an_engine_whose_ping_names_no_version_is_asked_its_version(server):
    srv, path = server
    srv.old = True
    engine = _engine(path)
    assert engine.prefix == "/v1.41"
    assert [p for p, _ in srv.seen] == ["/_ping", "/version"]


def test_a_kept_alive_connection_the_engine_closed_is_replaced_once(server):
    srv, path = server
    engine = _engine(path)
    assert engine.json("GET", "/then-close") == {}
    assert engine.json("GET", "/version", versioned=False) == {"ApiVersion": "1.41"}
    assert len({conn for _, conn in srv.seen[1:]}) == 2  # (the ping had its own)
    with pytest.raises(engine_api.TransportError):  # an engine that hangs up every time: no endless retry
        engine.call("GET", "/hang-up")


def test_an_error_reads_as_the_sdks(server):
    import docker.errors
    import requests
    _srv, path = server
    engine = _engine(path)
    with pytest.raises(engine_api.NotFound) as ours:
        engine.call("GET", "/containers/gone/json")
    with pytest.raises(engine_api.ImageNotFound) as image:
        engine.call("GET", "/images/nope:latest/json")
    response = requests.Response()
    response.status_code, response.reason = 404, "Not Found"
    response.url = "http+docker://localhost/v1.41/containers/gone/json"
    sdk = docker.errors.NotFound("404 Client Error", response=response, explanation="No such container: gone")
    assert str(ours.value) == str(sdk)
    assert ours.value.status_code == 404 and ours.value.explanation == "No such container: gone"
    assert image.value.explanation == "No such image: nope:latest"


def test_logs_without_a_tty_are_the_frames_payload_and_with_one_the_raw_bytes(server):
    _srv, path = server
    engine = _engine(path)
    plain = engine_api.Container(engine, {"Id": "abc", "Config": {"Tty": False}})
    assert plain.logs() == b"out 1\nerr\nout 2\n"
    assert b"".join(plain.logs(stream=True, follow=True)) == b"out 1\nerr\nout 2\n"
    tty = engine_api.Container(engine, {"Id": "tty", "Config": {"Tty": True}})
    assert tty.logs() == b"raw \x01bytes\n"


def test_archives_go_in_as_bytes_or_pieces_and_come_out_in_pieces_with_their_stat(server):
    srv, path = server
    c = engine_api.Container(_engine(path), {"Id": "abc", "Config": {}})
    assert c.put_archive("/argo/staging", b"tar bytes") is True
    assert c.put_archive("/", iter([b"piece 1,", b"piece 2"])) is True
    assert srv.seen[-2:] == [("/v1.41/containers/abc/archive?path=%2Fargo%2Fstaging", b"tar bytes"),
                             ("/v1.41/containers/abc/archive?path=%2F", b"piece 1,piece 2")]
    stream, stat = c.get_archive("/out", chunk_size=4)
    assert stat == {"name": "out", "size": 5}
    assert list(stream) == [b"abcd", b"efgh", b"ij"]
    with pytest.raises(engine_api.NotFound):
        c.get_archive("/missing")


def test_an_upload_refused_before_its_body_is_read_raises_the_engines_error(server):
    """files.put_files climbs to a parent directory on NotFound: a large upload the engine refuses at once must
    still read as Docker's 404, not as the broken pipe the rest of the body meets."""
    _srv, path = server
    engine = _engine(path)
    c = engine_api.Container(engine, {"Id": "abc", "Config": {}})
    with pytest.raises(engine_api.NotFound) as e:
        c.put_archive("/missing", iter([b"x" * (1 << 20)] * 16))
    assert e.value.explanation == "Could not find the file /missing in container abc"
    assert engine.json("GET", "/version", versioned=False) == {"ApiVersion": "1.41"}  # the next call works


def test_a_body_that_fails_half_way_leaves_no_half_sent_connection(server):
    _srv, path = server
    engine = _engine(path)
    c = engine_api.Container(engine, {"Id": "abc", "Config": {}})

    def broken():
        yield b"piece 1"
        raise ValueError("the artifact's stream broke")
    with pytest.raises(ValueError):
        c.put_archive("/", broken())
    assert engine.json("GET", "/version", versioned=False) == {"ApiVersion": "1.41"}


def test_a_stopped_engine_reads_as_the_sdks_line(tmp_path):
    engine = engine_api.Engine(str(tmp_path / "none.sock"))
    with pytest.raises(engine_api.TransportError) as e:
        engine.start()
    assert str(e.value) == ("Error while fetching server API version: ('Connection aborted.', "
                            "FileNotFoundError(2, 'No such file or directory'))")


def test_a_call_without_answer_is_named_by_the_stall_watch(server):
    srv, path = server
    engine = _engine(path)
    lines, seen = [], threading.Event()
    watch = StallWatch(engine.ping, "unix:///x.sock", lambda m: (lines.append(m), seen.set()), after=0.2,
                       ping_every=3600)
    engine.watch = watch.timed
    try:
        t = threading.Thread(target=lambda: engine.call("GET", "/frozen"))
        t.start()
        assert seen.wait(30)
        srv.release.set()
        t.join(30)
        assert lines == ["the Docker engine at unix:///x.sock has not answered for 0 s; waiting "
                         "(Ctrl-C stops the run)", "the Docker engine at unix:///x.sock answers again"]
    finally:
        watch.close()


def test_only_a_unix_socket_engine_is_spoken_to_without_the_sdk(monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    assert engine_api.local_engine().path == "/var/run/docker.sock"
    monkeypatch.setenv("DOCKER_HOST", "unix:///run/user/1000/docker.sock")
    assert engine_api.local_engine().path == "/run/user/1000/docker.sock"
    for url in ("tcp://10.0.0.2:2376", "ssh://me@host"):
        monkeypatch.setenv("DOCKER_HOST", url)
        assert engine_api.local_engine() is None
