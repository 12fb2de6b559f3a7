"""`localflow submit`: load, validate, run in the foreground, print logs and the final tree."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from dataclasses import dataclass, field
from typing import Any

from localflow.errors import LocalflowError, SpecError
from localflow.spec.workflow_ref import resolve_workflow_template_ref

from . import output as O


@dataclass
class SubmitOptions:
    file: str
    parameters: list[str] = field(default_factory=list)
    parameter_file: str | None = None
    entrypoint: str | None = None
    name: str | None = None
    output: str | None = None
    templates: list[str] = field(default_factory=list)
    input_artifacts: list[str] = field(default_factory=list)
    keep: bool = False
    quiet: bool = False
    from_ref: str | None = None
    detach: bool = False
    wait: bool = False
    junit: str | None = None
    strict: bool = True
    namespace: str | None = None
    service_account: str | None = None
    generate_name: str | None = None
    labels: str | None = None
    priority: str | None = None


def parse_parameters(pairs: list[str], parameter_file: str | None) -> dict[str, str]:
    params: dict[str, str] = {}
    if parameter_file:
        import yaml
        try:
            with open(parameter_file) as f:
                data = yaml.safe_load(f) or {}
        except OSError as e:
            raise SpecError(f"cannot read parameter file: {e.strerror}", file=parameter_file) from e
        except yaml.YAMLError as e:
            raise SpecError(f"not YAML or JSON: {str(e).splitlines()[0]}", file=parameter_file) from e
        if not isinstance(data, dict):
            raise SpecError("a parameter file must hold a mapping of names to values", file=parameter_file)
        for k, v in data.items():
            params[str(k)] = v if isinstance(v, str) else json.dumps(v) if isinstance(v, (dict, list)) else (
                "true" if v is True else "false" if v is False else str(v))
    for pair in pairs:
        if "=" not in pair:
            raise SpecError(f"-p {pair!r}: expected NAME=VALUE")
        k, v = pair.split("=", 1)
        params[k.strip()] = v
    return params


def load_workflow(opts: SubmitOptions) -> tuple[Any, Any, dict[str, str], list[str]]:
    """Load and validate: (workflow, bundle, parameters, warnings). Raises SpecError."""
    from localflow.spec.load import load_documents, load_templates, merge
    from localflow.spec.validate import validate_workflow

    from localflow.spec.load import Bundle
    # a JSON file's field names match case-insensitively, as `argo submit` decodes JSON
    bundle = load_documents(opts.file, opts.strict, json_fold_case=True) if opts.file else Bundle()
    extra = [load_templates(t) for t in opts.templates]
    if extra:
        bundle = merge([bundle] + extra)
    else:
        from .submit_flags import add_referenced_templates
        add_referenced_templates(bundle, opts.from_ref)
    if bundle.ignored:
        O.err(f"localflow: notice: unknown fields ignored (--strict=false): {', '.join(bundle.ignored)}")
    wf = pick_workflow(bundle, opts)
    if opts.namespace or opts.service_account or opts.generate_name or opts.labels or opts.priority:
        from .submit_flags import apply_argo_flags
        apply_argo_flags(wf, opts)
    params = parse_parameters(opts.parameters, opts.parameter_file)
    checked = wf
    local = [pair.split("=", 1)[0] for pair in opts.input_artifacts if "=" in pair]
    if local:  # --input-artifact NAME=PATH supplies the entrypoint's input artifact NAME
        import copy

        from localflow.spec import model as M
        checked = copy.deepcopy(wf)
        for name in local:
            checked.spec.arguments.artifacts.append(M.Artifact(name=name, raw=M.RawArtifact(data="")))
    warnings = validate_workflow(checked, file=os.path.basename(opts.file), templates=bundle,
                                 entrypoint=opts.entrypoint, parameters=params)
    return wf, bundle, params, warnings or []


def pick_workflow(bundle: Any, opts: SubmitOptions) -> Any:
    from localflow.spec import model as M
    fname = os.path.basename(opts.file)
    if opts.from_ref:
        kind, _, name = opts.from_ref.partition("/")
        if kind.lower() in ("cronwf", "cronworkflow", "cronworkflows"):
            from .submit_flags import stored_cron
            return cron_to_workflow(stored_cron(bundle, name))
        pool = bundle.cluster_workflow_templates if kind.lower().startswith("cluster") else bundle.workflow_templates
        if name not in pool:
            raise SpecError(f"--from {opts.from_ref}: no such template (known: {', '.join(sorted(pool)) or 'none'})",
                            file=fname)
        cluster = kind.lower().startswith("cluster")
        return M.Workflow(api_version="argoproj.io/v1alpha1", kind="Workflow",
                          metadata=M.ObjectMeta(generate_name=f"{name}-"),
                          spec=M.WorkflowSpec(workflow_template_ref=M.WorkflowTemplateRef(
                              name=name, cluster_scope=True if cluster else None)))
    if bundle.workflows:
        return bundle.workflows[0]
    if bundle.cron_workflows:
        return cron_to_workflow(bundle.cron_workflows[0])
    raise SpecError("no Workflow or CronWorkflow in the file (WorkflowTemplates run with --from "
                    "workflowtemplate/NAME)", file=fname)


def uses_artifacts(wf: Any) -> bool:
    from localflow.spec import model as M
    text = json.dumps(M.to_dict(wf.spec))
    return ('"artifacts"' in text or '"archiveLogs": true' in text or '"artifactPaths"' in text
            or wf.spec.artifact_repository_ref is not None)


class ConsoleEvents:
    """Prints log lines prefixed by the step's name; remembers nothing else."""

    def __init__(self, quiet: bool, store_events: Any = None):
        self.quiet = quiet
        self.store_events = store_events
        self.colours: dict[str, str] = {}

    def node_changed(self, run: Any, node: Any) -> None:
        if self.store_events is not None:
            self.store_events.node_changed(run, node)

    def log(self, run: Any, display: str, container: str, line: str) -> None:
        if self.store_events is not None:
            self.store_events.log(run, display, container, line)
        if self.quiet:
            return
        c = self.colours.setdefault(display, O.PALETTE[len(self.colours) % len(O.PALETTE)])
        who = display if container in ("main", "init", "wait") else f"{display}[{container}]"
        O.out(f"{O.colour(who, c)}: {line}")

    def notice(self, run: Any, message: str) -> None:
        if self.store_events is not None:
            self.store_events.notice(run, message)
        if message and not self.quiet:
            O.err(f"localflow: {message}")


