"""What submit checks before a container starts: the images to pull and the privileged containers,
each named by its field path in the workflow."""

from __future__ import annotations

import textwrap

from localflow.engine.preflight import privileged_containers, static_images
from localflow.spec.load import load_text

WF = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: p-}\nspec:\n" + textwrap.indent("""\
entrypoint: main
templates:
- {name: main, steps: [[{name: a, template: dind}, {name: b, template: set}]]}
- name: dind
  script: {image: "docker:cli", source: "docker ps"}
  sidecars: [{name: dind, image: "docker:dind", securityContext: {privileged: true}}]
  initContainers: [{name: init, image: "busybox:{{workflow.name}}"}]
- {name: set, containerSet: {containers: [{name: main, image: alpine, imagePullPolicy: Always}]}}
- {name: unused, container: {image: never-pulled, securityContext: {privileged: true}}}
""", "  ")


def spec():
    return load_text(WF, "wf.yaml").workflows[0].spec


def test_images_of_reachable_templates_without_tags():
    assert static_images(spec(), None) == {
        "docker:cli": (None, "spec.templates[1].script.image"),
        "docker:dind": (None, "spec.templates[1].sidecars[0].image"),
        "alpine": ("Always", "spec.templates[2].containerSet.containers[0].image"),
    }


def test_privileged_containers_of_reachable_templates():
    assert privileged_containers(spec(), None) == ["spec.templates[1].sidecars[0].securityContext.privileged"]
