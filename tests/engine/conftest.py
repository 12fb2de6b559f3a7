"""Helpers for the engine's unit tests: YAML in, a finished run on the fake runtime out."""

from __future__ import annotations

import asyncio
import textwrap

import pytest

from localflow.engine.run import WorkflowRun
from localflow.runtime.fake import FakeClock, FakeRuntime
from localflow.spec.load import load_text


class Harness:
    def __init__(self):
        self.clock = FakeClock()
        self.runtime = FakeRuntime(self.clock)
        self.logs: list[tuple[str, str]] = []
        self.notices: list[str] = []

    def run(self, text: str, *, parameters=None, entrypoint=None, artifacts=None, resources=None,
            name="wf") -> WorkflowRun:
        bundle = load_text(textwrap.dedent(text), "test.yaml")
        wf = bundle.workflows[0]
        harness = self

        class Events:
            def node_changed(self, run, node):
                pass

            def log(self, run, display, container, line):
                harness.logs.append((display, line))

            def notice(self, run, message):
                harness.notices.append(message)

        run = WorkflowRun(wf, runtime=self.runtime, artifacts=artifacts, templates=bundle,
                          parameters=parameters, entrypoint=entrypoint, name=name, clock=self.clock,
                          events=Events(), resources=resources)
        asyncio.run(run.execute())
        return run

    @staticmethod
    def by_name(run: WorkflowRun) -> dict:
        return {n.name: n for n in run.nodes.values()}


@pytest.fixture
def h() -> Harness:
    return Harness()
