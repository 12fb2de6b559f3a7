"""What a run's resource templates create, as the CLI keeps it: child Workflows (and Jobs and Pods,
which run as child Workflows) recorded in the history as runs of their own, their logs printed with
the parent's, and ConfigMaps/Secrets written to the local stores."""

from __future__ import annotations

from typing import Any

from . import output as O


class ChildRecording:
    """The `recording` engine/child_workflows.py asks for: a Recorder, and console events."""

    def __init__(self, store: Any, quiet: bool):
        from localflow.store.recorder import Recorder

        from .submit import ConsoleEvents
        # no file and no argv: `resubmit`/`retry` of a child must not run its parent again
        self.recorder = Recorder(store, None, None, [], mask=O.mask)
        self.events = ConsoleEvents(quiet, store_events=self.recorder)

    def started(self, run: Any) -> None:
        self.recorder.started(run)

    def finished(self, run: Any) -> None:
        self.recorder.finished(run)

    def close(self) -> None:
        self.recorder.close()


def record_children(run: Any, store: Any, quiet: bool, templates_given: bool) -> None:
    """Children are recorded in the history; unless --templates was given, the installed templates
    their manifests reference join the run's bundle."""
    run.child_recording = lambda child: ChildRecording(store, quiet)
    if not templates_given and run.bundle is not None:
        from localflow.store.templates import add_stored
        run.more_templates = lambda wanted: add_stored(run.bundle, wanted)


def persist_to_stores(resources: Any) -> None:
    """ConfigMaps and Secrets made by resource templates go to the local stores too (as on a cluster,
    they outlive the run)."""
    from localflow.store import secrets as S

    def persist(obj: dict) -> None:
        from .resources_cmd import normalise  # (with typer): only when a resource template makes one
        S.save(normalise(obj, "resource template"))
        if obj.get("kind") == "Secret":
            O.add_secrets(resources.secret_values())

    resources.persist = persist
    resources.forget = S.delete
