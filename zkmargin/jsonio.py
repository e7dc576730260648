"""Strict JSON in and out for the user-written files (market.json, portfolio.json, risk.json).

Python's `json` module is lenient in ways that hide mistakes in money files: it keeps the
last of two duplicate keys, accepts `NaN` and `Infinity`, and turns `1e400` into `inf`.
`read_json` refuses all of these; `dumps` writes `Decimal` values as JSON numbers without
passing them through a float. The file formats built on them are in `zkmargin.formats`.
"""

from __future__ import annotations

import json
import math
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from zkmargin.errors import InputError
from zkmargin.files import read_bounded
from zkmargin.validation import type_named

JsonSource = str | bytes | os.PathLike

_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"')
"""A JSON string; possessive, so a 60 MB string costs no backtracking memory (it cost 20 GB)."""
_BRACKET = re.compile(r"[\[\]{}]")
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")
"""A surrogate escaped or raw: the only way a parsed string can hold one that is not text."""
MAX_DEPTH = 64
"""Deepest nesting `read_json` accepts; every zkmargin file format needs fewer than 8."""
BYTES_PER_CONTAINER = 12
"""Fewest characters a document may spend per array or object, past FREE_CONTAINERS of them.
A parsed empty list costs 64 bytes, so a file of `[],` (3 each) would hold 21 times its size
in memory before anything checks its shape (24 for `{}`); at 12 it is 5.3 times (an honest
proof's is 4.2). Honest files spend more even written compactly: 800 in a 250-scenario
expected-shortfall params, 14 in a standard params of 1,000 penny stocks (two empty P&L rows
and one-digit values each), the densest found."""
FREE_CONTAINERS = 1024
"""Arrays and objects any document may hold however short it is."""
FREE_KEYS = 1024
"""Object keys a document may hold however short it is, for kinds that limit their key density."""
_INLINE_LIST_WIDTH = 100


def read_json(
    source: JsonSource, what: str | None = None, *, exact: bool = False, most_containers: int | None = None,
    bytes_per_key: int | None = None,
) -> Any:
    """Parse JSON from a path, or from JSON text or bytes, refusing everything ambiguous.

    `source` is read as a file path when it is an `os.PathLike`, or a `str` that does not
    start (after whitespace) with `{` or `[`; otherwise it is JSON text. `what` names the
    input in error messages (defaults to the path, or "JSON input").

    With `exact=True` every number becomes a `Decimal` parsed from its digits (0.1 stays
    exactly 0.1); otherwise integers stay `int` and the others become finite `float`s.
    `most_containers`: the arrays and objects a file of its kind can hold, at most (a proof
    file has a few); by default one per BYTES_PER_CONTAINER characters. `bytes_per_key`: the
    fewest characters a file of its kind spends per object key, past FREE_KEYS of them (a
    parsed key and its value cost ~150 bytes, so `"a":0,` would hold 25 times the file).
    """
    text, what = _load_text(source, what)
    return loads(text, what, exact=exact, most_containers=most_containers, bytes_per_key=bytes_per_key)


def loads(
    text: str | bytes, what: str = "JSON input", *, exact: bool = False, most_containers: int | None = None,
    bytes_per_key: int | None = None,
) -> Any:
    """Parse JSON text (never a path) with the same refusals as `read_json`."""
    if isinstance(text, bytes):
        text = _decode(text, what)
    _check_brackets(text, what, most_containers, bytes_per_key)
    try:
        value = json.loads(
            text,
            object_pairs_hook=lambda pairs: _unique_object(pairs, what),
            parse_constant=lambda name: _reject_constant(name, what),
            parse_float=Decimal if exact else (lambda digits: _finite_float(digits, what)),
            parse_int=Decimal if exact else (lambda digits: _bounded_int(digits, what)),
        )
    except json.JSONDecodeError as error:
        raise InputError(_malformed(text, error, what)) from None
    if _SURROGATE.search(text):
        _require_text(value, what)
    return value


def _malformed(text: str, error: json.JSONDecodeError, what: str) -> str:
    """The parser's complaint, in the words of the two slips people make most: a file with
    nothing in it, and a comma after the last item (which JavaScript and Python allow)."""
    if not text.strip():
        return f"{what}: empty, expected a JSON document"
    before = text[: error.pos].rstrip()
    if before.endswith(",") and text[error.pos : error.pos + 1] in ("}", "]"):
        comma = len(before) - 1
        line = text.count("\n", 0, comma) + 1
        column = comma - text.rfind("\n", 0, comma)
        return (
            f"{what}: malformed JSON at line {line}, column {column}: a comma after the last "
            "item; JSON allows none, remove it"
        )
    return f"{what}: malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}"


