"""Executing one template for one node: inputs, substitution, retries, and dispatch by kind."""

from __future__ import annotations

import asyncio
import copy
import json
from collections import ChainMap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from localflow.spec import model as M
from localflow.spec.model.argo_templates import TEMPLATE_KINDS

from . import nodes as N
from .kinds import HANDLERS, NODE_TYPES
from .scope import ART_MARK, Scope, StepError, has_tags, render_string, render_tree
from .sync import has_locks

if TYPE_CHECKING:
    from .interfaces import RunContext


@dataclass
class TemplateCtx:
    """Where template names resolve: the workflow's own templates, or a WorkflowTemplate's."""

    templates: dict[str, M.Template]
    scope_name: str = "local/"


@dataclass
class TemplateJob:
    """What a template kind's handler gets (engine/kinds.py): the node to run the template as, the
    template with its inputs substituted, the values in scope, and where it was called from."""

    ex: Executor
    node: N.Node
    tmpl: M.Template
    tctx: TemplateCtx
    vals: dict[str, Any]
    in_arts: dict
    depth: int

    @property
    def run(self) -> RunContext:
        return self.ex.run


def template_dict(t: Any) -> dict:
    return M.to_dict(t) if not isinstance(t, dict) else t


def deep_merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def defaults_for(defaults: dict, kind: str | None) -> dict:
    """`templateDefaults` as they apply to a template of this type: the fields of the other template types
    are dropped, so a script takes `.script` and a container `.container` (operator.go
    mergedTemplateDefaultsInto, which zeroes every TemplateType field but the template's own)."""
    others = {js for _, js in TEMPLATE_KINDS if js != kind}
    return {k: v for k, v in defaults.items() if k not in others}


def caller_name(holder: Any, display: str, parent: N.Node | None) -> dict[str, str]:
    """Argo's `steps.name` / `tasks.name` for the template a step or task calls (executeTemplate's
    localParams): the step's or task's name as expanded for a loop item, which is the node's display
    name. The entrypoint, the workflow's exit handler and hooks are unnamed steps in Argo ("")."""
    if isinstance(holder, M.DAGTask):
        return {"tasks.name": display}
    if isinstance(holder, M.WorkflowStep) and parent is not None:
        return {"steps.name": display}
    return {"steps.name": ""}


