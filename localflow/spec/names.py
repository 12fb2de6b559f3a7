"""Argo's and Kubernetes' rules for names."""

from __future__ import annotations

import re

__all__ = [
    "MAX_CRON_WORKFLOW_NAME",
    "MAX_WORKFLOW_NAME",
    "field_name_problem",
    "generate_name_problem",
    "label_selector_problem",
    "metric_name_ok",
    "object_name_problem",
    "param_name_problem",
]

# validate.go: templates, steps, tasks and containerSet containers.
_FIELD_NAME = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]*$")
_FIELD_MAX = 128
# Parameters and artifacts.
_PARAM_NAME = re.compile(r"^[-a-zA-Z0-9_]+$")
# Kubernetes object names (metadata.name): a DNS-1123 subdomain.
_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_SUBDOMAIN = re.compile(rf"^{_DNS_LABEL}(\.{_DNS_LABEL})*$")
_DNS_MAX = 253
# Workflow names become label values, which are at most 63 characters; CronWorkflows add a timestamp.
MAX_WORKFLOW_NAME = 63
MAX_CRON_WORKFLOW_NAME = 52
_METRIC_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# Kubernetes label keys ([prefix/]name) and values (apimachinery's IsQualifiedName, IsValidLabelValue).
_QUALIFIED = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_MAX = 63
# metav1.LabelSelectorAsSelector: the operators and how many values each takes.
_SELECTOR_OPERATORS = {"In": "some", "NotIn": "some", "Exists": "none", "DoesNotExist": "none"}


def field_name_problem(name: str) -> str | None:
    """Why a template, step, task or container name is invalid, or None."""
    if len(name) > _FIELD_MAX:
        return f"name {name!r} is longer than {_FIELD_MAX} characters"
    if not _FIELD_NAME.match(name):
        return (
            f"name {name!r} is invalid: use letters, digits and '-', starting with a letter or digit"
            " (no '_', '.' or spaces)"
        )
    return None


def param_name_problem(name: str) -> str | None:
    """Why a parameter or artifact name is invalid, or None."""
    if not _PARAM_NAME.match(name):
        return f"name {name!r} is invalid: use letters, digits, '_' and '-'"
    return None


def object_name_problem(name: str, limit: int = _DNS_MAX) -> str | None:
    """Why a metadata.name is invalid (a lowercase DNS-1123 subdomain, at most `limit` chars), or None."""
    if len(name) > limit:
        return f"name {name!r} must not be more than {limit} characters long (it has {len(name)})"
    if not _DNS_SUBDOMAIN.match(name):
        return (
            f"name {name!r} is invalid: use lowercase letters, digits, '-' and '.',"
            " starting and ending with a letter or digit"
        )
    return None


def generate_name_problem(prefix: str) -> str | None:
    """Why a metadata.generateName is invalid, or None (Kubernetes allows a trailing '-')."""
    masked = prefix[:-1] + "a" if prefix.endswith("-") else prefix
    if not masked:
        return "generateName must not be empty"
    problem = object_name_problem(masked)
    if problem:
        return (
            f"generateName {prefix!r} is invalid: use lowercase letters, digits, '-' and '.',"
            " starting with a letter or digit"
        )
    return None


def metric_name_ok(name: str) -> bool:
    """Prometheus' legacy metric (and label) names, without ':' (Argo's rule)."""
    return bool(_METRIC_NAME.match(name))


def label_key_problem(key: str) -> str | None:
    """Why a label key ([DNS-subdomain prefix/]name of at most 63 characters) is invalid, or None."""
    prefix, _, name = key.rpartition("/")
    if "/" in key and (not prefix or object_name_problem(prefix)):
        return f"label key {key!r} is invalid: its prefix must be a lowercase DNS subdomain"
    if len(name) > _LABEL_MAX or not _QUALIFIED.match(name):
        return (f"label key {key!r} is invalid: at most {_LABEL_MAX} letters, digits, '-', '_' or '.', "
                "starting and ending with a letter or digit")
    return None


def label_value_problem(value: str) -> str | None:
    """Why a label value is invalid (empty, or a qualified name of at most 63 characters), or None."""
    if value and (len(value) > _LABEL_MAX or not _QUALIFIED.match(value)):
        return (f"label value {value!r} is invalid: at most {_LABEL_MAX} letters, digits, '-', '_' or '.', "
                "starting and ending with a letter or digit")
    return None


def label_selector_problem(match_labels: dict[str, str], expressions: list[tuple[str, str, list[str]]]) -> tuple[str, str] | None:
    """(field, why) for the first problem of a label selector, as Kubernetes' LabelSelectorAsSelector
    finds it (matchLabels first, then matchExpressions as (key, operator, values)), or None."""
    for key, value in match_labels.items():
        problem = label_key_problem(key) or label_value_problem(value)
        if problem:
            return f"matchLabels.{key}", problem
    for i, (key, operator, values) in enumerate(expressions):
        where = f"matchExpressions[{i}]"
        takes = _SELECTOR_OPERATORS.get(operator)
        if takes is None:
            return f"{where}.operator", f'"{operator}" is not a valid label selector operator'
        problem = label_key_problem(key)
        if problem:
            return f"{where}.key", problem
        if takes == "some" and not values:
            return f"{where}.values", "for 'in', 'notin' operators, values set can't be empty"
        if takes == "none" and values:
            return f"{where}.values", "values set must be empty for exists and does not exist"
        for value in values:
            problem = label_value_problem(value)
            if problem:
                return f"{where}.values", problem
    return None
