"""Every seed workflow and every Argo example loads, round-trips and validates (those Argo rejects
are rejected, naming the problem)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from spec_helpers import REJECTED, example_files, needs_shared

from localflow.errors import SpecError
from localflow.spec.load import ARGO_KINDS, load_documents, merge
from localflow.spec.model import anystring, from_dict, to_dict
from localflow.spec.validate import validate_bundle, validate_workflow
from localflow.spec.yamlgo import load_all

FILES = example_files()
IDS = [f"{p.parent.name}/{p.name}" for p in FILES]
_KIND = re.compile(r"^kind:\s*[\"']?(%s)[\"']?\s*$" % "|".join(ARGO_KINDS), re.MULTILINE)
# what round-trips: files with an Argo object, except those Argo's parser rejects (duplicate keys)
ROUND_TRIP = [p for p in FILES if _KIND.search(p.read_text())
              and not (p.name in REJECTED and "duplicate" in REJECTED[p.name])]


@pytest.fixture(scope="module")
def pool():
    """Every WorkflowTemplate of the examples, for templateRefs."""
    bundles = []
    for path in FILES:
        if path.name in REJECTED:
            continue
        bundles.append(load_documents(str(path)))
    return merge(bundles)


def equivalent(source: Any, result: Any, path: str = "") -> str | None:
    """None when `result` says what `source` says: null fields may be dropped and AnyString
    numbers and booleans become strings; anything else is a difference (returned as text)."""
    if isinstance(source, dict):
        if not isinstance(result, dict):
            return f"{path}: mapping became {result!r}"
        for key, value in source.items():
            if value is None:
                if result.get(key) is not None:
                    return f"{path}.{key}: null became {result[key]!r}"
                continue
            if key not in result:
                return f"{path}.{key}: dropped"
            problem = equivalent(value, result[key], f"{path}.{key}")
            if problem:
                return problem
        extra = set(result) - set(source)
        return f"{path}: added {sorted(extra)}" if extra else None
    if isinstance(source, list):
        if not isinstance(result, list) or len(source) != len(result):
            return f"{path}: list changed"
        for i, (a, b) in enumerate(zip(source, result)):
            problem = equivalent(a, b, f"{path}[{i}]")
            if problem:
                return problem
        return None
    if type(source) is type(result) and source == result:
        return None
    if isinstance(result, str) and anystring(source) == result:
        return None
    return f"{path}: {source!r} became {result!r}"


@needs_shared
@pytest.mark.parametrize("path", ROUND_TRIP, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_round_trip(path):
    docs = load_all(path.read_text(), str(path))
    checked = 0
    for doc in docs:
        if not isinstance(doc, dict) or doc.get("kind") not in ARGO_KINDS:
            continue
        cls = ARGO_KINDS[doc["kind"]]
        out = to_dict(from_dict(cls, doc, "", str(path)))
        assert equivalent(doc, out) is None, equivalent(doc, out)
        assert to_dict(from_dict(cls, out)) == out
        checked += 1
    assert checked, "no Argo object loaded from a file that has one"


@needs_shared
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_examples_validate(path, pool):
    if path.name in REJECTED:
        with pytest.raises(SpecError) as info:
            bundle = load_documents(str(path))
            validate_bundle(bundle, templates=pool)
        assert REJECTED[path.name] in str(info.value)
        assert str(info.value).startswith(str(path) + ": ")
        return
    bundle = load_documents(str(path))
    validate_bundle(bundle, templates=pool)


@needs_shared
@pytest.mark.parametrize("path", [p for p in FILES if p.parent.name == "seed-workflows" and p.name not in REJECTED],
                         ids=lambda p: p.name)
def test_seeds_validate_for_a_run(path):
    """Seeds are meant to run (those rejected on purpose are checked by test_examples_validate):
    they validate without lint leniency and without extra templates."""
    bundle = load_documents(str(path))
    for wf in bundle.workflows:
        validate_workflow(wf, templates=bundle)


@needs_shared
def test_fragment_names_what_is_missing():
    path = next(p for p in FILES if p.name == "coinflip-recursive-fragment.yaml")
    bundle = load_documents(str(path))
    with pytest.raises(SpecError) as info:
        validate_workflow(bundle.workflows[0], templates=bundle)
    assert str(info.value) == f'{path}: spec.templates[0].steps[0][0].template: no template named "flip-coin"'
