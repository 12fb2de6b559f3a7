#!/usr/bin/env python3
"""InfluxDB 1.x stand-in for localflow's offline influxdb:1.2 image.

HTTP API on port 8086 (INFLUXDB_STUB_PORT), data kept in memory:
  GET|HEAD /ping                 -> 204 (with ?verbose=true: 200 {"version": ...})
  POST /write?db=DB[&precision=] -> line protocol (measurement,tag=v field=1,f2="s" [ts]) -> 204
  GET|POST /query?q=...&db=...   -> CREATE DATABASE, DROP DATABASE, SHOW DATABASES,
                                    SHOW MEASUREMENTS, DROP MEASUREMENT, SELECT
                                    (fields, *, count/mean/sum/min/max/first/last,
                                    WHERE with AND/OR on tags, fields and time,
                                    ORDER BY time [DESC], LIMIT) -> JSON like InfluxDB's;
                                    pretty=true indents; epoch=ns|u|ms|s|m|h gives integer times
Run by the `influxd` command of the image (arguments such as `run` or `-config F` are
ignored; `influxd version` prints the version). Stops at once on SIGTERM/SIGINT.
Python standard library only.
"""
import json
import os
import re
import signal
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

VERSION = "1.2.4"
LOCK = threading.Lock()
DATABASES = {}  # name -> {measurement -> {(tags tuple, time ns) -> (tags dict, fields dict)}}

PRECISION_NS = {"n": 1, "ns": 1, "u": 1000, "us": 1000, "ms": 10**6, "s": 10**9,
                "m": 60 * 10**9, "h": 3600 * 10**9}
DURATION_NS = {"ns": 1, "u": 1000, "µ": 1000, "ms": 10**6, "s": 10**9, "m": 60 * 10**9,
               "h": 3600 * 10**9, "d": 86400 * 10**9, "w": 7 * 86400 * 10**9}


class QueryError(Exception):
    pass


# ---------------------------------------------------------------- line protocol
def _split_unescaped(text, sep, quotes=False):
    parts, cur, i, inq = [], [], 0, False
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            cur.append(text[i:i + 2])
            i += 2
            continue
        if quotes and c == '"':
            inq = not inq
        if c == sep and not inq:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    return parts


def _unescape(s):
    return re.sub(r"\\(.)", r"\1", s)


def _field_value(raw):
    if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
        return raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if raw in ("t", "T", "true", "True", "TRUE"):
        return True
    if raw in ("f", "F", "false", "False", "FALSE"):
        return False
    if raw.endswith("i") and re.fullmatch(r"-?\d+i", raw):
        return int(raw[:-1])
    try:
        return float(raw)
    except ValueError:
        raise ValueError("invalid field value %r" % raw)


def parse_line(line, precision_ns, now_ns):
    sections = _split_unescaped(line, " ", quotes=True)
    sections = [s for s in sections if s != ""]
    if len(sections) < 2 or len(sections) > 3:
        raise ValueError("invalid line")
    key = _split_unescaped(sections[0], ",")
    measurement = _unescape(key[0])
    if not measurement:
        raise ValueError("missing measurement")
    tags = {}
    for kv in key[1:]:
        k, sep, v = kv.partition("=")
        if not sep or not k or not v:
            raise ValueError("missing tag value")
        tags[_unescape(k)] = _unescape(v)
    fields = {}
    for kv in _split_unescaped(sections[1], ",", quotes=True):
        k, sep, v = kv.partition("=")
        if not sep or not k or not v:
            raise ValueError("missing field value")
        fields[_unescape(k)] = _field_value(v)
    ts = now_ns
    if len(sections) == 3:
        ts = int(sections[2]) * precision_ns
    return measurement, tags, fields, ts


# ---------------------------------------------------------------- query language
TOKEN_RE = re.compile(r"""
    \s*(?:
      (?P<str>'(?:[^'\\]|\\.)*')
    | (?P<qid>"(?:[^"\\]|\\.)*")
    | (?P<dur>\d+(?:ns|ms|us|µ|u|s|m|h|d|w)\b)
    | (?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
    | (?P<op>=~|!~|<>|!=|>=|<=|=|<|>|\(|\)|,|\*|\+|-|/|;|\.)
    | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
    )""", re.X)


