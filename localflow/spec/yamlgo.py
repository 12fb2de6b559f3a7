"""YAML parsing that gives the values Argo sees.

Argo reads files with sigs.k8s.io/yaml in strict mode: go-yaml v2 decodes each document (YAML 1.1
scalars: `yes`/`no`/`on`/`off`/`y`/`n` are booleans, `0x1f` and `017` are integers, timestamps stay
strings), every duplicate mapping key is an error (also one that a `<<` merge brings in), and
the result is converted to JSON (non-string keys become strings, NaN and infinities are
refused). This module does the same on top of PyYAML's parser, so that `value: yes`
or `017` mean here what they mean to Argo. PyYAML's libyaml parser is used when PyYAML has it
(ten times faster; go-yaml is a port of libyaml; it takes a few tabs that the pure-Python parser
refuses, as in `key:<tab>value`); errors are worded by the pure-Python parser, which says more.
"""

from __future__ import annotations

import gc
import math
import re
import struct
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.scanner import Scanner

from localflow.errors import SpecError

try:  # libyaml's parser (about ten times faster than the pure-Python one), when PyYAML was built with it
    from yaml._yaml import CParser
except ImportError:  # pragma: no cover
    CParser = None

_PLAIN = "tag:localflow:plain"
_Y = "tag:yaml.org,2002:"

_BOOLS = {
    **dict.fromkeys(["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"], True),
    **dict.fromkeys(["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"], False),
}
_NULLS = {"", "~", "null", "Null", "NULL"}
_SPECIAL_FLOATS = {
    **dict.fromkeys([".nan", ".NaN", ".NAN"], math.nan),
    **dict.fromkeys([".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"], math.inf),
    **dict.fromkeys(["-.inf", "-.Inf", "-.INF"], -math.inf),
}
_YAML_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_DOT_FLOAT = re.compile(r"^\.[0-9]+([eE][-+]?[0-9]+)?$")
_INT64 = (-(2**63), 2**63 - 1)
_MAX_NODES = 2_000_000


class _Resolver(yaml.resolver.BaseResolver):
    """Leaves every plain (unquoted, untagged) scalar for go-yaml's rules below."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is ScalarNode and implicit[0]:
            return _PLAIN
        return super().resolve(kind, value, implicit)


class _Composer(Reader, Scanner, Parser, Composer, _Resolver):
    """PyYAML's pure-Python parser: the reference, whose error messages localflow reports."""

    def __init__(self, stream: str):
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _Resolver.__init__(self)


if CParser is not None:

    class _CComposer(CParser, _Resolver):  # type: ignore[misc,valid-type]
        """libyaml's parser, which builds the same nodes (PyYAML is a port of libyaml)."""

        def __init__(self, stream: str):
            CParser.__init__(self, stream)
            _Resolver.__init__(self)

else:  # pragma: no cover
    _CComposer = None  # type: ignore[assignment,misc]

# libyaml composes nested collections by C recursion, which overflows the C stack (a crash, not a
# RecursionError) some 20,000 levels down; such text goes to the pure-Python parser, which refuses
# it cleanly ("nested too deeply"). Block nesting needs indentation, so only flow brackets can nest
# that deep in a file of sane size; counting them (quoted ones too) overestimates, which is safe.
_FLOW_DEPTH_FOR_C = 1000
_FLOW_BRACKET = re.compile(r"[\[\]{}]")
_TEXT_SIZE_FOR_C = 50_000_000


def _c_parser_safe(text: str) -> bool:
    if len(text) > _TEXT_SIZE_FOR_C:
        return False
    if text.count("[") + text.count("{") <= _FLOW_DEPTH_FOR_C:
        return True
    depth = deepest = 0
    for match in _FLOW_BRACKET.finditer(text):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif depth:
            depth -= 1
    return deepest <= _FLOW_DEPTH_FOR_C


