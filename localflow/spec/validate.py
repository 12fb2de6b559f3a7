"""Validation of loaded Workflows, as Argo's `workflow/validate/validate.go` does for `argo lint`,
with errors that name the file and the field path.

`validate_workflow` raises SpecError for the first problem and returns warnings (things Argo
accepts but that will not work as the author probably expects). The template-level checks are in
`validate_templates`, the steps and DAG checks in `validate_flow`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from localflow.errors import SpecError
from localflow.spec.cron import schedule_problem, timezone_problem
from localflow.spec.fieldpath import join, suggest
from localflow.spec.tags import expression_problem
from localflow.spec.model import (
    Arguments,
    ClusterWorkflowTemplate,
    Container,
    CronWorkflow,
    Parameter,
    Template,
    Workflow,
    WorkflowSpec,
    WorkflowTemplate,
    from_dict,
    present_fields,
)
from localflow.spec.names import (
    MAX_CRON_WORKFLOW_NAME,
    MAX_WORKFLOW_NAME,
    generate_name_problem,
    label_selector_problem,
    object_name_problem,
)
from localflow.spec.units import (
    UnitError,
    parse_duration,
    parse_go_duration,
    parse_quantity,
)
from localflow.spec.validate_flow import FlowChecks
from localflow.spec.validate_leaf import LeafChecks
from localflow.spec.validate_templates import (
    TemplateChecks,
    has_location_or_key,
    is_param_ref,
)

if TYPE_CHECKING:
    from localflow.spec.load import Bundle

__all__ = [
    "UnitError",
    "parse_duration",
    "parse_go_duration",
    "parse_quantity",
    "suggest",
    "validate_bundle",
    "validate_cron_workflow",
    "validate_workflow",
    "validate_workflow_template",
]

POD_GC_STRATEGIES = ("", "OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess")
CONCURRENCY_POLICIES = ("", "Allow", "Forbid", "Replace")


@dataclass
class Base:
    """Where templates are looked up by name: the Workflow, or a WorkflowTemplate reached by templateRef."""

    kind: str
    name: str
    spec: WorkflowSpec
    file: str | None
    spec_path: str = "spec"
    index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for i, tmpl in enumerate(self.spec.templates):
            if tmpl.name is not None:
                self.index.setdefault(tmpl.name, i)

    def find(self, name: str) -> Located | None:
        i = self.index.get(name)
        if i is None:
            return None
        return Located(self.spec.templates[i], self, f"{self.spec_path}.templates[{i}]")

    def names(self) -> list[str]:
        return list(self.index)


@dataclass
class Located:
    """A template and where it is written (its file and field path)."""

    tmpl: Template
    base: Base
    path: str

    @property
    def file(self) -> str | None:
        return self.base.file

    @property
    def label(self) -> str:
        return f'template "{self.tmpl.name}"' if self.tmpl.name else "the inline template"


class Checker(TemplateChecks, LeafChecks, FlowChecks):
    """One validation run: the bundle of templates, the global variables, the warnings."""

    def __init__(self, *, file: str | None, bundle: Bundle | None, lint: bool, template_mode: bool):
        self.file = file
        self.bundle = bundle
        self.lint = lint
        self.template_mode = template_mode  # validating a WorkflowTemplate on its own
        self.warnings: list[str] = []
        self.globals: set[str] = set()
        self.any_global_output_param = False
        self.any_global_output_artifact = False
        self.done: set[Any] = set()
        self.bases: dict[tuple[str, str], Base] = {}

    # --- helpers ----------------------------------------------------------------------------

    def fail(self, file: str | None, path: str | None, message: str) -> SpecError:
        return SpecError(message, file=file, path=path or None)

    def warn(self, file: str | None, path: str | None, message: str) -> None:
        prefix = "".join(f"{p}: " for p in (file, path) if p)
        text = prefix + message
        if text not in self.warnings:
            self.warnings.append(text)

    def base_for_ref(self, name: str, cluster: bool) -> Base | None:
        if self.bundle is None:
            return None
        obj = self.bundle.workflow_template(name, cluster)
        if obj is None:
            return None
        key = ("ClusterWorkflowTemplate" if cluster else "WorkflowTemplate", name)
        if key not in self.bases:
            self.bases[key] = Base(key[0], name, obj.spec, getattr(obj, "source_file", None))
        return self.bases[key]

    # --- the workflow -------------------------------------------------------------------------

    def check_metadata(self, obj: Any, kind: str, limit: int) -> None:
        meta = obj.metadata
        if meta.name:
            problem = object_name_problem(meta.name, limit)
            if problem:
                raise self.fail(self.file, "metadata.name", problem)
        elif meta.generate_name:
            problem = generate_name_problem(meta.generate_name)
            if problem:
                raise self.fail(self.file, "metadata.generateName", problem)
        else:
            self.warn(self.file, "metadata", f"the {kind} has neither name nor generateName (Kubernetes would refuse it)")

    def collect_globals(self, wf_meta: Any, spec: WorkflowSpec, args: Arguments, ref_spec: WorkflowSpec | None) -> None:
        g = self.globals
        g.update(
            f"workflow.{k}"
            for k in (
                "name",
                "namespace",
                "mainEntrypoint",
                "serviceAccountName",
                "uid",
                "status",
                "annotations",
                "annotations.json",
                "labels",
                "labels.json",
            )
        )
        if args.parameters:
            g.update(("workflow.parameters", "workflow.parameters.json"))
        for p in args.parameters:
            if p.name:
                g.add(f"workflow.parameters.{p.name}")
        annotations = set(wf_meta.annotations)
        labels = set(wf_meta.labels)
        for s in (spec, ref_spec):
            if s is not None and s.workflow_metadata is not None:
                annotations |= set(s.workflow_metadata.annotations)
                labels |= set(s.workflow_metadata.labels) | set(s.workflow_metadata.labels_from)
        g.update(f"workflow.annotations.{k}" for k in annotations)
        g.update(f"workflow.labels.{k}" for k in labels)
        if spec.priority is not None or (ref_spec is not None and ref_spec.priority is not None):
            g.add("workflow.priority")
        specs = [s for s in (spec, ref_spec) if s is not None]
        if any(s.on_exit or "exit" in s.hooks for s in specs):
            g.add("workflow.failures")
        # Global outputs (globalName) from every template that can run, so that the order in
        # which templates are checked does not matter.
        templates = [t for s in specs for t in s.templates]
        if self.bundle is not None:
            for obj in [*self.bundle.workflow_templates.values(), *self.bundle.cluster_workflow_templates.values()]:
                templates.extend(obj.spec.templates)
        for t in templates:
            for kind, outputs in (("parameters", t.outputs.parameters), ("artifacts", t.outputs.artifacts)):
                for o in outputs:
                    if not o.global_name:
                        continue
                    if not is_param_ref(o.global_name):
                        g.add(f"workflow.outputs.{kind}.{o.global_name}")
                    elif kind == "parameters":
                        self.any_global_output_param = True
                    else:
                        self.any_global_output_artifact = True

    def effective_arguments(self, args: Arguments, parameters: Mapping[str, str] | None) -> Arguments:
        """The workflow arguments after `-p name=value` (a given value replaces the declared one)."""
        out = copy.deepcopy(args)
        for name, value in (parameters or {}).items():
            param = out.parameter(name)
            if param is None:
                self.warn(self.file, "spec.arguments.parameters", f'parameter "{name}" given with -p is not declared by the workflow')
                out.parameters.append(Parameter(name=name, value=str(value)))
            else:
                param.value = str(value)
                param.value_from = None
        return out

    def check_arguments(self, args: Arguments, file: str | None, path: str, *, workflow_level: bool, allow_empty: bool) -> None:
        self.check_names(args.parameters, file, join(path, "parameters"), param=True)
        self.check_names(args.artifacts, file, join(path, "artifacts"), param=True)
        for i, p in enumerate(args.parameters):
            ppath = join(path, f"parameters[{i}]")
            if p.value is None and p.value_from is None and not allow_empty:
                if workflow_level:
                    raise self.fail(file, ppath, f'parameter "{p.name}" needs a value (give it with -p {p.name}=...)')
                raise self.fail(file, ppath, f'argument "{p.name}" needs a value or valueFrom')
            vf = p.value_from
            if vf is not None:
                wrong = [k for k in ("path", "json_path", "parameter", "expression") if getattr(vf, k)]
                if wrong or (vf.config_map_key_ref is None and not vf.event and vf.supplied is None):
                    raise self.fail(file, join(ppath, "valueFrom"), "arguments may only take valueFrom.configMapKeyRef, supplied or event (with default)")
            if "enum" in present_fields(p) or p.enum:
                if not p.enum:
                    raise self.fail(file, join(ppath, "enum"), "enum must list at least one value")
                if p.value is None:
                    if allow_empty:
                        continue
                    raise self.fail(file, ppath, f'parameter "{p.name}" needs a value, one of {", ".join(p.enum)}')
                if p.value not in p.enum:
                    raise self.fail(file, join(ppath, "value"), f'value {p.value!r} of parameter "{p.name}" is not one of its enum values: {", ".join(p.enum)}')
        for i, a in enumerate(args.artifacts):
            apath = join(path, f"artifacts[{i}]")
            if not a.from_ and not has_location_or_key(a):
                raise self.fail(file, apath, f'artifact "{a.name}" needs from, or a location (s3, git, http, raw, ...)')
            if a.from_ and a.from_expression:
                raise self.fail(file, apath, f'artifact "{a.name}" sets both from and fromExpression; choose one')

    def check_spec_extras(self, spec: WorkflowSpec, file: str | None, path: str) -> None:
        for name, hook in spec.hooks.items():
            if name != "exit" and not hook.expression:
                raise self.fail(file, join(path, f"hooks.{name}.expression"), f'hook "{name}" needs an expression (only the "exit" hook runs without one)')
        if spec.pod_gc is not None and (spec.pod_gc.strategy or "") not in POD_GC_STRATEGIES:
            raise self.fail(file, join(path, "podGC.strategy"), f"unknown strategy {spec.pod_gc.strategy!r} (use one of {', '.join(POD_GC_STRATEGIES[1:])})")
        selector = spec.pod_gc.label_selector if spec.pod_gc is not None else None
        if selector is not None:
            problem = label_selector_problem(
                selector.match_labels, [(e.key or "", e.operator or "", e.values) for e in selector.match_expressions])
            if problem:
                raise self.fail(file, join(path, f"podGC.labelSelector.{problem[0]}"), problem[1])
        if spec.pod_gc is not None and spec.pod_gc.delete_delay_duration:
            self.check_duration(spec.pod_gc.delete_delay_duration, file, join(path, "podGC.deleteDelayDuration"), argo=True)
        self.check_pod_resources(spec.pod_resources, file, join(path, "podResources"))
        if spec.retry_strategy is not None:
            self.check_retry(spec.retry_strategy, file, join(path, "retryStrategy"))
        md = spec.workflow_metadata
        for name, src in ((md.labels_from or {}) if md is not None else {}).items():
            problem = expression_problem(src.expression or "")
            if problem:
                raise self.fail(file, join(path, f"workflowMetadata.labelsFrom.{name}.expression"), problem)
        for i, plugin in enumerate(spec.executor_plugins):
            self.check_executor_plugin(plugin, file, join(path, f"executorPlugins[{i}]"))
        if not self.lint:
            self.check_executor_plugins(spec, file, path)

    def check_executor_plugin(self, plugin: Any, file: str | None, path: str) -> None:
        """What Argo's WorkflowSpec.AsExecutorPluginSpec refuses: no metadata.name, then what plugin
        Sidecar.Validate requires of the container (a port, resource requests and limits, a securityContext)."""

        def member(value: Any, key: str, where: str) -> Any:
            return None if value is None else from_dict(dict[str, Any], value, where, file).get(key)

        if not member(member(plugin, "metadata", path), "name", join(path, "metadata")):
            raise self.fail(file, join(path, "metadata.name"), "executor plugin metadata name is mandatory")
        sidecar = member(member(plugin, "spec", path), "sidecar", join(path, "spec"))
        cpath = join(path, "spec.sidecar.container")
        raw = member(sidecar, "container", join(path, "spec.sidecar"))
        container = from_dict(Container, {} if raw is None else raw, cpath, file)
        resources = container.resources
        for tail, present, why in (
            ("ports", bool(container.ports), "at least one port is mandatory"),
            ("resources.requests", resources is not None and "requests" in present_fields(resources), "resources requests are mandatory"),
            ("resources.limits", resources is not None and "limits" in present_fields(resources), "resources limits are mandatory"),
            ("securityContext", container.security_context is not None, "security context is mandatory"),
        ):
            if not present:
                raise self.fail(file, join(cpath, tail), why)

    def check_executor_plugins(self, spec: WorkflowSpec, file: str | None, path: str) -> None:
        """What a run needs to reach executor plugins (localflow runs those of spec.executorPlugins only;
        Argo's controller may also have plugins installed as ConfigMaps, so `lint` accepts their absence)."""
        for i, plugin in enumerate(spec.executor_plugins):
            container = ((plugin.get("spec") or {}).get("sidecar") or {}).get("container") or {}
            if not any(isinstance(p, dict) and p.get("containerPort") for p in container.get("ports") or []):
                raise self.fail(file, join(path, f"executorPlugins[{i}].spec.sidecar.container.ports"),
                                "an executor plugin needs a containerPort (the agent calls the plugin there)")
        if spec.executor_plugins:
            return
        for i, t in enumerate(spec.templates):
            if t.plugin is not None:
                name = next(iter(t.plugin), "")
                raise self.fail(file, join(path, f"templates[{i}].plugin"),
                                f"no executor plugin can run plugin {name!r}: localflow runs the plugins of "
                                "spec.executorPlugins, and this workflow defines none (plugins installed in a "
                                "cluster as ConfigMaps are not available)")

    def check_spec(
        self,
        obj: Any,
        spec: WorkflowSpec,
        spec_path: str,
        *,
        entrypoint: str | None,
        parameters: Mapping[str, str] | None,
        allow_empty: bool,
        ignore_entrypoint: bool,
    ) -> None:
        file = self.file
        kind = type(obj).__name__
        base = Base(kind, obj.metadata.name or "", spec, file, spec_path)
        ref_base: Base | None = None
        ref_spec: WorkflowSpec | None = None
        entry = entrypoint or spec.entrypoint
        if spec.workflow_template_ref is not None:
            ref = spec.workflow_template_ref
            rpath = join(spec_path, "workflowTemplateRef")
            if spec.templates:
                raise self.fail(file, join(spec_path, "templates"), "a workflow with workflowTemplateRef must not have templates of its own")
            if not ref.name:
                raise self.fail(file, join(rpath, "name"), "workflowTemplateRef needs a name")
            ref_base = self.base_for_ref(ref.name, bool(ref.cluster_scope))
            if ref_base is None:
                raise self.fail(file, join(rpath, "name"), self.missing_wft_message(ref.name, bool(ref.cluster_scope)))
            ref_spec = ref_base.spec
            entry = entry or ref_spec.entrypoint
        self.check_names(spec.templates, file, join(spec_path, "templates"), param=False)
        args = self.effective_arguments(spec.arguments, parameters)
        if ref_spec is not None:
            for p in ref_spec.arguments.parameters:
                if args.parameter(p.name or "") is None:
                    args.parameters.append(p)
            for a in ref_spec.arguments.artifacts:
                if args.artifact(a.name or "") is None:
                    args.artifacts.append(a)
        self.check_arguments(args, file, join(spec_path, "arguments"), workflow_level=True, allow_empty=allow_empty)
        self.collect_globals(obj.metadata, spec, args, ref_spec)
        if not ignore_entrypoint:
            if not entry:
                raise self.fail(file, join(spec_path, "entrypoint"), "an entrypoint is required: the name of the template to start with")
            if ref_base is not None:
                loc = ref_base.find(entry)
                if loc is None:
                    raise self.fail(file, join(spec_path, "entrypoint"), f'WorkflowTemplate "{ref_base.name}" has no template named "{entry}"{suggest(entry, ref_base.names())}')
            else:
                loc = base.find(entry)
                if loc is None:
                    raise self.fail(file, join(spec_path, "entrypoint"), f'no template named "{entry}"{suggest(entry, base.names())}')
            self.check_template(loc)
            fake = self.template_mode
            self.check_supplied(loc, None if fake else args, file, join(spec_path, "arguments"), entry_point=True)
        on_exit = spec.on_exit or (ref_spec.on_exit if ref_spec is not None else None)
        if on_exit:
            where = ref_base or base
            loc = where.find(on_exit)
            if loc is None:
                raise self.fail(file, join(spec_path, "onExit"), f'no template named "{on_exit}"{suggest(on_exit, where.names())}')
            self.check_template(loc)
            self.check_supplied(loc, None if self.template_mode else args, file, join(spec_path, "arguments"), entry_point=True)
        for name, hook in spec.hooks.items():
            self.check_hook_target(hook, ref_base or base, file, join(spec_path, f"hooks.{name}"))
        self.check_spec_extras(spec, file, spec_path)
        for target in [ref_base] if ref_base is not None else [base]:
            for i, tmpl in enumerate(target.spec.templates):
                self.check_template(Located(tmpl, target, f"{target.spec_path}.templates[{i}]"))

    def missing_wft_message(self, name: str, cluster: bool) -> str:
        kind = "ClusterWorkflowTemplate" if cluster else "WorkflowTemplate"
        if self.bundle is None:
            return f'no {kind} named "{name}" is loaded (give the file that defines it with --templates)'
        table = self.bundle.cluster_workflow_templates if cluster else self.bundle.workflow_templates
        hint = suggest(name, table)
        if not hint:
            hint = " (give the file that defines it with --templates)"
        return f'no {kind} named "{name}"{hint}'


def validate_workflow(
    wf: Workflow,
    *,
    file: str | None = None,
    templates: Bundle | None = None,
    entrypoint: str | None = None,
    parameters: Mapping[str, str] | None = None,
    lint: bool = False,
) -> list[str]:
    """Check a Workflow before it runs; raise SpecError for the first problem, return warnings.

    `templates` holds the WorkflowTemplates that `templateRef`s may name; `entrypoint` and
    `parameters` are the `--entrypoint` and `-p name=value` overrides. With `lint=True`, workflow
    arguments without a value are accepted (as `argo lint` does)."""
    file = file if file is not None else getattr(wf, "source_file", None)
    checker = Checker(file=file, bundle=templates, lint=lint, template_mode=False)
    checker.check_metadata(wf, "Workflow", MAX_WORKFLOW_NAME)
    checker.check_spec(wf, wf.spec, "spec", entrypoint=entrypoint, parameters=parameters, allow_empty=lint, ignore_entrypoint=False)
    return checker.warnings


def validate_workflow_template(
    wft: WorkflowTemplate | ClusterWorkflowTemplate,
    *,
    file: str | None = None,
    templates: Bundle | None = None,
) -> list[str]:
    """Check a (Cluster)WorkflowTemplate on its own, as `argo template lint` does: arguments may lack
    values and the entrypoint is optional."""
    file = file if file is not None else getattr(wft, "source_file", None)
    checker = Checker(file=file, bundle=templates, lint=True, template_mode=True)
    checker.check_metadata(wft, type(wft).__name__, MAX_WORKFLOW_NAME)
    spec = wft.spec
    checker.check_spec(wft, spec, "spec", entrypoint=None, parameters=None, allow_empty=True, ignore_entrypoint=not spec.entrypoint)
    return checker.warnings


def validate_cron_workflow(cron: CronWorkflow, *, file: str | None = None, templates: Bundle | None = None) -> list[str]:
    """Check a CronWorkflow: its schedules and settings, then its workflowSpec as a Workflow."""
    file = file if file is not None else getattr(cron, "source_file", None)
    checker = Checker(file=file, bundle=templates, lint=True, template_mode=False)
    checker.check_metadata(cron, "CronWorkflow", MAX_CRON_WORKFLOW_NAME)
    spec = cron.spec
    if not spec.schedules:
        raise checker.fail(file, "spec.schedules", "a CronWorkflow needs at least one schedule")
    for i, schedule in enumerate(spec.schedules):
        problem = schedule_problem(schedule)
        if problem:
            raise checker.fail(file, f"spec.schedules[{i}]", f"cron schedule {schedule!r} is malformed: {problem}")
    if (spec.concurrency_policy or "") not in CONCURRENCY_POLICIES:
        raise checker.fail(file, "spec.concurrencyPolicy", f"{spec.concurrency_policy!r} is not a valid concurrencyPolicy (use Allow, Forbid or Replace)")
    if spec.starting_deadline_seconds is not None and spec.starting_deadline_seconds < 0:
        raise checker.fail(file, "spec.startingDeadlineSeconds", "startingDeadlineSeconds must not be negative")
    if spec.timezone and timezone_problem(spec.timezone):
        raise checker.fail(file, "spec.timezone", timezone_problem(spec.timezone) or "")
    checker.check_spec(cron, spec.workflow_spec, "spec.workflowSpec", entrypoint=None, parameters=None, allow_empty=False, ignore_entrypoint=False)
    return checker.warnings


def validate_bundle(bundle: Bundle, *, file: str | None = None, templates: Bundle | None = None, lint: bool = True) -> list[str]:
    """Check everything a bundle holds (Workflows, templates, CronWorkflows), as `argo lint` does;
    templateRefs resolve in the bundle itself and in `templates`. `file` renames the source in
    messages."""
    from localflow.spec.load import merge

    lookup = bundle if templates is None or templates is bundle else merge([bundle, templates])
    warnings: list[str] = []
    for wf in bundle.workflows:
        warnings += validate_workflow(wf, file=file, templates=lookup, lint=lint)
    for wft in [*bundle.workflow_templates.values(), *bundle.cluster_workflow_templates.values()]:
        warnings += validate_workflow_template(wft, file=file, templates=lookup)
    for cron in bundle.cron_workflows:
        warnings += validate_cron_workflow(cron, file=file, templates=lookup)
    return warnings