def tokenize(text):
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError("error parsing query: found %s, expected statement" % text[pos:pos + 10])
        pos = m.end()
        kind = m.lastgroup
        val = m.group(kind)
        if kind == "str":
            val = val[1:-1].replace("\\'", "'")
        elif kind == "qid":
            kind, val = "id", val[1:-1].replace('\\"', '"')
        out.append((kind, val))
    return out


class Parser:
    def __init__(self, tokens):
        self.t = tokens
        self.i = 0

    def peek(self, k=0):
        return self.t[self.i + k] if self.i + k < len(self.t) else (None, None)

    def kw(self, *words):
        for n, w in enumerate(words):
            kind, val = self.peek(n)
            if kind != "id" or val.upper() != w:
                return False
        self.i += len(words)
        return True

    def expect_kw(self, *words):
        if not self.kw(*words):
            raise QueryError("error parsing query: expected %s" % " ".join(words))

    def op(self, value):
        kind, val = self.peek()
        if kind == "op" and val == value:
            self.i += 1
            return True
        return False

    def ident(self):
        kind, val = self.peek()
        if kind not in ("id", "str"):
            raise QueryError("error parsing query: expected identifier, found %s" % val)
        self.i += 1
        return val

    def done(self):
        return self.i >= len(self.t)

    # WHERE expressions --------------------------------------------------
    def expr(self):
        left = self.conj()
        while self.kw("OR"):
            right = self.conj()
            left = ("or", left, right)
        return left

    def conj(self):
        left = self.cmp()
        while self.kw("AND"):
            right = self.cmp()
            left = ("and", left, right)
        return left

    def cmp(self):
        if self.op("("):
            e = self.expr()
            if not self.op(")"):
                raise QueryError("error parsing query: expected )")
            return e
        lhs = self.operand()
        kind, val = self.peek()
        if kind != "op" or val not in ("=", "!=", "<>", "<", ">", "<=", ">="):
            raise QueryError("error parsing query: expected comparison operator, found %s" % val)
        self.i += 1
        rhs = self.operand()
        return ("cmp", val, lhs, rhs)

    def operand(self):
        kind, val = self.peek()
        if kind == "id" and val.lower() == "now" and self.peek(1) == ("op", "("):
            self.i += 3  # now ( )
            value = ("lit", time.time_ns())
        elif kind == "id":
            self.i += 1
            value = ("ref", val)
        elif kind == "str":
            self.i += 1
            value = ("lit", val)
        elif kind == "num":
            self.i += 1
            value = ("lit", float(val))
        elif kind == "dur":
            self.i += 1
            value = ("lit", parse_duration(val))
        else:
            raise QueryError("error parsing query: unexpected %s" % val)
        while True:
            kind, val = self.peek()
            if kind == "op" and val in ("+", "-"):
                self.i += 1
                rhs = self.operand()
                value = ("arith", val, value, rhs)
            else:
                return value


def parse_duration(text):
    m = re.fullmatch(r"(\d+)(ns|ms|us|µ|u|s|m|h|d|w)", text)
    unit = m.group(2)
    return int(m.group(1)) * DURATION_NS["u" if unit == "us" else unit]


def parse_time_literal(v):
    if isinstance(v, (int, float)):
        return int(v)
    s = v.strip()
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?", s)
    if not m:
        raise QueryError("invalid time %r" % v)
    base = datetime.fromisoformat(m.group(1) + "T" + (m.group(2) or "00:00:00"))
    tz = m.group(4) or "Z"
    if tz == "Z":
        base = base.replace(tzinfo=timezone.utc)
    else:
        base = datetime.fromisoformat(base.isoformat() + tz)
    frac = int((m.group(3) or "0").ljust(9, "0"))
    return int(base.timestamp()) * 10**9 + frac


