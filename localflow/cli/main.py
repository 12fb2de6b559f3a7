"""The `localflow` command. Exit codes: 0 Succeeded, 1 Failed/Error, 2 usage or validation error."""

from __future__ import annotations

import sys

import typer

from localflow import __version__


def _plain_coercion() -> None:
    """Recent typer coerces every parameter's value through a pydantic TypeAdapter, and importing
    pydantic takes longer than all the rest of a `localflow lint`. For `str`, `list[str]` and
    `bool` parameters (all of ours but one) a value that already has the type is what those
    adapters give back, so it is kept as it is; anything else still goes through typer's own
    coercion. Nothing changes on a typer without that machinery (older versions use click's)."""
    try:
        from typer import core as typer_core
        from typer._coercion import RuntimeParam, build_runtime_param
    except ImportError:  # pragma: no cover - another typer
        return
    base = getattr(typer_core, "_TyperParameter", None)
    original = getattr(base, "get_runtime_param", None)
    if original is None or getattr(original, "localflow_plain", False):  # pragma: no cover
        return

    class Plain(RuntimeParam):
        def _coerce_value(self, value, param, ctx):  # type: ignore[no-untyped-def]
            if self.annotation is str or self.annotation is bool:
                if type(value) is self.annotation:
                    return value
            elif type(value) is str:
                return [value]
            elif isinstance(value, (list, tuple)) and all(type(v) is str for v in value):
                return list(value)
            typed = build_runtime_param(param.type_descriptor)  # e.g. bytes, or `--flag=yes`
            return typed._coerce_value(value, param=param, ctx=ctx)

    def get_runtime_param(self):  # type: ignore[no-untyped-def]
        desc = getattr(self, "type_descriptor", None)
        if (getattr(self, "_runtime_param", True) is None and desc is not None and desc.parameter_info.parser is None
                and desc.file_annotation is None and (desc.annotation in (str, bool) or desc.annotation == list[str])):
            self._runtime_param = Plain(parameter_info=desc.parameter_info, annotation=desc.annotation)
        return original(self)

    get_runtime_param.localflow_plain = True  # type: ignore[attr-defined]
    base.get_runtime_param = get_runtime_param


_plain_coercion()

# `app` (the whole command) is made on first use (see __getattr__ below): `_app` has only the
# commands of this module until _register() adds the others.
_app = typer.Typer(
    name="localflow", no_args_is_help=True, add_completion=True,
    help="Run Argo Workflow YAML on one machine with Docker.\n\n"
         "Exit codes: 0 the workflow Succeeded; 1 it Failed or Errored; 2 usage or validation error.",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: fast start-up, and clean in CI logs
)


def _fail(e: Exception) -> None:
    from localflow.cli import output as O
    from localflow.errors import LocalflowError
    if isinstance(e, LocalflowError):
        O.err(f"localflow: {e}")
        raise typer.Exit(getattr(e, "exit_code", 1))
    if isinstance(e, (typer.Exit, KeyboardInterrupt, SystemExit)):
        raise e
    import os
    if os.environ.get("LOCALFLOW_DEBUG"):
        raise e
    O.err(f"localflow: internal error: {type(e).__name__}: {e} (this is a bug; LOCALFLOW_DEBUG=1 shows where)")
    raise typer.Exit(1)


@_app.command()
def submit(
    file: str = typer.Argument(..., help="Workflow YAML (multi-document files too)"),
    parameter: list[str] = typer.Option([], "--parameter", "-p", help="NAME=VALUE, repeatable"),
    parameter_file: str | None = typer.Option(None, "--parameter-file", "-f", help="YAML or JSON parameters"),
    entrypoint: str | None = typer.Option(None, "--entrypoint", "-e", help="run this template instead"),
    name: str | None = typer.Option(None, "--name", help="the run's name (default: generateName + 5 chars)"),
    output: str | None = typer.Option(None, "--output", "-o", help="json | yaml | name"),
    templates: list[str] = typer.Option([], "--templates", help="WorkflowTemplate files or folders"),
    input_artifact: list[str] = typer.Option([], "--input-artifact", help="NAME=PATH: feed a local file/folder"),
    from_ref: str | None = typer.Option(None, "--from", help="workflowtemplate/NAME from --templates"),
    keep: bool = typer.Option(False, "--keep", help="keep the run's containers, networks and volumes"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="do not stream logs"),
    detach: bool = typer.Option(False, "--detach", "-d", help="run in a background process; print its name"),
    wait: bool = typer.Option(False, "--wait", "-w", help="with --detach: wait for the run to finish"),
    junit: str | None = typer.Option(None, "--junit", help="write JUnit XML (one testcase per step) here"),
) -> None:
    """Run a workflow in the foreground, streaming logs; print the final tree.

    Example: localflow submit hello-world.yaml -p message="goodbye world"
    """
    from localflow.cli.submit import SubmitOptions
    from localflow.cli.submit import submit as do_submit
    try:
        code = do_submit(SubmitOptions(file=file, parameters=parameter, parameter_file=parameter_file,
                                       entrypoint=entrypoint, name=name, output=output, templates=templates,
                                       input_artifacts=input_artifact, keep=keep, quiet=quiet, from_ref=from_ref,
                                       detach=detach, wait=wait, junit=junit))
    except Exception as e:  # noqa: BLE001 - _fail re-raises what is not ours
        _fail(e)
    raise typer.Exit(code)


@_app.command()
def lint(
    files: list[str] = typer.Argument(..., help="files to check"),
    templates: list[str] = typer.Option([], "--templates", help="WorkflowTemplate files or folders"),
) -> None:
    """Check workflows without running anything (no Docker needed).

    Example: localflow lint steps.yaml dag.yaml
    """
    from localflow.cli import output as O
    from localflow.cli.lint import lint_files, resource_warnings
    errors = lint_files(files, templates)
    for line in errors:
        O.err(line)
    if not errors:
        for line in resource_warnings(files):
            O.err(line)
    if not errors:
        O.out(f"no linting errors found in {len(files)} file{'s' if len(files) != 1 else ''}")
    raise typer.Exit(2 if errors else 0)


@_app.command()
def version() -> None:
    """Print localflow's version.

    Example: localflow version
    """
    typer.echo(f"localflow {__version__}")


_OWN_COMMANDS = ("submit", "lint", "version")
_registered = False


def _register() -> typer.Typer:
    """The other commands (history, secrets and config maps, artifacts, report) on `_app`."""
    global _registered
    if not _registered:
        from localflow.cli import artifacts_cmd, history, report_cmd, resources_cmd
        history.register(_app)
        resources_cmd.register(_app)
        artifacts_cmd.register(_app)
        report_cmd.register(_app)
        _registered = True
    return _app


def __getattr__(name: str) -> typer.Typer:
    if name == "app":
        return _register()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    # `localflow submit|lint|version ...` needs none of the other commands: importing their modules
    # and building their click commands would be a tenth of the start-up of `localflow lint`.
    args = sys.argv[1:]
    command = _app if args and args[0] in _OWN_COMMANDS else _register()
    try:
        command()
    except KeyboardInterrupt:
        sys.stderr.write("localflow: interrupted\n")
        sys.exit(130)


if __name__ == "__main__":
    main()
