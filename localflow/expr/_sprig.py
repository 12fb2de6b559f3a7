"""Sprig's generic function map (github.com/Masterminds/sprig/v3), as Argo exposes it.

Argo puts `sprig.GenericFuncMap()` under the name `sprig` (without `env`/`expandenv`),
so `{{=sprig.trim(x)}}` works. Argument order and oddities follow Sprig: `contains
(substr, str)`, `join(sep, list)`, `b64dec` returning the error text, `date` treating a
string as "now". The rest of sprig v3.3.0's map is in `_sprig_more` (semver, words, URLs,
getHostByName), `_sprig_crypto` and `_x509` (keys, ciphers, certificates).
"""

from __future__ import annotations

import base64
import copy
import datetime as _dt
import math
import posixpath
import random
import string
import uuid
import zlib
from collections.abc import Callable
from typing import Any

from localflow.expr import _expr_runtime as R
from localflow.expr import _sprig_crypto, _sprig_more, gotime
from localflow.expr._gofmt import (
    Int64,
    IntList,
    StringList,
    StringMap,
    from_json,
    go_json,
    go_type_name,
)
from localflow.expr._sprig_base import (
    _addf,
    _b,
    _d,
    _decimal_op,
    _i,
    _int_div,
    _int_mod,
    _max,
    _maxf,
    _min,
    _minf,
    _mul,
    _rand,
    _s,
    _t,
    abbrev,
    cat,
    empty,
    indent,
    initials,
    nospace,
    quote,
    repeat,
    seq,
    split_list,
    split_map,
    splitn_map,
    sprig_round,
    squote,
    strslice,
    strval,
    substr,
    title,
    to_decimal,
    to_float64,
    to_int64,
    trunc,
    until,
    until_step,
)
from localflow.expr._sprig_data import (
    _atoi,
    _clean,
    _ext,
    _fail,
    _from_json,
    _list_of,
    _raw_json,
    _regex_find,
    _regex_find_all,
    _regex_match,
    _regex_replace,
    _regex_replace_literal,
    _sha,
    _to_json,
    _trim_space,
    ago,
    b32dec,
    b64dec,
    chunk,
    date_in_zone,
    date_modify,
    dig,
    duration,
    first,
    has,
    initial,
    kind_of,
    last,
    merge,
    regex_quote_meta,
    regex_split,
    rest,
    sprig_dict,
    sprig_slice,
    to_date,
    uniq,
    without,
)

