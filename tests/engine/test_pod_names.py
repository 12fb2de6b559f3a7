"""Pod names as Argo's workflow/util GeneratePodName makes them (v2), with the cases of Argo's own
pod_name_v2_test.go; the hash is FNV-1a (32 bits) computed here from its definition."""

from __future__ import annotations

from localflow.cli.render import plain_tree
from localflow.engine.nodes import pod_name


def fnv1a32(text: str) -> int:
    h = 2166136261
    for b in text.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def test_short_names():
    assert pod_name("wfname", "templatename", "nodename") == f"wfname-templatename-{fnv1a32('nodename')}"


def test_long_names_cut_the_prefix_at_242_characters():
    wf = ("alongworkflownamethatincludeslotsofdetailsandisessentiallyalargerunonsentencewithpoorstyleand"
          "nopunctuationtobehadwhatsoever")
    tmpl = ("alongtemplatenamethatincludessliightlymoredetailsandiscertainlyalargerunonstnencewitheven"
            "worsestylisticconcernsandpreposterouslyeliminatespunctuation")
    assert len(wf) + len(tmpl) > 253 - 10
    assert pod_name(wf, tmpl, "nodename") == f"{(wf + '-' + tmpl)[:242]}-{fnv1a32('nodename')}"


def test_an_inline_template_has_no_name_in_the_pod_name():
    assert pod_name("wfname", "", "stp.inline") == f"wfname-{fnv1a32('stp.inline')}"


def test_a_one_pod_workflow_is_its_own_pod():
    assert pod_name("hello-abcde", "main", "hello-abcde") == "hello-abcde"


def test_get_shows_pod_names_not_node_ids():
    """`argo get`'s PODNAME column is GeneratePodName of the node (cmd/argo/commands/common/get.go)."""
    h = fnv1a32("steps-x[0].hello1")
    wf = {"metadata": {"name": "steps-x"}, "status": {"nodes": {
        "steps-x": {"id": "steps-x", "name": "steps-x", "displayName": "steps-x", "type": "Steps",
                    "templateName": "main", "phase": "Succeeded", "children": ["steps-x-1"]},
        "steps-x-1": {"id": "steps-x-1", "name": "steps-x[0]", "displayName": "[0]", "type": "StepGroup",
                      "phase": "Succeeded", "children": [f"steps-x-{h}"]},
        f"steps-x-{h}": {"id": f"steps-x-{h}", "name": "steps-x[0].hello1", "displayName": "hello1",
                         "type": "Pod", "templateName": "print-message", "phase": "Succeeded"}}}}
    rows = plain_tree(wf).splitlines()
    assert rows[0].split() == ["STEP", "TEMPLATE", "PODNAME", "DURATION", "MESSAGE"]
    assert rows[-1].split()[:4] == ["└─✔", "hello1", "print-message", f"steps-x-print-message-{h}"]
