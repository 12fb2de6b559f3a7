"""Checks of steps and DAG templates (validate.go's validateSteps and validateDAG, with Argo's
dependency rules from workflow/common/ancestry.go). A mixin of validate.Checker."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from localflow.spec.fieldpath import join, suggest
from localflow.spec.model import to_dict
from localflow.spec.names import field_name_problem
from localflow.spec.tags import depends_problem, replace_tags, strings_in, when_problem
from localflow.spec.units import is_go_int

if TYPE_CHECKING:
    from localflow.spec.model import Arguments
    from localflow.spec.scope import Scope
    from localflow.spec.validate import Base, Located

# ancestry.go: a task name, or a task name with a result (`A.Succeeded`).
_TASK_NAME = re.compile(r"([a-zA-Z0-9][-a-zA-Z0-9]*?\.[A-Z][a-zA-Z]+)|([a-zA-Z0-9][-a-zA-Z0-9]*)")
_TASK_RESULT = re.compile(r"([a-zA-Z0-9][-a-zA-Z0-9]*?\.[A-Z][a-zA-Z]+)")
TASK_RESULTS = ("Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed")
ITEMS_RESULTS = ("AnySucceeded", "AllFailed")


def task_dependencies(task: Any) -> dict[str, bool]:
    """The tasks a DAG task depends on, as Argo finds them: name -> whether an items-based result
    (AnySucceeded, AllFailed) is used."""
    text = task.depends or " && ".join(task.dependencies)
    out: dict[str, bool] = {}
    for match in _TASK_NAME.finditer(text):
        if match.group(1):
            name, result = match.group(1).split(".", 1)
            out[name] = out.get(name, False) or result in ITEMS_RESULTS
        else:
            out.setdefault(match.group(2), False)
    return out


def cycle_chain(nodes: Iterable[str], edges: list[tuple[str, str]]) -> str | None:
    """The first dependency cycle as networkx's find_cycle reports it ("a->b->a"), or None. Most
    graphs have none, which a topological sort finds without networkx (a tenth of a second to
    import)."""
    nodes = list(nodes)
    indegree = dict.fromkeys(nodes, 0)
    after: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        after.setdefault(a, []).append(b)
        indegree.setdefault(a, 0)
        indegree[b] = indegree.get(b, 0) + 1
    ready = [n for n, count in indegree.items() if count == 0]
    sorted_count = 0
    while ready:
        sorted_count += 1
        for m in after.get(ready.pop(), ()):
            indegree[m] -= 1
            if indegree[m] == 0:
                ready.append(m)
    if sorted_count == len(indegree):
        return None
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edges)
    cycle = nx.find_cycle(graph)
    return "->".join([cycle[0][0], *[edge[1] for edge in cycle]])


def _ancestors(before: dict[str, list[str]], name: str) -> set[str]:
    """Every node with a path to `name` (networkx's ancestors), in a graph without cycles."""
    found: set[str] = set()
    todo = [name]
    while todo:
        for other in before.get(todo.pop(), ()):
            if other not in found:
                found.add(other)
                todo.append(other)
    return found


def _expr_message(what: str, text: str, problem: str) -> str:
    if text in problem:
        return problem
    return f"invalid {what} {text!r}: {problem}"


def _without_inline(node: Any) -> dict[str, Any]:
    data = to_dict(node)
    data.pop("inline", None)
    return data


class FlowChecks:
    """Steps and DAG checks; `self` is a validate.Checker."""

    if TYPE_CHECKING:
        file: str | None

        def fail(self, file: str | None, path: str | None, message: str) -> Exception: ...
        def warn(self, file: str | None, path: str | None, message: str) -> None: ...
        def resolve(self, holder: Any, base: Base, file: str | None, path: str) -> Located | None: ...
        def check_hook_target(self, hook: Any, base: Base, file: str | None, path: str) -> None: ...
        def check_arguments(self, args: Arguments, file: str | None, path: str, *, workflow_level: bool, allow_empty: bool) -> None: ...
        def check_supplied(self, loc: Located, args: Arguments | None, file: str | None, path: str, *, entry_point: bool = False) -> None: ...
        def check_tags(self, strings: Any, scope: Scope, file: str | None, path: str) -> None: ...
        def check_names(self, items: Any, file: str | None, path: str, *, param: bool) -> None: ...
        def check_expression(self, source: str, file: str | None, path: str) -> None: ...

    # --- shared by steps and tasks ----------------------------------------------------------------

    def add_outputs(self, scope: Scope, prefix: str, name: str, target: Located | None, *, aggregate: bool, ancestor: bool = False) -> None:
        """validate.go's addOutputsToScope."""
        p = f"{prefix}.{name}"
        names = scope.names
        names.update((f"{p}.id", f"{p}.startedAt", f"{p}.finishedAt", f"{p}.hostNodeName"))
        if ancestor:
            names.add(f"{p}.status")
        if target is None:
            return
        t = target.tmpl
        if t.daemon:
            names.add(f"{p}.ip")
        if t.has_output:
            names.update((f"{p}.outputs.result", f"{p}.exitCode"))
        names.update(f"{p}.outputs.parameters.{o.name}" for o in t.outputs.parameters)
        names.update(f"{p}.outputs.artifacts.{o.name}" for o in t.outputs.artifacts)
        if aggregate:
            if t.kind in ("script", "containerSet"):
                names.update((f"{p}.outputs.result", f"{p}.exitCode"))
            names.add(f"{p}.outputs.parameters")

    def add_loop(self, node: Any, scope: Scope, file: str | None, path: str) -> None:
        """validate.go's addItemsToScope: what {{item}} means inside a loop."""
        defined = sum(1 for x in (node.with_items, node.with_param, node.with_sequence) if x)
        if defined > 1:
            raise self.fail(file, path, "set only one of withItems, withParam and withSequence")
        if node.with_items:
            keys: set[str] = set()
            for i, item in enumerate(node.with_items):
                if item is None:
                    raise self.fail(file, join(path, f"withItems[{i}]"), "a withItems item cannot be null")
                if isinstance(item, dict):
                    keys.update(item)
                elif isinstance(item, list):
                    keys.update(f"[{j}]" for j in range(len(item)))
                else:
                    keys.add("")
            scope.item_keys = keys
            scope.names.add("item")
            scope.names.update(f"item.{k}" for k in keys if k)
        elif node.with_param:
            scope.item_keys = set()
            scope.any_item = True
            scope.names.add("item")
        elif node.with_sequence is not None:
            seq = node.with_sequence
            spath = join(path, "withSequence")
            if seq.count is not None and seq.end is not None:
                raise self.fail(file, spath, "set either count or end in withSequence, not both")
            for attr in ("count", "start", "end"):
                value = getattr(seq, attr)
                if isinstance(value, str) and not is_go_int(value) and "{{" not in value:
                    raise self.fail(file, join(spath, attr), f"{attr} must be a whole number, got {value!r}")
            scope.item_keys = {""}
            scope.names.add("item")

    def check_node(self, node: Any, scope: Scope, file: str | None, path: str, base: Base) -> None:
        """What steps and tasks share: when, hooks and arguments."""
        if node.when:
            self.check_tags([("when", node.when)], scope, file, path)  # an unresolved tag first, as Argo
            problem = when_problem(node.when, scope.substituted_first)
            if problem:
                raise self.fail(file, join(path, "when"), _expr_message("when", node.when, problem))
        for name, hook in node.hooks.items():
            hpath = join(path, f"hooks.{name}")
            if name != "exit" and not hook.expression:
                raise self.fail(file, join(hpath, "expression"), f'hook "{name}" needs an expression (only the "exit" hook runs without one)')
            if hook.expression:
                self.check_expression(hook.expression, file, join(hpath, "expression"))
            self.check_hook_target(hook, base, file, hpath)
        if node.on_exit:
            self.check_hook_target(type(node)(template=node.on_exit), base, file, join(path, "onExit"))
        self.check_arguments(node.arguments, file, join(path, "arguments"), workflow_level=False, allow_empty=False)

    @staticmethod
    def has_exit_hook(node: Any) -> bool:
        return bool(node.on_exit) or "exit" in node.hooks

    # --- steps --------------------------------------------------------------------------------

    def check_steps(self, loc: Located, scope: Scope) -> None:
        t, file, base = loc.tmpl, loc.file, loc.base
        scope.node_prefix = "steps"
        for group in t.steps:
            for step in group:
                if step.name:
                    scope.nodes.setdefault(step.name, None)
        seen: set[str] = set()
        for gi, group in enumerate(t.steps):
            finished = []
            for si, step in enumerate(group):
                spath = f"{loc.path}.steps[{gi}][{si}]"
                name = step.name
                if not name:
                    raise self.fail(file, join(spath, "name"), "a step needs a name")
                if name in seen:
                    raise self.fail(file, join(spath, "name"), f"step name {name!r} is used more than once in {loc.label}")
                # Argo substitutes the template's inputs first and checks what is left of the name.
                problem = field_name_problem(replace_tags(name, "x")) if "{{" in name else field_name_problem(name)
                if problem:
                    raise self.fail(file, join(spath, "name"), problem)
                seen.add(name)
                scope.names.add(f"steps.{name}.status")
                step_scope = scope.copy()
                step_scope.here = name
                self.add_loop(step, step_scope, file, spath)
                self.check_node(step, step_scope, file, spath, base)
                target = self.resolve(step, base, file, spath)
                scope.nodes[name] = target
                step_scope.nodes[name] = target
                if self.has_exit_hook(step):
                    self.add_outputs(step_scope, "steps", name, target, aggregate=False)
                if step.inline is not None:
                    step_scope.names.update(f"inputs.parameters.{p.name}" for p in step.inline.inputs.parameters)
                self.check_tags(strings_in(_without_inline(step)), step_scope, file, spath)
                aggregate = bool(step.with_items) or bool(step.with_param)
                finished.append((name, target, aggregate))
                if target is not None:
                    self.check_supplied(target, step.arguments, file, join(spath, "arguments"))
            # Steps of a group run in parallel: their outputs are there for the next groups only.
            for name, target, aggregate in finished:
                self.add_outputs(scope, "steps", name, target, aggregate=aggregate)

    # --- DAG ----------------------------------------------------------------------------------

    def check_dag_target(self, target: str, by_name: dict[str, Any], scope: Scope, file: str | None, path: str) -> None:
        """validateDAG: the target's variables resolve in the template's scope, and each name it
        lists (space-separated) is a task, unless it is a variable."""
        self.check_tags([("target", target)], scope, file, path)
        for target_name in target.split(" "):
            if target_name and "{{" not in target_name and target_name not in by_name:
                raise self.fail(file, join(path, "target"), f'target "{target_name}" is not a task of this DAG{suggest(target_name, by_name)}')

    def check_task_depends(self, task: Any, using_depends: bool, file: str | None, tpath: str) -> None:
        """A task's name and its depends or dependencies, as validateDAG and ancestry.go read them."""
        name = task.name
        if (using_depends or task.dependencies) and name[0].isdigit():
            raise self.fail(file, join(tpath, "name"), f"task name {name!r} cannot start with a digit when the DAG uses depends or dependencies")
        if using_depends and task.dependencies:
            raise self.fail(file, join(tpath, "dependencies"), "this DAG uses depends, so it cannot also use dependencies; use one of them")
        if using_depends and task.continue_on is not None:
            raise self.fail(file, join(tpath, "continueOn"), "continueOn cannot be used with depends; write the condition in depends instead (e.g. A.Failed)")
        if task.depends:
            dep_field = join(tpath, "depends")
            problem = depends_problem(task.depends)
            if problem:
                raise self.fail(file, dep_field, _expr_message("depends", task.depends, problem))
            for match in _TASK_RESULT.findall(task.depends):
                dep, result = match.split(".", 1)
                if result not in TASK_RESULTS:
                    raise self.fail(file, dep_field, f"{result!r} is not a task result for {dep!r} (use {', '.join(TASK_RESULTS)})")

    def task_edges(self, task: Any, by_name: dict[str, Any], file: str | None, tpath: str) -> list[str]:
        """The tasks `task` depends on, each a task of the DAG, and one with a loop where an items
        result (AnySucceeded, AllFailed) is asked of it."""
        dep_field = join(tpath, "depends" if task.depends else "dependencies")
        deps = []
        for dep, items in task_dependencies(task).items():
            other = by_name.get(dep)
            if other is None:
                raise self.fail(file, dep_field, f'dependency "{dep}" is not a task of this DAG{suggest(dep, by_name)}')
            if items and not (other.with_items or other.with_param or other.with_sequence):
                raise self.fail(file, dep_field, f'"{dep}" has no loop (withItems, withParam or withSequence), so AnySucceeded and AllFailed do not apply')
            deps.append(dep)
        return deps

    def check_task(self, task: Any, scope: Scope, by_name: dict[str, Any], before: dict[str, list[str]],
                   targets: dict[str, Located | None], base: Base, file: str | None, tpath: str) -> None:
        """One task in its scope: the DAG's, with the outputs of its ancestors (and its own, for an
        exit hook), its loop and its inline template's inputs."""
        name = task.name
        if task.hooks:
            scope.names.add(f"tasks.{name}.status")
        task_scope = scope.copy()
        task_scope.here = name
        strings = list(strings_in(_without_inline(task)))
        # only a task that names other tasks needs its ancestors (computing them for every task of
        # a 10,000-task DAG is quadratic)
        refers = bool(task.hooks) or any("tasks." in text for _path, text in strings)
        ancestors = _ancestors(before, name) if refers else set()
        for ancestor in ancestors:
            other = by_name[ancestor]
            aggregate = bool(other.with_items) or bool(other.with_param)
            self.add_outputs(task_scope, "tasks", ancestor, targets[ancestor], aggregate=aggregate, ancestor=True)
        if self.has_exit_hook(task):
            self.add_outputs(task_scope, "tasks", name, targets[name], aggregate=False)
        if task.inline is not None:
            task_scope.names.update(f"inputs.parameters.{p.name}" for p in task.inline.inputs.parameters)
        self.add_loop(task, task_scope, file, tpath)
        self.check_node(task, task_scope, file, tpath, base)
        self.check_tags(strings, task_scope, file, tpath)
        self.check_arguments_from_ancestors(task, ancestors, file, tpath)
        target = targets[name]
        if target is not None:
            self.check_supplied(target, task.arguments, file, join(tpath, "arguments"))

    def check_arguments_from_ancestors(self, task: Any, ancestors: set[str], file: str | None, tpath: str) -> None:
        """An argument taken from `{{tasks.X...}}` names a task this task depends on."""
        for j, p in enumerate(task.arguments.parameters):
            if p.value and p.value.startswith("{{tasks."):
                dep = p.value.split(".")[1]
                if dep not in ancestors:
                    raise self.fail(file, join(tpath, f"arguments.parameters[{j}].value"), f'parameter "{p.name}" uses task "{dep}", which is not a dependency of this task')
        for j, a in enumerate(task.arguments.artifacts):
            if a.from_ and a.from_.startswith("{{tasks."):
                dep = a.from_.split(".")[1]
                if dep not in ancestors:
                    raise self.fail(file, join(tpath, f"arguments.artifacts[{j}].from"), f'artifact "{a.name}" comes from task "{dep}", which is not a dependency of this task')

    def check_dag(self, loc: Located, scope: Scope) -> None:
        """validateDAG: the tasks' names and dependencies, no cycle, the target, then each task in
        the scope its ancestors give it; the DAG's outputs may use any task."""
        t, file, base = loc.tmpl, loc.file, loc.base
        dag = t.dag
        assert dag is not None
        path = f"{loc.path}.dag"
        scope.node_prefix = "tasks"
        if not dag.tasks:
            raise self.fail(file, join(path, "tasks"), "a DAG needs at least one task")
        self.check_names(dag.tasks, file, join(path, "tasks"), param=False)
        using_depends = any(task.depends for task in dag.tasks)
        by_name = {task.name: task for task in dag.tasks}
        for task in dag.tasks:
            scope.nodes[task.name] = None
        edges: list[tuple[str, str]] = []
        targets: dict[str, Located | None] = {}
        for i, task in enumerate(dag.tasks):
            tpath = join(path, f"tasks[{i}]")
            self.check_task_depends(task, using_depends, file, tpath)
            targets[task.name] = self.resolve(task, base, file, tpath)
            scope.nodes[task.name] = targets[task.name]
            edges.extend((dep, task.name) for dep in self.task_edges(task, by_name, file, tpath))
        chain = cycle_chain(by_name, edges)
        if chain:
            raise self.fail(file, join(path, "tasks"), f"dependency cycle: {chain}")
        before: dict[str, list[str]] = {}
        for dep, dependent in edges:
            before.setdefault(dependent, []).append(dep)
        if dag.target:
            self.check_dag_target(dag.target, by_name, scope, file, path)
        for i, task in enumerate(dag.tasks):
            self.check_task(task, scope, by_name, before, targets, base, file, join(path, f"tasks[{i}]"))
        # The DAG's own outputs may use any task.
        for task in dag.tasks:
            aggregate = bool(task.with_items) or bool(task.with_param)
            self.add_outputs(scope, "tasks", task.name, targets[task.name], aggregate=aggregate)
