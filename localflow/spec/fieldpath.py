"""How lint names a place and a near miss in its one-line messages: field paths
(`spec.templates[0].steps[1][0].when`, `join`) and the "did you mean" hint (`suggest`)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def join(path: str, tail: str) -> str:
    """`path` and `tail` as one field path: `a` + `b` is `a.b`, `a` + `[0]` is `a[0]`; either may be empty."""
    if not path:
        return tail
    if not tail:
        return path
    return path + tail if tail.startswith("[") else f"{path}.{tail}"


def suggest(name: str, candidates: Iterable[str | None]) -> str:
    """` (did you mean "x"?)` for the closest candidate, or ""."""
    close = difflib.get_close_matches(name, [c for c in candidates if c], n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""