CRON_PROPAGATED_LABELS = ("workflows.argoproj.io/creator", "workflows.argoproj.io/creator-email",
                          "workflows.argoproj.io/creator-preferred-username")


def cron_to_workflow(cron: Any) -> Any:
    """The Workflow Argo's cron controller makes from a CronWorkflow now (workflow/common/convert.go): its
    creator labels, `workflows.argoproj.io/cron-workflow`, the `scheduled-time` annotation (read by
    `{{workflow.scheduledTime}}`) and `spec.workflowMetadata`'s labels and annotations."""
    import datetime

    from localflow.spec import model as M
    meta = cron.metadata
    labels = {k: v for k, v in (meta.labels or {}).items() if k in CRON_PROPAGATED_LABELS}
    labels["workflows.argoproj.io/cron-workflow"] = meta.name or "cron"
    now = datetime.datetime.now().astimezone().replace(microsecond=0).isoformat()
    annotations = {"workflows.argoproj.io/scheduled-time": now.replace("+00:00", "Z")}
    extra = cron.spec.workflow_metadata
    if extra is not None:
        labels.update(extra.labels or {})
        annotations.update(extra.annotations or {})
    return M.Workflow(api_version="argoproj.io/v1alpha1", kind="Workflow",
                      metadata=M.ObjectMeta(generate_name=f"{meta.name or 'cron'}-", labels=labels,
                                            annotations=annotations),
                      spec=cron.spec.workflow_spec)


def build_resources(bundle: Any) -> Any:
    from localflow.engine.resources import Resources
    from localflow.store import secrets as secret_store
    res = Resources(secrets=secret_store.load_secrets(), config_maps=secret_store.load_config_maps())
    for doc in bundle.others:
        res.add_manifest(doc)
    O.add_secrets(res.secret_values())
    from .child_runs import persist_to_stores
    persist_to_stores(res)
    return res


def submit(opts: SubmitOptions) -> int:
    wf, bundle, params, warnings = load_workflow(opts)
    wf = resolve_workflow_template_ref(wf, bundle)
    for w in warnings:
        O.err(f"localflow: {w}")
    resources = build_resources(bundle)
    local_inputs = {}
    for pair in opts.input_artifacts:
        if "=" not in pair:
            raise SpecError(f"--input-artifact {pair!r}: expected NAME=PATH")
        k, v = pair.split("=", 1)
        if not os.path.exists(v):
            raise SpecError(f"--input-artifact {k}: no such file or folder: {v}")
        local_inputs[k] = os.path.abspath(v)

    if opts.detach:
        return detach(opts, wf)
    return execute(opts, wf, bundle, params, resources, local_inputs)


