"""Type-hint driven conversion between Argo's JSON form (camelCase dicts) and the dataclasses.

`from_dict` behaves like Go's strict JSON decoding that `argo lint` uses (sigs.k8s.io/json with
unknown fields disallowed): an unknown or misspelt field is an error, a string is never accepted
where a number is expected and the other way round, and `null` leaves a field at its default.
Argo's special scalar types are marked with `typing.Annotated`:

* `AnyString`: Argo's AnyString (parameter `value`, `default`, `enum`): a YAML string, number or
  boolean, stored as the string Go would make of it (`True` -> "true", `1.6` -> "1.6").
* `IntOrString`: Kubernetes' IntOrString (`retryStrategy.limit`, probe `port`, ...): `int | str`.
* `Quantity`: a Kubernetes resource quantity (`100m`, `32Mi`, `1.5`): kept as written, but it must parse.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import difflib
import functools
import operator
import types
import typing
from decimal import Decimal
from functools import cache
from collections.abc import Iterator
from typing import Annotated, Any, Union

from localflow.errors import SpecError
from localflow.spec.units import QUANTITY_RE

__all__ = [
    "QUANTITY_RE",
    "AnyString",
    "IntOrString",
    "Quantity",
    "anystring",
    "from_dict",
    "json_fields",
    "lst",
    "model",
    "mp",
    "opt",
    "present_fields",
    "sub",
    "to_dict",
]


class _Marker:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<{self.name}>"


_ANYSTRING = _Marker("AnyString")
_INTORSTRING = _Marker("IntOrString")
_QUANTITY = _Marker("Quantity")

AnyString = Annotated[str, _ANYSTRING]
IntOrString = Annotated[int | str, _INTORSTRING]
Quantity = Annotated[int | float | str, _QUANTITY]

# --- the model's classes ---------------------------------------------------------------------

_WRITTEN_LATER = ("__init__", "__repr__", "__eq__")


def model(cls: type) -> type:
    """`@dataclass`, but `__init__`, `__repr__` and `__eq__` are written when first called.

    `dataclasses` writes those methods as source text and compiles it for every class, which made
    importing the model (some 160 classes, of which a run uses a few dozen) a large part of the
    start-up of `localflow lint`. The methods written later are dataclasses' own, made from the
    same fields, so instances behave exactly as with `@dataclass`."""
    own = [name for name in _WRITTEN_LATER if name in cls.__dict__]
    if "__doc__" not in cls.__dict__ or not cls.__doc__:
        cls.__doc__ = cls.__name__  # dataclasses would compute a signature for it; see below
    has_explicit_hash = "__hash__" in cls.__dict__ and not (cls.__dict__["__hash__"] is None and "__eq__" in own)
    dataclasses.dataclass(cls, init=False, repr=False, eq=False)
    for name in _WRITTEN_LATER:
        if name not in own:
            setattr(cls, name, _write_later(cls, name))
    if not has_explicit_hash:
        cls.__hash__ = None  # type: ignore[assignment]  # as @dataclass does for a mutable class with __eq__
    if cls.__doc__ == cls.__name__:
        cls.__doc__ = f"{cls.__name__}({', '.join(f.name for f in dataclasses.fields(cls))})"
    return cls


def _write_later(owner: type, name: str) -> Any:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return _write(owner, name)(self, *args, **kwargs)

    method.__name__ = name
    method.__qualname__ = f"{owner.__qualname__}.{name}"
    method._lf_later = True  # type: ignore[attr-defined]
    return method


def _write(owner: type, name: str) -> Any:
    """dataclasses' method `name` for `owner`, made on a stand-in dataclass with the same fields;
    it replaces the placeholder that _write_later put on `owner`."""
    namespace: dict[str, Any] = {"__annotations__": {}, "__module__": owner.__module__,
                                 "__qualname__": owner.__qualname__, "__doc__": owner.__doc__}
    for f in dataclasses.fields(owner):
        namespace["__annotations__"][f.name] = f.type
        namespace[f.name] = dataclasses.field(default=f.default, default_factory=f.default_factory,
                                              init=f.init, repr=f.repr, hash=f.hash, compare=f.compare,
                                              metadata=f.metadata, kw_only=f.kw_only)
    if hasattr(owner, "__post_init__"):
        namespace["__post_init__"] = owner.__post_init__
    stand_in = dataclasses.dataclass(type(owner.__name__, (), namespace), init=name == "__init__",
                                     repr=name == "__repr__", eq=name == "__eq__", match_args=False)
    function = stand_in.__dict__[name]
    if getattr(owner.__dict__.get(name), "_lf_later", False):
        setattr(owner, name, function)
    return function


def opt(json: str | None = None) -> Any:
    """An optional scalar or sub-object field (default None). `json` overrides the camelCase name."""
    return dataclasses.field(default=None, metadata={"json": json} if json else {})


def lst(json: str | None = None) -> Any:
    """A list field (default [])."""
    return dataclasses.field(default_factory=list, metadata={"json": json} if json else {})


def mp(json: str | None = None) -> Any:
    """A map field (default {})."""
    return dataclasses.field(default_factory=dict, metadata={"json": json} if json else {})


def sub(cls: Any, json: str | None = None) -> Any:
    """A sub-object that Go embeds by value (never nil): it defaults to an empty instance."""
    meta: dict[str, Any] = {"value": True}
    if json:
        meta["json"] = json
    return dataclasses.field(default_factory=cls, metadata=meta)


def _camel(name: str) -> str:
    parts = name.rstrip("_").split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


@cache
def json_fields(cls: type) -> tuple[tuple[str, str, Any, bool], ...]:
    """(python name, JSON name, type hint, embedded-by-value) for each field of a model dataclass."""
    hints = typing.get_type_hints(cls, include_extras=True)
    out = []
    for f in dataclasses.fields(cls):
        out.append((f.name, f.metadata.get("json") or _camel(f.name), hints[f.name], bool(f.metadata.get("value"))))
    return tuple(out)


@cache
def _dump_fields(cls: type) -> tuple[tuple[str, str, bool], ...]:
    """(python name, JSON name, embedded-by-value) for each field: json_fields without the type
    hints, which to_dict does not need."""
    return tuple((f.name, f.metadata.get("json") or _camel(f.name), bool(f.metadata.get("value")))
                 for f in dataclasses.fields(cls))


def present_fields(obj: Any) -> frozenset[str]:
    """Python names of the fields that the source document set (empty lists included)."""
    return getattr(obj, "_lf_present", frozenset())


# --- AnyString -------------------------------------------------------------------------------


def _go_float_string(value: float) -> str:
    """strconv.FormatFloat(v, 'f', -1, 64): the shortest digits, never an exponent."""
    return format(Decimal(repr(float(value))).normalize(), "f")


def anystring(value: Any) -> str:
    """The string Argo's AnyString makes of a YAML scalar."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        # JSON numbers are decoded into float64 before being formatted.
        if abs(value) < 2**53:
            return str(value)
        return _go_float_string(float(value))
    if isinstance(value, float):
        return _go_float_string(value)
    raise TypeError(value)


