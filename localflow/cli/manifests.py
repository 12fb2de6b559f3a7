"""Reading Kubernetes manifests from files (or `-` for stdin) for `apply -f`, `template create` and
`cron create`: every document as a mapping, with where it came from."""

from __future__ import annotations

import os
import sys
from typing import Any

from localflow.errors import SpecError


def read_text(path: str) -> tuple[str, str]:
    """(text, the name to show in messages)."""
    if path == "-":
        return sys.stdin.read(), "<stdin>"
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read(), os.path.basename(path)
    except OSError as e:
        raise SpecError(e.strerror or str(e), file=path) from None


def read_documents(paths: list[str]) -> list[tuple[dict[str, Any], str]]:
    """Every non-empty document of the files: (mapping, file name). A document that is not a
    mapping is an error naming its file."""
    from localflow.spec.yamlgo import load_all
    out = []
    for path in paths:
        text, where = read_text(path)
        for doc in load_all(text, where):
            if doc is None:
                continue
            if not isinstance(doc, dict):
                raise SpecError("expected a Kubernetes object (a mapping)", file=where)
            out.append((doc, where))
    return out


def check_argo_documents(docs: list[tuple[dict[str, Any], str]], strict: bool = True) -> Any:
    """The Argo documents among `docs` decoded and validated as `argo lint` checks them, templateRefs
    resolved in the documents and the installed templates: one Bundle (a bad field raises a
    SpecError naming the file and field)."""
    import json

    from localflow.spec.load import ARGO_KINDS, Bundle, load_text, merge
    from localflow.spec.validate import validate_bundle
    from localflow.store.templates import add_stored
    bundles = [load_text(json.dumps(doc), where, strict) for doc, where in docs if doc.get("kind") in ARGO_KINDS]
    if not bundles:
        return Bundle()
    pool = add_stored(merge(bundles))
    for b in bundles:
        validate_bundle(b, file=b.file, templates=pool)
    return merge(bundles)
