"""`localflow template` and `localflow cluster-template` (create, list, get, delete, lint) as
`argo template` and `argo cluster-template`: the (Cluster)WorkflowTemplates installed here are what
`templateRef`, `workflowTemplateRef` and `submit --from workflowtemplate/NAME` find when no
`--templates` is given. Output shapes are argo's (cmd/argo/commands/template).

(No `from __future__ import annotations`: typer reads the Annotated help texts at definition.)
"""

import datetime
import json
from typing import Annotated, Any

import typer

from . import output as O

PLURAL = {"WorkflowTemplate": "workflow templates", "ClusterWorkflowTemplate": "cluster workflow templates"}


def _exit(e: Exception) -> None:
    O.err(f"localflow: {e}")
    raise typer.Exit(getattr(e, "exit_code", 1))


def relative(ts: datetime.datetime, now: datetime.datetime) -> str:
    """go-humanize's Time(): "now", "1 second ago", "5 minutes ago", "2 days from now", ..."""
    s = int((now - ts).total_seconds())
    when = "ago" if s > 0 else "from now"
    s = abs(s)
    if s < 1:
        return "now"
    for unit, size in (("year", 31536000), ("month", 2592000), ("week", 604800), ("day", 86400),
                       ("hour", 3600), ("minute", 60), ("second", 1)):
        if s >= size:
            n = s // size
            return f"{n} {unit}{'s' if n != 1 else ''} {when}"
    return "now"  # pragma: no cover


def humanize_timestamp(value: str | None) -> str:
    """argo's humanize.Timestamp: `Mon Jan 02 15:04:05 -0700 (5 minutes ago)`, in local time."""
    if not value:
        return ""
    ts = datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    local = ts.astimezone()
    return f"{local.strftime('%a %b %d %H:%M:%S %z')} ({relative(ts, datetime.datetime.now(datetime.timezone.utc))})"


def print_template(doc: dict[str, Any], output: str | None) -> None:
    meta = doc.get("metadata") or {}
    if output == "name":
        O.out(meta.get("name", ""))
    elif output == "json":
        O.out(json.dumps(doc, indent=4))
    elif output == "yaml":
        import yaml
        O.out(yaml.safe_dump(doc, sort_keys=False).rstrip("\n"))
    elif output in (None, "", "wide"):
        for key, value in (("Name:", meta.get("name", "")), ("Namespace:", meta.get("namespace", "default")),
                           ("Created:", humanize_timestamp(meta.get("creationTimestamp")))):
            O.out(f"{key:<20} {value}")
    else:
        O.err(f"localflow: unknown output format: {output}")
        raise typer.Exit(2)


def create(kind: str, files: list[str], output: str | None, strict: bool, replace: bool = False,
           printer: Any = None) -> list[str]:
    """Validate then store every `kind` document of the files (all or none); their names. An existing
    template is an error, as the API server's AlreadyExists, unless `replace` (apply -f)."""
    from localflow.errors import LocalflowError
    from localflow.store import templates as T

    from .manifests import check_argo_documents, read_documents
    try:
        docs = read_documents(files)
        chosen = [(d, w) for d, w in docs if d.get("kind") == kind]
        if not chosen:
            raise LocalflowError(f"no {kind} found in the given files")
        for doc, _ in chosen:
            meta = doc.get("metadata")
            if isinstance(meta, dict) and not meta.get("name") and meta.get("generateName"):
                from localflow.engine.run import generate_name  # the API server names it
                meta["name"] = generate_name(str(meta["generateName"]))
        bundle = check_argo_documents(chosen, strict)
        if bundle.ignored:
            O.err(f"localflow: notice: unknown fields ignored (--strict=false): {', '.join(bundle.ignored)}")
        for doc, where in chosen:
            name = doc["metadata"]["name"]
            if not replace and T.get(kind, name) is not None:
                raise LocalflowError(f'{where}: {kind} "{name}" already exists (delete it first, or use '
                                     "localflow apply -f)")
        names = []
        for doc, _ in chosen:
            T.save(_without(doc, bundle.ignored))
            names.append(doc["metadata"]["name"])
    except LocalflowError as e:
        _exit(e)
    if not replace:
        for name in names:
            (printer or print_template)(T.get(kind, name) or {}, output)
    return names


