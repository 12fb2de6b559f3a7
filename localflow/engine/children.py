"""What steps and DAG tasks share: loops, `when`, running a child, hooks, and publishing results."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from localflow.errors import ExprError
from localflow.spec import model as M

from . import nodes as N
from .loops import child_name, expand_items, item_values
from .outputs import aggregate_loop, node_scope_values, resolve_template_outputs
from .scope import Scope, StepError, has_tags, render_tree

if TYPE_CHECKING:
    from .executor import Executor, TemplateCtx

LOOP_KEYS = ("withItems", "withParam", "withSequence")


def continues_on(entry: Any, phase: str) -> bool:
    c = getattr(entry, "continue_on", None)
    if c is None:
        return False
    return bool(c.failed) if phase == N.FAILED else bool(c.error) if phase == N.ERROR else False


class ChildRunner:
    def __init__(self, ex: Executor, node: N.Node, tmpl: M.Template, tctx: TemplateCtx, scope: Scope,
                 depth: int, prefix: str):
        self.ex = ex
        self.run = ex.run
        self.node = node
        self.tmpl = tmpl
        self.tctx = tctx
        self.scope = scope
        self.depth = depth
        self.prefix = prefix  # "steps" or "tasks"
        self.daemons: list[N.Node] = []
        self.limit = asyncio.Semaphore(int(tmpl.parallelism)) if tmpl.parallelism else None

    # ---- running one step/task (maybe a loop) ----
    async def run_entry(self, entry: Any, name: str, display: str, parent: N.Node,
                        group_loops: bool = False) -> list[N.Node]:
        run = self.run
        raw = M.to_dict(entry)
        values = self.scope.flat()
        try:
            loop = {k: raw.pop(k) for k in LOOP_KEYS if k in raw}
            if not loop:
                return [await self.run_one(raw, name, display, parent, values, original=entry)]
            if "when" in raw and has_tags([loop.get("withParam"), loop.get("withSequence")]) \
                    and when_false_before_items(raw["when"], values):
                items = []  # Argo leaves a skipped step's withParam unsubstituted: it parses as no items
            else:
                loop = render_tree(loop, values, strict=True)
                items = expand_items(loop.get("withItems"), loop.get("withParam"), loop.get("withSequence"))
        except StepError as e:
            node = self.new_node(name, display, N.SKIPPED_T, entry, parent)
            run.finish(node, N.ERROR, str(e))
            return [node]
        if not items:
            node = self.new_node(name, display, N.SKIPPED_T, entry, parent)
            run.finish(node, N.SKIPPED, "Skipped, empty params")
            return [node]
        holder = parent
        if group_loops:
            holder = self.new_node(name, display, N.TASK_GROUP, entry, parent)
            run.mark_running(holder)
        coros = []
        for i, item in enumerate(items):
            ivalues = values.new_child(item_values(item))
            coros.append(self.run_one(raw, child_name(name, i, item), child_name(display, i, item), holder, ivalues,
                                      index=i))
        children = list(await asyncio.gather(*coros))
        if group_loops:
            phase = N.SUCCEEDED
            for c in children:
                if c.phase in N.BAD_PHASES and not continues_on(entry, c.phase):
                    phase = c.phase
                    break
            run.finish(holder, phase, "" if phase == N.SUCCEEDED else f"child '{c.id}' failed")
            holder.outputs = aggregate_loop(children)
            return [holder] + children
        return children

    def new_node(self, name: str, display: str, ntype: str, entry: Any, parent: N.Node | None) -> N.Node:
        """A node of a step or task of this template that is not run by the executor (skipped, omitted, a
        loop's task group): Argo's templateName or templateRef of `entry`, in this template's scope."""
        held, ref = N.held_template(entry)
        return self.run.new_node(name, display, ntype, held, self.node.id, parent, scope=self.tctx.scope_name, ref=ref)

    async def run_one(self, raw: dict, name: str, display: str, parent: N.Node, values: Any,
                      index: int | None = None, original: Any = None) -> N.Node:
        run = self.run
        run.refresh_runtime_globals()  # workflow.duration in the step's own fields
        try:
            hooks_raw = {k: raw.pop(k) for k in ("hooks", "onExit") if k in raw}
            when = raw.get("when")
            if when is not None:  # first: a step that will not run never has its arguments substituted
                when = render_tree(when, values, strict=True) if has_tags(when) else when
                if not evaluate_when_text(when):
                    node = self.new_node(name, display, N.SKIPPED_T, raw, parent)
                    run.finish(node, N.SKIPPED, f"when '{when}' evaluated false")
                    node.item_index = index
                    return node
            given = raw
            raw = drop_absent_arguments(raw, values)
            if raw is not given:
                original = None  # an argument was dropped: the step as written no longer applies
            body = {k: v for k, v in raw.items() if k != "when"}
            if has_tags(body):
                entry = M.from_dict(type_of(self.prefix), render_tree(body, values, strict=True), name, None)
            else:  # nothing to substitute: the step as written
                entry = original if original is not None else M.from_dict(type_of(self.prefix), body, name, None)
        except StepError as e:
            node = self.new_node(name, display, N.SKIPPED_T, raw, parent)
            run.finish(node, N.ERROR, str(e))
            node.item_index = index
            return node
        if self.limit is not None:
            async with self.limit:
                node = await self._execute(entry, name, display, parent)
        else:
            node = await self._execute(entry, name, display, parent)
        node.item_index = index
        await self.run_hooks(hooks_raw, node, values, f"{self.prefix}.{raw.get('name')}")
        return node

    async def _execute(self, entry: Any, name: str, display: str, parent: N.Node) -> N.Node:
        node = await self.ex.execute(name=name, display=display, holder=entry, args=entry.arguments,
                                     ctx=self.tctx, scope=self.scope, boundary_id=self.node.id,
                                     depth=self.depth + 1, parent=parent)
        if node.daemoned:
            self.daemons.append(node)
        return node

    async def run_hooks(self, hooks_raw: dict, node: N.Node, values: Any, prefix: str) -> None:
        """Template-level `onExit` and lifecycle `hooks` of a step or task, after it finished."""
        if not hooks_raw:
            return
        vals = values.new_child(node_scope_values(node, prefix))
        vals = vals.new_child({"status": node.phase})
        exit_name = hooks_raw.get("onExit")
        hooks = dict(hooks_raw.get("hooks") or {})
        if exit_name:
            hooks.setdefault("exit", {"template": exit_name})
        for hname, hook in hooks.items():
            expr = hook.get("expression")
            if hname != "exit":
                if not expr:
                    continue
                try:
                    from localflow.expr.exprlang import evaluate

                    from .scope import expression_env
                    if not evaluate(render_tree(expr, vals), expression_env(vals)):
                        continue
                except Exception:  # noqa: BLE001 - an unevaluable hook does not run, as in Argo
                    continue
            hname_node = f"{node.name}.onExit" if hname == "exit" else f"{node.name}.hooks.{hname}"
            rendered = render_tree({k: v for k, v in hook.items() if k != "expression"}, vals)
            holder = M.from_dict(M.LifecycleHook, rendered, hname_node, None)
            hook_scope = Scope(values=node_scope_values(node, prefix), parent=self.scope)
            await self.ex.execute(name=hname_node, display=f"{node.display_name}.onExit" if hname == "exit"
                                  else f"{node.display_name}.hooks.{hname}", holder=holder,
                                  args=holder.arguments, ctx=self.tctx, scope=hook_scope,
                                  boundary_id=self.node.id, depth=self.depth + 1, parent=node)

    # ---- publishing ----
    def register(self, name: str, children: list[N.Node], entry: Any = None) -> None:
        """Make `steps.NAME.*` / `tasks.NAME.*` visible to later steps (loops aggregated)."""
        prefix = f"{self.prefix}.{name}"
        loop_children = [c for c in children if c.item_index is not None]
        if not loop_children:
            node = children[0]
            self.scope.values.update(node_scope_values(node, prefix))
            if node.phase in (N.SKIPPED, N.OMITTED) and entry is not None:
                self.scope.values.update(self._skipped_outputs(entry, prefix))
            return
        agg = aggregate_loop(loop_children)
        grp = children[0] if children[0].item_index is None else None
        if grp is not None:
            self.scope.values.update(node_scope_values(grp, prefix, with_outputs=False))
        else:
            phase = N.SUCCEEDED
            for c in loop_children:
                if c.phase in N.BAD_PHASES:
                    phase = c.phase
            self.scope.values[f"{prefix}.status"] = phase
        if "result" in agg:
            self.scope.values[f"{prefix}.outputs.result"] = agg["result"]
        if "parameters_json" in agg:
            self.scope.values[f"{prefix}.outputs.parameters"] = agg["parameters_json"]
        for pname, pval in agg.get("by_name", {}).items():
            self.scope.values[f"{prefix}.outputs.parameters.{pname}"] = pval

    def _skipped_outputs(self, entry: Any, prefix: str) -> dict[str, Any]:
        """A skipped node's declared output parameters: their `valueFrom.default`, else nil (as Argo)."""
        try:
            tmpl, _ = self.ex.resolve(entry, self.tctx, prefix)
        except StepError:
            return {}
        out: dict[str, Any] = {}
        for p in tmpl.outputs.parameters:
            vf = p.value_from
            out[f"{prefix}.outputs.parameters.{p.name}"] = vf.default if vf is not None else None
        return out

    async def finish_outputs(self, tmpl: M.Template) -> None:
        """Outputs of the steps/DAG template itself (valueFrom.parameter/expression, artifacts from)."""
        if tmpl.outputs is None:
            return
        try:
            self.node.outputs = resolve_template_outputs(self.run, tmpl, self.scope)
        except StepError as e:
            self.run.finish(self.node, N.ERROR, str(e))

    async def stop_daemons(self) -> None:
        for d in self.daemons:
            await self.run.stop_daemon(d)
        self.daemons.clear()


def evaluate_when_text(when: str) -> bool:
    """A substituted `when` (govaluate), as steps.go resolveReferences / dag.go resolveDependencyReferences
    evaluate it before anything else of the step or task is substituted."""
    from localflow.expr.govaluate import evaluate_when  # lark: only when needed
    try:
        return bool(evaluate_when(when))
    except ExprError as e:
        raise StepError(f"failed to evaluate when '{when}': {e}") from e


def when_false_before_items(when: str, values: Any) -> bool:
    """Whether a loop's `when` is false before its items are known (steps.go expandStep, dag.go expandTask:
    a withParam/withSequence that cannot be expanded is no error when the step will not run). A `when`
    that names `{{item}}` cannot be decided yet (False)."""
    try:
        return not evaluate_when_text(render_tree(when, values, strict=True))
    except StepError:
        return False


def drop_absent_arguments(raw: dict, values: Any) -> dict:
    """An argument that is exactly a reference to a nil output (a skipped node's) is not supplied,
    so the input's own default applies (Argo's skipped-output-defaults)."""
    params = (raw.get("arguments") or {}).get("parameters")
    if not params:
        return raw
    kept = []
    dropped = False
    for p in params:
        v = p.get("value")
        if isinstance(v, str) and v.startswith("{{") and v.endswith("}}") and v.count("{{") == 1:
            key = v[2:-2].strip()
            if key in values and values[key] is None:
                p = {k: x for k, x in p.items() if k != "value"}
                dropped = True
        kept.append(p)
    if not dropped:
        return raw
    raw = dict(raw)
    raw["arguments"] = dict(raw["arguments"], parameters=kept)
    return raw


def type_of(prefix: str):
    return M.WorkflowStep if prefix == "steps" else M.DAGTask

