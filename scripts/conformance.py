#!/usr/bin/env python3
"""Run Argo Workflows' own examples through localflow and compare with what Argo does.

Every `kind: Workflow` document in `<repo>/../shared/argo-examples` is submitted with localflow's CLI
(`python -m localflow submit FILE -o json`, a private LOCALFLOW_HOME, artifacts on the local
stand-in server), with the WorkflowTemplates, ClusterWorkflowTemplates and PersistentVolumeClaims it
refers to passed with `--templates`, and the Secrets and ConfigMaps Argo's e2e environment provides
created first. The result is compared with Argo's:

* the final phase. Argo's example test (test/e2e/examples_test.go) expects Succeeded from every
  Workflow it runs and skips those labelled `workflows.argoproj.io/no-test`; here a no-test label of
  "expected-failure" means Failed, a `workflows.argoproj.io/verify.py` annotation asserting
  `status["phase"]` is honoured, and EXPECTATIONS below records what each other special example does
  on Argo (random outcomes, deadlines, suspend steps that need a resume ...), with the reason;
* the outputs an example states: `# Expected: <node> logs "..."` and `# Expected: the workflow's output
  parameter `p` resolves to "..."` comments, and the node-level facts of EXPECTATIONS (taken from the
  example's comments, or from Argo's e2e tests of the same behaviour);
* what Argo does in every example: a failed container's node message names the container
  (`main: Error (exit code 1)`), no step ends in phase Error unless the example expects it, and no
  `{{...}}` tag of the example reaches a container's output unsubstituted.

Only what needs a Kubernetes API, a cloud (or in-cluster) bucket, the internet (or an image that is not
available offline) or Windows is skipped, with the reason. `localflow lint` is also run over the whole
folder; a valid document it rejects is reported.

The report goes to docs/conformance.md: one row per example (matches / differs / skipped) and totals.

    python scripts/conformance.py [--only PATTERN] [--jobs N] [--timeout S] [--doc PATH]

Exit status: 0 when nothing differs and lint accepts everything (or when the examples are absent),
1 otherwise.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import fnmatch
import json
import os
import random
import re
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlparse

import yaml

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO.parent / "shared" / "argo-examples"
DOC = REPO / "docs" / "conformance.md"
MINIO_IMAGE = "localflow/minio-standin:latest"
DEFAULT_TIMEOUT = 120.0

# `--ci-subset`: a few examples per feature area, run by CI (tests/test_conformance_subset.py) in a
# few minutes; there a skipped example (a missing image...) fails as a difference does
CI_SUBSET = {
    "steps.yaml": "steps",
    "dag-diamond.yaml": "dag",
    "dag-enhanced-depends.yaml": "dag",
    "loops-maps.yaml": "loops",
    "parameter-aggregation.yaml": "loops",
    "conditionals.yaml": "conditions",
    "dag-continue-on-fail.yaml": "conditions",
    "retry-backoff.yaml": "retries",
    "retry-container.yaml": "retries",
    "exit-handlers.yaml": "exit handlers",
    "exit-handler-with-param.yaml": "exit handlers",
    "output-parameter.yaml": "outputs",
    "global-outputs.yaml": "outputs",
    "artifact-passing.yaml": "artifacts",
    "daemon-step.yaml": "daemons",
    "sidecar-nginx.yaml": "sidecars",
    "volumes-pvc.yaml": "volumes",
    "suspend-template.yaml": "suspend",
    "expression-tag-template-workflow.yaml": "expressions",
    "scripts-python.yaml": "scripts",
    "workflow-template/steps.yaml": "templates",
}

# Secrets and ConfigMaps that Argo's e2e environment (or the example's own instructions) provide.
SECRETS = {
    # secrets.yaml: "kubectl create secret generic my-secret --from-literal=mypassword=S00perS3cretPa55word"
    "my-secret": {"mypassword": "S00perS3cretPa55word"},
    # manifests/quick-start/base/minio/my-minio-cred-secret.yaml
    "my-minio-cred": {"accesskey": "admin", "secretkey": "password"},
}
CONFIG_MAPS = {
    # test/e2e/semaphore_test.go: CreateConfigMap("my-config", {"workflow": "1"} / {"template": "1"})
    "my-config": {"workflow": "1", "template": "1"},
    # the limits of the database semaphores (synchronization-db-*.yaml), which Argo's test database holds:
    # localflow keeps them in this config map (engine/sync.py)
    "localflow-sync-limits": {"workflow": "1", "template": "1"},
}
SYNC_PREFIX = "synchronization-"
# Manifests of the folder applied before any run (as examples_test.go applies every ConfigMap).
APPLY_KINDS = ("ConfigMap", "Secret")
TEMPLATE_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")
LINT_KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow")

NO_TEST = "workflows.argoproj.io/no-test"
VERIFY = "workflows.argoproj.io/verify.py"

# What Argo does with the examples whose outcome is not simply "Succeeded", and the stimuli some need.
#   expect:   accepted final phases;          why:     where that comes from
#   resume:   {suspend node display name: {output parameter: value}}, resumed once the node waits
#   stop_after: seconds after which `localflow stop` is sent (as `argo stop`)
#   timeout:  seconds (the example sleeps for longer than the default allows)
#   checks:   stated facts (see Check)
EXPECTATIONS: dict[str, dict[str, Any]] = {
    "continue-on-fail.yaml": dict(
        expect={"Succeeded"},
        why="labelled expected-failure, but step C's failure is ignored (continueOn.failed): Argo's "
            "e2e TestContinueOnFail expects Succeeded with the failed step Failed",
        checks=[("phase", "C", "Failed"), ("phase", "D", "Succeeded")]),
    "template-defaults.yaml": dict(
        expect={"Succeeded", "Failed"},
        why="random: exit code from [0, 1, 1] with 3 attempts (templateDefaults retryStrategy limit 2)"),
    "retry-on-error.yaml": dict(
        expect={"Succeeded", "Failed"},
        why="random: exit code from 0..4 with 3 attempts"),
    "resubmit.yaml": dict(
        expect={"Succeeded", "Failed"},
        why="random: every step exits from [0, 0, 1]"),
    "custom-metrics.yaml": dict(
        expect={"Succeeded", "Failed"},
        why="random: the flakey step exits from [0, 1, 1] without retries"),
    "retry-conditional.yaml": dict(
        expect={"Failed"},
        why="every attempt exits 1 or 2 and the retry expression stops at exit code 1 (or after 11 attempts)"),
    "loops-arbitrary-sequential-steps.yaml": dict(
        expect={"Failed"},
        why="the 4th item exits 1 on purpose ('will fail and stop here'); failFast stops the rest",
        checks=[("absent", "unit-step(4:{\"exit_code\":0,\"message\":\"will not run\"})")]),
    "timeouts-workflow.yaml": dict(
        expect={"Failed"},
        why="activeDeadlineSeconds: 30 with steps that sleep for a day",
        timeout=150),
    "step-level-timeout.yaml": dict(
        expect={"Failed"},
        why="both steps exceed their 10s template timeout; sleep1 only continues on error, and a "
            "timeout is a failure (e2e TestTemplateLevelTimeout)"),
    "forever.yaml": dict(
        expect={"Failed"},
        why="runs for 1000 s; stopped after 10 s (`localflow stop`, as `argo stop`), which fails it",
        stop_after=10),
    "colored-logs.yaml": dict(timeout=200, why="prints for 99 s"),
    "parallelism-nested-workflow.yaml": dict(timeout=240, why="four 30 s steps in sequence"),
    "parallelism-nested.yaml": dict(timeout=240),
    "parallelism-nested-dag.yaml": dict(timeout=240),
    "parallelism-limit.yaml": dict(timeout=200),
    "parallelism-template-limit.yaml": dict(timeout=200, why="'should take at least 60 seconds'"),
    "synchronization-mutex-tmpl-level.yaml": dict(timeout=360, why="ten 20 s steps, one at a time"),
    "synchronization-db-mutex-tmpl-level.yaml": dict(timeout=360, why="ten 20 s steps, one at a time"),
    "synchronization-tmpl-level.yaml": dict(timeout=240),
    "retry-backoff.yaml": dict(timeout=200),
    "dag-disable-failFast.yaml": dict(timeout=240, why="labelled expected-failure: C always exits 2"),
    "suspend-template.yaml": dict(
        resume={"approve": {}},
        why="the approve step waits for `argo resume`; resumed by the script"),
    "suspend-template-outputs.yaml": dict(
        resume={"approve": {"message": "supplied-by-conformance"}},
        why="the approve step waits for `argo node set ... -p message=...` and `argo resume`; resumed by the script",
        checks=[("logs", "release", "supplied-by-conformance")]),
    "intermediate-parameters.yaml": dict(
        resume={"approval": {"approve": "YES"}},
        why="the approval step waits for a supplied `approve`; resumed by the script with YES",
        checks=[("phase", "deploy-prod", "Succeeded")]),
    "pod-gc-strategy.yaml": dict(
        expect={"Failed"},
        why="its `fail` step exits 1 on purpose (to show which pods podGC OnPodSuccess deletes)",
        checks=[("phase", "succeed", "Succeeded")]),
    "pod-gc-strategy-with-label-selector.yaml": dict(
        expect={"Failed"},
        why="its `fail` step exits 1 on purpose (to show which pods podGC deletes)",
        checks=[("phase", "succeed-deleted", "Succeeded"), ("phase", "succeed-not-deleted", "Succeeded")]),
    "dag-targets.yaml": dict(
        why="'specifying a dag.target of E will result in the execution of A, C, and E, while skipping B and D'",
        checks=[("phase", "A", "Succeeded"), ("phase", "C", "Succeeded"), ("phase", "E", "Succeeded"),
                ("absent", "B"), ("absent", "D")]),
    "template-on-exit.yaml": dict(
        why="the comment shows stepA.onExit (exitContainer) after stepA",
        checks=[("phase", "stepA.onExit", "Succeeded"), ("phase", "stepB.onExit", "Succeeded")]),
    "global-outputs.yaml": dict(
        why="'The parameter will be programatically available in the completed workflow object under: "
            "workflow.outputs.parameters' (and the artifact under workflow.outputs.artifacts)",
        checks=[("global-param", "my-global-param", "hello world"), ("global-artifact", "my-global-art")]),
    "exit-handlers.yaml": dict(
        why="labelled expected-failure: the entrypoint exits 1 on purpose; the exit handler cries",
        checks=[("phase", "cry", "Succeeded"), ("phase", "celebrate", "Skipped")]),
}

# Documents of the folder that are not valid, so that `localflow lint` rejecting them is right.
KNOWN_INVALID = {
    "k8s-patch-json-workflow.yaml": (
        "`metadata.annotations` is given twice. Argo parses examples strictly (examples_test.go calls "
        "SplitWorkflowYAMLFile(..., strict=true), i.e. sigs.k8s.io/yaml YAMLToJSONStrict, which refuses "
        "duplicate keys), so Argo's own test drops this document without running it"),
}

# Skip categories.
K8S, CLOUD, INTERNET, WINDOWS = "kubernetes", "cloud bucket", "internet", "windows"

# Blockers the rules below cannot see.
SKIPS: dict[str, tuple[str, str]] = {
    "exit-handler-slack.yaml": (INTERNET, "its exit handler posts to a Slack webhook (YOUR_WEBHOOK_URL_HERE)"),
}

LOCAL_HOSTS = {"localhost", "127.0.0.1", "0.0.0.0", "::1"}
INTERNET_COMMANDS = [
    (re.compile(r"\bpip3? install\b"), "pip install"),
    (re.compile(r"\bapk (?:update|add)\b"), "apk add (Alpine's package mirrors)"),
    (re.compile(r"\bapt-get (?:update|install)\b"), "apt-get (Debian's mirrors)"),
    (re.compile(r"\bgo (?:get|mod download)\b"), "go get"),
    (re.compile(r"\bgit clone\b"), "git clone"),
    (re.compile(r"\bnpm install\b"), "npm install"),
    (re.compile(r"\bwget\b"), "wget"),
]
KUBE_IMAGES = ("quay.io/argoproj/argoexec", "quay.io/argoproj/argocli", "bitnami/kubectl",
               "bitnamilegacy/kubectl", "argoproj/argoexec", "argoproj/argocli")
CLOUD_ARTIFACTS = ("gcs", "azure", "oss", "hdfs", "artifactory")


# ----------------------------------------------------------------------------------------------
# Pure parts: loading, classification, expectations


@dataclass
class Example:
    rel: str                      # path relative to the examples folder
    index: int                    # which Workflow of the file (0 for the first)
    doc: dict[str, Any]
    text: str                     # the whole file
    count: int = 1                # Workflows in the file

    @property
    def label(self) -> str:
        return self.rel if self.count == 1 else f"{self.rel}#{self.index + 1}"


@dataclass
class Check:
    kind: str                     # phase | absent | logs | output | global-param | global-artifact
    node: str = ""                # display name (or parameter name for global-*)
    value: str = ""
    source: str = ""

    def describe(self) -> str:
        if self.kind == "phase":
            return f"node {self.node} {self.value}"
        if self.kind == "absent":
            return f"no node {self.node}"
        if self.kind == "logs":
            return f"{self.node} logs {self.value!r}"
        if self.kind == "output":
            return f"output parameter {self.node} = {self.value!r}"
        if self.kind == "global-param":
            return f"workflow.outputs.parameters.{self.node} = {self.value!r}"
        return f"workflow.outputs.artifacts.{self.node}"


@dataclass
class Plan:
    example: Example
    skip: tuple[str, str] | None = None        # (category, reason)
    expect: set[str] = field(default_factory=lambda: {"Succeeded"})
    why: str = ""
    checks: list[Check] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)   # relative paths for --templates
    timeout: float = DEFAULT_TIMEOUT
    stop_after: float | None = None
    resume: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class Result:
    plan: Plan
    status: str                   # matches | differs | skipped
    got: str = ""                 # the phase, or ValidationError / Timeout / CrashedN
    detail: str = ""
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)   # key error lines


def load_yaml_docs(text: str) -> list[Any]:
    """The documents of a file; PyYAML reads duplicate keys as Go's non-strict parser does (last wins)."""
    try:
        return [d for d in yaml.safe_load_all(text)]
    except yaml.YAMLError:
        return []


