"""Python's cyclic garbage collector during a run (and while the recorder writes its final nodes).

A run builds a large graph of objects that live as long as it does (the loaded spec, a node per
step). CPython's full collections walk all of them, and the bigger the graph, the more often and the
longer they walk: with the default thresholds a 100,000-task DAG spent 2.7 s of its 10 s in four full
collections (10,000 tasks: 0.07 s), the one part of the engine that grew faster than the run.
During a run the objects that exist before it (spec, modules) are frozen out of the collector's
walks (`gc.freeze`), young collections run every 20,000 allocations instead of 700 and the middle
generation's every 100 young ones instead of 10 (at 10 its collections were two thirds of what was left:
0.44 of 0.71 s for 100,000 tasks; measured with gc.callbacks); the oldest generation keeps its
threshold, so cyclic garbage is still collected. All is restored after the run."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

YOUNG_THRESHOLD, MIDDLE_THRESHOLD = 20_000, 100
_depth = [0]  # runs inside runs (child workflows): only the outermost one tunes and restores


@contextlib.contextmanager
def tuned_collector() -> Iterator[None]:
    if _depth[0]:
        _depth[0] += 1
        try:
            yield
        finally:
            _depth[0] -= 1
        return
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(old[0], YOUNG_THRESHOLD), max(old[1], MIDDLE_THRESHOLD), old[2])
    _depth[0] = 1
    try:
        yield
    finally:
        _depth[0] = 0
        gc.set_threshold(*old)
        gc.unfreeze()
