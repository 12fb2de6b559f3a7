"""Template-level checks (validate.go's validateTemplate, validateLeaf, validateInputs,
validateOutputs, ...) and the scope of `{{...}}` variables. A mixin of validate.Checker."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from localflow.errors import SpecError
from localflow.spec.fieldpath import join, suggest
from localflow.spec.model import (
    Arguments,
    Artifact,
    ArtifactLocation,
    Template,
    to_dict,
)
from localflow.spec.names import field_name_problem, metric_name_ok, param_name_problem
from localflow.spec.scope import Scope
from localflow.spec.tags import (
    Tag,
    UnterminatedTag,
    expression_problem,
    find_tags,
    lint_message,
    replace_tags,
    strings_in,
)
from localflow.spec.units import UnitError, is_go_int, parse_duration, parse_go_duration

if TYPE_CHECKING:
    from localflow.spec.validate import Base, Located

RETRY_POLICIES = ("", "Always", "OnError", "OnFailure", "OnTransientError")
RESOURCE_ACTIONS = ("get", "create", "apply", "delete", "replace", "patch")
TYPE_NAMES = "container, script, steps, dag, resource, suspend, containerSet, data, http or plugin"
_PARAM_REF = re.compile(r"{{[-a-zA-Z0-9]+(\.[-a-zA-Z0-9_]+)*}}")


def is_param_ref(text: str) -> bool:
    """validate.go's isParameter: the text holds a `{{a.b.c}}` reference."""
    return bool(_PARAM_REF.search(text))


def has_location_or_key(loc: ArtifactLocation) -> bool:
    """Argo's HasLocationOrKey: a location that says where the artifact is (or at least its key)."""
    value = loc.location()
    kind = loc.location_kind
    if value is None:
        return False
    if kind == "raw":
        return True
    attr = {"azure": "blob", "hdfs": "path", "artifactory": "url", "http": "url", "git": "repo"}.get(kind or "", "key")
    return bool(getattr(value, attr, None))


def _clean_path_problem(art: Artifact) -> str | None:
    """Argo's Artifact.CleanPath: a path is required and must not climb out with '..'."""
    path = art.path or ""
    if not path:
        return f'artifact "{art.name}" needs a path'
    safe = ""
    if "/../" in path:
        safe = path.split("/../", 1)[0]
    elif path.endswith("/.."):
        safe = path[:-3]
    cleaned = posixpath.normpath(path)
    if safe and (not cleaned.startswith(safe + "/") or len(cleaned) <= len(safe) + 1):
        return f'artifact "{art.name}" path {path!r} climbs out with ".."; directory traversal is not allowed'
    return None


