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


def _failure_code(e: Exception) -> int:
    """The one line for a command's failure, and its exit code; what is not localflow's (Ctrl-C, an exit
    already decided) is raised again, and so is a bug under LOCALFLOW_DEBUG."""
    from localflow.cli import output as O
    from localflow.errors import LocalflowError
    if isinstance(e, LocalflowError):
        O.err(f"localflow: {e}")
        return getattr(e, "exit_code", 1)
    typer = sys.modules.get("typer")  # a typer.Exit comes only from typer's own path
    if isinstance(e, (KeyboardInterrupt, SystemExit, BrokenPipeError)) or (typer is not None and isinstance(e, typer.Exit)):
        raise e
    import os
    if os.environ.get("LOCALFLOW_DEBUG"):
        raise e
    O.err(f"localflow: internal error: {type(e).__name__}: {e} (this is a bug; LOCALFLOW_DEBUG=1 shows where)")
    return 1


def _fail(e: Exception) -> None:
    import typer
    raise typer.Exit(_failure_code(e))


def _lint(files: list[str], templates: list[str], strict: bool = True) -> int:
    from localflow.cli import output as O
    from localflow.cli.lint import lint_report

    errors, warnings = lint_report(files, templates, strict)
    for line in errors + warnings:
        O.err(line)
    if not errors:
        O.out(f"no linting errors found in {len(files)} file{'s' if len(files) != 1 else ''}")
    return 2 if errors else 0


def _submit(values: dict[str, Any]) -> int:
    """`localflow submit` with its arguments as submit_flags.OPTIONS names them (typer's path and the plain one)."""
    from localflow.cli.submit import SubmitOptions
    from localflow.cli.submit import submit as do_submit
    from localflow.errors import SpecError
    v = dict(values)
    file = v.pop("file")
    if file is None and v["from_ref"] is None:
        raise SpecError("give a workflow file, or --from workflowtemplate/NAME")
    del v["watch"], v["log"]  # accepted for argo's scripts
    return do_submit(SubmitOptions(file=file or "", parameters=v.pop("parameter"),
                                   input_artifacts=v.pop("input_artifact"), **v))


def _submit_plain(values: dict[str, Any]) -> int:
    try:
        return _submit(values)
    except Exception as e:  # noqa: BLE001 - _failure_code re-raises what is not ours
        return _failure_code(e)


def _add_submit(app: typer.Typer) -> None:
    """`localflow submit` (argo submit's flags included), its options from submit_flags.OPTIONS."""
    import inspect

    import typer

    from localflow.cli.submit_flags import FILE_HELP, OPTIONS, defaults
    types = {"str": str | None, "list": list[str], "bool": bool, "strict": bool}
    first = defaults()
    params = [inspect.Parameter("file", inspect.Parameter.KEYWORD_ONLY, default=typer.Argument(None, help=FILE_HELP),
                                annotation=str | None)]
    params += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=types[kind],
                                 default=typer.Option(first[name], *flags, help=help_))
               for name, flags, kind, help_ in OPTIONS]

    def submit(**values: Any) -> None:
        try:
            code = _submit(values)
        except Exception as e:  # noqa: BLE001 - _fail re-raises what is not ours
            _fail(e)
        raise typer.Exit(code)

    submit.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    submit.__annotations__ = {p.name: p.annotation for p in params}
    submit.__doc__ = """Run a workflow in the foreground, streaming logs; print the final tree.

        Example: localflow submit hello-world.yaml -p message="goodbye world"
        """
    app.command()(submit)


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
                                   resident_cmd, resources_cmd, template_cmd)
        history.register(app)
        export_cmd.register(app)
        resources_cmd.register(app)
        template_cmd.register(app)
        cron_cmd.register(app)
        artifacts_cmd.register(app)
        report_cmd.register(app)
        eval_cmd.register(app)
        resident_cmd.register(app)
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


def _plain_submit_arguments(args: list[str]) -> dict[str, Any] | None:
    """`submit`'s arguments when they have one reading (submit_flags.plain_arguments); None for typer."""
    import os

    if any(key.endswith("_COMPLETE") for key in os.environ):
        return None
    from localflow.cli.submit_flags import plain_arguments
    return plain_arguments(args)


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
    if args[:1] == ["submit"]:  # a resident process that runs it without Python's start-up (`localflow resident`)
        from localflow.cli.resident import hand_over
        code = hand_over(sys.argv)
        if code is not None:
            sys.exit(code)
    if args[:1] == ["lint"]:
        plain = _plain_lint_arguments(args[1:])
        if plain is not None:
            _run_plain(_lint, *plain)
    if args[:1] == ["submit"]:  # typer's import and command building are a twentieth of a one-step run
        values = _plain_submit_arguments(args[1:])
        if values is not None:
            _run_plain(_submit_plain, values)
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