def evaluate(node, row):
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "ref":
        return row.get(node[1])
    if kind == "arith":
        a, b = evaluate(node[2], row), evaluate(node[3], row)
        if a is None or b is None:
            return None
        return a + b if node[1] == "+" else a - b
    if kind == "and":
        return evaluate(node[1], row) and evaluate(node[2], row)
    if kind == "or":
        return evaluate(node[1], row) or evaluate(node[2], row)
    if kind == "cmp":
        op, lhs, rhs = node[1], node[2], node[3]
        a, b = evaluate(lhs, row), evaluate(rhs, row)
        is_time = any(n[0] == "ref" and n[1] == "time" for n in (lhs, rhs))
        if is_time:
            a, b = parse_time_literal(a), parse_time_literal(b)
        if a is None or b is None:
            return op in ("!=", "<>") and (a is not None or b is not None)
        if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) != isinstance(b, str):
            a, b = str(a), str(b)
        try:
            return {"=": a == b, "!=": a != b, "<>": a != b, "<": a < b, ">": a > b,
                    "<=": a <= b, ">=": a >= b}[op]
        except TypeError:
            return False
    raise QueryError("bad expression")


AGGREGATES = ("count", "mean", "sum", "min", "max", "first", "last", "median", "spread", "distinct")


def parse_select(p):
    items = []  # (kind, name, arg, alias) with kind "*", "col" or "fn"
    while True:
        if p.op("*"):
            items.append(("*", None, None, None))
        else:
            name = p.ident()
            kind, arg = "col", None
            if p.op("("):
                arg = "*" if p.op("*") else p.ident()
                if not p.op(")"):
                    raise QueryError("error parsing query: expected )")
                if name.lower() not in AGGREGATES:
                    raise QueryError("undefined function %s()" % name)
                kind, name = "fn", name.lower()
            alias = p.ident() if p.kw("AS") else None
            items.append((kind, name, arg, alias))
        if not p.op(","):
            break
    p.expect_kw("FROM")
    parts = [p.ident()]
    while p.op("."):
        parts.append(p.ident() if p.peek()[0] in ("id", "str") else "")
    db = parts[0] if len(parts) == 3 else None
    measurement = parts[-1]
    where = None
    if p.kw("WHERE"):
        where = p.expr()
    if p.kw("GROUP", "BY"):
        raise QueryError("GROUP BY is not supported by the localflow influxdb stand-in")
    desc = False
    if p.kw("ORDER", "BY"):
        p.ident()
        if p.kw("DESC"):
            desc = True
        else:
            p.kw("ASC")
    limit = None
    if p.kw("LIMIT"):
        kind, val = p.peek()
        if kind != "num":
            raise QueryError("error parsing query: expected number after LIMIT")
        p.i += 1
        limit = int(float(val))
    if not p.done():
        raise QueryError("error parsing query: found %s, expected end of statement" % p.peek()[1])
    return items, db, measurement, where, desc, limit


