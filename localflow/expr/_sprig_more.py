"""More of sprig v3.3.0's function map: goutils' word functions (wrap, swapcase, abbrevboth,
untitle), xstrings' case conversions, durationRound, semver, the `os*` path functions
(filepath on Linux is path) and shuffle. Go's byte-oriented loops work on UTF-8 bytes here too."""

from __future__ import annotations

import random
import socket
from collections.abc import Callable
from typing import Any

from localflow.errors import ExprError
from localflow.expr import _gourl, _semver, _xstrings, gotime
from localflow.expr._gofmt import Int64
from localflow.expr._sprig_base import _i, _s

_ELLIPSIS = "..."


def _abbreviate_full(s: str, offset: int, width: int) -> str:
    """goutils.AbbreviateFull (on bytes, as Go slices strings)."""
    if not s or width < 4:
        return s if width >= 4 else ""
    if len(s) <= width:
        return s
    offset = min(offset, len(s))
    if len(s) - offset < width - 3:
        offset = len(s) - (width - 3)
    if offset <= 4:
        return s[: width - 3] + _ELLIPSIS
    if width < 7:
        return ""
    if offset + width - 3 < len(s):
        return _ELLIPSIS + _abbreviate_full(s[offset:], 0, width - 3)
    return _ELLIPSIS + s[len(s) - (width - 3) :]


def abbrevboth(left: Any, right: Any, s: Any) -> str:
    lo, hi, text = _i(left), _i(right), _s(s)
    if hi < 4 or lo > 0 and hi < 7:
        return text
    raw = text.encode("utf-8", "surrogatepass")
    return _abbreviate_full(raw.decode("latin-1"), lo, hi).encode("latin-1").decode("utf-8", "replace")


def wrap_custom(s: str, width: int, newline: str, long_words: bool) -> str:
    """goutils.WrapCustom: break at spaces before `width` columns (bytes)."""
    if not s:
        return ""
    newline = newline or "\n"
    width = max(width, 1)
    text = s.encode("utf-8", "surrogatepass").decode("latin-1")
    out: list[str] = []
    offset = 0
    while len(text) - offset > width:
        if text[offset] == " ":
            offset += 1
            continue
        space = text.rfind(" ", offset, width + offset + 1)
        if space >= offset:
            out += [text[offset:space], newline]
            offset = space + 1
        elif long_words:
            out += [text[offset : offset + width], newline]
            offset += width
        else:
            space = text.find(" ", offset + width)
            if space >= 0:
                out += [text[offset:space], newline]
                offset = space + 1
            else:
                out.append(text[offset:])
                offset = len(text)
    out.append(text[offset:])
    return "".join(out).encode("latin-1").decode("utf-8", "replace")


def _is_go_space(ch: str) -> bool:
    return ch.isspace() or ch in "\x85\xa0"


def swapcase(s: Any) -> str:
    """goutils.SwapCase: upper and title to lower, a lower after a space (or first) to title,
    any other lower to upper."""
    out = []
    after_space = True
    for ch in _s(s):
        if ch.isupper() or ch.istitle():
            out.append(ch.lower())
            after_space = False
        elif ch.islower():
            out.append(ch.title() if after_space else ch.upper())
            after_space = False
        else:
            out.append(ch)
            after_space = _is_go_space(ch)
    return "".join(out)


def untitle(s: Any) -> str:
    """goutils.Uncapitalize: the first letter of every space-separated word to lower case."""
    out = []
    next_word = True
    for ch in _s(s):
        if _is_go_space(ch):
            next_word = True
        elif next_word:
            ch, next_word = ch.lower(), False
        out.append(ch)
    return "".join(out)


_DAY = 24 * 3600 * 10**9
_ROUND_UNITS = ((365 * _DAY, "y"), (30 * _DAY, "mo"), (_DAY, "d"), (3600 * 10**9, "h"),
                (60 * 10**9, "m"), (10**9, "s"))


def duration_round(d: Any) -> str:
    """sprig's durationRound: the largest whole unit (y, mo, d, h, m, s) of a duration."""
    ns = 0
    if isinstance(d, str):
        try:
            ns = gotime.parse_duration(d)
        except Exception:  # noqa: BLE001 - sprig ignores ParseDuration's error (0s)
            ns = 0
    elif isinstance(d, Int64):
        ns = int(d)
    elif hasattr(d, "astimezone"):
        import datetime as _dt

        ns = int((_dt.datetime.now(_dt.timezone.utc) - d).total_seconds() * 10**9)
    u = abs(ns)
    for size, unit in _ROUND_UNITS:
        if u > size:
            return f"{u // size}{unit}"
    return "0s"


def get_host_by_name(name: Any) -> str:
    """One of the addresses of `name`, at random (looked up here, where Argo's controller would
    look it up in its cluster); none panics in Go, an error here."""
    try:
        addresses = sorted({info[4][0] for info in socket.getaddrinfo(_s(name), None)})
    except OSError:
        addresses = []
    if not addresses:
        raise ExprError("runtime error: invalid argument to Intn")
    return random.choice(addresses)


def shuffle(s: Any) -> str:
    chars = list(_s(s))
    random.shuffle(chars)
    return "".join(chars)


MORE: dict[str, Callable[..., Any]] = {
    "abbrevboth": abbrevboth,
    "wrap": lambda width, s: wrap_custom(_s(s), _i(width), "", False),
    "wrapWith": lambda width, sep, s: wrap_custom(_s(s), _i(width), _s(sep), True),
    "swapcase": swapcase,
    "untitle": untitle,
    "shuffle": shuffle,
    "snakecase": lambda s: _xstrings.camel_to_lower(_s(s), "_"),
    "kebabcase": lambda s: _xstrings.camel_to_lower(_s(s), "-"),
    "camelcase": lambda s: _xstrings.to_camel_case(_s(s)),
    "durationRound": duration_round,
    "semver": _semver.semver,
    "semverCompare": _semver.semver_compare,
    "urlParse": lambda v: _gourl.parse(_s(v)),
    "urlJoin": _gourl.join,
    "getHostByName": get_host_by_name,
}

#: filepath's functions are path's on Linux, where Argo's controller runs
OS_PATH_ALIASES = {"osBase": "base", "osClean": "clean", "osDir": "dir", "osExt": "ext", "osIsAbs": "isAbs"}