def _go_int(text: str) -> int | None:
    """strconv.ParseInt/ParseUint(text, 0, 64): sign, then 0x / 0o / 0b / leading-0 octal / decimal."""
    sign = 1
    body = text
    if body[:1] and body[0] in "+-":
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    if not body:
        return None
    base = 10
    low = body.lower()
    if low.startswith("0x"):
        base, body = 16, body[2:]
    elif low.startswith("0o"):
        base, body = 8, body[2:]
    elif low.startswith("0b"):
        base, body = 2, body[2:]
    elif len(body) > 1 and body[0] == "0":
        base, body = 8, body[1:]
    digits = "0123456789abcdef"[:base]
    if not body or any(c not in digits for c in body.lower()):
        return None
    value = sign * int(body, base)
    # ParseInt's int64 range, or ParseUint's uint64 range for positive values.
    return value if _INT64[0] <= value <= 2**64 - 1 else None


def resolve_plain(text: str) -> Any:
    """go-yaml v2's resolution of a plain scalar into None, bool, int, float or str."""
    if not text:
        return None
    first = text[0]
    if first in "yYnNtTfFoO~":
        if text in _BOOLS:
            return _BOOLS[text]
        if text in _NULLS:
            return None
        return text
    if first == ".":
        if text in _SPECIAL_FLOATS:
            return _SPECIAL_FLOATS[text]
        if _DOT_FLOAT.match(text):
            return float(text)
        return text
    if first in "+-0123456789":
        if text in _SPECIAL_FLOATS:
            return _SPECIAL_FLOATS[text]
        plain = text.replace("_", "")
        as_int = _go_int(plain)
        if as_int is not None:
            return as_int
        if _YAML_FLOAT.match(plain):
            value = float(plain)
            if not math.isinf(value):
                return value
        return text
    return text