def format_time(ns, epoch):
    if epoch:
        return ns // PRECISION_NS.get(epoch, 1)
    secs, frac = divmod(ns, 10**9)
    s = datetime.fromtimestamp(secs, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        s += "." + ("%09d" % frac).rstrip("0")
    return s + "Z"


def json_number(v):
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


def run_select(items, db, measurement, where, desc, limit, epoch):
    with LOCK:
        if db not in DATABASES:
            raise QueryError("database not found: %s" % db)
        points = list(DATABASES[db].get(measurement, {}).values())
    rows = []
    tag_keys, field_keys = set(), set()
    for tags, fields, ts in points:
        row = dict(tags)
        row.update(fields)
        row["time"] = ts
        if where is not None and not evaluate(where, row):
            continue
        rows.append(row)
        tag_keys.update(tags)
        field_keys.update(fields)
    rows.sort(key=lambda r: r["time"], reverse=desc)
    if not rows:
        return None
    if any(i[0] == "fn" for i in items):
        columns, values = ["time"], []
        when = 0
        for kind, name, arg, alias in items:
            if kind != "fn":
                raise QueryError("mixing aggregate and non-aggregate queries is not supported")
            keys = sorted(field_keys) if arg == "*" else [arg]
            for key in keys:
                data = [(r["time"], r[key]) for r in rows if r.get(key) is not None]
                nums = [v for _, v in data if isinstance(v, (int, float)) and not isinstance(v, bool)]
                columns.append(alias or (name if arg != "*" else "%s_%s" % (name, key)))
                if name == "count":
                    values.append(len(data))
                elif name == "distinct":
                    values.append(sorted({v for _, v in data}, key=str)[0] if data else None)
                elif not data:
                    values.append(None)
                elif name == "first":
                    when, v = min(data, key=lambda d: d[0])
                    values.append(v)
                elif name == "last":
                    when, v = max(data, key=lambda d: d[0])
                    values.append(v)
                elif name in ("min", "max"):
                    pick = min if name == "min" else max
                    when, v = pick(((t, v) for t, v in data if v in nums), key=lambda d: d[1])
                    values.append(v)
                elif name == "sum":
                    values.append(sum(nums))
                elif name == "mean":
                    values.append(sum(nums) / len(nums) if nums else None)
                elif name == "median":
                    s = sorted(nums)
                    mid = len(s) // 2
                    values.append(s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2)
                elif name == "spread":
                    values.append(max(nums) - min(nums))
        if len(items) > 1 or items[0][1] not in ("first", "last", "min", "max"):
            when = 0
        return {"name": measurement, "columns": columns,
                "values": [[format_time(when, epoch)] + [json_number(v) for v in values]]}
    columns, keys = ["time"], []
    for kind, name, arg, alias in items:
        if kind == "*":
            keys.extend(sorted(tag_keys | field_keys))
            columns.extend(sorted(tag_keys | field_keys))
        elif name != "time":
            keys.append(name)
            columns.append(alias or name)
    if limit is not None:
        rows = rows[:limit]
    values = [[format_time(r["time"], epoch)] + [json_number(r.get(k)) for k in keys]
              for r in rows]
    return {"name": measurement, "columns": columns, "values": values}


def run_statement(text, db, epoch):
    p = Parser(tokenize(text))
    if p.kw("CREATE", "DATABASE"):
        name = p.ident()
        with LOCK:
            DATABASES.setdefault(name, {})
        return {}
    if p.kw("DROP", "DATABASE"):
        name = p.ident()
        with LOCK:
            DATABASES.pop(name, None)
        return {}
    if p.kw("SHOW", "DATABASES"):
        with LOCK:
            names = sorted(DATABASES)
        return {"series": [{"name": "databases", "columns": ["name"],
                            "values": [[n] for n in names]}]}
    if p.kw("SHOW", "MEASUREMENTS"):
        with LOCK:
            if db not in DATABASES:
                raise QueryError("database not found: %s" % db)
            names = sorted(m for m, pts in DATABASES[db].items() if pts)
        if not names:
            return {}
        return {"series": [{"name": "measurements", "columns": ["name"],
                            "values": [[n] for n in names]}]}
    if p.kw("DROP", "MEASUREMENT"):
        name = p.ident()
        with LOCK:
            if db not in DATABASES:
                raise QueryError("database not found: %s" % db)
            DATABASES[db].pop(name, None)
        return {}
    if p.kw("SELECT"):
        items, qdb, measurement, where, desc, limit = parse_select(p)
        qdb = qdb or db
        if not qdb:
            raise QueryError("database name required")
        series = run_select(items, qdb, measurement, where, desc, limit, epoch)
        return {"series": [series]} if series else {}
    raise QueryError("error parsing query: found %s, expected SELECT, CREATE, DROP, SHOW"
                     % (p.peek()[1] or "EOF"))


def split_statements(q):
    out, cur, quote = [], [], None
    for c in q:
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == ";":
            out.append("".join(cur))
            cur = []
            continue
        cur.append(c)
    out.append("".join(cur))
    return [s.strip() for s in out if s.strip()]


# ---------------------------------------------------------------- HTTP
class Handler(BaseHTTPRequestHandler):
    server_version = "InfluxDB-localflow-stand-in/" + VERSION
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def _send(self, code, body=b"", ctype="application/json", head_only=False):
        self.send_response(code)
        self.send_header("X-Influxdb-Version", VERSION)
        self.send_header("Request-Id", "%x" % time.time_ns())
        if code != 204:
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Content-Length", "0")
        self.end_headers()
        if body and code != 204 and not head_only:
            self.wfile.write(body)

    def _json(self, code, obj, pretty=False):
        text = json.dumps(obj, indent=4 if pretty else None,
                          separators=None if pretty else (",", ":"), ensure_ascii=False)
        self._send(code, (text + "\n").encode())

    def _params(self, body):
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if body and url.path == "/query" and ctype in ("", "application/x-www-form-urlencoded"):
            form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
            params.update({k: v[-1] for k, v in form.items()})
        return url.path, params

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_HEAD(self):
        path, params = self._params(b"")
        if path == "/ping":
            self._send(204)
        else:
            self._send(404, b"404 page not found\n", "text/plain", head_only=True)

    def do_GET(self):
        self._dispatch(b"")

    def do_POST(self):
        self._dispatch(self._body())

    def _dispatch(self, body):
        path, params = self._params(body)
        if path == "/ping":
            if params.get("verbose") in ("true", "1"):
                self._json(200, {"version": VERSION})
            else:
                self._send(204)
        elif path == "/query":
            self._query(params)
        elif path == "/write" and self.command == "POST":
            self._write(params, body)
        else:
            self._send(404, b"404 page not found\n", "text/plain")

    def _query(self, params):
        pretty = params.get("pretty") in ("true", "1")
        q = params.get("q")
        if not q:
            return self._json(400, {"error": 'missing required parameter "q"'}, pretty)
        statements = split_statements(q)
        try:
            for stmt in statements:  # a token error anywhere -> 400, as InfluxDB does
                tokenize(stmt)
        except QueryError as e:
            return self._json(400, {"error": str(e)}, pretty)
        results = []
        for n, stmt in enumerate(statements):
            entry = {"statement_id": n}
            try:
                entry.update(run_statement(stmt, params.get("db"), params.get("epoch")))
            except QueryError as e:
                if str(e).startswith("error parsing query"):
                    return self._json(400, {"error": str(e)}, pretty)
                entry["error"] = str(e)
            results.append(entry)
        self._json(200, {"results": results}, pretty)

    def _write(self, params, body):
        db = params.get("db")
        if not db:
            return self._json(400, {"error": "database is required"})
        with LOCK:
            known = db in DATABASES
        if not known:
            return self._json(404, {"error": 'database not found: "%s"' % db})
        precision = PRECISION_NS.get(params.get("precision") or "n")
        if precision is None:
            return self._json(400, {"error": "invalid precision"})
        now = time.time_ns()
        parsed = []
        for line in body.decode("utf-8", "replace").splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                parsed.append(parse_line(line, precision, now))
            except (ValueError, IndexError) as e:
                return self._json(400, {"error": "unable to parse '%s': %s" % (line, e)})
        with LOCK:
            data = DATABASES.setdefault(db, {})
            for measurement, tags, fields, ts in parsed:
                key = (tuple(sorted(tags.items())), ts)
                points = data.setdefault(measurement, {})
                if key in points:
                    old = points[key]
                    merged = dict(old[1])
                    merged.update(fields)
                    points[key] = (tags, merged, ts)
                else:
                    points[key] = (tags, fields, ts)
        self._send(204)

    def log_message(self, fmt, *args):
        pass

    def log_request(self, code="-", size="-"):
        ts = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
        sys.stderr.write('[httpd] %s - - [%s] "%s" %s %s\n'
                         % (self.client_address[0], ts, self.requestline, code, size))
        sys.stderr.flush()


def _stop(signum, frame):
    raise SystemExit(0)


def main(argv):
    if argv and argv[0] == "version":
        print("InfluxDB v%s (git: localflow stand-in)" % VERSION)
        return 0
    if argv and argv[0] == "config":
        print('[http]\n  enabled = true\n  bind-address = ":8086"')
        return 0
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        signal.signal(sig, _stop)
    port = int(os.environ.get("INFLUXDB_STUB_PORT", "8086"))
    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.daemon_threads = True
    httpd = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    sys.stderr.write("InfluxDB stand-in (localflow) v%s listening on port %d\n" % (VERSION, port))
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
