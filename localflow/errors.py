"""Errors a user can cause. Every layer may import this module (it imports nothing)."""

from __future__ import annotations


class LocalflowError(Exception):
    """An error with a message fit to print as one line. Exit code 1 by default."""

    exit_code = 1


class SpecError(LocalflowError):
    """Invalid input: the file, the field path and what is wrong. Exit code 2."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, path: str | None = None):
        self.file = file
        self.path = path
        self.detail = message
        prefix = ""
        if file:
            prefix += f"{file}: "
        if path:
            prefix += f"{path}: "
        super().__init__(prefix + message)


class ExprError(LocalflowError):
    """A bad `when`, `depends` or `{{=...}}` expression (syntax or evaluation)."""

    exit_code = 2


class UndefinedVariable(ExprError):
    """An expression referenced a variable that is not (yet) defined."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"unknown variable {name!r}")


class StepError(LocalflowError):
    """A node-level error: the node goes to Error with this message (the run goes on)."""


class RuntimeFailure(LocalflowError):
    """The container engine failed us (missing image, engine gone, ...)."""


class EngineLost(RuntimeFailure):
    """The container engine stopped answering in the middle of a run."""


class ArtifactError(LocalflowError):
    """An artifact could not be stored or fetched."""