def _require_text(value: Any, what: str) -> None:
    """Refuse a lone surrogate (JSON lets `"\\udcff"` escape one): it has no UTF-8 spelling, so a
    digest, a database or a terminal would fail on it far from the file."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError(f"{what}: the string {value[:40]!r} holds a lone surrogate, which is not text") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _require_text(key, what)
            _require_text(item, what)
    elif isinstance(value, list):
        for item in value:
            _require_text(item, what)


def _check_brackets(text: str, what: str, most_containers: int | None, bytes_per_key: int | None = None) -> None:
    """Refuse more arrays and objects than `most_containers` (or BYTES_PER_CONTAINER) allows,
    and nesting deeper than MAX_DEPTH, before the C parser builds or recurses into them.

    json's parser recurses once per level and relies on the interpreter's recursion limit;
    py_ecc raises that limit to 100,000 on import, deep enough to overflow the C stack and
    crash the process, so a hostile file must be stopped here.
    """
    bare = _STRING.sub("", text)
    containers = bare.count("[") + bare.count("{")
    if most_containers is not None and containers > most_containers:
        raise InputError(f"{what}: {containers} JSON arrays and objects, more than the {most_containers} its kind of file holds")
    if containers > max(FREE_CONTAINERS, len(text) // BYTES_PER_CONTAINER):
        raise InputError(
            f"{what}: {containers} JSON arrays and objects in {len(text)} characters, more than one "
            f"per {BYTES_PER_CONTAINER}: no zkmargin file is made of so many"
        )
    if bytes_per_key is not None and (keys := bare.count(":")) > max(FREE_KEYS, len(text) // bytes_per_key):
        raise InputError(
            f"{what}: {keys} object keys in {len(text)} characters, more than one per {bytes_per_key}: "
            "no file of its kind is made of so many"
        )
    if nested_too_deep(bare):
        raise InputError(f"{what}: JSON nested deeper than {MAX_DEPTH} levels")


def nested_too_deep(bare: str) -> bool:
    """Whether the brackets of `bare` (a document with its strings removed) nest past MAX_DEPTH."""
    depth = 0
    for bracket in _BRACKET.findall(bare):
        depth += 1 if bracket in "[{" else -1
        if depth > MAX_DEPTH:
            return True
    return False


def path_argument(path: object, loader: str, reader: str) -> Path:
    """`path` as the `Path` a `loader` (e.g. "MarginProof.load") reads, or one `InputError` line
    saying what to call instead: JSON text goes to `reader` (its `from_json`), not to `open()`,
    which would quote all of it back in a "File name too long"."""
    if isinstance(path, str) and path.lstrip()[:1] in ("{", "["):
        raise InputError(f"{loader} takes a path, and this is JSON text: read text with {reader}(text)")
    if not isinstance(path, (str, os.PathLike)):
        hint = f"; read JSON bytes with {reader}(data)" if isinstance(path, bytes) else ""
        raise InputError(f"{loader} takes a path (a str or pathlib.Path), not {type_named(path)}{hint}")
    return Path(path)


def _load_text(source: JsonSource, what: str | None) -> tuple[str, str]:
    if isinstance(source, bytes):
        return _decode(source, what or "JSON input"), what or "JSON input"
    if isinstance(source, str) and source.lstrip()[:1] in ("{", "["):
        return source, what or "JSON input"
    if not isinstance(source, (str, os.PathLike)):
        raise InputError(f"expected a path or JSON text, got {type(source).__name__}")
    path = Path(source)
    what = what or str(path)
    return _decode(read_bounded(path, what, "a JSON file"), what), what


def _decode(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"{what}: not UTF-8 text (byte {error.start})") from None


def _unique_object(pairs: list[tuple[str, Any]], what: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise InputError(f"{what}: duplicate key {key!r} in a JSON object")
        result[key] = value
    return result


def _reject_constant(name: str, what: str) -> Any:
    raise InputError(f"{what}: {name} is not a valid number (JSON has no NaN or Infinity)")


MAX_INTEGER_DIGITS = 100
"""No number in these files needs more digits; longer ones are refused before int() sees them."""


def _bounded_int(digits: str, what: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise InputError(f"{what}: integer of {len(digits)} digits is too long")
    return int(digits)


def _finite_float(digits: str, what: str) -> float:
    value = float(digits)
    if not math.isfinite(value):
        raise InputError(f"{what}: number {digits} is out of the floating-point range")
    return value


def dumps(data: Any) -> str:
    """JSON text with two-space indentation; `Decimal` is written digit for digit."""
    return _encode(data, 0) + "\n"


def _encode(value: Any, depth: int) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InputError(f"cannot write {value} as a JSON number")
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"cannot write {value} as a JSON number")
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        # 100 rather than 100.0: the file stays as a person would write it and reads back equal.
        return str(int(value))
    if value is None or isinstance(value, (bool, int, float, str)):
        return json.dumps(value, ensure_ascii=False)
    indent = "  " * (depth + 1)
    closing = "  " * depth
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            f"{indent}{json.dumps(str(key), ensure_ascii=False)}: {_encode(item, depth + 1)}"
            for key, item in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + closing + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        if all(not isinstance(item, (dict, list, tuple)) for item in value):
            inline = "[" + ", ".join(_encode(item, depth + 1) for item in value) + "]"
            if len(inline) <= _INLINE_LIST_WIDTH:
                return inline
        items = [f"{indent}{_encode(item, depth + 1)}" for item in value]
        return "[\n" + ",\n".join(items) + "\n" + closing + "]"
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")

