"""The `localflow` command. Exit codes: 0 Succeeded, 1 Failed/Error, 2 usage or validation error.

Start-up time matters most for `localflow lint` (CI runs it on every change), so this module
imports little: the typer app is made on first use, with only this module's commands for
`submit`, `lint` and `version`, and `localflow lint FILE... [--templates T]` with plain arguments
runs without typer at all (importing typer is a sixth of such a run).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from localflow import __version__

if TYPE_CHECKING:
    import typer

_OWN_COMMANDS = ("submit", "lint", "version")


def _skip_final_collection() -> None:
    """At exit, Python collects garbage over every object still alive (the docker SDK, the model, a large
    run's nodes) although the process ends anyway: measured, the time from `main` returning to the process's
    end was 150-570 ms for a one-step `submit` on a loaded machine, 10-90 ms with this. Objects are frozen
    (left out of collections) by an exit handler, which runs before that collection; registered when the CLI
    is imported (nothing else imports it), so that every command, and every way of starting one, has it."""
    import atexit
    import gc

    atexit.register(gc.freeze)


_skip_final_collection()
_app: typer.Typer | None = None
_registered = False


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


def _fail(e: Exception) -> None:
    import typer

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


def _lint(files: list[str], templates: list[str], strict: bool = True) -> int:
    from localflow.cli import output as O
    from localflow.cli.lint import lint_report

    errors, warnings = lint_report(files, templates, strict)
    for line in errors + warnings:
        O.err(line)
    if not errors:
        O.out(f"no linting errors found in {len(files)} file{'s' if len(files) != 1 else ''}")
    return 2 if errors else 0


def _add_submit(app: typer.Typer) -> None:
    """`localflow submit` (argo submit's flags included)."""
    import typer

    @app.command()
    def submit(
        file: str | None = typer.Argument(None, help="Workflow YAML (multi-document files too); "
                                                "none with --from"),
        parameter: list[str] = typer.Option([], "--parameter", "-p", help="NAME=VALUE, repeatable"),
        parameter_file: str | None = typer.Option(None, "--parameter-file", "-f", help="YAML or JSON parameters"),
        entrypoint: str | None = typer.Option(None, "--entrypoint", "-e", help="run this template instead"),
        name: str | None = typer.Option(None, "--name", help="the run's name (default: generateName + 5 chars)"),
        output: str | None = typer.Option(None, "--output", "-o", help="json | yaml | name"),
        templates: list[str] = typer.Option([], "--templates", help="WorkflowTemplate files or folders"),
        input_artifact: list[str] = typer.Option([], "--input-artifact", help="NAME=PATH: feed a local file/folder"),
        from_ref: str | None = typer.Option(None, "--from", help="workflowtemplate/NAME or cronwf/NAME "
                                            "(installed, or from --templates / the file)"),
        keep: bool = typer.Option(False, "--keep", help="keep the run's containers, networks and volumes"),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="do not stream logs"),
        detach: bool = typer.Option(False, "--detach", "-d", help="run in a background process; print its name"),
        wait: bool = typer.Option(False, "--wait", "-w", help="with --detach: wait for the run to finish"),
        junit: str | None = typer.Option(None, "--junit", help="write JUnit XML (one testcase per step) here"),
        strict: bool = typer.Option(True, "--strict/--no-strict", help="reject unknown fields (argo's default); "
                                    "--strict=false ignores them with a notice"),
        namespace: str | None = typer.Option(None, "--namespace", "-n", help="sets workflow.namespace"),
        service_account: str | None = typer.Option(None, "--serviceaccount", help="sets spec.serviceAccountName"),
        generate_name: str | None = typer.Option(None, "--generate-name", help="metadata.generateName of the run"),
        labels: str | None = typer.Option(None, "--labels", "-l", help="K=V,K2=V2: labels added to the run"),
        priority: str | None = typer.Option(None, "--priority", help="spec.priority (accepted, as argo)"),
        watch: bool = typer.Option(False, "--watch", help="accepted for argo scripts (localflow watches anyway)"),
        log: bool = typer.Option(False, "--log", help="accepted for argo scripts (logs stream anyway)"),
    ) -> None:
        """Run a workflow in the foreground, streaming logs; print the final tree.

        Example: localflow submit hello-world.yaml -p message="goodbye world"
        """
        from localflow.cli.submit import SubmitOptions
        from localflow.cli.submit import submit as do_submit
        from localflow.errors import SpecError
        try:
            if file is None and from_ref is None:
                raise SpecError("give a workflow file, or --from workflowtemplate/NAME")
            code = do_submit(SubmitOptions(file=file or "", parameters=parameter, parameter_file=parameter_file,
                                           entrypoint=entrypoint, name=name, output=output, templates=templates,
                                           input_artifacts=input_artifact, keep=keep, quiet=quiet, from_ref=from_ref,
                                           detach=detach, wait=wait, junit=junit, strict=strict, namespace=namespace,
                                           service_account=service_account, generate_name=generate_name,
                                           labels=labels, priority=priority))
        except Exception as e:  # noqa: BLE001 - _fail re-raises what is not ours
            _fail(e)
        raise typer.Exit(code)


def _own_commands() -> typer.Typer:
    """The typer app with this module's commands (made once; _register() adds the others)."""
    global _app
    if _app is not None:
        return _app
    import typer

    _plain_coercion()
    app = typer.Typer(
        name="localflow", no_args_is_help=True, add_completion=True,
        help="Run Argo Workflow YAML on one machine with Docker.\n\n"
             "Exit codes: 0 the workflow Succeeded; 1 it Failed or Errored; 2 usage or validation error.",
        context_settings={"help_option_names": ["-h", "--help"]},
        pretty_exceptions_enable=False,
        rich_markup_mode=None,  # plain help: fast start-up, and clean in CI logs
    )

    _add_submit(app)

    @app.command()
    def lint(
        files: list[str] = typer.Argument(..., help="files to check"),
        templates: list[str] = typer.Option([], "--templates", help="WorkflowTemplate files or folders "
                                            "(default: the installed ones)"),
        strict: bool = typer.Option(True, "--strict/--no-strict", help="reject unknown fields (argo's default); "
                                    "--strict=false ignores them with a notice"),
    ) -> None:
        """Check workflows without running anything (no Docker needed).

        Example: localflow lint steps.yaml dag.yaml
        """
        raise typer.Exit(_lint(files, templates, strict))

    @app.command()
    def version() -> None:
        """Print localflow's version.

        Example: localflow version
        """
        typer.echo(f"localflow {__version__}")

    _app = app
    return app


def _register() -> typer.Typer:
    """The whole app: this module's commands, then the others (history, secrets and config maps,
    artifacts, report, eval)."""
    global _registered
    app = _own_commands()
    if not _registered:
        from localflow.cli import (artifacts_cmd, cron_cmd, eval_cmd, export_cmd, history, report_cmd,
                                   resources_cmd, template_cmd)
        history.register(app)
        export_cmd.register(app)
        resources_cmd.register(app)
        template_cmd.register(app)
        cron_cmd.register(app)
        artifacts_cmd.register(app)
        report_cmd.register(app)
        eval_cmd.register(app)
        _registered = True
    return app


def __getattr__(name: str) -> Any:
    if name == "app":
        return _register()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _plain_lint_arguments(args: list[str]) -> tuple[list[str], list[str]] | None:
    """`lint`'s FILE... and `--templates T` (anywhere), as click reads them; None when anything
    else is there (another option, `--`, `-h`) or a shell completion is asked for: typer's part."""
    import os

    if any(key.endswith("_COMPLETE") for key in os.environ):
        return None
    files: list[str] = []
    templates: list[str] = []
    it = iter(args)
    for arg in it:
        if arg == "--templates":
            value = next(it, None)
            if value is None or value.startswith("-"):
                return None
            templates.append(value)
        elif arg.startswith("-"):
            return None
        else:
            files.append(arg)
    return (files, templates) if files else None


def _run_plain(function: Any, *args: Any) -> None:
    """Run a command as typer would: its exit code, Ctrl-C exits 130, a closed pipe exits 1."""
    import errno
    import os

    try:
        code = function(*args)
    except KeyboardInterrupt:
        sys.exit(130)
    except OSError as e:
        if e.errno != errno.EPIPE:
            raise
        devnull = os.open(os.devnull, os.O_WRONLY)  # no second error when Python flushes at exit
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
    sys.exit(code)


def _argo_booleans(args: list[str]) -> list[str]:
    """argo's (cobra's) `--strict=false` / `--strict=true` as click's `--no-strict` / `--strict`."""
    out = []
    for arg in args:
        flag, eq, value = arg.partition("=")
        if eq and flag == "--strict" and value.lower() in ("false", "true", "0", "1"):
            arg = flag if value.lower() in ("true", "1") else "--no-strict"
        out.append(arg)
    return out


def main() -> None:
    args = sys.argv[1:]
    if any(a.startswith("--strict=") for a in args):
        args = _argo_booleans(args)
        sys.argv[1:] = args
    if args[:1] == ["lint"]:
        plain = _plain_lint_arguments(args[1:])
        if plain is not None:
            _run_plain(_lint, *plain)
    # `submit`, `lint` and `version` need none of the other commands: importing their modules and
    # building their click commands would be a tenth of the start-up of `localflow lint`.
    command = _own_commands() if args and args[0] in _OWN_COMMANDS else _register()
    try:
        command()
    except KeyboardInterrupt:
        sys.stderr.write("localflow: interrupted\n")
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 - the last resort of the commands that do not call _fail
        import typer
        try:
            _fail(e)
        except typer.Exit as done:
            sys.exit(done.exit_code)


if __name__ == "__main__":
    main()
