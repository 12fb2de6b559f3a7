"""Resource templates: the kinds local_kinds.py models run without a cluster; any other kind runs
with `kubectl` against the current context, as Argo's executor (without kubectl or a current
context the node fails with one line saying what is needed). Conditions and outputs are read from
the object either way.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import shutil
import tempfile
from typing import TYPE_CHECKING, Any

from localflow.expr._lark import lazy_parser
from localflow.spec import model as M

from . import nodes as N
from .scope import StepError

if TYPE_CHECKING:
    from .executor import TemplateJob
    from .interfaces import RunContext

NEEDS_CLUSTER = ("resource templates need a Kubernetes cluster: kubectl on the PATH with a current context "
                 "({why})")

# successCondition / failureCondition: Kubernetes label-selector requirements over JSON paths
_GRAMMAR = r"""
    start: req ("," req)*
    req: PATH OP VALUE           -> compare
       | PATH SETOP "(" VALUE ("," VALUE)* ")" -> member
       | "!" PATH                -> absent
       | PATH                    -> present
    OP: "==" | "!=" | ">=" | "<=" | ">" | "<" | "="
    SETOP: "in" | "notin"
    PATH: /[A-Za-z0-9_.\[\]\-\/]+/
    VALUE: /[^,()\s]+/
    %import common.WS
    %ignore WS
"""
_lark = lazy_parser("resource-condition", _GRAMMAR, parser="earley")


def _lookup(obj: Any, path: str) -> Any:
    cur = obj
    for part in path.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return None
    return cur


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)


@functools.lru_cache(maxsize=1)
def _evaluator() -> type:
    """The condition evaluator's class; lark is imported when a condition is first evaluated."""
    from lark import Transformer

    class _Eval(Transformer):
        def __init__(self, obj: Any):
            super().__init__()
            self.obj = obj

        def compare(self, items):
            path, op, value = str(items[0]), str(items[1]), str(items[2])
            got = _lookup(self.obj, path)
            if op in ("=", "=="):
                return _text(got) == value
            if op == "!=":
                return _text(got) != value
            try:
                a, b = float(_text(got)), float(value)
            except ValueError:
                return False
            return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]

        def member(self, items):
            path, op, values = str(items[0]), str(items[1]), [str(v) for v in items[2:]]
            inside = _text(_lookup(self.obj, path)) in values
            return inside if op == "in" else not inside

        def absent(self, items):
            return _lookup(self.obj, str(items[0])) is None

        def present(self, items):
            return _lookup(self.obj, str(items[0])) is not None

        def start(self, items):
            return all(items)

    return _Eval


def condition_holds(condition: str, obj: Any) -> bool:
    from lark import LarkError
    try:
        return bool(_evaluator()(obj).transform(_lark().parse(condition)))
    except LarkError as e:
        raise StepError(f"cannot parse condition {condition!r}: {str(e).splitlines()[0]}") from e