class TemplateChecks:
    """Checks of one template; `self` is a validate.Checker."""

    # Provided by Checker.
    file: str | None
    warnings: list[str]
    globals: set[str]
    done: set[Any]
    template_mode: bool
    any_global_output_param: bool
    any_global_output_artifact: bool

    if TYPE_CHECKING:

        def fail(self, file: str | None, path: str | None, message: str) -> Exception: ...
        def warn(self, file: str | None, path: str | None, message: str) -> None: ...
        def base_for_ref(self, name: str, cluster: bool) -> Base | None: ...
        def missing_wft_message(self, name: str, cluster: bool) -> str: ...
        def check_steps(self, loc: Located, scope: Scope) -> None: ...
        def check_dag(self, loc: Located, scope: Scope) -> None: ...
        def check_leaf(self, loc: Located, scope: Scope) -> None: ...

    # --- names, durations, small objects --------------------------------------------------------

    def check_names(self, items: Iterable[Any], file: str | None, path: str, *, param: bool) -> None:
        seen: set[str] = set()
        for i, item in enumerate(items):
            npath = f"{path}[{i}].name"
            name = item.name
            if not name:
                raise self.fail(file, npath, "a name is required")
            problem = param_name_problem(name) if param else field_name_problem(name)
            if problem:
                raise self.fail(file, npath, problem)
            if name in seen:
                raise self.fail(file, npath, f"name {name!r} is used more than once")
            seen.add(name)

    def check_duration(self, value: str | None, file: str | None, path: str, *, argo: bool) -> None:
        if not value or "{{" in value:
            return
        try:
            parse_duration(value) if argo else parse_go_duration(value)
        except UnitError as err:
            raise self.fail(file, path, err.detail) from None

    def check_int_or_string(self, value: Any, file: str | None, path: str, what: str) -> None:
        if value is None or isinstance(value, int):
            return
        if is_go_int(value) or (value.startswith("{{") and value.endswith("}}")):
            return
        raise self.fail(file, path, f"{what} must be an integer or a {{{{...}}}} variable, got {value!r}")

    def check_retry(self, rs: Any, file: str | None, path: str) -> None:
        if (rs.retry_policy or "") not in RETRY_POLICIES:
            raise self.fail(file, join(path, "retryPolicy"), f"{rs.retry_policy!r} is not a valid retryPolicy (use Always, OnFailure, OnError or OnTransientError)")
        self.check_int_or_string(rs.limit, file, join(path, "limit"), "limit")
        if rs.backoff is not None:
            b = rs.backoff
            for attr, js in (("duration", "duration"), ("max_duration", "maxDuration"), ("cap", "cap")):
                self.check_duration(getattr(b, attr), file, join(path, f"backoff.{js}"), argo=True)
            self.check_int_or_string(b.factor, file, join(path, "backoff.factor"), "factor")
        if rs.expression:
            self.check_expression(rs.expression, file, join(path, "expression"))

    def check_expression(self, source: str, file: str | None, path: str) -> None:
        """An expr-lang field (hook or retry expression, valueFrom.expression, ...); `{{...}}` tags in
        it are substituted before it is evaluated, so they stand for a value here."""
        problem = expression_problem(replace_tags(source, "x") if "{{" in source else source)
        if problem:
            raise self.fail(file, path, f"invalid expression {source!r}: {problem}")

    def check_pod_resources(self, res: Any, file: str | None, path: str) -> None:
        if res is None:
            return
        if res.claims:
            raise self.fail(file, join(path, "claims"), "claims are not supported for pod-level resources")
        for attr in ("limits", "requests"):
            for key in getattr(res, attr):
                if key not in ("cpu", "memory") and not key.startswith("hugepages-"):
                    raise self.fail(file, join(path, f"{attr}.{key}"), f"{key!r} is not a pod-level resource (only cpu, memory and hugepages-*)")

    # --- resolving steps, tasks and hooks ---------------------------------------------------------

    def find_target(self, holder: Any, base: Base, file: str | None, path: str) -> Located | None:
        """The template a step, task or hook runs (None when its templateRef is computed at run time)."""
        from localflow.spec.validate import Located

        inline = getattr(holder, "inline", None)
        ref = holder.template_ref
        name = holder.template
        if ref is not None and name:
            raise self.fail(file, path, "set either template or templateRef, not both")
        if inline is not None:
            return Located(inline, base, join(path, "inline"))
        if ref is not None:
            rpath = join(path, "templateRef")
            if not ref.name:
                raise self.fail(file, join(rpath, "name"), "templateRef needs the name of a WorkflowTemplate")
            if not ref.template:
                raise self.fail(file, join(rpath, "template"), "templateRef needs the name of a template")
            if "{{" in ref.name or "{{" in ref.template:
                self.warn(file, rpath, "templateRef is computed at run time, so it is not checked")
                return None
            ref_base = self.base_for_ref(ref.name, bool(ref.cluster_scope))
            if ref_base is None:
                raise self.fail(file, join(rpath, "name"), self.missing_wft_message(ref.name, bool(ref.cluster_scope)))
            loc = ref_base.find(ref.template)
            if loc is None:
                kind = "ClusterWorkflowTemplate" if ref.cluster_scope else "WorkflowTemplate"
                raise self.fail(file, join(rpath, "template"), f'{kind} "{ref.name}" has no template named "{ref.template}"{suggest(ref.template, ref_base.names())}')
            return loc
        if not name:
            raise self.fail(file, path, "needs a template (or templateRef, or inline) to run")
        loc = base.find(name)
        if loc is None:
            raise self.fail(file, join(path, "template"), f'no template named "{name}"{suggest(name, base.names())}')
        return loc

    def resolve(self, holder: Any, base: Base, file: str | None, path: str) -> Located | None:
        loc = self.find_target(holder, base, file, path)
        if loc is not None:
            self.check_template(loc)
        return loc

    def check_hook_target(self, hook: Any, base: Base, file: str | None, path: str) -> None:
        try:
            loc = self.find_target(hook, base, file, path)
        except SpecError as err:  # Argo does not check hook templates before they run
            self.warn(None, None, f"{err} (the hook will fail when it runs)")
            return
        if loc is not None:
            self.check_template(loc)

    def check_supplied(self, loc: Located, args: Arguments | None, file: str | None, path: str, *, entry_point: bool = False) -> None:
        """ProcessArgs: every input without a value, default or configMap source comes from `args`
        (at `file`/`path`); Argo blames the template's input ("inputs.parameters.x was not supplied")."""
        if args is None:
            return
        t = loc.tmpl
        site = "" if file == loc.file else f"{file}: "
        for i, p in enumerate(t.inputs.parameters):
            value = p.value if p.value is not None else p.default
            value_from = p.value_from
            arg = args.parameter(p.name or "")
            if arg is not None:
                if arg.value is not None:
                    value, value_from = arg.value, None
                else:
                    value, value_from = None, arg.value_from
            if value is None and not (value_from is not None and value_from.config_map_key_ref is not None):
                hint = f" or with -p {p.name}=..." if entry_point else ""
                raise self.fail(loc.file, join(loc.path, f"inputs.parameters[{i}]"),
                                f'input parameter "{p.name}" of {loc.label} was not supplied: give it in '
                                f"{site}{join(path, 'parameters')}{hint} (or give the input a default)")
        for i, a in enumerate(t.inputs.artifacts):
            if not a.optional and not has_location_or_key(a) and args.artifact(a.name or "") is None:
                raise self.fail(loc.file, join(loc.path, f"inputs.artifacts[{i}]"),
                                f'input artifact "{a.name}" of {loc.label} was not supplied: give it in '
                                f"{site}{join(path, 'artifacts')} (or make the input optional)")

    # --- one template ---------------------------------------------------------------------------

    def check_template(self, loc: Located) -> None:
        t = loc.tmpl
        inline = loc.path.endswith(".inline")
        key = id(t) if inline or not t.name else (loc.base.kind, loc.base.name, t.name)
        if key in self.done:
            return
        self.done.add(key)
        file, path = loc.file, loc.path
        label = loc.label
        kinds = t.kinds()
        if not kinds:
            raise self.fail(file, path, f"{label} has no type: give it one of {TYPE_NAMES}")
        if len(kinds) > 1:
            raise self.fail(file, path, f"{label} has several types ({', '.join(kinds)}); a template has exactly one")
        kind = kinds[0]
        if t.plugin is not None and len(t.plugin) != 1:
            raise self.fail(file, join(path, "plugin"), f"a plugin template has exactly one key (the plugin's name), got {len(t.plugin)}")
        if t.pod_resources is not None:
            if kind in ("http", "plugin"):
                raise self.fail(file, join(path, "podResources"), f"podResources is not supported for {kind} templates")
            self.check_pod_resources(t.pod_resources, file, join(path, "podResources"))
        self.check_inputs(loc)
        for i, c in enumerate(t.init_containers):
            if not c.name:
                raise self.fail(file, join(path, f"initContainers[{i}].name"), "init containers need a name")
        if t.resource_claims and not t.is_pod:
            raise self.fail(file, join(path, "resourceClaims"), f"resourceClaims is not supported for {kind} templates, which do not create a pod")
        if t.timeout:
            if not t.is_leaf:
                raise self.fail(file, join(path, "timeout"), f"{kind} templates do not support timeout (use activeDeadlineSeconds on the leaf templates)")
            if is_go_int(t.timeout):
                raise self.fail(file, join(path, "timeout"), f"timeout {t.timeout!r} needs a unit, e.g. {t.timeout}s")
            self.check_duration(t.timeout, file, join(path, "timeout"), argo=True)
        if t.pending_timeout:
            if not t.is_leaf:
                raise self.fail(file, join(path, "pendingTimeout"), f"{kind} templates do not support pendingTimeout")
            self.check_duration(t.pending_timeout, file, join(path, "pendingTimeout"), argo=True)
        if t.retry_strategy is not None:
            self.check_retry(t.retry_strategy, file, join(path, "retryStrategy"))
        if t.memoize is not None:
            memo = t.memoize
            if not memo.key:
                raise self.fail(file, join(path, "memoize.key"), "memoize needs a key")
            if memo.cache is None or memo.cache.config_map is None or not memo.cache.config_map.name:
                raise self.fail(file, join(path, "memoize.cache.configMap.name"),
                                "memoize needs a cache config map (cache: {configMap: {name: NAME}})")
            self.check_duration(memo.max_age, file, join(path, "memoize.maxAge"), argo=False)
        if t.suspend is not None:
            self.check_duration(t.suspend.duration, file, join(path, "suspend.duration"), argo=True)
        if t.container_set is not None and t.container_set.retry_strategy is not None:
            rs = t.container_set.retry_strategy
            self.check_duration(rs.duration, file, join(path, "containerSet.retryStrategy.duration"), argo=False)
            self.check_int_or_string(rs.retries, file, join(path, "containerSet.retryStrategy.retries"), "retries")
        self.check_syntax_everywhere(t, file, path)
        scope = self.template_scope(loc)
        if kind == "steps":
            self.check_non_leaf(loc)
            self.check_steps(loc, scope)
        elif kind == "dag":
            self.check_non_leaf(loc)
            self.check_dag(loc, scope)
        else:
            self.check_leaf(loc, scope)
        self.check_outputs(loc, scope)
        if t.archive_location is not None:
            self.check_location(t.archive_location, file, join(path, "archiveLocation"))
        if t.metrics is not None:
            self.check_metrics(t.metrics, file, join(path, "metrics"))

    def check_syntax_everywhere(self, t: Template, file: str | None, path: str) -> None:
        """Every `{{` is closed and every `{{=...}}` expression parses."""
        for spath, tag in self.tags_in(strings_in(to_dict(t)), file, path):
            if tag.is_expression:
                problem = expression_problem(tag.expression_as_written)
                if problem:
                    raise self.fail(file, join(path, spath), f"invalid expression {tag.raw}: {problem}")

    def tags_in(self, strings: Iterable[tuple[str, str]], file: str | None, path: str,
                nested: Callable[[str], bool] | None = None) -> Iterator[tuple[str, Tag]]:
        """(string path, tag) for every tag of `strings` (`nested` as for find_tags); an unterminated
        `{{` fails at its string."""
        for spath, text in strings:
            if "{{" not in text:
                continue
            try:
                tags = find_tags(text, nested)
            except UnterminatedTag as err:
                raise self.fail(file, join(path, spath), lint_message(err)) from None
            for tag in tags:
                yield spath, tag

    def template_scope(self, loc: Located) -> Scope:
        t = loc.tmpl
        scope = Scope(self, loc)
        names = scope.names
        for p in t.inputs.parameters:
            names.add(f"inputs.parameters.{p.name}")
        if t.inputs.parameters:
            names.add("inputs.parameters")
        for a in t.inputs.artifacts:
            names.add(f"inputs.artifacts.{a.name}")
            if t.is_leaf:
                names.add(f"inputs.artifacts.{a.name}.path")
        if t.is_pod:
            names.add("pod.name")
        if t.retry_strategy is not None:
            names.update(("retries", "lastRetry.exitCode", "lastRetry.status", "lastRetry.duration", "lastRetry.message"))
        return scope

    def check_tags(self, strings: Iterable[tuple[str, str]], scope: Scope, file: str | None, path: str) -> None:
        for spath, tag in self.tags_in(strings, file, path, scope.substituted_first):
            if tag.is_expression:
                continue
            problem, is_error = scope.problem(tag.inner)
            if problem and is_error:
                raise self.fail(file, join(path, spath), problem)
            if problem:
                self.warn(file, join(path, spath), problem)

    def check_non_leaf(self, loc: Located) -> None:
        if loc.tmpl.active_deadline_seconds is not None:
            raise self.fail(loc.file, join(loc.path, "activeDeadlineSeconds"), "activeDeadlineSeconds is only valid for leaf templates (container, script, ...)")

    # --- inputs, outputs, artifacts ---------------------------------------------------------------

    def check_inputs(self, loc: Located) -> None:
        t, file, path = loc.tmpl, loc.file, join(loc.path, "inputs")
        self.check_names(t.inputs.parameters, file, join(path, "parameters"), param=True)
        self.check_names(t.inputs.artifacts, file, join(path, "artifacts"), param=True)
        for i, art in enumerate(t.inputs.artifacts):
            apath = join(path, f"artifacts[{i}]")
            self.check_artifact_path(t, art, file, apath)
            if art.from_:
                raise self.fail(file, join(apath, "from"), "from is only valid in arguments, not in inputs")
            self.check_location(art, file, apath)

    def check_artifact_path(self, t: Template, art: Artifact, file: str | None, apath: str) -> None:
        """An input's or output's artifact path: clean in a leaf template, absent in any other."""
        if t.is_leaf:
            problem = _clean_path_problem(art)
            if problem:
                raise self.fail(file, join(apath, "path"), problem)
        elif art.path:
            raise self.fail(file, join(apath, "path"), "an artifact path is only valid in container and script templates")

    def check_location(self, loc: ArtifactLocation, file: str | None, path: str) -> None:
        if loc.git is not None and not loc.git.repo:
            raise self.fail(file, join(path, "git.repo"), "git.repo is required")
        h = loc.hdfs
        if h is not None:
            hp = join(path, "hdfs")
            if not h.addresses:
                raise self.fail(file, join(hp, "addresses"), "hdfs.addresses is required")
            if not h.path:
                raise self.fail(file, join(hp, "path"), "hdfs.path is required")
            if not h.path.startswith("/"):
                raise self.fail(file, join(hp, "path"), "hdfs.path must be an absolute path")
            if not h.hdfs_user and h.krb_c_cache_secret is None and h.krb_keytab_secret is None:
                raise self.fail(file, hp, "hdfs needs hdfsUser, krbCCacheSecret or krbKeytabSecret")

    def check_outputs(self, loc: Located, scope: Scope) -> None:
        t, file, path = loc.tmpl, loc.file, join(loc.path, "outputs")
        self.check_names(t.outputs.parameters, file, join(path, "parameters"), param=True)
        self.check_names(t.outputs.artifacts, file, join(path, "artifacts"), param=True)
        self.check_tags(strings_in(to_dict(t.outputs)), scope, file, path)
        kind = t.kind
        for i, art in enumerate(t.outputs.artifacts):
            apath = join(path, f"artifacts[{i}]")
            self.check_artifact_path(t, art, file, apath)
            if art.global_name and not is_param_ref(art.global_name) and param_name_problem(art.global_name):
                raise self.fail(file, join(apath, "globalName"), param_name_problem(art.global_name) or "")
            if art.from_expression:
                self.check_expression(art.from_expression, file, join(apath, "fromExpression"))
        for i, p in enumerate(t.outputs.parameters):
            ppath = join(path, f"parameters[{i}]")
            if p.value_from is not None and p.value is not None:
                raise self.fail(file, ppath, f'output parameter "{p.name}" has both value and valueFrom; choose one')
            if p.value is None:
                vf = p.value_from
                if vf is None:
                    raise self.fail(file, ppath, f'output parameter "{p.name}" needs valueFrom (or a value)')
                pairs = (("path", "path"), ("jq_filter", "jqFilter"), ("json_path", "jsonPath"), ("parameter", "parameter"), ("expression", "expression"), ("supplied", "supplied"))
                sources = [js for attr, js in pairs if getattr(vf, attr) not in (None, "")]
                if not sources:
                    raise self.fail(file, join(ppath, "valueFrom"), "valueFrom needs one source: path, jqFilter, jsonPath, parameter, expression or supplied")
                if len(sources) > 1:
                    raise self.fail(file, join(ppath, "valueFrom"), f"valueFrom has several sources ({', '.join(sources)}); choose one")
                vpath = join(ppath, "valueFrom")
                if kind in ("container", "containerSet", "script") and not vf.path:
                    raise self.fail(file, vpath, f"valueFrom.path is required for {kind} templates")
                if kind == "resource" and not vf.jq_filter and not vf.json_path:
                    raise self.fail(file, vpath, "valueFrom.jqFilter or jsonPath is required for resource templates")
                if kind in ("steps", "dag") and not vf.parameter and not vf.expression:
                    raise self.fail(file, vpath, f"valueFrom.parameter or expression is required for {kind} templates")
                if vf.expression:
                    self.check_expression(vf.expression, file, join(vpath, "expression"))
            if p.global_name and not is_param_ref(p.global_name) and param_name_problem(p.global_name):
                raise self.fail(file, join(ppath, "globalName"), param_name_problem(p.global_name) or "")

    def check_metrics(self, metrics: Any, file: str | None, path: str) -> None:
        for i, m in enumerate(metrics.prometheus):
            mpath = join(path, f"prometheus[{i}]")
            if not m.name or not metric_name_ok(m.name):
                raise self.fail(file, join(mpath, "name"), f"metric name {m.name!r} is invalid: use letters, digits and '_'")
            for j, label in enumerate(m.labels):
                if not label.key or not metric_name_ok(label.key):
                    raise self.fail(file, join(mpath, f"labels[{j}].key"), f"metric label {label.key!r} is invalid: use letters, digits and '_'")
            if not m.help:
                raise self.fail(file, join(mpath, "help"), f"metric {m.name!r} needs a help string")
            for kind in ("gauge", "counter", "histogram"):
                body = getattr(m, kind)
                if body is not None and not body.value:
                    raise self.fail(file, join(mpath, f"{kind}.value"), f"metric {m.name!r}: {kind}.value is required")
            if m.gauge is not None and m.gauge.realtime and "resourcesDuration." in (m.gauge.value or ""):
                raise self.fail(file, join(mpath, "gauge.value"), f"metric {m.name!r}: resourcesDuration.* metrics cannot be real-time")


__all__ = ["RETRY_POLICIES", "TemplateChecks", "has_location_or_key", "is_param_ref"]