def detach(opts: SubmitOptions, wf: Any) -> int:
    """Validate here, then run in a background process; print the run's name (and wait with --wait)."""
    import subprocess
    import time

    from localflow.engine.run import generate_name
    from localflow.store.db import Store
    from localflow.store.paths import home
    name = opts.name or wf.metadata.name or generate_name(wf.metadata.generate_name or "workflow-")
    argv = [a for a in sys.argv[1:] if a not in ("--detach", "-d", "--wait", "-w")]
    if "--name" not in argv:
        argv += ["--name", name]
    logdir = home() / "logs"
    logdir.mkdir(parents=True, exist_ok=True)
    with open(logdir / f"{name}.submit.log", "ab") as log:
        subprocess.Popen([sys.executable, "-m", "localflow", *argv, "--quiet"], stdin=subprocess.DEVNULL,
                         stdout=log, stderr=log, start_new_session=True, cwd=os.getcwd())
    if opts.output != "json":
        O.out(name)
    if not opts.wait:
        return 0
    store = Store()
    phase = None
    while phase not in ("Succeeded", "Failed", "Error"):
        time.sleep(0.5)
        try:
            phase = store.phase(name)
        except LocalflowError:
            phase = None
    if opts.output == "json":
        O.out(json.dumps(store.get_run(name), indent=2))
    return 0 if phase == "Succeeded" else 1


def execute(opts: SubmitOptions, wf: Any, bundle: Any, params: dict[str, str], resources: Any,
            local_inputs: dict[str, str], previous: dict | None = None) -> int:
    """Run a loaded workflow in the foreground, recorded in the history; the exit code."""
    from localflow.engine.run import RunOptions, WorkflowRun
    from localflow.runtime.docker_runtime import DockerRuntime
    from localflow.store.db import Store
    from localflow.store.locks import FileLocks
    from localflow.store.memo_cache import ConfigMapCache
    from localflow.store.recorder import Recorder, StoreControl

    quiet = opts.quiet or opts.output in ("json", "yaml", "name")
    runtime = DockerRuntime(notice=lambda m: O.err(f"localflow: {m}"), keep=opts.keep)
    preflight(opts, wf, runtime)
    store = Store()
    rec = Recorder(store, None, opts.file, sys.argv[1:], mask=O.mask, allow_existing=previous is not None)
    control = StoreControl(store)
    events = ConsoleEvents(quiet, store_events=rec)
    from localflow.artifacts.run_store import RunArtifactStore, store_for_run
    artifact_store = RunArtifactStore(None)  # no repository: raw and local inputs of referenced templates
    if uses_artifacts(wf):
        from localflow.cli.artifact_server import local_repository
        from localflow.spec import model as M
        ref = wf.spec.artifact_repository_ref
        artifact_store = store_for_run(lambda: local_repository(runtime.client), M.to_dict(ref) if ref is not None else None,
                                       resources.config_maps,
                                       lambda name, key: resources.secret_key(name, key).decode(),
                                       lambda m: O.err(f"localflow: {m}"))
    run = WorkflowRun(wf, runtime=runtime, artifacts=artifact_store, templates=bundle, parameters=params,
                      entrypoint=opts.entrypoint, name=opts.name, events=events, resources=resources,
                      options=RunOptions(keep=opts.keep), control=control, previous=previous,
                      locks=FileLocks(), memo_cache=ConfigMapCache())
    run.local_inputs = local_inputs
    from .child_runs import record_children
    record_children(run, store, quiet, bool(opts.templates))
    live = None if quiet or not O.is_tty() else LiveView(run)
    try:
        rec.started(run)
        if live is not None:
            live.start()
        phase = drive(run, control)
        rec.finished(run)
    finally:
        if live is not None:
            live.stop()
        rec.close()
        runtime.close()
    result = run.to_argo()
    if opts.junit:
        write_junit(run.name, opts.junit)
    if opts.output == "json":
        O.out(json.dumps(result, indent=2))
    elif opts.output == "yaml":
        import yaml
        O.out(yaml.safe_dump(result, sort_keys=False))
    elif opts.output == "name":
        O.out(run.name)
    else:
        from .render import plain_get
        O.out("")
        O.out(plain_get(result))
    return 0 if phase == "Succeeded" else 1