class Executor:
    def __init__(self, run: RunContext):
        self.run = run
        self._dicts: dict[int, tuple[Any, dict, bool | None]] = {}
        self._defaulted: dict[Any, tuple[Any, M.Template]] = {}

    # ---- template resolution ----
    def resolve(self, holder: Any, ctx: TemplateCtx, where: str) -> tuple[M.Template, TemplateCtx]:
        """The template a step/task/hook names (template, templateRef or inline)."""
        inline = getattr(holder, "inline", None)
        if inline is not None:
            return inline, ctx
        ref = getattr(holder, "template_ref", None)
        if ref is not None:
            return self.run.resolve_template_ref(ref, where)
        name = getattr(holder, "template", None)
        if not name or name not in ctx.templates:
            raise StepError(f"{where}: no template named {name!r}")
        return ctx.templates[name], ctx

    # ---- inputs ----
    def process_inputs(self, tmpl: M.Template, args: M.Arguments | None, scope: Scope,
                       node: N.Node) -> tuple[dict[str, Any], dict[str, Any]]:
        """Bind arguments to the template's inputs. Returns (values for substitution, artifact inputs)."""
        values: dict[str, Any] = {}
        arts: dict[str, Any] = {}
        inputs = tmpl.inputs
        arg_params = {p.name: p for p in (args.parameters if args else [])}
        arg_arts = {a.name: a for a in (args.artifacts if args else [])}
        rec_params = []
        if inputs is not None:
            for p in inputs.parameters:
                value = p.value
                if value is None and p.default is not None:
                    value = p.default
                ap = arg_params.get(p.name)
                if ap is not None:
                    if ap.value is not None:
                        value = ap.value
                    elif ap.value_from is not None:
                        value = self.run.value_from_param(ap.value_from, f"arguments.parameters.{p.name}")
                if value is None and p.value_from is not None:
                    vf = p.value_from
                    if vf.config_map_key_ref is not None:
                        value = self.run.config_map_value(vf.config_map_key_ref, vf.default)
                    elif vf.supplied is not None:
                        value = None  # supplied by resume
                    elif vf.default is not None:
                        value = vf.default
                if value is None:
                    raise StepError(f"inputs.parameters.{p.name} was not supplied")
                if p.enum and value not in p.enum:
                    raise StepError(f"inputs.parameters.{p.name}: value {value!r} is not in enum {p.enum}")
                if "{{" in value:  # an input's own value may use globals and earlier inputs (ProcessArgs)
                    value = render_string(value, ChainMap(values, self.run.globals))
                values[f"inputs.parameters.{p.name}"] = value
                rec = {"name": p.name, "value": value}
                rec_params.append(rec)
            values["inputs.parameters"] = json.dumps(rec_params, separators=(",", ":"))
            rec_arts = []
            for a in inputs.artifacts:
                src = self.run.artifacts_flow.bind_input(a, arg_arts.get(a.name), scope, values)
                if src is None:
                    if a.optional:  # absent: passed on with `from`, it stays absent (scope.go resolveVar)
                        values[f"inputs.artifacts.{a.name}"] = {ART_MARK: None}
                        continue
                    raise StepError(f"inputs.artifacts.{a.name} was not supplied")
                arts[a.name] = (a, src)
                values[f"inputs.artifacts.{a.name}"] = {ART_MARK: src}
                if a.path:
                    values[f"inputs.artifacts.{a.name}.path"] = a.path
                rec_arts.append(self.run.artifacts_flow.describe(a.name, src))
            node.inputs = {}
            if rec_params:
                node.inputs["parameters"] = rec_params
            if rec_arts:
                node.inputs["artifacts"] = rec_arts
            if not node.inputs:
                node.inputs = None
        if tmpl.outputs is not None:
            for p in tmpl.outputs.parameters:
                if p.value_from is not None and p.value_from.path:
                    values[f"outputs.parameters.{p.name}.path"] = p.value_from.path
            for a in tmpl.outputs.artifacts:
                if a.path:
                    values[f"outputs.artifacts.{a.name}.path"] = a.path
        return values, arts

    def as_dict(self, tmpl: M.Template) -> dict:
        """The template as Argo's JSON, computed once per template object."""
        key = id(tmpl)
        hit = self._dicts.get(key)
        if hit is None or hit[0] is not tmpl:
            hit = self._dicts[key] = (tmpl, template_dict(tmpl), None)
        return hit[1]

    def tagged(self, tmpl: M.Template, raw: dict) -> bool:
        key = id(tmpl)
        t, d, tags = self._dicts[key]
        if tags is None:
            tags = has_tags(d)
            self._dicts[key] = (t, d, tags)
        return tags

    def apply_defaults(self, tmpl: M.Template) -> M.Template:
        defaults = self.run.template_defaults
        if not defaults:
            return tmpl
        key = ("defaults", id(tmpl))
        hit = self._defaulted.get(key)
        if hit is None or hit[0] is not tmpl:
            merged = deep_merge(defaults_for(defaults, tmpl.kind), template_dict(tmpl))
            hit = self._defaulted[key] = (tmpl, M.from_dict(M.Template, merged, "spec.templateDefaults", None))
        return hit[1]

    # ---- the main entry ----
    async def execute(self, *, name: str, display: str, holder: Any, args: M.Arguments | None,
                      ctx: TemplateCtx, scope: Scope, boundary_id: str | None, depth: int,
                      parent: N.Node | None) -> N.Node:
        """Run the template that `holder` (a step, task, hook, or the workflow) names as node `name`."""
        run = self.run
        if run.previous_nodes:
            reused = run.reuse(name, parent)
            if reused is not None:
                return reused
        held, ref = N.held_template(holder)
        if depth > run.max_depth:
            node = run.new_node(name, display, N.POD, held, boundary_id, parent, scope=ctx.scope_name, ref=ref)
            run.finish(node, N.ERROR, f"maximum recursion depth exceeded ({run.max_depth}): "
                                      "a template calls itself without end")
            return node
        try:
            tmpl, tctx = self.resolve(holder, ctx, name)
            tmpl = self.apply_defaults(tmpl)
        except StepError as e:
            node = run.new_node(name, display, N.POD, held, boundary_id, parent, scope=ctx.scope_name, ref=ref)
            run.finish(node, N.ERROR, str(e))
            return node
        kind = tmpl.kind
        ntype = NODE_TYPES.get(kind, N.POD)
        if tmpl.retry_strategy is not None and kind not in ("suspend",):
            ntype = N.RETRY
        node = run.new_node(name, display, ntype, held, boundary_id, parent, scope=ctx.scope_name, ref=ref)
        try:
            values, in_arts = self.process_inputs(tmpl, args, scope, node)
        except StepError as e:
            run.finish(node, N.ERROR, str(e))
            return node
        values.update(caller_name(holder, display, parent))
        held: list[str] | None = None
        if tmpl.synchronization is not None and has_locks(tmpl.synchronization):
            try:  # the node waits Pending for its locks, and holds them until it is done
                held = await run.sync.acquire_for_node(node, tmpl.synchronization, values)
            except StepError as e:
                run.finish(node, N.ERROR, str(e))
                return node
            if held is None:  # the run stopped while the node waited
                return node
        try:
            if tmpl.memoize is not None:
                try:  # a fresh entry under the key: the node Succeeds with its outputs, nothing runs
                    if run.memo.check(node, tmpl, values):
                        return node
                except StepError as e:
                    run.finish(node, N.ERROR, str(e))
                    return node
            await self._run_node(node, tmpl, tctx, values, in_arts, depth)
            if node.memoization_status is not None:
                run.memo.store(node)
        finally:
            if held:
                run.sync.release(held, run.sync.node_holder(node))
        return node

    async def _run_node(self, node: N.Node, tmpl: M.Template, tctx: TemplateCtx, values: dict[str, Any],
                        in_arts: dict, depth: int) -> None:
        run = self.run
        kind = tmpl.kind
        run.mark_running(node)
        timeout = None
        try:
            if tmpl.timeout:
                text = render_string(tmpl.timeout, ChainMap(values, run.globals))
                timeout = run.parse_seconds(text, "timeout")
            coro = self._execute_body(node, tmpl, tctx, values, in_arts, depth)
            if timeout is not None and kind not in ("steps", "dag"):
                run.node_deadlines[node.id] = run.clock.monotonic() + timeout  # the pod's own deadline
                await coro
            elif timeout is not None:
                await asyncio.wait_for(coro, timeout)
            else:
                await coro
        except asyncio.TimeoutError:
            await self._timed_out(node, timeout)
        except StepError as e:
            run.finish(node, N.ERROR, str(e))

    async def _timed_out(self, node: N.Node, timeout: float) -> None:
        """Argo's template `timeout`: the node and what still runs under it fail."""
        run = self.run
        msg = "Step exceeded its deadline"
        running = [n for n in list(run.nodes.values()) if not n.done and n.id != node.id and self._under(n, node)]
        await run.runtime.stop_nodes([n.id for n in running if n.type == N.POD])
        for n in running:
            run.finish(n, N.FAILED, msg)
        run.finish(node, N.FAILED, msg)

    def _under(self, n: N.Node, top: N.Node) -> bool:
        seen = set()
        stack = list(top.children)
        while stack:
            cid = stack.pop()
            if cid == n.id:
                return True
            if cid in seen or cid not in self.run.nodes:
                continue
            seen.add(cid)
            stack.extend(self.run.nodes[cid].children)
        return False

    async def _execute_body(self, node: N.Node, tmpl: M.Template, tctx: TemplateCtx,
                            values: dict[str, Any], in_arts: dict, depth: int) -> None:
        if tmpl.retry_strategy is not None and tmpl.kind != "suspend":
            from .retry import execute_with_retries
            await execute_with_retries(self, node, tmpl, tctx, values, in_arts, depth)
            return
        await self.execute_kind(node, tmpl, tctx, values, in_arts, depth, attempt=None)

    async def execute_kind(self, node: N.Node, tmpl: M.Template, tctx: TemplateCtx, values: dict[str, Any],
                           in_arts: dict, depth: int, attempt: int | None) -> None:
        run = self.run
        vals = dict(run.globals)
        vals.update(values)
        vals["node.name"] = node.name
        if attempt is not None:
            vals["retries"] = str(attempt)
        kind = tmpl.kind
        pod = N.pod_name(run.name, tmpl.name or "", node.name, node.id) if kind not in ("steps", "dag") else None
        if pod:
            vals["pod.name"] = pod
            node.pod_name = pod
        # inputs and globals go in now; tags of step and task bodies that name steps, tasks or
        # items stay unresolved until their own scope substitutes them (as Argo's ProcessArgs)
        raw = self.as_dict(tmpl)
        if self.tagged(tmpl, raw):  # a template without `{{...}}` is used as it is (most are)
            tmpl = M.from_dict(M.Template, render_tree(raw, vals), f"template {tmpl.name}", None)
        handler = HANDLERS.get(kind)
        if handler is None:
            run.finish(node, N.ERROR, f"{kind} templates are not supported by localflow yet")
            return
        await handler(TemplateJob(self, node, tmpl, tctx, vals, in_arts, depth))

