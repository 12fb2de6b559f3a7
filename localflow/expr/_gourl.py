"""Go's net/url as sprig's `urlParse` and `urlJoin` use it: url.Parse, Hostname, User.String
and URL.String, with Go's escaping rules (bytes, upper-case hex)."""

from __future__ import annotations

import re
from typing import Any

from localflow.errors import ExprError

PATH, HOST, USER, QUERY, FRAGMENT = "path", "host", "user", "query", "fragment"
_ALNUM = re.compile(r"[A-Za-z0-9]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*$")


def _should_escape(c: str, mode: str) -> bool:
    """net/url's shouldEscape, for one ASCII byte."""
    if _ALNUM.match(c):
        return False
    if mode == HOST and c in "!$&'()*+,;=:[]<>\"":
        return False
    if c in "-_.~":
        return False
    if c in "$&+,/:;=?@":
        return {PATH: c == "?", USER: c in "@/?:", QUERY: True, FRAGMENT: False}.get(mode, True)
    return not (mode == FRAGMENT and c in "!()*")


def escape(s: str, mode: str) -> str:
    out = []
    for b in s.encode("utf-8", "surrogateescape"):
        c = chr(b)
        if b < 0x80 and not _should_escape(c, mode):
            out.append(c)
        elif c == " " and mode == QUERY:
            out.append("+")
        else:
            out.append(f"%{b:02X}")
    return "".join(out)


def unescape(s: str, mode: str) -> str:
    raw = s.encode("utf-8", "surrogateescape")
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == 0x25:  # %
            digits = raw[i + 1 : i + 3].decode("latin-1")
            if len(digits) < 2 or not all(d in "0123456789abcdefABCDEF" for d in digits):
                raise ExprError(f'invalid URL escape "{raw[i:i + 3].decode("latin-1")}"')
            out.append(int(digits, 16))
            i += 3
            continue
        if mode == HOST and c < 0x80 and _should_escape(chr(c), HOST):
            raise ExprError(f"invalid character {chr(c)!r} in host name")
        out.append(0x20 if c == 0x2B and mode == QUERY else c)
        i += 1
    return out.decode("utf-8", "surrogateescape")


def _check_port(host: str) -> None:
    """parseHost's check: what follows the last colon (after `]` for IPv6) is a port."""
    tail = host[host.rfind("]") + 1 :] if host.startswith("[") else host
    colon = tail.rfind(":")
    if colon != -1 and not re.fullmatch(r":[0-9]*", tail[colon:]):
        raise ExprError(f'invalid port "{tail[colon:]}" after host')


def _split_host_port(host: str) -> str:
    """URL.Hostname: the host without port and brackets."""
    colon = host.rfind(":")
    if colon != -1 and re.fullmatch(r":[0-9]*", host[colon:]):
        host = host[:colon]
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host


def parse(raw: str) -> dict[str, Any]:
    """url.Parse, as the fields sprig's urlParse returns."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        raise ExprError(f'parse "{raw}": net/url: invalid control character in URL')
    rest, _, frag = raw.partition("#")
    scheme = ""
    m = re.match(r"^([^:/?#]*):", rest)
    if m and _SCHEME.match(m.group(1)):
        scheme, rest = m.group(1).lower(), rest[m.end() :]
    elif m and m.group(1) == "":
        raise ExprError(f'parse "{raw}": missing protocol scheme')
    query = ""
    if rest.endswith("?") and rest.count("?") == 1:
        rest = rest[:-1]
    else:
        rest, _, query = rest.partition("?")
    url = {"scheme": scheme, "opaque": "", "userinfo": "", "host": "", "hostname": "", "path": "",
           "query": query, "fragment": unescape(frag, FRAGMENT)}
    if not rest.startswith("/") and scheme:
        url["opaque"] = rest
        return url
    if not rest.startswith("/") and ":" in rest.split("/", 1)[0]:
        raise ExprError(f'parse "{raw}": first path segment in URL cannot contain colon')
    if rest.startswith("//") and (scheme or not rest.startswith("///")):
        authority, slash, path = rest[2:].partition("/")
        rest = slash + path
        user, at, host = authority.rpartition("@")
        if at:
            name, colon, password = user.partition(":")
            url["userinfo"] = escape(unescape(name, USER), USER) + (
                ":" + escape(unescape(password, USER), USER) if colon else "")
        _check_port(host)
        url["host"] = unescape(host, HOST)
    url["path"] = unescape(rest, PATH)
    url["hostname"] = _split_host_port(url["host"])
    return url


def _text(d: Any, key: str) -> str:
    value = d.get(key, "") if isinstance(d, dict) else ""
    if not isinstance(value, str):
        raise ExprError(f"unable to parse {key} key, must be of type string")
    return value


def join(d: Any) -> str:
    """url.URL{...}.String() of sprig's urlJoin dict."""
    scheme, host, path, query, opaque, fragment, userinfo = (
        _text(d, k) for k in ("scheme", "host", "path", "query", "opaque", "fragment", "userinfo"))
    user = parse(f"proto://{userinfo}@host")["userinfo"] if userinfo else None
    out = scheme + ":" if scheme else ""
    if opaque:
        out += opaque
    else:
        if scheme or host or user is not None:
            if host or path or user is not None:
                out += "//"
            out += user + "@" if user is not None else ""
            out += escape(host, HOST)
        escaped = path if path == "*" else escape(path, PATH)
        if escaped and escaped[0] != "/" and host:
            out += "/"
        if not out and ":" in escaped.split("/", 1)[0]:
            out += "./"
        out += escaped
    out += "?" + query if query else ""
    return out + ("#" + escape(fragment, FRAGMENT) if fragment else "")