def for_each_stored(kind: str, names: list[str], action: Any) -> None:
    """`action(name, document)` for each installed `kind` of these names; exit 1 if any is missing."""
    from localflow.store import templates as T
    code = 0
    for name in names:
        doc = T.get(kind, name)
        if doc is None:
            O.err(f'localflow: {kind} "{name}" not found')
            code = 1
            continue
        action(name, doc)
    raise typer.Exit(code)


def _without(doc: dict[str, Any], ignored: list[str]) -> dict[str, Any]:
    """The document minus the unknown fields --strict=false dropped (the API server drops them too)."""
    if not ignored:
        return doc
    import copy

    from localflow.spec.load import _drop
    doc = copy.deepcopy(doc)
    for path in ignored:
        _drop(doc, path)
    return doc


def _group(kind: str, word: str) -> typer.Typer:
    plural = PLURAL[kind]
    g = typer.Typer(help=f"Manipulate {plural} (kept under $LOCALFLOW_HOME), as argo {word}.",
                    no_args_is_help=True, rich_markup_mode=None)

    @g.command("create")
    def create_cmd(
        files: Annotated[list[str], typer.Argument(help="YAML or JSON files; - for stdin")],
        output: Annotated[str | None, typer.Option("--output", "-o", help="name | json | yaml | wide")] = None,
        strict: Annotated[bool, typer.Option("--strict/--no-strict", help="reject unknown fields "
                                             "(--strict=false ignores them with a notice)")] = True,
    ) -> None:
        create(kind, files, output, strict)

    create_cmd.__doc__ = (f"Install {plural} from files (validated first; templateRefs then find them).\n\n"
                          f"Example: localflow {word} create templates.yaml")

    @g.command("list")
    def list_cmd(output: Annotated[str | None, typer.Option("--output", "-o", help="wide | name")] = None) -> None:
        from localflow.store import templates as T
        names = T.names(kind)
        if output == "name":
            for n in names:
                O.out(n)
        elif output in (None, "", "wide"):
            O.out("NAME")
            for n in names:
                O.out(n)
        else:
            O.err(f"localflow: unknown output mode: {output}")
            raise typer.Exit(2)

    list_cmd.__doc__ = f"List the installed {plural}.\n\nExample: localflow {word} list"

    @g.command("get")
    def get_cmd(
        names: Annotated[list[str], typer.Argument(help="template names")],
        output: Annotated[str | None, typer.Option("--output", "-o", help="name | json | yaml | wide")] = None,
    ) -> None:
        for_each_stored(kind, names, lambda name, doc: print_template(doc, output))

    get_cmd.__doc__ = f"Display details about installed {plural}.\n\nExample: localflow {word} get my-template -o yaml"

    @g.command("delete")
    def delete_cmd(
        names: Annotated[list[str] | None, typer.Argument(help="template names")] = None,
        all_: Annotated[bool, typer.Option("--all", help=f"delete all {plural}")] = False,
    ) -> None:
        from localflow.store import templates as T
        targets = T.names(kind) if all_ else list(names or [])
        if not targets and not all_:
            O.err(f"localflow: give the names of the {plural} to delete, or --all")
            raise typer.Exit(2)
        from .resources_cmd import delete_each
        delete_each(targets, lambda n: T.delete(kind, n), f"{kind} '{{name}}' deleted", f'{kind} "{{name}}" not found')

    delete_cmd.__doc__ = f"Delete installed {plural}.\n\nExample: localflow {word} delete my-template"

    @g.command("lint")
    def lint_cmd(
        files: Annotated[list[str], typer.Argument(help="files or folders to check")],
        strict: Annotated[bool, typer.Option("--strict/--no-strict", help="reject unknown fields")] = True,
    ) -> None:
        from .main import _lint
        raise typer.Exit(_lint(files, [], strict))

    lint_cmd.__doc__ = f"Validate files of {plural} without installing them.\n\nExample: localflow {word} lint templates.yaml"
    return g


def register(app: typer.Typer) -> None:
    app.add_typer(_group("WorkflowTemplate", "template"), name="template",
                  help="Manipulate workflow templates: create, list, get, delete, lint (as argo template).")
    app.add_typer(_group("ClusterWorkflowTemplate", "cluster-template"), name="cluster-template",
                  help="Manipulate cluster workflow templates (as argo cluster-template).")
