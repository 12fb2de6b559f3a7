"""Every `when`, `depends`, `{{= ...}}` and `expression` in the Argo examples parses."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from localflow.expr import check_syntax, check_when_syntax, find_tags, parse_depends

SHARED = Path(__file__).resolve().parents[3] / "shared"
FOLDERS = [SHARED / "argo-examples", SHARED / "seed-workflows"]
EXPRESSION_KEYS = {"expression", "fromExpression"}


def _files() -> list[Path]:
    return sorted(
        p for folder in FOLDERS if folder.is_dir() for p in folder.rglob("*.yaml")
    )


def _without_tags(text: str) -> str:
    """A lint view of an expression that still has `{{...}}` tags: each becomes a name."""
    out, pos = [], 0
    for tag in find_tags(text):
        out.append(text[pos : tag.start])
        out.append("placeholder")
        pos = tag.end
    out.append(text[pos:])
    return "".join(out)


def _collect(node, path, found):
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str):
                if key == "when":
                    found.append(("when", f"{path}.{key}", value))
                elif key == "depends":
                    found.append(("depends", f"{path}.{key}", value))
                elif key in EXPRESSION_KEYS:
                    found.append(("expression", f"{path}.{key}", value))
            _collect(value, f"{path}.{key}", found)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _collect(value, f"{path}[{i}]", found)
    elif isinstance(node, str) and "{{" in node:
        found.append(("tags", path, node))


def _items():
    items = []
    for file in _files():
        try:
            docs = list(yaml.safe_load_all(file.read_text()))
        except yaml.YAMLError:
            continue
        found: list = []
        for i, doc in enumerate(docs):
            _collect(doc, f"[{i}]", found)
        items.extend((file.name, *entry) for entry in found)
    return items


ITEMS = _items()


@pytest.mark.need("shared")
def test_examples_have_every_kind():
    kinds = {kind for _, kind, _, _ in ITEMS}
    assert {"when", "depends", "expression", "tags"} <= kinds
    tag_expressions = [
        t
        for _, kind, _, text in ITEMS
        if kind == "tags"
        for t in find_tags(text)
        if t.is_expression
    ]
    assert len(tag_expressions) >= 10


@pytest.mark.need("shared")
@pytest.mark.parametrize(
    ("file", "kind", "where", "text"), ITEMS, ids=[f"{i[0]}:{i[2]}" for i in ITEMS]
)
def test_example_parses(file, kind, where, text):
    if kind == "when":
        check_when_syntax(text)
        for tag in find_tags(text):
            if tag.is_expression:
                check_syntax(tag.expression)
    elif kind == "depends":
        assert parse_depends(text).tasks
    elif kind == "expression":
        check_syntax(_without_tags(text))
    else:
        for tag in find_tags(text):
            if tag.is_expression:
                check_syntax(tag.expression)