def discover(folder: Path) -> tuple[list[Example], dict[tuple[str, str], str], list[tuple[str, dict]]]:
    """(Workflow examples, {(kind, name): relpath} of templates/PVCs, [(relpath, manifest)] to apply)."""
    examples: list[Example] = []
    index: dict[tuple[str, str], str] = {}
    manifests: list[tuple[str, dict]] = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix not in (".yaml", ".yml", ".json"):
            continue
        rel = path.relative_to(folder).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        docs = [d for d in load_yaml_docs(text) if isinstance(d, dict)]
        workflows = [d for d in docs if d.get("kind") == "Workflow"]
        for i, d in enumerate(workflows):
            examples.append(Example(rel, i, d, text, len(workflows)))
        for d in docs:
            kind = d.get("kind")
            name = (d.get("metadata") or {}).get("name")
            if kind in TEMPLATE_KINDS + ("PersistentVolumeClaim",) and name:
                index.setdefault((kind, name), rel)
            if kind in APPLY_KINDS and name:
                manifests.append((rel, d))
    return examples, index, manifests


def walk(node: Any, path: tuple = ()) -> Iterable[tuple[tuple, Any]]:
    """Every (path, value) in a parsed document, depth first."""
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, path + (i,))


def containers(doc: dict) -> Iterable[tuple[str, dict]]:
    """(where, container) for every container-like spec of every template, inline ones included."""
    for where, t in templates_of(doc):
        for key in ("container", "script"):
            if isinstance(t.get(key), dict):
                yield f"{where}.{key}", t[key]
        for key in ("sidecars", "initContainers"):
            for i, c in enumerate(t.get(key) or []):
                if isinstance(c, dict):
                    yield f"{where}.{key}.{i}", c
        cs = t.get("containerSet")
        if isinstance(cs, dict):
            for i, c in enumerate(cs.get("containers") or []):
                if isinstance(c, dict):
                    yield f"{where}.containerSet.containers.{i}", c