def write_junit(run_name: str, path: str) -> None:
    try:
        from localflow.report.junit import write_junit_for
    except ImportError:
        raise LocalflowError("--junit: the report module is not available in this build")
    write_junit_for(run_name, path)


class LiveView:
    """On a terminal: the node tree, redrawn in place below the streaming logs (like `argo watch`)."""

    def __init__(self, run: Any):
        self.run = run
        self.live = None
        self.last = ""

    def render(self):
        from rich.text import Text

        from .render import plain_tree
        try:
            self.last = plain_tree(self.run.to_argo())
        except RuntimeError:  # the engine changed the nodes while we read them: show the last tree
            pass
        return Text(self.last)

    def start(self) -> None:
        from rich.live import Live
        self.live = Live(get_renderable=self.render, refresh_per_second=2, transient=True,
                         redirect_stdout=True, redirect_stderr=True)
        self.live.start()

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()


def preflight(opts: SubmitOptions, wf: Any, runtime: Any) -> None:
    """What can be known before any container starts: privileged mode, images."""
    from localflow.engine.preflight import privileged_containers, static_images
    from localflow.errors import RuntimeFailure
    wanted = privileged_containers(wf.spec, opts.entrypoint)
    if wanted:
        why = runtime.privileged_refused()
        if why:
            e = SpecError(f"{why}; this workflow needs one, so it cannot run on this engine",
                          file=os.path.basename(opts.file), path=wanted[0])
            e.exit_code = 1
            raise e
    from localflow.engine.preflight import ignored_fields
    ignored = ignored_fields(wf.spec)
    if ignored:
        shown = ", ".join(ignored[:6]) + (f" and {len(ignored) - 6} more" if len(ignored) > 6 else "")
        O.err(f"localflow: notice: Kubernetes-only fields have no effect on Docker and are ignored: {shown}")
    for image, (policy, where) in static_images(wf.spec, opts.entrypoint).items():
        try:
            runtime.images.ensure(image, policy)  # one clear line for a missing image, before any container
        except RuntimeFailure as e:
            raise SpecError(str(e), file=os.path.basename(opts.file), path=where) from e


def retry_run(stored: dict) -> int:
    """`localflow retry`: the same run again, re-running only what failed (as `argo retry`)."""
    wfdoc = stored["workflow"]
    argv = list(stored.get("argv") or [])
    from_ref = argv[argv.index("--from") + 1] if "--from" in argv[:-1] else None  # a run of an installed template
    argv_opts = SubmitOptions(file=stored["file"] or "", name=stored["name"], from_ref=from_ref,
                              entrypoint=stored.get("entrypoint") or None)
    params = {p["name"]: p["value"] for p in (wfdoc.get("spec", {}).get("arguments") or {}).get("parameters", [])}
    argv_opts.parameters = [f"{k}={v}" for k, v in params.items()]
    wf, bundle, params, _ = load_workflow(argv_opts)
    wf = resolve_workflow_template_ref(wf, bundle)
    resources = build_resources(bundle)
    return execute(argv_opts, wf, bundle, params, resources, {}, previous=wfdoc)


def drive(run: Any, control: Any = None) -> str:
    """Run the workflow; Ctrl-C or SIGTERM stops it (exit handlers run), a second Ctrl-C terminates."""
    async def main() -> str:
        loop = asyncio.get_running_loop()
        hits = {"n": 0}

        def on_signal(signame: str) -> None:
            hits["n"] += 1
            terminate = hits["n"] > 1
            O.err(f"localflow: {signame}: {'terminating' if terminate else 'stopping'} {run.name}"
                  + ("" if terminate else " (again to terminate)"))
            asyncio.ensure_future(run.request_stop(terminate=terminate,
                                                   message=f"Stopped by {signame}" if not terminate else None))

        for sig, name in ((signal.SIGINT, "interrupt"), (signal.SIGTERM, "SIGTERM")):
            try:
                loop.add_signal_handler(sig, on_signal, name)
            except (NotImplementedError, RuntimeError):
                pass
        watch = None
        if control is not None:
            from localflow.store.recorder import watch_requests
            watch = asyncio.ensure_future(watch_requests(run, control))
        try:
            return await run.execute()
        finally:
            if watch is not None:
                watch.cancel()

    return asyncio.run(main())
