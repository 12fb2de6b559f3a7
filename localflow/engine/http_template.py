"""`http` templates, as Argo's agent runs them: one request from localflow itself; the body is the result."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from localflow.errors import LocalflowError
from localflow.spec import model as M

from . import nodes as N
from .buckets import ensure_named_bucket

if TYPE_CHECKING:
    from .executor import TemplateJob
    from .interfaces import RunContext


def _headers(run: RunContext, http: M.HTTP) -> dict[str, str]:
    out = {}
    for h in http.headers or []:
        vf = getattr(h, "value_from", None)
        ref = getattr(vf, "secret_key_ref", None) if vf is not None else None
        out[h.name] = run.resources.secret_key(ref.name, ref.key).decode() if ref is not None else (h.value or "")
    return out


def _request(method: str, url: str, headers: dict, body: bytes | None, timeout: float | None, verify: bool
             ) -> tuple[int, str, dict]:
    import requests
    r = requests.request(method, url, headers=headers, data=body, timeout=timeout, verify=verify)
    return r.status_code, r.text, {k: [v] for k, v in r.headers.items()}


async def execute_http(job: TemplateJob) -> None:
    run, node, tmpl = job.run, job.node, job.tmpl
    import requests
    http = tmpl.http
    method = (http.method or "GET").upper()
    body: bytes | None = None
    if http.body:
        body = http.body.encode()
    elif getattr(http, "body_from", None) is not None and http.body_from.bytes:
        import base64
        body = base64.b64decode(http.body_from.bytes)
    try:
        headers = _headers(run, http)
        timeout = float(http.timeout_seconds) if http.timeout_seconds else None
        status, text, resp_headers = await asyncio.get_running_loop().run_in_executor(
            None, _request, method, http.url, headers, body, timeout, not bool(http.insecure_skip_verify))
    except requests.RequestException as e:
        run.finish(node, N.FAILED, f"{method} {http.url}: {str(e).splitlines()[0][:300]}")
        return
    except LocalflowError as e:
        run.finish(node, N.ERROR, str(e))
        return
    node.outputs = {"result": text}
    if not http.success_condition:
        if 200 <= status < 300:
            run.finish(node, N.SUCCEEDED)
        else:
            run.finish(node, N.FAILED, f"received non-2xx response code: {status}")
        return
    env: dict[str, Any] = {
        "request": {"method": method, "url": http.url, "body": http.body or "", "headers": headers},
        "response": {"statusCode": status, "body": text, "headers": resp_headers},
    }
    from localflow.expr.exprlang import evaluate
    try:
        ok = evaluate(http.success_condition, env)
    except LocalflowError as e:
        run.finish(node, N.FAILED, str(e))
        return
    if ok is True:
        run.finish(node, N.SUCCEEDED)
    else:
        run.finish(node, N.FAILED, f"successCondition '{http.success_condition}' evaluated false")


async def execute_data(job: TemplateJob) -> None:
    """`data` templates: list the keys under an artifact location, then apply each expression to `data`."""
    run, node, tmpl = job.run, job.node, job.tmpl
    import json

    from localflow.expr.exprlang import evaluate
    src = tmpl.data.source.artifact_paths if tmpl.data.source is not None else None
    if src is None or src.s3 is None:
        run.finish(node, N.ERROR, "data templates: only an s3 artifactPaths source is supported")
        return
    store = run.artifacts_flow.repository
    if store is None:
        run.finish(node, N.ERROR, "data templates need an artifact repository")
        return
    s3 = M.to_dict(src.s3)
    try:
        repo = store.repo_for(s3)
        await asyncio.get_running_loop().run_in_executor(None, ensure_named_bucket, store, run.spec, repo)
        prefix = (s3.get("key") or "").strip("/")
        keys = await asyncio.get_running_loop().run_in_executor(
            None, lambda: [o.key for o in repo.list_objects(prefix + "/" if prefix else "")])
        data: Any = keys
        for step in tmpl.data.transformation:
            data = evaluate(step.expression or "data", {"data": data})
    except LocalflowError as e:
        run.finish(node, N.ERROR, str(e))
        return
    node.outputs = {"result": data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))}
    run.finish(node, N.SUCCEEDED)