def templates_of(doc: dict) -> Iterable[tuple[str, dict]]:
    """Every template of the workflow, inline templates (steps/tasks `inline:`) included."""
    for path, node in walk(doc.get("spec") or {}):
        if isinstance(node, dict) and path and (
                (len(path) >= 2 and path[-2] == "templates" and isinstance(path[-1], int)) or path[-1] == "inline"):
            yield ".".join(map(str, path)), node


def normalise_image(image: str) -> str:
    image = image.strip()
    last = image.rsplit("/", 1)[-1]
    if "@" in image or ":" in last:
        return image
    return image + ":latest"


def command_text(c: dict) -> str:
    parts = []
    for k in ("command", "args"):
        v = c.get(k)
        if isinstance(v, list):
            parts.extend(str(x) for x in v)
        elif isinstance(v, str):
            parts.append(v)
    if isinstance(c.get("source"), str):
        parts.append(c["source"])
    return "\n".join(parts)


def url_hosts(doc: dict) -> list[tuple[str, str]]:
    """(url, host) of every http(s) URL in the workflow's spec (not metadata, not comments)."""
    out = []
    for path, v in walk(doc.get("spec") or {}):
        if isinstance(v, str):
            for m in re.finditer(r"https?://([^\s'\"/:?]+)", v):
                out.append((m.group(0), m.group(1)))
    return out



def resource_runs_locally(resource: dict) -> bool:
    """A resource template localflow runs without a cluster (engine/local_kinds.py: Workflow, PVC,
    ConfigMap, Secret, Job, Pod with create/apply/replace/get/delete)."""
    from types import SimpleNamespace

    from localflow.cli.lint import _runs_locally
    return _runs_locally(SimpleNamespace(action=resource.get("action"), manifest=resource.get("manifest")))

def skip_reasons(doc: dict, available_images: set[str] | None = None) -> list[tuple[str, str]]:
    """Every reason why an example cannot run on one machine offline, as (category, reason)."""
    spec = doc.get("spec") or {}
    found: list[tuple[str, str]] = []

    def add(category: str, reason: str) -> None:
        if all(c != category for c, _ in found):      # one reason per category is enough
            found.append((category, reason))

    # Windows
    for path, v in walk(spec):
        if path and path[-1] == "nodeSelector" and isinstance(v, dict):
            if any("windows" in str(x).lower() for x in v.values()):
                add(WINDOWS, "runs on a Windows node (nodeSelector kubernetes.io/os: windows)")
    for where, c in containers(doc):
        img = str(c.get("image") or "")
        if img.startswith("mcr.microsoft.com/windows"):
            add(WINDOWS, f"Windows image {img}")
    # Kubernetes API
    for where, t in templates_of(doc):
        if isinstance(t.get("resource"), dict) and not resource_runs_locally(t["resource"]):
            action = t["resource"].get("action", "")
            add(K8S, f"resource template `{t.get('name', where)}` ({action} a Kubernetes object)")
    for where, c in containers(doc):
        img = str(c.get("image") or "")
        if img.startswith(KUBE_IMAGES):
            add(K8S, f"image {img} talks to the Kubernetes API")
        if re.search(r"\bkubectl\b", command_text(c)):
            add(K8S, "runs kubectl against the cluster")
    for path, v in walk(spec):
        if path and path[-1] == "plugin" and len(path) >= 3 and path[-3] == "artifacts" and isinstance(v, dict):
            add(K8S, f"artifact plugin `{v.get('name')}` (an artifact driver configured in the cluster's "
                     "workflow-controller ConfigMap)")
        if path and path[-1] == "resourceClaims" and v:
            add(K8S, "resourceClaims (Dynamic Resource Allocation: ResourceClaimTemplates and a DRA driver "
                     "in the cluster)")
    # cloud or in-cluster buckets
    for path, v in walk(spec):
        if not isinstance(v, dict) or not path:
            continue
        if not ((len(path) >= 2 and path[-2] == "artifacts") or path[-1] == "artifactPaths"):
            continue
        for kind in CLOUD_ARTIFACTS:
            if kind in v:
                add(CLOUD, f"{kind} artifact `{v.get('name')}`")
        s3 = v.get("s3")
        if isinstance(s3, dict) and s3.get("endpoint"):
            host = str(s3["endpoint"]).split("://")[-1].split("/")[0].split(":")[0]
            if host not in LOCAL_HOSTS:
                where = "the cluster's MinIO" if "." not in host else "a cloud S3 bucket"
                add(CLOUD, f"s3 artifact `{v.get('name')}` in {where} at {s3['endpoint']}")
        http = v.get("http")
        if isinstance(http, dict) and "webhdfs" in str(http.get("url", "")):
            add(CLOUD, f"webhdfs artifact `{v.get('name')}` at {urlparse(str(http['url'])).hostname}")
    # internet
    for path, v in walk(spec):
        if isinstance(v, dict) and len(path) >= 2 and path[-2] == "artifacts" and isinstance(v.get("git"), dict):
            add(INTERNET, f"git artifact `{v.get('name')}` cloned from {v['git'].get('repo')}")
    for url, host in url_hosts(doc):
        if not (host.startswith("{{") or host in LOCAL_HOSTS):
            add(INTERNET, f"reaches {host} ({url}...)")
    for where, c in containers(doc):
        text = command_text(c)
        for rx, what in INTERNET_COMMANDS:
            if rx.search(text):
                add(INTERNET, f"{what} in {c.get('name') or where.rsplit('.', 1)[-1]}")
    if available_images is not None:
        for where, c in containers(doc):
            img = str(c.get("image") or "")
            if img and "{{" not in img and normalise_image(img) not in available_images:
                add(INTERNET, f"image {img} is not available offline (no registry is reachable)")
    return found


