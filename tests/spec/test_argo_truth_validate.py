"""`localflow lint` against Argo's own validation tests: every lint-applicable case of
../shared/argo-truth/validate/cases.tsv (from workflow/validate/validate_test.go and
validate_dag_test.go) gets Argo's verdict, and a rejection names the field Argo's error names.

Expected values come from Argo: the verdict from the table (`argo_lint_expect`, the verdict under
`Opts{Lint: true}`), the field from Argo's error text (`argo_msg`, or for a row whose test checks only
a phrase, the field validate.go's format string for that check names). Skipped without ../shared;
failed when CI is set."""

from __future__ import annotations

import csv
import os
import re
import textwrap
from pathlib import Path

import pytest
from spec_helpers import SHARED

from localflow.cli.lint import lint_report
from localflow.errors import SpecError
from localflow.spec.load import load_documents, load_templates, merge
from localflow.spec.validate import validate_workflow

TRUTH = SHARED / "argo-truth" / "validate"
CASES = TRUTH / "cases"


def _rows() -> list[dict[str, str]]:
    if not (TRUTH / "cases.tsv").is_file():
        return []
    with open(TRUTH / "cases.tsv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [r for r in rows if r["argo_lint_expect"] in ("accept", "reject")]


ROWS = _rows()


@pytest.fixture(scope="module", autouse=True)
def _need_truth():
    if not ROWS:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run Argo's validation cases, but {TRUTH}/cases.tsv is absent")
        pytest.skip("../shared/argo-truth (Argo's validation cases) is absent")


# The field each rejection's error names, in localflow's notation (spec.templates[i] for Argo's
# templates.NAME), from Argo's message (quoted in the comment where the row checks only a phrase).
# localflow may name a field inside it (spec.podResources.limits.nvidia.com/gpu for spec.podResources).
ARGO_FIELD = {
    # "templates[%d].name %q is not unique" / "inputs.parameters[%d].name %q is not unique"
    "TestDuplicateOrEmptyNames.1": "spec.templates[1].name",
    "TestDuplicateOrEmptyNames.2": "spec.templates[0].inputs.parameters[1].name",
    "TestDuplicateOrEmptyNames.3": "spec.templates[0].inputs.parameters[0].name",
    # "templates.%s: failed to resolve {{...}}": the string holding the tag
    "TestUnresolved.1": "spec.templates[0].container.image",
    "TestUnresolved.2": "spec.templates[1].container.args[0]",
    "TestUnresolved.3": "spec.templates[1].outputs.parameters[0].valueFrom.parameter",
    "TestStepStatusReferenceNoFutureReference.1": "spec.templates[0].steps[0][0].arguments.parameters[0].value",
    # "templates.whalesay.inputs.parameters.message was not supplied"
    "TestParamWithoutValue.1": "spec.templates[0].inputs.parameters[0]",
    "TestNestedTemplateRefWithError.1": "spec.templates[0].inputs.parameters[0]",
    # "... name %q is invalid"
    "TestInvalidTemplateName.1": "spec.templates[0].name",
    "TestInvalidArgParamName.1": "spec.arguments.parameters[0].name",
    "TestInvalidArgArtName.1": "spec.arguments.artifacts[0].name",
    "TestInvalidStepName.1": "spec.templates[0].steps[0][0].name",
    "TestDynamicStepNameInvalidSkeletonStillFails.1": "spec.templates[1].steps[0][0].name",
    "TestInvalidInputParamName.1": "spec.templates[0].inputs.parameters[0].name",
    "TestInvalidInputArtName.1": "spec.templates[1].inputs.artifacts[0].name",
    "TestInvalidOutputArtName.1": "spec.templates[0].outputs.artifacts[0].name",
    "TestInvalidOutputParam.1": "spec.templates[0].outputs.parameters[0].name",
    # "templates.%s.outputs.parameters.%s does not have valueFrom or value specified"
    "TestInvalidOutputParam.2": "spec.templates[0].outputs.parameters[0]",
    "TestInvalidOutputParam.3": "spec.templates[0].outputs.parameters[0].valueFrom",
    "TestInvalidOutputParam.4": "spec.templates[0].outputs.parameters[0].valueFrom",
    "TestInvalidOutputParam.5": "spec.templates[0].outputs.parameters[0].valueFrom",
    # "templates.%s multiple template types specified"
    "TestMultipleTemplateTypes.1": "spec.templates[0]",
    "TestExitHandler.1": "spec.templates[0].container.args[0]",
    "TestValidActiveDeadlineSeconds.1": "spec.templates[0].activeDeadlineSeconds",
    "TestLeafWithParallelism.1": "spec.templates[0].parallelism",
    # "templates.%s.steps[%d].%s.arguments.artifacts.%s from, artifact location, or key is required"
    "TestInvalidArgumentNoFromOrLocation.1": "spec.templates[0].steps[0][0].arguments.artifacts[0]",
    "TestInvalidArgumentNoFromOrLocation.2": "spec.templates[0].dag.tasks[0].arguments.artifacts[0]",
    "TestInvalidArgumentNoValue.1": "spec.templates[0].steps[0][0].arguments.parameters[0]",
    # "only one of count or end can be defined in withSequence"
    "TestSpecBadSequenceCountAndEnd.1": "spec.templates[0].steps[0][0].withSequence",
    # "templates.%s.steps[%d].%s template reference %s.%s not found"
    "TestUndefinedTemplateRef.1": "spec.templates[0].steps[0][0].templateRef.name",
    "TestTemplateRefWithPlaceholderInNameIsNotSkipped.1": "spec.templates[0].steps[0][0].templateRef.name",
    "TestInvalidResourceWorkflow.1": "spec.templates[0].resource.manifest",
    "TestInvalidResourceWorkflow.2": "spec.templates[0].resource.action",
    "TestIncorrectPodGCStrategy.1": "spec.podGC.strategy",
    "TestInvalidPodGCLabelSelector.1": "spec.podGC.labelSelector.matchExpressions[0].operator",
    "TestInvalidMetricGauge.1": "spec.templates[0].metrics.prometheus[0].gauge",  # realtime with that value
    "TestInvalidNoValueMetricGauge.1": "spec.templates[0].metrics.prometheus[0].gauge.value",
    # "Templates is invalid field in spec if workflow referred WorkflowTemplate reference"
    "TestValidateFieldsWithWFTRef.1": "spec.templates",
    "TestInvalidWfNoImageField.1": "spec.templates[0].container.image",
    "TestInvalidWfNoImageFieldScript.1": "spec.templates[0].script.image",
    "TestIinvalidWfNoImageScriptInTemplateDefault.1": "spec.templates[0].script.image",
    "TestWorkflowTemplateWithEmptyEnumList.1": "spec.arguments.parameters[0].enum",
    "TestWorkflowTemplateWithEmptyEnumList.2": "spec.arguments.parameters[0].enum",
    "TestWorkflowTemplateWithArgumentValueNotFromEnumList.1": "spec.arguments.parameters[0].value",
    "TestWorkflowTemplateWithArgumentValueNotFromEnumList.2": "spec.arguments.parameters[0].value",
    "TestInvalidContainerSetDependencyNotFound.1": "spec.templates[0].containerSet.containers[1].dependencies",
    # "templates.%s.sidecars.%s.name ... reserved Argo container name"
    "TestReservedAuxContainerNames.1": "spec.templates[0].containerSet.containers[0].name",
    "TestReservedAuxContainerNames.2": "spec.templates[0].sidecars[0].name",
    "TestInitContainerHasName.1": "spec.templates[1].initContainers[0].name",
    "TestShouldCheckValidationToSpacedParameters.1": "spec.templates[0].container.command[1]",
    "TestWorkflowWithoutParameterizedArtifactsFails.1": "spec.templates[1].container.args[0]",
    "TestPodResourcesValidation.1": "spec.podResources",
    "TestPodResourcesValidation.2": "spec.templates[0].podResources.claims",
    "TestPodResourcesValidation.3": "spec.templates[0].podResources",
    "TestPodResourceClaimsValidation.2": "spec.templates[0].resourceClaims",
    "TestPodResourceClaimsValidation.3": "spec.templates[0].resourceClaims",
    "TestExecutorPluginsValidation.3": "spec.executorPlugins[0].metadata.name",
    "TestExecutorPluginsValidation.4": "spec.executorPlugins[0].spec.sidecar.container.ports",
    # "templates.%s.inputs.artifacts.%s.path '%s' already mounted in ..."
    "TestVolumeMountArtifactPathCollision.1": "spec.templates[0].inputs.artifacts[0].path",
    "TestInvalidContainerSetNoMainContainer.1": "spec.templates[0].containerSet.containers",
    "TestInvalidContainerSetNoMainContainer.2": "spec.templates[0].containerSet.containers",
    "TestInvalidContainerSetNoMainContainer.3": "spec.templates[0].containerSet.containers",
    "TestMaxLengthName.1": "metadata.name",
    "TestMaxLengthName.2": "metadata.name",
    "TestMaxLengthName.3": "metadata.name",
    "TestMaxLengthName.4": "metadata.name",
    # {{workflow.labels.arg-name}} in the referenced WorkflowTemplate's template
    "TestSubstituteGlobalVariablesLabelsAnnotations.1": "spec.templates[0].container.args[0]",
    "TestSubstituteGlobalVariablesLabelsAnnotations.5": "spec.templates[0].container.args[0]",
    # "templates.%s.tasks dependency cycle detected: ..."
    "TestDAGCycle.1": "spec.templates[1].dag.tasks",
    "TestAnyWithoutExpandingTask.1": "spec.templates[1].dag.tasks[1].depends",
    # "templates.%s.tasks.%s template '%s' undefined"
    "TestDAGUndefinedTemplate.1": "spec.templates[0].dag.tasks[0].template",
    "TestDAGVariableResolution.1": "spec.templates[1].dag.tasks[1].arguments.parameters[0].value",
    "TestDAGVariableResolution.3": "spec.templates[1].dag.tasks[2].arguments.parameters[0].value",
    "TestDAGStatusReference.2": "spec.templates[1].dag.tasks[0].arguments.parameters[0].value",
    "TestDAGStatusReference.3": "spec.templates[1].dag.tasks[0].arguments.parameters[0].value",
    "TestDAGStatusReference.5": "spec.templates[1].dag.tasks[4].arguments.parameters[0].value",
    "TestDAGNonExistantTarget.1": "spec.templates[0].dag.target",
    # "templates.%s.targets failed to resolve {{inputs.parameters.target}}"
    "TestDAGTargetMissingInputParam.1": "spec.templates[0].dag.target",
    "TestDependsAndDependencies.1": "spec.templates[0].dag.tasks[1].dependencies",
    "TestDependsAndContinueOn.1": "spec.templates[0].dag.tasks[1].continueOn",
    "TestDAGDependsDigit.1": "spec.templates[0].dag.tasks[0].name",
    "TestDAGDependenciesDigit.1": "spec.templates[0].dag.tasks[0].name",
    "TestDAGMissingParamValueInTask.1": "spec.templates[1].dag.tasks[0].arguments.parameters[0].valueFrom",
    "TestFailDAGArgParamValueFromPathInTask.1": "spec.templates[1].dag.tasks[0].arguments.parameters[0].valueFrom",
}

# Rows whose document ../shared holds differs from what `argo lint` reads; each is checked by a
# test of its own below.
# - The metric cases write `gauge.value: 1`. Argo's test decodes YAML with a type-aware decoder
#   (sigs.k8s.io/yaml.UnmarshalStrict turns 1 into "1" for a string field); `argo lint` decodes
#   YAML to JSON first and then into the struct (workflow/common/parse.go ParseObjects:
#   YAMLToJSON, then sigs.k8s.io/json), where a number in a string field is an error, and so is it
#   for the Kubernetes API server (the CRD types gauge.value as a string). localflow rejects it as
#   argo lint does, naming gauge.value.
# - The timezone case's derived document is not valid YAML (its body is indented under a second
#   apiVersion line).
NUMBER_IN_STRING = {"TestInvalidMetricName.1", "TestInvalidMetricLabelName.1", "TestInvalidMetricHelp.1"}
BROKEN_FILE = {"TestCronWorkflowInvalidTimezoneRejected.1"}


def lint_case(case: str, doc: Path | None = None) -> list[str]:
    folder = CASES / case
    templates = [str(folder / "templates")] if (folder / "templates").is_dir() else []
    return lint_report([str(doc or folder / "wf.yaml")], templates)[0]


def quoted(argo_msg: str) -> list[str]:
    """The names Argo's message quotes ('x', "x", {{x}}), without the message kind prefix."""
    text = argo_msg.split(":", 1)[1].replace('\\"', '"')
    found = re.findall(r"'([^']+)'|\"([^\"]+)\"|(\{\{[^}]*\}\})", text)
    return [next(part for part in match if part) for match in found]


def within(field: str, argo_field: str) -> bool:
    """`field` is Argo's field or one inside it."""
    return field == argo_field or field.startswith((argo_field + ".", argo_field + "["))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_argo_verdict(row):
    errors = lint_case(row["id"])
    got = "reject" if errors else "accept"
    assert got == row["argo_lint_expect"], f"Argo: {row['argo_lint_expect']} ({row['argo_msg']}); localflow: {errors}"
    if not errors:
        return
    assert len(errors) == 1 and "\n" not in errors[0] and "Traceback" not in errors[0], errors
    case = row["id"]
    if case in NUMBER_IN_STRING | BROKEN_FILE:
        return
    file, field, _rest = (errors[0].split(": ", 2) + ["", ""])[:3]
    assert file.endswith(".yaml"), errors[0]
    assert within(field, ARGO_FIELD[case]), f"Argo names {ARGO_FIELD[case]} ({row['argo_msg']}); localflow: {errors[0]}"
    names = quoted(row["argo_msg"]) if row["argo_msg"] else []
    if names:
        assert any(squash(n) in squash(errors[0]) for n in names), f"none of {names} in {errors[0]}"


def test_every_rejection_has_argo_field():
    rejected = {r["id"] for r in ROWS if r["argo_lint_expect"] == "reject"}
    assert rejected - NUMBER_IN_STRING - BROKEN_FILE == set(ARGO_FIELD)


# Argo's message for each metric case, and the field it names.
METRIC_FIELDS = {
    "TestInvalidMetricName.1": ("spec.templates[0].metrics.prometheus[0].name", "invalid.metric.name"),
    "TestInvalidMetricLabelName.1": ("spec.templates[0].metrics.prometheus[0].labels[0].key", "invalid.key"),
    "TestInvalidMetricHelp.1": ("spec.templates[0].metrics.prometheus[0].help", "metric_name"),
}


@pytest.mark.parametrize("case", sorted(METRIC_FIELDS))
def test_metric_cases(case, tmp_path):
    """As written (gauge.value a number), argo lint's decoder refuses the document at gauge.value;
    with the value quoted, the rejection is the one Argo's test expects."""
    errors = lint_case(case)
    assert len(errors) == 1 and ": spec.templates[0].metrics.prometheus[0].gauge.value: " in errors[0], errors
    text = (CASES / case / "wf.yaml").read_text(encoding="utf-8")
    assert re.search(r"value: 1$", text, re.M)
    doc = tmp_path / "wf.yaml"
    doc.write_text(re.sub(r"value: 1$", 'value: "1"', text, flags=re.M), encoding="utf-8")
    errors = lint_case(case, doc)
    field, name = METRIC_FIELDS[case]
    assert len(errors) == 1 and errors[0].startswith(f"wf.yaml: {field}: ") and name in errors[0], errors


def test_invalid_timezone_case(tmp_path):
    """The derived document, with its body unindented, is rejected at spec.timezone as Argo's test
    expects ('invalid timezone "Not/A_Real_Timezone"')."""
    lines = (CASES / "TestCronWorkflowInvalidTimezoneRejected.1" / "wf.yaml").read_text(encoding="utf-8").splitlines()
    assert lines[2] == "apiVersion: argoproj.io/v1alpha1", lines[:3]
    doc = tmp_path / "wf.yaml"
    doc.write_text(lines[2] + "\n" + textwrap.dedent("\n".join(lines[3:])) + "\n", encoding="utf-8")
    errors = lint_report([str(doc)], [])[0]
    assert len(errors) == 1 and errors[0].startswith("wf.yaml: spec.timezone: ") and "Not/A_Real_Timezone" in errors[0], errors


SUBMIT_ROWS = [r for r in ROWS if r["opts"].startswith("Opts{}") and r["validated_as"] == "Workflow"]


@pytest.mark.parametrize("row", SUBMIT_ROWS, ids=[r["id"] for r in SUBMIT_ROWS])
def test_argo_verdict_at_submit(row):
    """The Workflow rows Argo's test validates with Opts{} (what submitting does, where a workflow
    argument without a value is an error) get `argo_expect` from the validation `submit` runs."""
    folder = CASES / row["id"]
    try:
        bundle = load_documents(str(folder / "wf.yaml"))
        pool = merge([bundle, load_templates(str(folder / "templates"))]) if (folder / "templates").is_dir() else bundle
        validate_workflow(bundle.workflows[0], file="wf.yaml", templates=pool)
        got = "accept"
    except SpecError as err:
        got = f"reject: {err}"
    assert got.split(":")[0] == row["argo_expect"], f"Argo: {row['argo_expect']} ({row['argo_msg']}); localflow: {got}"