FUNCTIONS: dict[str, Callable[..., Any]] = {
    "hello": lambda: "Hello!",
    # dates
    "ago": ago,
    "date": lambda fmt, d: date_in_zone(fmt, d, "Local"),
    "date_in_zone": date_in_zone,
    "dateInZone": date_in_zone,
    "date_modify": date_modify,
    "dateModify": date_modify,
    "mustDateModify": date_modify,
    "must_date_modify": date_modify,
    "duration": duration,
    "htmlDate": lambda d: date_in_zone("2006-01-02", d, "Local"),
    "htmlDateInZone": lambda d, zone: date_in_zone("2006-01-02", d, zone),
    "mustToDate": lambda fmt, s: gotime.parse_time(_s(fmt), _s(s)).to_datetime(),
    "now": lambda: _dt.datetime.now(_dt.timezone.utc),
    "toDate": to_date,
    "unixEpoch": lambda d: str(int(_t(d).timestamp())),
    # strings
    "abbrev": abbrev,
    "trunc": trunc,
    "trim": _trim_space,
    "upper": lambda s: _s(s).upper(),
    "lower": lambda s: _s(s).lower(),
    "title": title,
    "substr": substr,
    "repeat": repeat,
    "trimall": lambda a, b: _s(b).strip(_s(a)),
    "trimAll": lambda a, b: _s(b).strip(_s(a)),
    "trimSuffix": lambda a, b: (
        _s(b)[: -len(_s(a))] if _s(a) and _s(b).endswith(_s(a)) else _s(b)
    ),
    "trimPrefix": lambda a, b: _s(b).removeprefix(_s(a)),
    "nospace": nospace,
    "initials": initials,
    "randAlphaNum": _rand(string.ascii_letters + string.digits),
    "randAlpha": _rand(string.ascii_letters),
    "randAscii": _rand("".join(chr(c) for c in range(32, 127))),
    "randNumeric": _rand(string.digits),
    "contains": lambda sub, s: _s(sub) in _s(s),
    "hasPrefix": lambda sub, s: _s(s).startswith(_s(sub)),
    "hasSuffix": lambda sub, s: _s(s).endswith(_s(sub)),
    "quote": quote,
    "squote": squote,
    "cat": cat,
    "indent": indent,
    "nindent": lambda spaces, v: "\n" + indent(spaces, v),
    "replace": lambda old, new, src: _s(src).replace(_s(old), _s(new)),
    "plural": lambda one, many, count: _s(one) if _i(count) == 1 else _s(many),
    "sha1sum": _sha("sha1"),
    "sha256sum": _sha("sha256"),
    "sha512sum": _sha("sha512"),
    "adler32sum": lambda s: str(zlib.adler32(_s(s).encode("utf-8", "surrogatepass"))),
    "toString": strval,
    # numbers
    "atoi": lambda a: _atoi(_s(a)),
    "int64": to_int64,
    "int": to_int64,
    "float64": to_float64,
    "seq": seq,
    "toDecimal": to_decimal,
    "split": split_map,
    "splitList": split_list,
    "splitn": splitn_map,
    "toStrings": strslice,
    "until": until,
    "untilStep": until_step,
    "add1": lambda i: R.wrap_int(to_int64(i) + 1),
    "add": lambda *v: R.wrap_int(sum(to_int64(x) for x in v)),
    "sub": lambda a, b: R.wrap_int(to_int64(a) - to_int64(b)),
    "div": _int_div,
    "mod": _int_mod,
    "mul": _mul,
    "randInt": lambda lo, hi: random.randrange(_i(lo), _i(hi)),
    "add1f": lambda i: _decimal_op(lambda x, y: x + y)(i, 1),
    "addf": _addf,
    "subf": _decimal_op(lambda x, y: x - y),
    "divf": _decimal_op(lambda x, y: x / y),
    "mulf": _decimal_op(lambda x, y: x * y),
    "biggest": _max,
    "max": _max,
    "min": _min,
    "maxf": _maxf,
    "minf": _minf,
    "ceil": lambda a: float(math.ceil(to_float64(a))),
    "floor": lambda a: float(math.floor(to_float64(a))),
    "round": sprig_round,
    "join": lambda sep, v: _s(sep).join(strslice(v)),
    "sortAlpha": lambda v: sorted(strslice(v)),
    # defaults
    "default": lambda d, *given: d if not given or empty(given[0]) else given[0],
    "empty": empty,
    "coalesce": lambda *v: next((x for x in v if not empty(x)), None),
    "all": lambda *v: all(not empty(x) for x in v),
    "any": lambda *v: any(not empty(x) for x in v),
    "compact": lambda v: [x for x in _list_of(v, "compact") if not empty(x)],
    "mustCompact": lambda v: [x for x in _list_of(v, "compact") if not empty(x)],
    "fromJson": _from_json,
    "toJson": _to_json,
    "toPrettyJson": lambda v: go_json(v, indent="  "),
    "toRawJson": lambda v: _raw_json(v),
    "mustFromJson": lambda v: from_json(_s(v)),
    "mustToJson": go_json,
    "mustToPrettyJson": lambda v: go_json(v, indent="  "),
    "mustToRawJson": lambda v: _raw_json(v),
    "ternary": lambda vt, vf, cond: vt if _b(cond) else vf,
    "deepCopy": copy.deepcopy,
    "mustDeepCopy": copy.deepcopy,
    # reflection
    "typeOf": go_type_name,
    "typeIs": lambda target, v: _s(target) == go_type_name(v),
    "typeIsLike": lambda target, v: (
        _s(target) in (go_type_name(v), "*" + go_type_name(v))
    ),
    "kindOf": kind_of,
    "kindIs": lambda target, v: _s(target) == kind_of(v),
    "deepEqual": R.deep_equal,
    # paths
    "base": lambda p: (
        posixpath.basename(_s(p).rstrip("/")) or ("/" if _s(p).startswith("/") else ".")
    ),
    "dir": lambda p: _clean(posixpath.dirname(_s(p)) or "."),
    "clean": _clean,
    "ext": _ext,
    "isAbs": lambda p: _s(p).startswith("/"),
    # encoding
    "b64enc": lambda v: base64.b64encode(
        _s(v).encode("utf-8", "surrogatepass")
    ).decode(),
    "b64dec": b64dec,
    "b32enc": lambda v: base64.b32encode(
        _s(v).encode("utf-8", "surrogatepass")
    ).decode(),
    "b32dec": b32dec,
    # data structures
    "tuple": lambda *v: list(v),
    "list": lambda *v: list(v),
    "dict": sprig_dict,
    "get": lambda d, key: _d(d).get(_s(key), ""),
    "set": lambda d, key, value: (_d(d).__setitem__(_s(key), value), d)[1],
    "unset": lambda d, key: (_d(d).pop(_s(key), None), d)[1],
    "hasKey": lambda d, key: _s(key) in _d(d),
    "pluck": lambda name, *ds: [_d(d)[_s(name)] for d in ds if _s(name) in _d(d)],
    "keys": lambda *ds: [k for d in ds for k in _d(d)],
    "pick": lambda d, *ks: {k: _d(d)[k] for k in map(_s, ks) if k in _d(d)},
    "omit": lambda d, *ks: {
        k: v for k, v in _d(d).items() if k not in set(map(_s, ks))
    },
    "merge": merge,
    "mergeOverwrite": lambda dst, *srcs: merge(dst, *srcs, overwrite=True),
    "mustMerge": merge,
    "mustMergeOverwrite": lambda dst, *srcs: merge(dst, *srcs, overwrite=True),
    "values": lambda d: list(_d(d).values()),
    "append": lambda v, x: [*_list_of(v, "push"), x],
    "push": lambda v, x: [*_list_of(v, "push"), x],
    "mustAppend": lambda v, x: [*_list_of(v, "push"), x],
    "mustPush": lambda v, x: [*_list_of(v, "push"), x],
    "prepend": lambda v, x: [x, *_list_of(v, "prepend")],
    "mustPrepend": lambda v, x: [x, *_list_of(v, "prepend")],
    "first": first,
    "mustFirst": first,
    "rest": rest,
    "mustRest": rest,
    "last": last,
    "mustLast": last,
    "initial": initial,
    "mustInitial": initial,
    "reverse": lambda v: list(reversed(_list_of(v, "reverse"))),
    "mustReverse": lambda v: list(reversed(_list_of(v, "reverse"))),
    "uniq": uniq,
    "mustUniq": uniq,
    "without": without,
    "mustWithout": without,
    "has": has,
    "mustHas": has,
    "slice": sprig_slice,
    "mustSlice": sprig_slice,
    "concat": lambda *lists: [x for v in lists for x in _list_of(v, "concat")],
    "dig": dig,
    "chunk": chunk,
    "mustChunk": chunk,
    # misc
    "uuidv4": lambda: str(uuid.uuid4()),
    "fail": _fail,
    "randBytes": lambda n: base64.b64encode(
        random.SystemRandom().randbytes(_i(n))
    ).decode(),
    # regular expressions
    "regexMatch": _regex_match,
    "mustRegexMatch": lambda regex, s: R.go_regexp(_s(regex)).search(_s(s)) is not None,
    "regexFindAll": _regex_find_all,
    "mustRegexFindAll": _regex_find_all,
    "regexFind": _regex_find,
    "mustRegexFind": _regex_find,
    "regexReplaceAll": _regex_replace,
    "mustRegexReplaceAll": _regex_replace,
    "regexReplaceAllLiteral": _regex_replace_literal,
    "mustRegexReplaceAllLiteral": _regex_replace_literal,
    "regexSplit": regex_split,
    "mustRegexSplit": regex_split,
    "regexQuoteMeta": regex_quote_meta,
}

FUNCTIONS.update(_sprig_more.MORE)
FUNCTIONS.update(_sprig_crypto.CRYPTO)
FUNCTIONS.update((alias, FUNCTIONS[name]) for alias, name in _sprig_more.OS_PATH_ALIASES.items())

#: Sprig functions whose Go result type prints or marshals apart from the Python value's.
_RESULT_TYPES: dict[str, type] = {
    **dict.fromkeys(("add", "add1", "sub", "div", "mod", "mul", "max", "biggest", "min", "int64",
                     "toDecimal"), Int64),
    **dict.fromkeys(("splitList", "regexFindAll", "mustRegexFindAll", "sortAlpha", "toStrings",
                     "regexSplit", "mustRegexSplit", "keys"), StringList),
    **dict.fromkeys(("until", "untilStep"), IntList),
    **dict.fromkeys(("split", "splitn"), StringMap),
}


def _typed(fn: Callable[..., Any], result_type: type) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        return result_type(fn(*args))

    return call


for _name, _type in _RESULT_TYPES.items():
    FUNCTIONS[_name] = _typed(FUNCTIONS[_name], _type)