def skip_reason(doc: dict, available_images: set[str] | None = None) -> tuple[str, str] | None:
    """(category, reason) of the first blocker, with the others appended to the reason; None if it can run."""
    found = skip_reasons(doc, available_images)
    if not found:
        return None
    category, reason = found[0]
    others = "; ".join(f"{c}: {r}" for c, r in found[1:])
    return category, reason + (f"; also {others}" if others else "")


def labels_of(doc: dict) -> dict[str, str]:
    return {str(k): str(v) for k, v in ((doc.get("metadata") or {}).get("labels") or {}).items()}


def annotations_of(doc: dict) -> dict[str, str]:
    return {str(k): str(v) for k, v in ((doc.get("metadata") or {}).get("annotations") or {}).items()}


def expected_phases(ex: Example) -> tuple[set[str], str]:
    """The phases Argo ends in for this example, and why."""
    special = EXPECTATIONS.get(ex.rel, {})
    if "expect" in special:
        return set(special["expect"]), special.get("why", "")
    verify = annotations_of(ex.doc).get(VERIFY, "")
    m = re.search(r"""status\[["']phase["']\]\s*==\s*["'](\w+)["']""", verify)
    if m:
        return {m.group(1)}, f"its {VERIFY} annotation asserts phase {m.group(1)}"
    no_test = labels_of(ex.doc).get(NO_TEST)
    if no_test == "expected-failure":
        return {"Failed"}, "labelled no-test: expected-failure"
    why = "Argo's example test expects Succeeded"
    if no_test:
        why += f" (labelled no-test: {no_test}, so Argo's own test skips it)"
    return {"Succeeded"}, why


def stated_checks(ex: Example) -> list[Check]:
    """Facts the example states: `# Expected: ...` comments, and EXPECTATIONS' checks."""
    out = []
    for m in re.finditer(r"^\s*#\s*Expected:\s*(\S+) logs \"(.*)\"\.?\s*$", ex.text, re.M):
        out.append(Check("logs", m.group(1), m.group(2), "comment"))
    for m in re.finditer(r"^\s*#\s*Expected:\s*the workflow's output parameter `([^`]+)` resolves to \"(.*)\"",
                         ex.text, re.M):
        out.append(Check("output", m.group(1), m.group(2), "comment"))
    for c in EXPECTATIONS.get(ex.rel, {}).get("checks", []):
        out.append(Check(c[0], c[1], c[2] if len(c) > 2 else "", "EXPECTATIONS"))
    return out


def referenced(doc: dict, index: dict[tuple[str, str], str], texts: dict[str, list[dict]]) -> list[str]:
    """Files (relative) defining the templates and PVCs a workflow refers to, transitively."""
    files: list[str] = []
    seen: set[tuple[str, str]] = set()
    todo = [doc]
    while todo:
        d = todo.pop()
        wanted = []
        # a Workflow created by a resource template may name its template through a parameter
        # (workflow-of-workflows.yaml): then a template named by any value of the file counts
        makes_workflows = "workflowTemplateRef" in json.dumps([t.get("resource") for _, t in templates_of(d)])
        for path, v in walk(d.get("spec") or {}):
            if makes_workflows and isinstance(v, str) and ("WorkflowTemplate", v) in index:
                wanted.append(("WorkflowTemplate", v))
            if not isinstance(v, dict) or not path:
                continue
            if path[-1] == "templateRef" and v.get("name"):
                kind = "ClusterWorkflowTemplate" if v.get("clusterScope") else "WorkflowTemplate"
                wanted.append((kind, str(v["name"])))
            if path[-1] == "workflowTemplateRef" and v.get("name"):
                kind = "ClusterWorkflowTemplate" if v.get("clusterScope") else "WorkflowTemplate"
                wanted.append((kind, str(v["name"])))
            if path[-1] == "persistentVolumeClaim" and v.get("claimName"):
                wanted.append(("PersistentVolumeClaim", str(v["claimName"])))
        for key in wanted:
            if key in seen or key not in index:
                continue
            seen.add(key)
            rel = index[key]
            if rel not in files:
                files.append(rel)
            for other in texts.get(rel, []):
                if other.get("kind") in TEMPLATE_KINDS:
                    todo.append(other)
    return files


def make_plan(ex: Example, index: dict, texts: dict, available_images: set[str] | None,
              timeout: float = DEFAULT_TIMEOUT) -> Plan:
    plan = Plan(ex)
    special = EXPECTATIONS.get(ex.rel, {})
    plan.skip = SKIPS.get(ex.label) or skip_reason(ex.doc, available_images)
    if plan.skip is None:
        # a template file the workflow refers to may itself need the internet, the cluster ...
        for rel in referenced(ex.doc, index, texts):
            for other in texts.get(rel, []):
                if other.get("kind") in TEMPLATE_KINDS:
                    why = skip_reason(other, available_images)
                    if why:
                        plan.skip = (why[0], f"{why[1]} (in {rel})")
                        break
    plan.expect, plan.why = expected_phases(ex)
    if special.get("why") and "expect" not in special:
        plan.why = (plan.why + "; " if plan.why else "") + special["why"]
    plan.checks = stated_checks(ex)
    # the file's own templates travel with it (a template given twice is an error)
    plan.templates = [rel for rel in referenced(ex.doc, index, texts) if rel != ex.rel]
    plan.timeout = max(timeout, float(special.get("timeout", 0)))
    plan.stop_after = special.get("stop_after")
    plan.resume = special.get("resume", {})
    return plan


