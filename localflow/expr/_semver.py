"""Masterminds/semver v3.3.0 (sprig's `semver` and `semverCompare`): versions and constraints.

`semver('1.2')` coerces (1.2.0); a constraint is `||`-separated groups of comma- or
space-separated comparisons (`=`, `!=`, `>`, `<`, `>=`, `<=`, `~`, `~>`, `^`), with `x`/`*`
wildcards and `A - B` ranges. A pre-release version only satisfies comparisons that name a
pre-release themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from localflow.errors import ExprError
from localflow.expr._gofmt import Int64, Uint64

_VERSION = (r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?"
            r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
            r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?")
_CV = (r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?"
       r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
       r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?")
_OPS = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^"
_VERSION_RE = re.compile(f"^{_VERSION}$")
_CONSTRAINT_RE = re.compile(rf"^\s*({_OPS})\s*({_CV})\s*$")
_RANGE_RE = re.compile(rf"\s*({_CV})\s+-\s+({_CV})\s*")
_FIND_RE = re.compile(rf"({_OPS})\s*({_CV})")
_VALID_RE = re.compile(rf"^(\s*({_OPS})\s*({_CV})\s*)((?:\s+|,\s*)({_OPS})\s*({_CV})\s*)*$")
_ALLOWED = re.compile(r"^[0-9A-Za-z\-]*$")
_UINT64_MAX = 2**64 - 1


class Version:
    """A *semver.Version."""

    go_type = "*semver.Version"

    def __init__(self, major: int, minor: int, patch: int, pre: str, metadata: str, original: str):
        self.major, self.minor, self.patch = major, minor, patch
        self.pre, self.metadata, self.original = pre, metadata, original

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        text += f"-{self.pre}" if self.pre else ""
        return text + (f"+{self.metadata}" if self.metadata else "")

    def go_marshal(self) -> str:
        return str(self)

    def compare(self, other: Version) -> int:
        for a, b in ((self.major, other.major), (self.minor, other.minor), (self.patch, other.patch)):
            if a != b:
                return -1 if a < b else 1
        if not self.pre or not other.pre:
            return (not self.pre) - (not other.pre)
        return _compare_prerelease(self.pre, other.pre)

    @property
    def go_methods(self) -> dict[str, Callable[..., Any]]:
        return {
            "Major": lambda: Uint64(self.major), "Minor": lambda: Uint64(self.minor),
            "Patch": lambda: Uint64(self.patch), "Prerelease": lambda: self.pre,
            "Metadata": lambda: self.metadata, "Original": lambda: self.original, "String": lambda: str(self),
            "Compare": lambda o: Int64(self.compare(_version_arg(o))),
            "LessThan": lambda o: self.compare(_version_arg(o)) < 0,
            "GreaterThan": lambda o: self.compare(_version_arg(o)) > 0,
            "Equal": lambda o: self.compare(_version_arg(o)) == 0,
        }


def _version_arg(v: Any) -> Version:
    if not isinstance(v, Version):
        raise ExprError("cannot use the argument as *semver.Version")
    return v


def _compare_prerelease(a: str, b: str) -> int:
    left, right = a.split("."), b.split(".")
    for i in range(max(len(left), len(right))):
        d = _compare_part(left[i] if i < len(left) else "", right[i] if i < len(right) else "")
        if d:
            return d
    return 0


def _compare_part(s: str, o: str) -> int:
    if s == o:
        return 0
    if not s or not o:
        return -1 if not s else 1
    s_num, o_num = s.isdigit() and s.isascii(), o.isdigit() and o.isascii()
    if not s_num and not o_num:
        return 1 if s > o else -1
    if not o_num:
        return -1
    if not s_num:
        return 1
    return 1 if int(s) > int(o) else -1


def new_version(text: str) -> Version:
    """semver.NewVersion."""
    m = _VERSION_RE.match(str(text))
    if m is None:
        raise ExprError("Invalid Semantic Version")
    parts = [int(m.group(i).lstrip(".")) if m.group(i) else 0 for i in (1, 2, 3)]
    if any(p > _UINT64_MAX for p in parts):
        raise ExprError("Error parsing version segment: value out of range")
    pre, metadata = m.group(5) or "", m.group(8) or ""
    for part in pre.split(".") if pre else ():
        if part.isdigit() and len(part) > 1 and part[0] == "0":
            raise ExprError("Version segment starts with 0")
        if not _ALLOWED.match(part):
            raise ExprError("Invalid Prerelease string")
    return Version(*parts, pre, metadata, str(text))


class _Constraint:
    def __init__(self, text: str):
        m = _CONSTRAINT_RE.match(text)
        if m is None:
            raise ExprError(f"improper constraint: {text}")
        self.op, self.orig = m.group(1), m.group(2)
        major, minor, patch, pre = m.group(3), m.group(4) or "", m.group(5) or "", m.group(6) or ""
        self.dirty = self.minor_dirty = self.patch_dirty = False
        if _is_x(major):
            version, self.dirty = f"0.0.0{pre}", True
        elif not minor or _is_x(minor[1:]):
            version, self.dirty, self.minor_dirty = f"{major}.0.0{pre}", True, True
        elif not patch or _is_x(patch[1:]):
            version, self.dirty, self.patch_dirty = f"{major}{minor}.0{pre}", True, True
        else:
            version = self.orig
        self.con = new_version(version)

    def check(self, v: Version) -> bool:
        if self.op != "!=" and v.pre and not self.con.pre:
            return False  # a pre-release only matches constraints that name one
        return _CHECKS[self.op](self, v)


def _is_x(text: str) -> bool:
    return text in ("x", "X", "*")


def _not_equal(c: _Constraint, v: Version) -> bool:
    if c.dirty:
        if v.pre and not c.con.pre:
            return False
        if c.con.major != v.major:
            return True
        if c.con.minor != v.minor and not c.minor_dirty:
            return True
        if c.minor_dirty:
            return False
        if c.con.patch != v.patch and not c.patch_dirty:
            return True
        if c.patch_dirty:
            return bool((v.pre or c.con.pre) and _compare_prerelease(v.pre, c.con.pre) != 0)
    return v.compare(c.con) != 0


def _greater(c: _Constraint, v: Version) -> bool:
    if not c.dirty:
        return v.compare(c.con) == 1
    if v.major != c.con.major:
        return v.major > c.con.major
    if c.minor_dirty:
        return False
    if c.patch_dirty:
        return v.minor > c.con.minor
    return v.compare(c.con) == 1


def _less_equal(c: _Constraint, v: Version) -> bool:
    if not c.dirty:
        return v.compare(c.con) <= 0
    if v.major > c.con.major:
        return False
    return not (v.major == c.con.major and v.minor > c.con.minor and not c.minor_dirty)


def _tilde(c: _Constraint, v: Version) -> bool:
    if v.compare(c.con) < 0:
        return False
    con = c.con
    if con.major == con.minor == con.patch == 0 and not c.minor_dirty and not c.patch_dirty:
        return True
    return v.major == con.major and (v.minor == con.minor or c.minor_dirty)


def _tilde_or_equal(c: _Constraint, v: Version) -> bool:
    return _tilde(c, v) if c.dirty else v.compare(c.con) == 0


def _caret(c: _Constraint, v: Version) -> bool:
    con = c.con
    if v.compare(con) < 0:
        return False
    if con.major > 0 or c.minor_dirty:
        return v.major == con.major
    if v.major > 0:
        return False
    if con.minor > 0 or c.patch_dirty:
        return v.minor == con.minor
    if v.minor > 0:
        return False
    return con.patch == v.patch


_CHECKS: dict[str, Callable[[_Constraint, Version], bool]] = {
    "": _tilde_or_equal, "=": _tilde_or_equal, "!=": _not_equal,
    ">": _greater, "<": lambda c, v: v.compare(c.con) < 0,
    ">=": lambda c, v: v.compare(c.con) >= 0, "=>": lambda c, v: v.compare(c.con) >= 0,
    "<=": _less_equal, "=<": _less_equal,
    "~": _tilde, "~>": _tilde, "^": _caret,
}


def _constraints(text: str) -> list[list[_Constraint]]:
    for m in _RANGE_RE.finditer(text):
        text = text.replace(m.group(0), f">= {m.group(1)}, <= {m.group(11)} ", 1)
    groups = []
    for part in text.split("||"):
        if not _VALID_RE.match(part):
            raise ExprError(f"improper constraint: {part!r}")
        found = [m.group(0) for m in _FIND_RE.finditer(part)] or [part]
        groups.append([_Constraint(s) for s in found])
    return groups


def semver(text: Any) -> Version:
    return new_version(str(text) if not isinstance(text, str) else text)


def semver_compare(constraint: Any, version: Any) -> bool:
    """sprig's semverCompare: does `version` satisfy `constraint`? (errors for invalid ones)"""
    groups = _constraints(str(constraint))
    v = new_version(str(version))
    return any(all(c.check(v) for c in group) for group in groups)