# --- from_dict -------------------------------------------------------------------------------


def _kind_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _show(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return _kind_name(value)
    text = repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{_kind_name(value)} ({text})"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Ctx:
    __slots__ = ("file", "fold_case")

    def __init__(self, file: str | None, fold_case: bool = False):
        self.file = file
        self.fold_case = fold_case

    def fail(self, path: str, message: str) -> SpecError:
        return SpecError(message, file=self.file, path=path or None)


def _strip_optional(tp: Any) -> Any:
    try:
        return _strip_cached(tp)
    except TypeError:  # an unhashable hint: compute it
        return _strip_uncached(tp)


@functools.lru_cache(maxsize=None)
def _strip_cached(tp: Any) -> Any:
    return _strip_uncached(tp)


def _strip_uncached(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
        return functools.reduce(operator.or_, args)
    return tp


def _zero(tp: Any) -> Any:
    """What Go decodes a JSON null into inside a list or map: the element type's zero value."""
    tp = _strip_optional(tp)
    if typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    if tp is str:
        return ""
    if tp is bool:
        return False
    if tp is int:
        return 0
    if tp is float:
        return 0.0
    if dataclasses.is_dataclass(tp):
        obj = tp()
        object.__setattr__(obj, "_lf_present", frozenset())
        return obj
    origin = typing.get_origin(tp)
    if origin is list:
        return []
    if origin is dict:
        return {}
    return None


# A converter takes (value, path, ctx), value not None, and returns the converted value or raises
# ctx.fail(...). One is made per type hint and kept (_converter), so that the hint is read once,
# not once per value.
_Converter = typing.Callable[[Any, str, _Ctx], Any]
_converters: dict[Any, _Converter] = {}


def _convert(tp: Any, value: Any, path: str, ctx: _Ctx) -> Any:
    if value is None:
        return None
    return _converter(tp)(value, path, ctx)


def _converter(tp: Any) -> _Converter:
    try:
        return _converters[tp]
    except KeyError:
        made = _converters[tp] = _make_converter(tp)
        return made
    except TypeError:  # an unhashable hint
        return _make_converter(tp)


def _keep(value: Any, path: str, ctx: _Ctx) -> Any:
    return value


def _to_anystring(value: Any, path: str, ctx: _Ctx) -> Any:
    if isinstance(value, (str, int, float, bool)):
        return anystring(value)
    # Go's AnyString.UnmarshalJSON ignores lists and maps and leaves the string empty.
    return ""


def _to_int_or_string(value: Any, path: str, ctx: _Ctx) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ctx.fail(path, f"expected an integer or a string, got {_show(value)}")


def _to_quantity(value: Any, path: str, ctx: _Ctx) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ctx.fail(path, f"expected a quantity such as 100m or 32Mi, got {_show(value)}")
    if isinstance(value, str) and not QUANTITY_RE.match(value):
        raise ctx.fail(path, f"{value!r} is not a valid quantity (use a number with an optional suffix such as 100m, 32Mi, 1G)")
    return value


def _to_str(value: Any, path: str, ctx: _Ctx) -> Any:
    if not isinstance(value, str):
        hint = ""
        if isinstance(value, (bool, int, float)):
            hint = " (put it in quotes: YAML reads yes/no/on/off/y/n as booleans and digits as numbers)"
        raise ctx.fail(path, f"expected a string, got {_show(value)}{hint}")
    return value


def _to_bool(value: Any, path: str, ctx: _Ctx) -> Any:
    if not isinstance(value, bool):
        raise ctx.fail(path, f"expected a boolean (true or false), got {_show(value)}")
    return value


def _to_int(value: Any, path: str, ctx: _Ctx) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ctx.fail(path, f"expected an integer, got {_show(value)}")
    if isinstance(value, float):
        if not value.is_integer():
            raise ctx.fail(path, f"expected an integer, got {_show(value)}")
        return int(value)
    return value


def _to_float(value: Any, path: str, ctx: _Ctx) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ctx.fail(path, f"expected a number, got {_show(value)}")
    return value


_MARKED = {_ANYSTRING: _to_anystring, _INTORSTRING: _to_int_or_string, _QUANTITY: _to_quantity}
_SCALAR = {str: _to_str, bool: _to_bool, int: _to_int, float: _to_float}


def _make_converter(tp: Any) -> _Converter:
    tp = _strip_optional(tp)
    if tp is Any:
        return _keep
    origin = typing.get_origin(tp)
    if origin is Annotated:
        marker = tp.__metadata__[0]
        if marker not in _MARKED:  # pragma: no cover
            raise AssertionError(marker)
        return _MARKED[marker]
    if origin is list:
        (item_tp,) = typing.get_args(tp) or (Any,)
        item = _converter(item_tp)

        def to_list(value: Any, path: str, ctx: _Ctx) -> Any:
            if not isinstance(value, list):
                raise ctx.fail(path, f"expected a list, got {_show(value)}")
            return [item(v, f"{path}[{i}]", ctx) if v is not None else _zero(item_tp) for i, v in enumerate(value)]

        return to_list
    if origin is dict:
        args = typing.get_args(tp)
        val_tp = args[1] if args else Any
        val = _converter(val_tp)

        def to_dict_of(value: Any, path: str, ctx: _Ctx) -> Any:
            if not isinstance(value, dict):
                raise ctx.fail(path, f"expected a mapping, got {_show(value)}")
            if val_tp is Any:
                return dict(value)
            return {k: val(v, _join(path, k), ctx) if v is not None else _zero(val_tp) for k, v in value.items()}

        return to_dict_of
    if origin in (Union, types.UnionType):  # int | str without a marker
        return _to_int_or_string
    if tp in _SCALAR:
        return _SCALAR[tp]
    if dataclasses.is_dataclass(tp):
        return functools.partial(_object, tp)

    def unsupported(value: Any, path: str, ctx: _Ctx) -> Any:  # pragma: no cover
        raise AssertionError(f"unsupported type {tp!r}")

    return unsupported


def _suggest(key: str, known: list[str]) -> str:
    lowered = {k.lower(): k for k in known}
    if key.lower() in lowered:
        return f' (did you mean "{lowered[key.lower()]}"?)'
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f' (did you mean "{close[0]}"?)'
    return ""


@cache
def _fields_in(cls: type) -> dict[str, tuple[str, _Converter]]:
    """JSON name -> (python name, converter) for the fields of a model class."""
    return {j: (p, _converter(t)) for p, j, t, _v in json_fields(cls)}


@cache
def _folded_fields_in(cls: type) -> dict[str, tuple[str, _Converter]]:
    """The same, keyed by the case-folded JSON name (Go's encoding/json matches a key that differs only
    in case when no field has exactly that name)."""
    return {j.lower(): entry for j, entry in _fields_in(cls).items()}


def _object(cls: type, value: Any, path: str, ctx: _Ctx) -> Any:
    if not isinstance(value, dict):
        raise ctx.fail(path, f"expected a mapping, got {_show(value)}")
    table = _fields_in(cls)
    kwargs: dict[str, Any] = {}
    for key, item in value.items():
        entry = table.get(key)
        if entry is None and ctx.fold_case and isinstance(key, str):
            entry = _folded_fields_in(cls).get(key.lower())
        if entry is None:
            known = [j for j in table]
            raise ctx.fail(_join(path, str(key)), f"unknown field \"{key}\"{_suggest(str(key), known)}")
        if item is None:
            continue
        py, convert = entry
        kwargs[py] = convert(item, f"{path}.{key}" if path else key, ctx)
    obj = cls(**kwargs)
    object.__setattr__(obj, "_lf_present", frozenset(kwargs))
    post = getattr(cls, "_lf_check", None)
    if post is not None:
        post(obj, path, ctx.fail)
    return obj


_FOLD_CASE: contextvars.ContextVar[bool] = contextvars.ContextVar("localflow_fold_case", default=False)


@contextlib.contextmanager
def go_json_field_names() -> Iterator[None]:
    """Within: `from_dict` matches field names as Go's encoding/json does (see from_dict's fold_case)."""
    token = _FOLD_CASE.set(True)
    try:
        yield
    finally:
        _FOLD_CASE.reset(token)


def from_dict(cls: type, data: Any, path: str = "", file: str | None = None, *, fold_case: bool = False) -> Any:
    """Build `cls` from Argo's JSON form, raising SpecError naming the field path on a mistake.

    Field names match exactly, as sigs.k8s.io/json's UnmarshalStrict (case-sensitive) that `argo lint`
    and `argo submit` use for YAML (workflow/common/parse.go). `fold_case`: as Go's encoding/json with
    DisallowUnknownFields, which `argo submit` uses for a JSON file (cmd/argo/commands/submit.go
    unmarshalWorkflows): a key that differs from a field's name only in case sets that field
    (`valueFrom.Parameter`); an unknown field is still an error."""
    return _convert(cls, data, path, _Ctx(file, fold_case or _FOLD_CASE.get()))


# --- to_dict ---------------------------------------------------------------------------------


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _dump(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if hasattr(kind, "__dataclass_fields__") and not isinstance(value, type):
        return to_dict(value)
    if isinstance(value, list):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    return value


def to_dict(obj: Any) -> dict[str, Any]:
    """Argo's camelCase JSON form of a model object: None and empty collections are left out
    (unless the source document wrote them), present-but-empty sub-objects stay as `{}`."""
    present = present_fields(obj)
    out: dict[str, Any] = {}
    for py, js, by_value in _dump_fields(type(obj)):
        value = getattr(obj, py)
        if value is None:
            continue
        if isinstance(value, (list, dict)) and not value and py not in present:
            continue
        dumped = _dump(value)
        if by_value and dumped == {} and py not in present:
            continue
        out[js] = dumped
    return out