def evaluate(plan: Plan, wf: dict | None, logs: dict[str, str]) -> list[str]:
    """The stated checks that do not hold, one line each."""
    failures = []
    nodes = list(((wf or {}).get("status") or {}).get("nodes", {}).values())
    by_display: dict[str, list[dict]] = {}
    for n in nodes:
        by_display.setdefault(n.get("displayName", ""), []).append(n)
    root = next((n for n in nodes if n.get("id") == (wf or {}).get("metadata", {}).get("name")), None)
    status = (wf or {}).get("status") or {}
    for c in plan.checks:
        if c.kind == "phase":
            got = [n.get("phase") for n in by_display.get(c.node, [])]
            if c.value not in got:
                failures.append(f"expected {c.describe()}, got {', '.join(map(str, got)) or 'no such node'}")
        elif c.kind == "absent":
            if c.node in by_display:
                failures.append(f"expected {c.describe()}, got {by_display[c.node][0].get('phase')}")
        elif c.kind == "logs":
            text = logs.get(c.node, "")
            if c.value not in text:
                failures.append(f"expected {c.describe()}, got {text.strip()[-200:]!r}")
        elif c.kind == "output":
            params = {p.get("name"): p.get("value") for p in ((root or {}).get("outputs") or {}).get("parameters", [])}
            if params.get(c.node) != c.value:
                failures.append(f"expected {c.describe()}, got {params.get(c.node)!r}")
        elif c.kind == "global-param":
            params = {p.get("name"): p.get("value") for p in (status.get("outputs") or {}).get("parameters", [])}
            if params.get(c.node) != c.value:
                failures.append(f"expected {c.describe()}, got {params.get(c.node)!r}")
        elif c.kind == "global-artifact":
            arts = {a.get("name") for a in (status.get("outputs") or {}).get("artifacts", [])}
            if c.node not in arts:
                failures.append(f"expected {c.describe()}, got none")
    return failures


CONTAINER_NODES = ("Pod", "Skipped", "Suspend", "HTTP", "Plugin", "Container")
EXIT_MESSAGE = re.compile(r"^(\w+) \(exit code (\d+)\)")


def generic_failures(plan: Plan, wf: dict | None) -> list[str]:
    """What Argo always does, whatever the example: a failed container's message names the container
    (`main: Error (exit code 1)`: operator.go inferFailedReason, e2e cli_test), and no node ends in
    Error (a controller-side problem) in an example Argo runs without errors."""
    out = []
    nodes = list(((wf or {}).get("status") or {}).get("nodes", {}).values())
    bad_messages = []
    for n in nodes:
        msg = n.get("message") or ""
        if n.get("type") == "Pod" and n.get("phase") in ("Failed", "Error") and EXIT_MESSAGE.match(msg):
            bad_messages.append(f"{n.get('displayName')}: {msg!r}")
    if bad_messages:
        out.append("failed container's message lacks the container name (Argo: 'main: Error (exit code N)'): "
                   + ", ".join(bad_messages[:3]) + (f" (+{len(bad_messages) - 3} more)" if len(bad_messages) > 3 else ""))
    if "Error" not in plan.expect:
        errored = [n for n in nodes if n.get("phase") == "Error" and n.get("type") in CONTAINER_NODES]
        for n in errored[:3]:
            out.append(f"node {n.get('displayName')} ended Error: {n.get('message') or '(no message)'}")
    return out


ALL_LOGS = "\0all"      # key of the run's whole log (every container) in the logs mapping
TAG = re.compile(r"\{\{\s*(=?[^{}]*?)\s*\}\}")
# Tags Argo itself may leave as they are: lastRetry.* before the first retry, workflow.failures
# outside exit handlers.
LEGIT_UNRESOLVED = ("lastRetry.", "workflow.failures")


def unresolved_in_logs(plan: Plan, text: str) -> list[str]:
    """`{{...}}` tags of the example's own text that reached a container's output unsubstituted.
    Argo substitutes every variable it knows before a pod starts (unknown ones stay as they are, but
    the examples use known ones), so such a tag is a variable localflow does not provide."""
    source = plan.example.text + "\n" + "\n".join(
        v for _, v in walk(plan.example.doc) if isinstance(v, str))    # the parsed strings: escapes undone
    tags = []
    for m in TAG.finditer(text):
        tag = m.group(0)
        inner = m.group(1)
        if inner.startswith(LEGIT_UNRESOLVED) or tag not in source or tag in tags:
            continue
        tags.append(tag)
    if not tags:
        return []
    shown = ", ".join(tags[:12]) + (f" (+{len(tags) - 12} more)" if len(tags) > 12 else "")
    return [f"unresolved in container output: {shown}"]


def error_lines(wf: dict | None, stderr: str, limit: int = 5) -> list[str]:
    """The key error lines: the workflow's message, failed/errored nodes' messages, localflow's notices."""
    lines: list[str] = []
    status = (wf or {}).get("status") or {}
    if status.get("message"):
        lines.append(f"workflow: {status['message']}")
    for n in (status.get("nodes") or {}).values():
        if n.get("phase") in ("Failed", "Error") and n.get("message") and n.get("type") not in (
                "Steps", "StepGroup", "DAG", "TaskGroup", "Retry"):
            lines.append(f"{n.get('displayName')} ({n.get('type')}, {n.get('phase')}): {n['message']}")
    for ln in stderr.splitlines():
        ln = ln.strip()
        if ln and (ln.startswith("localflow:") or "Error" in ln or "error" in ln) and ln not in lines:
            lines.append(ln)
    out, seen = [], set()
    for ln in lines:
        if ln not in seen:
            seen.add(ln)
            out.append(ln if len(ln) <= 300 else ln[:297] + "...")
    return out[:limit]


def compare(plan: Plan, phase: str, wf: dict | None, logs: dict[str, str], stderr: str) -> Result:
    failures = []
    if phase not in plan.expect:
        failures.append(f"expected {' or '.join(sorted(plan.expect))}, got {phase}")
    if wf is not None:
        failures.extend(evaluate(plan, wf, logs))
        failures.extend(generic_failures(plan, wf))
        failures.extend(unresolved_in_logs(plan, logs.get(ALL_LOGS, "")))
    errors = error_lines(wf, stderr)
    if failures:
        return Result(plan, "differs", phase, "; ".join(failures), errors=errors)
    return Result(plan, "matches", phase, "", errors=errors if phase != "Succeeded" else [])


# ----------------------------------------------------------------------------------------------
# Running