async def kubectl(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        "kubectl", *args, stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate(stdin.encode() if stdin is not None else None)
    return proc.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")


async def cluster_problem() -> str | None:
    if shutil.which("kubectl") is None:
        return "no kubectl found"
    code, out, err = await kubectl("config", "current-context")
    if code != 0 or not out.strip():
        return "kubectl has no current context"
    return None


async def execute_resource(job: TemplateJob) -> None:
    """Kinds localflow models (local_kinds.py) run here; any other goes to kubectl. Then both wait
    for success/failureCondition on the object and read the output parameters from it."""
    run, node, tmpl = job.run, job.node, job.tmpl
    import yaml

    from .local_kinds import ACTIONS, local_kind
    res = tmpl.resource
    action = res.action or "create"
    try:
        manifest = yaml.safe_load(res.manifest or "")
    except yaml.YAMLError as e:
        run.finish(node, N.ERROR, f"resource.manifest is not YAML: {str(e).splitlines()[0]}")
        return
    handler = local_kind(manifest) if isinstance(manifest, dict) else None
    if handler is not None and action not in ACTIONS:
        run.finish(node, N.ERROR, f"resource action {action!r} on a {manifest.get('kind')} needs a Kubernetes "
                   f"cluster (localflow runs {', '.join(ACTIONS)} of it locally)")
        return
    if handler is not None:
        try:
            obj = await handler.act(run, action, manifest)
        except StepError as e:
            run.finish(node, N.FAILED, str(e))
            return

        async def refresh(current: dict) -> dict | None:
            return await handler.get(run, current)

        def settled(current: dict) -> bool:
            return handler.settled(run, current)
    else:
        settled = None
        obj, refresh = await _kubectl_act(run, node, res, action)
        if obj is None and node.done:
            return
    if obj is None:  # deleted
        run.finish(node, N.SUCCEEDED)
        return
    obj = await _await_conditions(run, node, res, obj, refresh, settled)
    if obj is not None:
        _outputs(run, node, tmpl, obj)


async def _kubectl_act(run: RunContext, node: N.Node, res: Any, action: str) -> tuple[dict | None, Any]:
    """The action with kubectl: (the object, an async refresh), or (None, None) after a delete; the node
    is finished when it failed."""
    why = await cluster_problem()
    if why is not None:
        run.finish(node, N.ERROR, NEEDS_CLUSTER.format(why=why))
        return None, None
    fd, path = tempfile.mkstemp(prefix="localflow-manifest-", suffix=".yaml")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(res.manifest or "")
        args = [action]
        if action == "patch":
            import yaml
            patch = json.dumps(yaml.safe_load(res.manifest or "{}"))
            args += ["-f", path, "--type", res.merge_strategy or "strategic", "-p", patch, "-o", "json"]
        elif action == "delete":
            args += ["-f", path, "--ignore-not-found", "-o", "name"]
        else:
            args += ["-f", path, "-o", "json"]
        args += list(res.flags or [])
        code, out, err = await kubectl(*args)
    finally:
        os.unlink(path)
    if code != 0:
        lines = (err or out).strip().splitlines() or ["(no output)"]
        run.finish(node, N.FAILED, f"kubectl {action} failed: {lines[-1][:300]}")
        return None, None
    if action == "delete":
        return None, None
    try:
        obj = json.loads(out)
    except ValueError:
        run.finish(node, N.ERROR, f"kubectl {action} did not print the object as JSON")
        return None, None
    ref = f"{obj.get('kind', '')}/{(obj.get('metadata') or {}).get('name', '')}"
    ns = (obj.get("metadata") or {}).get("namespace")

    async def refresh(current: dict) -> dict | None:
        code, out, err = await kubectl("get", ref, *(["-n", ns] if ns else []), "-o", "json")
        if code != 0:
            raise StepError(f"kubectl get {ref} failed: {err.strip()[:300]}")
        return json.loads(out)
    return obj, refresh


async def _await_conditions(run: RunContext, node: N.Node, res: Any, obj: dict, refresh: Any,
                            settled: Any = None) -> dict | None:
    """Poll the object until successCondition holds (or there is none); None once the node failed.
    `settled(obj)` says a local object will not change any more: then waiting longer is pointless."""
    while res.success_condition or res.failure_condition:
        try:
            if res.failure_condition and condition_holds(res.failure_condition, obj):
                run.finish(node, N.FAILED, f"failure condition '{res.failure_condition}' matched")
                return None
            if res.success_condition and condition_holds(res.success_condition, obj):
                break
            if settled is not None and settled(obj):
                if not res.success_condition:
                    break  # the failure condition can no longer match
                run.finish(node, N.FAILED, f"{obj.get('kind')} {obj['metadata'].get('name')} ended without "
                           f"meeting successCondition '{res.success_condition}'{_why(obj)}")
                return None
            if run.stopping:
                run.finish(node, N.FAILED, run.stop_message)
                return None
            await run.clock.sleep(1.0)
            fresh = await refresh(obj)
        except StepError as e:
            run.finish(node, N.ERROR, str(e))
            return None
        if fresh is None:
            run.finish(node, N.FAILED, f"{obj.get('kind')} {obj['metadata'].get('name')} was deleted")
            return None
        obj = fresh
    return obj


def _why(obj: dict) -> str:
    """What the object's status says about its end (a Workflow's message, a Job condition's), as ": ..."."""
    status = obj.get("status") or {}
    messages = [status.get("message")] + [c.get("message") for c in status.get("conditions") or []]
    found = next((m for m in messages if m), None)
    return f": {found}" if found else ""


def _outputs(run: RunContext, node: N.Node, tmpl: M.Template, obj: dict) -> None:
    """Output parameters from the object (`jsonPath` as kubectl's, `jqFilter` with jq), then Succeeded."""
    from .kube_jsonpath import evaluate
    params = []
    for p in tmpl.outputs.parameters:
        vf = p.value_from
        if vf is None:
            continue
        if vf.json_path:
            value = evaluate(vf.json_path, obj)
            value = vf.default if value is None else value
        elif vf.jq_filter:
            value = _jq(vf.jq_filter, obj)
            value = vf.default if value is None else value
        else:
            value = vf.default
        if value is None:
            ref = f"{obj.get('kind', '')}/{(obj.get('metadata') or {}).get('name', '')}"
            run.finish(node, N.ERROR, f"unable to read output parameter {p.name!r} of {ref}")
            return
        params.append({"name": p.name, "value": value})
        if p.global_name:
            run.set_global_output("parameters", p.global_name, value)
    if params:
        node.outputs = {"parameters": params}
    run.finish(node, N.SUCCEEDED)


def _jq(program: str, obj: dict) -> str | None:
    """jq -c as Argo's executor runs it; `.` needs no jq (the object itself, compact JSON)."""
    import subprocess
    if program.strip() == ".":
        return json.dumps(obj, separators=(",", ":"))
    if shutil.which("jq") is None:
        return None
    done = subprocess.run(["jq", "-c", "-r", program], input=json.dumps(obj).encode(), capture_output=True)
    return done.stdout.decode().rstrip("\n") if done.returncode == 0 else None