def _float32_text(value: float) -> str:
    """strconv.FormatFloat(v, 'g', -1, 32), which sigs.k8s.io/yaml uses for float map keys."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    f32 = struct.unpack("f", struct.pack("f", value))[0]
    for precision in range(1, 10):
        text = f"{f32:.{precision}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == f32:
            break
    mantissa, _, exponent = text.partition("e")
    if exponent:
        exp = int(exponent)
        text = f"{mantissa}e{'+' if exp >= 0 else '-'}{abs(exp):02d}"
    return text


class _Builder:
    """Turns composed nodes into JSON-like values the way go-yaml v2 + sigs.k8s.io/yaml do."""

    def __init__(self, file: str | None, strict: bool = True):
        self.file = file
        self.strict = strict
        self.count = 0
        self.active: set[int] = set()

    def fail(self, node: Node, message: str) -> SpecError:
        mark = node.start_mark
        return SpecError(f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {message}", file=self.file)

    def build(self, node: Node) -> Any:
        self.count += 1
        if self.count > _MAX_NODES:
            raise self.fail(node, "the document expands to too many values (aliases nested too deep?)")
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        key = id(node)
        if key in self.active:
            raise self.fail(node, "an alias refers to a node that contains it")
        self.active.add(key)
        try:
            if isinstance(node, SequenceNode):
                return [self.build(child) for child in node.value]
            return self.mapping(node)
        finally:
            self.active.discard(key)

    def scalar(self, node: ScalarNode) -> Any:
        tag, text = node.tag, node.value
        if tag == _PLAIN:
            value = resolve_plain(text)
        elif tag in (_Y + "str", "!", _Y + "timestamp", _Y + "binary") or not tag.startswith(_Y):
            value = text
        else:
            value = resolve_plain(text)
            want = tag[len(_Y):]
            if want == "float" and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            ok = {
                "int": isinstance(value, int) and not isinstance(value, bool),
                "float": isinstance(value, float),
                "bool": isinstance(value, bool),
                "null": value is None,
            }.get(want, True)
            if not ok:
                raise self.fail(node, f"cannot decode {text!r} as a !!{want}")
        if isinstance(value, float):
            if math.isnan(value) or math.isinf(value):
                raise self.fail(node, f"{text!r} is not a number JSON can hold")
            if value.is_integer() and abs(value) < 1e21:
                # Go writes such floats to JSON without a fraction: 3.0 becomes 3.
                value = int(value)
        return value

    def _is_merge(self, node: Node) -> bool:
        return isinstance(node, ScalarNode) and node.value == "<<" and node.tag in (_PLAIN, _Y + "merge")

    def mapping(self, node: MappingNode) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: dict[Any, None] = {}
        for key_node, value_node in node.value:
            if self._is_merge(key_node):
                self.merge(value_node, out, seen)
                continue
            key = self.key(key_node)
            self.put(key_node, out, seen, key, self.build(value_node))
        return out

    def merge(self, node: Node, out: dict[str, Any], seen: dict[Any, None]) -> None:
        if isinstance(node, MappingNode):
            sources = [node]
        elif isinstance(node, SequenceNode) and all(isinstance(n, MappingNode) for n in node.value):
            sources = list(reversed(node.value))
        else:
            raise self.fail(node, "map merge requires map or sequence of maps as the value")
        for source in sources:
            for key_node, value_node in source.value:
                if self._is_merge(key_node):
                    self.merge(value_node, out, seen)
                    continue
                self.put(key_node, out, seen, self.key(key_node), self.build(value_node))

    def key(self, node: Node) -> Any:
        if not isinstance(node, ScalarNode):
            raise self.fail(node, "a mapping key must be a plain value, not a list or a mapping")
        value = self.scalar(node)
        return (type(value), value)

    def put(self, node: Node, out: dict[str, Any], seen: dict[Any, None], key: Any, value: Any) -> None:
        kind, raw = key
        if key in seen and self.strict:
            raise self.fail(node, f'duplicate key "{_key_text(kind, raw)}" (it is already set in this mapping)')
        seen[key] = None
        if raw is None:
            raise self.fail(node, "a mapping key cannot be null")
        if kind is bool:
            text = "true" if raw else "false"
        elif kind is float:
            text = _float32_text(raw)
        else:
            text = str(raw)
        out[text] = value


def _key_text(kind: type, raw: Any) -> str:
    if kind is bool:
        return "true" if raw else "false"
    return str(raw)


def _mark_error(err: yaml.MarkedYAMLError, file: str | None) -> SpecError:
    mark = err.problem_mark or err.context_mark
    problem = err.problem or err.context or "invalid YAML"
    if mark is not None:
        return SpecError(f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {problem}", file=file)
    return SpecError(f"invalid YAML: {problem}", file=file)


def _documents(composer_cls: Any, text: str, file: str | None, strict: bool) -> list[Any]:
    composer = None
    docs: list[Any] = []
    try:
        composer = composer_cls(text)
        while composer.check_node():
            node = composer.get_node()
            docs.append(None if node is None else _Builder(file, strict).build(node))
    finally:
        dispose = getattr(composer, "dispose", None) if composer is not None else None
        if dispose is not None:
            dispose()
    return docs


def load_all(text: str, file: str | None = None, *, strict: bool = True) -> list[Any]:
    """Every document of a YAML stream as JSON-like values (an empty document gives None).
    `strict=False` lets a later duplicate key win instead of failing (yaml.Unmarshal's behaviour)."""
    gc_was_enabled = gc.isenabled()
    # Parsing makes a great many objects and frees none: the cyclic collector would run over and
    # over on a growing heap for nothing (a third of the time of a 10,000-task file).
    gc.disable()
    try:
        if _CComposer is not None and _c_parser_safe(text):
            try:
                return _documents(_CComposer, text, file, strict)
            except SpecError:
                raise  # the builder's own checks: the same on either parser's nodes
            except (yaml.YAMLError, UnicodeError, RecursionError):
                pass  # reported below in PyYAML's words (libyaml's messages say less)
        return _documents(_Composer, text, file, strict)
    except yaml.MarkedYAMLError as err:
        raise _mark_error(err, file) from None
    except yaml.reader.ReaderError as err:
        raise SpecError(f"invalid YAML at character {err.position + 1}: {err.reason} (#x{err.character:04x})", file=file) from None
    except yaml.YAMLError as err:
        raise SpecError(f"invalid YAML: {' '.join(str(err).split())}", file=file) from None
    except RecursionError:
        raise SpecError("invalid YAML: the document is nested too deeply", file=file) from None
    finally:
        if gc_was_enabled:
            gc.enable()
