"""`retryStrategy`: a Retry node whose children `name(0)`, `name(1)`... are the attempts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from localflow.errors import LocalflowError
from localflow.spec import model as M

from . import nodes as N
from .scope import StepError, render_string

if TYPE_CHECKING:
    from .executor import Executor, TemplateCtx

TRANSIENT_MARKERS = ("exceeded quota", "connection reset", "connection refused", "timeout", "i/o timeout",
                     "EOF", "no such host", "tls handshake", "broken pipe", "transport is closing")


def _int(v: Any, what: str) -> int:
    try:
        return int(str(v).strip())
    except ValueError as e:
        raise StepError(f"retryStrategy.{what}: {v!r} is not an integer") from e


def should_retry(policy: str, phase: str, message: str) -> bool:
    if policy == "Always":
        return phase in N.BAD_PHASES
    if policy == "OnError":
        return phase == N.ERROR
    if policy == "OnTransientError":
        return phase == N.ERROR and any(m.lower() in message.lower() for m in TRANSIENT_MARKERS)
    return phase == N.FAILED  # OnFailure, the default


async def execute_with_retries(ex: Executor, node: N.Node, tmpl: M.Template, tctx: TemplateCtx,
                               values: dict, in_arts: dict, depth: int) -> None:
    run = ex.run
    rs = tmpl.retry_strategy
    limit = _int(rs.limit, "limit") if rs.limit is not None else None
    policy = rs.retry_policy or ("Always" if rs.expression else "OnFailure")
    backoff = rs.backoff
    duration = run.parse_seconds(backoff.duration, "backoff.duration") if backoff and backoff.duration else 0.0
    factor = float(str(backoff.factor)) if backoff and backoff.factor is not None else 1.0
    max_duration = (run.parse_seconds(backoff.max_duration, "backoff.maxDuration")
                    if backoff and backoff.max_duration else None)
    cap = run.parse_seconds(backoff.cap, "backoff.cap") if backoff and getattr(backoff, "cap", None) else None
    first_start = run.clock.monotonic()
    attempt = 0
    while True:
        kind_type = {"steps": N.STEPS, "dag": N.DAG}.get(tmpl.kind, N.POD)
        child = run.new_node(f"{node.name}({attempt})", f"{node.display_name}({attempt})", kind_type,
                             node.template_name, node.boundary_id, node, scope=node.template_scope,
                             ref=node.template_ref)
        child.inputs = node.inputs
        child.retry_attempt = attempt
        run.mark_running(child)
        await ex.execute_kind(child, tmpl, tctx, values, in_arts, depth, attempt=attempt)
        node.outputs = child.outputs
        node.pod_ip = child.pod_ip
        if child.daemoned:
            node.daemoned = True
            node.pod_ip = child.pod_ip
            run.daemon_handles.setdefault(node.id, run.daemon_handles.pop(child.id, None))
            run.changed(node)
            return
        if child.phase == N.SUCCEEDED:
            run.finish(node, N.SUCCEEDED)
            return
        if run.stopping:
            run.finish(node, child.phase, child.message)
            return
        if not should_retry(policy, child.phase, child.message):
            run.finish(node, child.phase, child.message)
            return
        if limit is not None and attempt >= limit:
            run.finish(node, child.phase, "No more retries left")
            return
        if rs.expression:
            last = {"lastRetry.exitCode": (child.outputs or {}).get("exitCode", "-1"),
                    "lastRetry.status": child.phase,
                    "lastRetry.duration": str(int((child.finished_at or 0) - (child.started_at or 0))),
                    "lastRetry.message": child.message}
            env = dict(values)
            env.update(last)
            try:
                from localflow.expr.exprlang import evaluate

                from .scope import expression_env
                ok = evaluate(render_string(rs.expression, env), expression_env(env))
            except LocalflowError as e:
                run.finish(node, N.ERROR, f"retryStrategy.expression: {e}")
                return
            if not ok:
                run.finish(node, child.phase, "retryStrategy.expression evaluated to false")
                return
        wait = duration * (factor ** attempt) if duration else 0.0
        if cap is not None:
            wait = min(wait, cap)
        if max_duration is not None and (run.clock.monotonic() - first_start + wait) > max_duration:
            run.finish(node, child.phase, "Max duration limit exceeded")
            return
        if wait > 0:
            await run.clock.sleep(wait)
        attempt += 1