class Runner:
    def __init__(self, folder: Path, home: Path, verbose: bool = True, save: Path | None = None):
        self.save = save
        if save is not None:
            save.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.home = home
        self.verbose = verbose
        self.env = dict(os.environ)
        self.env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [x for x in [os.environ.get("PYTHONPATH")] if x])
        self.env.update(LOCALFLOW_HOME=str(home), LOCALFLOW_MINIO_IMAGE=MINIO_IMAGE,
                        PYTHONUNBUFFERED="1", NO_COLOR="1", TERM="dumb", COLUMNS="200",
                        LOCALFLOW_RESIDENT="off")  # (a resident would outlive the private home by its idle time)
        self.env.pop("LOCALFLOW_S3_ENDPOINT", None)
        self.lock = threading.Lock()
        self.procs: set[subprocess.Popen] = set()
        self.cancelled = False
        self.sync_examples = threading.Lock()  # see run()

    def cancel(self) -> None:
        """Stop every run in flight (as Ctrl-C would: their exit handlers run, their containers go)."""
        self.cancelled = True
        for proc in list(self.procs):
            self._interrupt(proc)
        end = time.monotonic() + 60
        for proc in list(self.procs):
            try:
                proc.wait(timeout=max(1.0, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._interrupt(proc)

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "localflow", *args], cwd=str(REPO), env=self.env,
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def prepare(self, manifests: list[tuple[str, dict]]) -> list[str]:
        """Create the secrets and config maps; the problems, one line each."""
        problems = []
        for name, data in SECRETS.items():
            args = ["secret", "create", name] + [f"--from-literal={k}={v}" for k, v in data.items()]
            r = self.cli(*args)
            if r.returncode:
                problems.append(f"secret {name}: {(r.stderr or r.stdout).strip()}")
        for name, data in CONFIG_MAPS.items():
            args = ["configmap", "create", name] + [f"--from-literal={k}={v}" for k, v in data.items()]
            r = self.cli(*args)
            if r.returncode:
                problems.append(f"configmap {name}: {(r.stderr or r.stdout).strip()}")
        for rel in sorted({rel for rel, _ in manifests}):
            r = self.cli("apply", "-f", str(self.folder / rel))
            if r.returncode:
                problems.append(f"apply {rel}: {(r.stderr or r.stdout).strip()}")
        return problems

    def log(self, msg: str) -> None:
        if self.verbose:
            with self.lock:
                print(msg, flush=True)

    def run(self, plan: Plan, scratch: Path) -> Result:
        ex = plan.example
        if plan.skip:
            return Result(plan, "skipped", detail=f"{plan.skip[0]}: {plan.skip[1]}")
        if self.cancelled:
            raise KeyboardInterrupt
        if Path(ex.rel).name.startswith(SYNC_PREFIX):
            # the synchronization examples share lock names ("welcome", "test", the config map's keys): as in
            # one Argo namespace, they would wait for each other; one at a time, each within its own timeout
            with self.sync_examples:
                return self._run(plan, scratch)
        return self._run(plan, scratch)

    def _run(self, plan: Plan, scratch: Path) -> Result:
        ex = plan.example
        if self.cancelled:
            raise KeyboardInterrupt
        started = time.monotonic()
        meta = ex.doc.get("metadata") or {}
        suffix = "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(5))
        name = meta.get("name") or f"{meta.get('generateName') or 'example-'}{suffix}"
        name = name[:63].rstrip("-.")
        if ex.count > 1:
            # one Workflow per file for localflow: write this one with the file's other documents
            docs = [d for d in load_yaml_docs(ex.text) if isinstance(d, dict)]
            wfs = [d for d in docs if d.get("kind") == "Workflow"]
            keep = [d for d in docs if d.get("kind") != "Workflow"] + [wfs[ex.index]]
            target = scratch / f"{Path(ex.rel).stem}-{ex.index + 1}.yaml"
            target.write_text(yaml.safe_dump_all(keep, sort_keys=False))
        else:
            target = self.folder / ex.rel
        cmd = [sys.executable, "-m", "localflow", "submit", str(target), "-o", "json", "--name", name]
        for rel in plan.templates:
            cmd += ["--templates", str(self.folder / rel)]
        self.log(f"  start  {ex.label}")
        proc = subprocess.Popen(cmd, cwd=str(REPO), env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, text=True, start_new_session=True)
        self.procs.add(proc)
        out: dict[str, str] = {}
        readers = [threading.Thread(target=lambda s=s, k=k: out.__setitem__(k, s.read()), daemon=True)
                   for k, s in (("stdout", proc.stdout), ("stderr", proc.stderr))]
        for t in readers:
            t.start()
        timed_out = False
        stopped = False
        resumed: set[str] = set()
        deadline = started + plan.timeout
        while proc.poll() is None:
            now = time.monotonic()
            if plan.stop_after is not None and not stopped and now - started >= plan.stop_after:
                stopped = True
                self.cli("stop", name, timeout=30)
            if plan.resume and len(resumed) < len(plan.resume):
                self._resume(name, plan.resume, resumed)
            if now >= deadline and not timed_out:
                timed_out = True
                self._interrupt(proc)
                break
            time.sleep(0.5 if plan.resume else 0.2)
        if timed_out:
            try:
                proc.wait(timeout=45)
            except subprocess.TimeoutExpired:
                self._interrupt(proc)          # a second interrupt terminates
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        for t in readers:
            t.join(timeout=10)
        self.procs.discard(proc)
        stdout, stderr = out.get("stdout", ""), out.get("stderr", "")
        seconds = time.monotonic() - started
        wf = parse_json(stdout)
        if proc.returncode == 2 and wf is None:
            phase = "ValidationError"
        elif wf is not None:
            phase = ((wf.get("status") or {}).get("phase")) or "Unknown"
        else:
            phase = f"Crashed(exit {proc.returncode})"
        logs = {}
        for c in plan.checks:
            if c.kind == "logs" and wf is not None:
                r = self.cli("logs", name, c.node, "--no-prefix", timeout=60)
                logs[c.node] = r.stdout
        all_logs = ""
        if wf is not None:
            try:
                r = self.cli("logs", name, "--container", "all", timeout=120)
                all_logs = r.stdout
            except subprocess.TimeoutExpired:
                pass
        logs[ALL_LOGS] = all_logs
        if self.save is not None:
            stem = ex.label.replace("/", "__").replace("#", "-")
            (self.save / f"{stem}.json").write_text(stdout)
            (self.save / f"{stem}.stderr").write_text(stderr)
            (self.save / f"{stem}.logs").write_text(all_logs)
        result = compare(plan, phase, wf, logs, stderr)
        if result.status == "differs" and wf is not None:
            result.errors.extend(self._failed_logs(name, wf))
        if timed_out:
            result.status = "differs"
            result.detail = (f"timed out after {plan.timeout:.0f} s (interrupted; ended {phase}); "
                             + result.detail).rstrip("; ")
            if phase != "Succeeded":
                result.errors = error_lines(wf, stderr)
        if wf is None and not result.errors:
            result.errors = [ln for ln in stderr.strip().splitlines()[-4:]] or [stdout.strip()[-300:]]
        result.seconds = seconds
        self.log(f"  {result.status:<8} {ex.label} ({phase}, {seconds:.0f} s)")
        return result

    def _failed_logs(self, name: str, wf: dict, nodes: int = 3, lines: int = 2) -> list[str]:
        """The last lines each failed container printed (a failed step's own words are the best hint)."""
        out = []
        failed = [n for n in ((wf.get("status") or {}).get("nodes") or {}).values()
                  if n.get("type") == "Pod" and n.get("phase") in ("Failed", "Error")]
        for n in failed[:nodes]:
            try:
                r = self.cli("logs", name, n.get("id", ""), "--no-prefix", timeout=60)
            except subprocess.TimeoutExpired:
                continue
            tail = [ln.strip() for ln in r.stdout.splitlines() if ln.strip()][-lines:]
            if tail:
                out.append(f"{n.get('displayName')} logs: " + " | ".join(tail))
        return out

    def _interrupt(self, proc: subprocess.Popen) -> None:
        try:
            proc.send_signal(signal.SIGINT)
        except ProcessLookupError:
            pass

    def _resume(self, name: str, wanted: dict[str, dict[str, str]], resumed: set[str]) -> None:
        r = self.cli("get", name, "-o", "json", timeout=30)
        if r.returncode:
            return
        wf = parse_json(r.stdout)
        for n in ((wf or {}).get("status") or {}).get("nodes", {}).values():
            disp = n.get("displayName")
            if disp in wanted and disp not in resumed and n.get("type") == "Suspend" and n.get("phase") == "Running":
                args = ["resume", name, "--node", disp]
                for k, v in wanted[disp].items():
                    args += ["-p", f"{k}={v}"]
                rr = self.cli(*args, timeout=30)
                if rr.returncode == 0:
                    resumed.add(disp)
                else:
                    self.log(f"  resume {name} {disp}: {(rr.stderr or rr.stdout).strip()}")

    def lint(self) -> tuple[int, list[str]]:
        r = self.cli("lint", str(self.folder), timeout=300)
        lines = [ln.strip() for ln in (r.stdout + "\n" + r.stderr).splitlines() if ln.strip()]
        return r.returncode, lines


def parse_json(stdout: str) -> dict | None:
    start = stdout.find("{")
    if start < 0:
        return None
    try:
        value = json.loads(stdout[start:])
    except json.JSONDecodeError:
        end = stdout.rfind("}")
        try:
            value = json.loads(stdout[start:end + 1])
        except json.JSONDecodeError:
            return None
    return value if isinstance(value, dict) else None


def lint_rejections(lines: list[str], folder: Path) -> list[tuple[str, str, str | None]]:
    """(relpath, line, why it is right | None) for every problem `localflow lint` printed."""
    out = []
    prefixes = sorted({str(folder) + "/", str(folder.resolve()) + "/", "./"}, key=len, reverse=True)
    for ln in lines:
        line = ln
        for pre in prefixes:
            if line.startswith(pre):
                line = line[len(pre):]
                break
        if ":" not in line:
            continue
        rel = line.split(":", 1)[0].strip()
        out.append((rel, line, KNOWN_INVALID.get(rel)))
    return out


def lintable(folder: Path) -> dict[str, list[str]]:
    """{relpath: [kind/name ...]} of the documents `localflow lint` must accept."""
    out: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix not in (".yaml", ".yml", ".json"):
            continue
        rel = path.relative_to(folder).as_posix()
        for d in load_yaml_docs(path.read_text(encoding="utf-8", errors="replace")):
            if isinstance(d, dict) and d.get("kind") in LINT_KINDS:
                meta = d.get("metadata") or {}
                out.setdefault(rel, []).append(f"{d['kind']}/{meta.get('name') or meta.get('generateName') or '?'}")
    return out


def local_images() -> set[str] | None:
    try:
        r = subprocess.run(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"],
                           capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if r.returncode:
        return None
    return {ln.strip() for ln in r.stdout.splitlines() if ln.strip() and "<none>" not in ln}


# ----------------------------------------------------------------------------------------------
# Report


def md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def git_head() -> str:
    try:
        r = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                           text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "localflow"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return (r.stdout.strip() or "unknown") + (" + uncommitted changes in localflow/" if dirty else "")
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def render(results: list[Result], lint_rc: int | None, lint_lines: list[str], lint_docs: dict[str, list[str]],
           prep_problems: list[str], args: argparse.Namespace, elapsed: float) -> str:
    total = len(results)
    counts = {s: sum(1 for r in results if r.status == s) for s in ("matches", "differs", "skipped")}
    by_cat: dict[str, int] = {}
    for r in results:
        if r.status == "skipped":
            cat = r.detail.split(":", 1)[0]
            by_cat[cat] = by_cat.get(cat, 0) + 1
    rejections = lint_rejections(lint_lines, Path(args.examples))
    unexpected = [r for r in rejections if r[2] is None]
    out = []
    out.append("# Conformance with Argo's own examples")
    out.append("")
    out.append("Generated by `scripts/conformance.py` (do not edit by hand): every `kind: Workflow` in "
               "`../shared/argo-examples` (Argo's `examples/` folder) run through `localflow submit`, "
               "compared with what Argo does. See the script's docstring for how the expected result of "
               "each example is decided.")
    out.append("")
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    opts = f"--jobs {args.jobs} --timeout {args.timeout:.0f}" + (f" --only {args.only}" if args.only else "")
    out.append(f"Run: {when}, localflow at `{git_head()}`, `{opts}`, {elapsed / 60:.1f} min.")
    out.append("")
    out.append("## Totals")
    out.append("")
    out.append(f"- examples: **{total}**")
    out.append(f"- matches: **{counts['matches']}**")
    out.append(f"- differs: **{counts['differs']}**")
    skipped_detail = ", ".join(f"{k} {v}" for k, v in sorted(by_cat.items()))
    out.append(f"- skipped: **{counts['skipped']}**" + (f" ({skipped_detail})" if skipped_detail else ""))
    if lint_rc is not None:
        ndocs = sum(len(v) for v in lint_docs.values())
        known = len(rejections) - len(unexpected)
        out.append(f"- lint: {ndocs} documents in {len(lint_docs)} files; "
                   + ("all valid ones accepted" if not unexpected else f"**{len(unexpected)} rejection(s)** in "
                      + ", ".join(f"`{f}`" for f in sorted({r[0] for r in unexpected})))
                   + (f" ({known} invalid document(s) rightly rejected)" if known else ""))
    if prep_problems:
        out.append(f"- set-up problems: {len(prep_problems)} (below)")
    out.append("")
    out.append("## Examples")
    out.append("")
    out.append("| example | result | expected | got | details |")
    out.append("| --- | --- | --- | --- | --- |")
    for r in sorted(results, key=lambda r: r.plan.example.label):
        ex = r.plan.example
        expected = " or ".join(sorted(r.plan.expect))
        if r.status == "skipped":
            row = (f"| `{ex.label}` | skipped | {expected} | | {md(r.detail)} |")
        else:
            bits = []
            if r.detail:
                bits.append(r.detail)
            if r.errors and r.status == "differs":
                bits.append("errors: " + " / ".join(r.errors))
            if r.plan.checks and r.status == "matches":
                bits.append("checked: " + ", ".join(c.describe() for c in r.plan.checks))
            if r.plan.why and (r.status == "differs" or r.plan.expect != {"Succeeded"} or r.plan.resume
                               or r.plan.stop_after):
                bits.append(f"({r.plan.why})")
            bits.append(f"{r.seconds:.0f} s")
            row = f"| `{ex.label}` | {r.status} | {expected} | {r.got} | {md('; '.join(bits))} |"
        out.append(row)
    out.append("")
    out.append("## Lint")
    out.append("")
    if lint_rc is None:
        out.append("Not run (`--only`).")
    else:
        out.append(f"`localflow lint ../shared/argo-examples` exited {lint_rc}; it must accept every valid "
                   "Workflow, WorkflowTemplate, ClusterWorkflowTemplate and CronWorkflow.")
        out.append("")
        for rel, line, known in rejections:
            if known is None:
                out.append(f"- **rejected**: {md(line)}")
            else:
                out.append(f"- rejected, rightly: {md(line)} ({md(known)})")
        if not rejections:
            out.append("All accepted.")
    if prep_problems:
        out.append("")
        out.append("## Set-up problems")
        out.append("")
        for p in prep_problems:
            out.append(f"- {md(p)}")
    out.append("")
    return "\n".join(out)


# ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", help="run only examples whose path matches this glob or contains this text (comma-separated list)")
    p.add_argument("--jobs", type=int, default=2, help="examples run at once (default 2)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per example (default 120)")
    p.add_argument("--doc", help="where to write the report (default docs/conformance.md; with --only, "
                                 "only when given)")
    p.add_argument("--examples", default=str(EXAMPLES), help=argparse.SUPPRESS)
    p.add_argument("--plan", action="store_true", help="print what would run, skip and expect; run nothing")
    p.add_argument("--ci-subset", action="store_true",
                   help="run only CI_SUBSET (one or two examples per feature area); a skipped one fails too")
    p.add_argument("--keep-home", action="store_true", help="keep the private LOCALFLOW_HOME")
    p.add_argument("--save", help="keep each run's JSON, stderr and logs in this folder")
    args = p.parse_args(argv)

    folder = Path(args.examples)
    if not folder.is_dir():
        print(f"conformance: {folder} is absent; nothing to compare (the examples are not part of this repository)")
        return 0

    examples, index, manifests = discover(folder)
    texts = {}
    for rel in set(index.values()):
        texts[rel] = [d for d in load_yaml_docs((folder / rel).read_text(encoding="utf-8")) if isinstance(d, dict)]
    if args.ci_subset:
        examples = [e for e in examples if e.rel in CI_SUBSET]
        absent = sorted(set(CI_SUBSET) - {e.rel for e in examples})
        if absent:
            print(f"conformance: the CI subset's examples are absent: {', '.join(absent)}")
            return 1
        args.only = "(the CI subset)"  # (no lint of the whole folder; the report only with --doc)
    elif args.only:
        pats = [x.strip() for x in args.only.split(",") if x.strip()]
        examples = [e for e in examples if any(fnmatch.fnmatch(e.rel, pat) or pat in e.rel for pat in pats)]
        if not examples:
            print(f"conformance: no example matches {args.only!r}")
            return 2
    images = local_images()
    plans = [make_plan(e, index, texts, images, args.timeout) for e in examples]

    if args.plan:
        for pl in plans:
            what = f"SKIP {pl.skip[0]}: {pl.skip[1]}" if pl.skip else f"expect {'/'.join(sorted(pl.expect))}"
            extra = []
            if pl.templates:
                extra.append("templates=" + ",".join(pl.templates))
            if pl.checks:
                extra.append("checks=" + "; ".join(c.describe() for c in pl.checks))
            if pl.resume:
                extra.append(f"resume={pl.resume}")
            if pl.stop_after:
                extra.append(f"stop_after={pl.stop_after}")
            print(f"{pl.example.label:<60} {what} {' '.join(extra)}")
        return 0

    home = Path(tempfile.mkdtemp(prefix="localflow-conformance-"))
    scratch = home / "scratch"
    scratch.mkdir()
    runner = Runner(folder, home, save=Path(args.save) if args.save else None)
    began = time.monotonic()

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    try:
        prep = runner.prepare(manifests)
        for line in prep:
            print(f"conformance: set-up: {line}", file=sys.stderr)
        lint_rc, lint_lines = (None, [])
        if not args.only:
            lint_rc, lint_lines = runner.lint()
        todo = [pl for pl in plans if not pl.skip]
        print(f"conformance: {len(plans)} examples, {len(plans) - len(todo)} skipped, "
              f"running {len(todo)} with {args.jobs} at once", flush=True)
        results: list[Result] = [runner.run(pl, scratch) for pl in plans if pl.skip]
        with cf.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = {pool.submit(runner.run, pl, scratch): pl for pl in todo}
            try:
                pending = set(futures)
                while pending:       # a polling wait: signals (Ctrl-C, SIGTERM) are handled at once
                    done, pending = cf.wait(pending, timeout=0.5, return_when=cf.FIRST_COMPLETED)
                    for fut in done:
                        pl = futures[fut]
                        try:
                            results.append(fut.result())
                        except Exception as e:  # a bug here must not lose the other results
                            results.append(Result(pl, "differs", "ScriptError", f"conformance script error: {e!r}"))
            except KeyboardInterrupt:
                print("conformance: interrupted; stopping the runs in flight", file=sys.stderr, flush=True)
                for fut in futures:
                    fut.cancel()
                runner.cancel()
                raise
    except KeyboardInterrupt:
        return 130
    finally:
        if not args.keep_home:
            shutil.rmtree(home, ignore_errors=True)
    elapsed = time.monotonic() - began
    report = render(results, lint_rc, lint_lines, lintable(folder) if lint_rc is not None else {}, prep,
                    args, elapsed)
    doc = Path(args.doc) if args.doc else (None if args.only else DOC)
    if doc is not None:
        doc.parent.mkdir(parents=True, exist_ok=True)
        doc.write_text(report, encoding="utf-8")
        print(f"conformance: wrote {doc}")
    counts = {s: sum(1 for r in results if r.status == s) for s in ("matches", "differs", "skipped")}
    print(f"conformance: {len(results)} examples: {counts['matches']} match, {counts['differs']} differ, "
          f"{counts['skipped']} skipped"
          + ("" if lint_rc is None else f"; lint exit {lint_rc}, "
             f"{sum(1 for r in lint_rejections(lint_lines, folder) if r[2] is None)} unexpected rejection(s)"))
    for r in sorted(results, key=lambda r: r.plan.example.label):
        if r.status == "differs":
            print(f"  differs: {r.plan.example.label}: {r.detail}")
            for e in r.errors:
                print(f"      {e}")
    lint_bad = [r for r in lint_rejections(lint_lines, folder) if r[2] is None]
    for rel, line, _ in lint_bad:
        print(f"  lint rejects: {line}")
    if args.ci_subset and counts["skipped"]:
        for r in results:
            if r.status == "skipped":
                print(f"  skipped (a failure in the CI subset): {r.plan.example.label}: {r.detail}")
        return 1
    return 0 if counts["differs"] == 0 and not lint_bad else 1


if __name__ == "__main__":
    sys.exit(main())
