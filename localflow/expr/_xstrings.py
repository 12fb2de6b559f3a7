"""huandu/xstrings' case conversions, as sprig's `snakecase`, `kebabcase` and `camelcase` call them.

Words are cut the way xstrings' `nextWord` cuts them: runs of connectors (`-`, `_`, spaces),
punctuation, upper-case words (`HTTPServer` is `HTTP` + `Server`), lower-case words, numbers and
other letters (CJK); U+FFFD counts as an invalid rune that sticks to the word before it.
"""

from __future__ import annotations

import unicodedata

INVALID, NUMBER, UPPER, ALPHA, CONNECTOR, PUNCT, OTHER = range(7)
_ERR = "\ufffd"


def _is_err(c: str) -> bool:
    return c == _ERR or "\ud800" <= c <= "\udfff"


def _cat(c: str) -> str:
    return unicodedata.category(c)


def _is_upper(c: str) -> bool:
    return _cat(c) == "Lu"


def _is_number(c: str) -> bool:
    return _cat(c) in ("Nd", "Nl", "No")


def _is_punct(c: str) -> bool:
    return _cat(c).startswith("P")


def is_connector(c: str) -> bool:
    return c in "-_" or c.isspace() or c in "\x85\xa0"


def _is_alphabet(c: str) -> bool:
    """A letter, but not a CJK ideograph."""
    if not _cat(c).startswith("L"):
        return False
    o = ord(c)
    return not (0x4E00 <= o <= 0x9FCC or 0x3400 <= o <= 0x4D85 or 0x20000 <= o <= 0x2B81D)


def _one(c: str, converted: str) -> str:
    return converted if len(converted) == 1 else c  # Go maps one rune to one rune


def _next_valid(s: str, i: int, prev: str) -> tuple[str, int]:
    """The next rune that is not invalid, and how many runes that took (prev when none)."""
    size = 0
    while i + size < len(s):
        c = s[i + size]
        size += 1
        if not _is_err(c):
            return c, size
    return prev, size


def _scan(s: str, rem: int, r: str, offset: int, keep) -> tuple[str, int, int]:  # noqa: ANN001
    while rem < len(s):
        r, size = _next_valid(s, rem, r)
        if not keep(r):
            break
        offset += size
        rem += size
    return r, offset, rem


def _upper_word(s: str, r: str, offset: int, rem: int) -> tuple[int, int]:
    if rem >= len(s):
        return offset, rem
    r, size = _next_valid(s, rem, r)
    if _is_upper(r):
        prev_size = size
        offset += size
        rem += size
        while rem < len(s):
            r, size = _next_valid(s, rem, r)
            if not _is_upper(r):
                break
            prev_size = size
            offset += size
            rem += size
        if rem < len(s) and _is_alphabet(r):  # "HTTPStatus": "S" starts the next word
            offset -= prev_size
            rem = offset
    elif _is_alphabet(r):
        _, offset, rem = _scan(s, rem + size, r, offset + size, lambda c: _is_alphabet(c) and not _is_upper(c))
    return offset, rem


def next_word(s: str) -> tuple[int, str, str]:
    """(word type, word, remaining), xstrings' nextWord."""
    if not s:
        return INVALID, "", ""
    r, size = _next_valid(s, 0, _ERR)
    offset = rem = size
    if _is_err(r):
        return INVALID, s[:offset], s[offset:]
    if is_connector(r):
        wt = CONNECTOR
        _, offset, rem = _scan(s, rem, r, offset, is_connector)
    elif _is_punct(r):
        wt = PUNCT
        _, offset, rem = _scan(s, rem, r, offset, _is_punct)
    elif _is_upper(r):
        wt = UPPER
        offset, rem = _upper_word(s, r, offset, rem)
    elif _is_alphabet(r):
        wt = ALPHA
        _, offset, rem = _scan(s, rem, r, offset, lambda c: _is_alphabet(c) and not _is_upper(c))
    elif _is_number(r):
        wt = NUMBER
        _, offset, rem = _scan(s, rem, r, offset, _is_number)
    else:
        wt = OTHER
        _, offset, rem = _scan(
            s, rem, r, offset,
            lambda c: not (is_connector(c) or _is_alphabet(c) or _is_number(c) or _is_punct(c)))
    return wt, s[:offset], s[rem:]


def _to_lower(out: list[str], wt: int, word: str, connector: str) -> None:
    if wt not in (UPPER, CONNECTOR):
        out.append(word)
        return
    for c in word:
        out.append(connector if is_connector(c) else _one(c, c.lower()) if _is_upper(c) else c)


def _after_number(out: list[str], wt: int, word: str, rest: str, connector: str) -> tuple[int, str, str]:
    while wt in (ALPHA, NUMBER):
        _to_lower(out, wt, word, connector)
        wt, word, rest = next_word(rest)
    return wt, word, rest


def _after_word(out: list[str], wt: int, word: str, rest: str, connector: str) -> tuple[int, str, str]:
    """After a letter word: a number sticks to it unless letters follow the number."""
    if wt != NUMBER:
        if wt not in (CONNECTOR, PUNCT):
            out.append(connector)
        return wt, word, rest
    if not rest:
        return wt, word, rest
    number = word
    wt, word, rest = next_word(rest)
    if wt != ALPHA:  # "Bld4Floor": bld4_floor
        _to_lower(out, NUMBER, number, connector)
        if wt not in (CONNECTOR, PUNCT):
            out.append(connector)
        return wt, word, rest
    out.append(connector)  # "HTTP2xx": http_2xx
    _to_lower(out, NUMBER, number, connector)
    wt, word, rest = _after_number(out, wt, word, rest, connector)
    if wt not in (INVALID, CONNECTOR, PUNCT):
        out.append(connector)
    return wt, word, rest


def camel_to_lower(s: str, connector: str) -> str:
    """xstrings' camelCaseToLowerCase (ToSnakeCase with `_`, ToKebabCase with `-`)."""
    if not s:
        return ""
    out: list[str] = []
    wt, word, rest = next_word(s)
    while rest:
        if wt != CONNECTOR:
            _to_lower(out, wt, word, connector)
        prev, last = wt, word
        wt, word, rest = next_word(rest)
        if prev == NUMBER:
            wt, word, rest = _after_number(out, wt, word, rest, connector)
            if wt not in (INVALID, PUNCT, CONNECTOR):
                out.append(connector)
        elif prev == CONNECTOR:
            _to_lower(out, prev, last, connector)
        elif prev != PUNCT:
            wt, word, rest = _after_word(out, wt, word, rest, connector)
    _to_lower(out, wt, word, connector)
    return "".join(out)


def to_camel_case(s: str) -> str:
    """xstrings' ToCamelCase: connectors dropped, the letter after them upper-cased."""
    if not s:
        return ""
    out: list[str] = []
    i, r0 = 0, ""
    while i < len(s):
        r0 = s[i]
        i += 1
        if not is_connector(r0):
            r0 = _one(r0, r0.upper())
            break
        out.append(r0)
    if i >= len(s):
        out.append(r0)
        return "".join(out)
    prev = r0
    for c in s[i:]:
        r1, cur = prev, c
        if is_connector(cur) and is_connector(r1):
            out.append(r1)
        elif is_connector(r1):
            cur = _one(cur, cur.upper())
        else:
            out.append(r1)
        prev = cur
    out.append(prev)
    return "".join(out)
