#!/usr/bin/env python3
"""nginx stand-in for localflow's offline nginx:1.13 / nginx:latest images.

Serves the default nginx welcome page on port 80 (GET/HEAD / and /index.html -> 200,
anything else -> 404 page), logging each request to stdout as nginx does.
It is started by the `nginx` command in the image, which ignores nginx's own
arguments (`-g 'daemon off;'`, `-c FILE`), so both the image's default CMD and an
explicit `nginx -g 'daemon off;'` work. Stops at once on SIGTERM, SIGINT or SIGQUIT.
Environment: NGINX_STUB_PORT (default 80).  Python standard library only.
"""
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "1.13.12"

WELCOME = b"""<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
    body {
        width: 35em;
        margin: 0 auto;
        font-family: Tahoma, Verdana, Arial, sans-serif;
    }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>This is localflow's offline stand-in for the nginx image.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""

NOT_FOUND = ("<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
             "<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/%s</center>\r\n"
             "</body>\r\n</html>\r\n" % VERSION).encode()


class Handler(BaseHTTPRequestHandler):
    server_version = "nginx/" + VERSION
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def _reply(self, code, body, head_only=False):
        self.send_response(code)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def _serve(self, head_only):
        path = self.path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            self._reply(200, WELCOME, head_only)
        else:
            self._reply(404, NOT_FOUND, head_only)

    def do_GET(self):
        self._serve(False)

    def do_HEAD(self):
        self._serve(True)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._reply(405, b"<html><body><h1>405 Not Allowed</h1></body></html>\r\n")

    def log_message(self, fmt, *args):
        pass

    def log_request(self, code="-", size="-"):
        ts = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
        agent = self.headers.get("User-Agent", "-") if self.headers else "-"
        sys.stdout.write('%s - - [%s] "%s" %s %s "-" "%s"\n'
                         % (self.client_address[0], ts, self.requestline, code, size, agent))
        sys.stdout.flush()


def _stop(signum, frame):
    raise SystemExit(0)


def main(argv):
    if "-v" in argv or "-V" in argv:
        sys.stderr.write("nginx version: nginx/%s (localflow stand-in)\n" % VERSION)
        return 0
    if "-t" in argv or "-T" in argv:
        sys.stderr.write("nginx: configuration file /etc/nginx/nginx.conf test is successful\n")
        return 0
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        signal.signal(sig, _stop)
    port = int(os.environ.get("NGINX_STUB_PORT", "80"))
    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.daemon_threads = True
    httpd = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    sys.stderr.write("nginx stand-in (localflow) listening on port %d\n" % port)
    sys.stderr.flush()
    try:
        httpd.serve_forever()
    except SystemExit:
        pass
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
