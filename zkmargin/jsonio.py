"""Strict JSON in and out for the user-written files (market.json, portfolio.json, risk.json).

Python's `json` module is lenient in ways that hide mistakes in money files: it keeps the
last of two duplicate keys, accepts `NaN` and `Infinity`, and turns `1e400` into `inf`.
`read_json` refuses all of these; `dumps` writes `Decimal` values as JSON numbers without
passing them through a float. `JsonFile` is one file format on top of them: read with
`read_json`, validated with `zkmargin.validation.validate` (one `InputError` line naming the
field), written with `zkmargin.files.write_atomic`.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import unicodedata
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Callable, ClassVar, Literal, Self

import pydantic
from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, WithJsonSchema

from zkmargin.errors import InputError
from zkmargin.files import read_bounded, require_private, write_atomic
from zkmargin.validation import FILE_KINDS, describe_validation_error, type_named, validate

JsonSource = str | bytes | os.PathLike

_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"')
"""A JSON string; possessive, so a 60 MB string costs no backtracking memory (it cost 20 GB)."""
_BRACKET = re.compile(r"[\[\]{}]")
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")
"""A surrogate escaped or raw: the only way a parsed string can hold one that is not text."""
MAX_DEPTH = 64
"""Deepest nesting `read_json` accepts; every zkmargin file format needs fewer than 8."""
_INLINE_LIST_WIDTH = 100


def read_json(source: JsonSource, what: str | None = None, *, exact: bool = False) -> Any:
    """Parse JSON from a path, or from JSON text or bytes, refusing everything ambiguous.

    `source` is read as a file path when it is an `os.PathLike`, or a `str` that does not
    start (after whitespace) with `{` or `[`; otherwise it is JSON text. `what` names the
    input in error messages (defaults to the path, or "JSON input").

    With `exact=True` every number becomes a `Decimal` parsed from its digits (0.1 stays
    exactly 0.1); otherwise integers stay `int` and the others become finite `float`s.
    """
    text, what = _load_text(source, what)
    return loads(text, what, exact=exact)


def loads(text: str | bytes, what: str = "JSON input", *, exact: bool = False) -> Any:
    """Parse JSON text (never a path) with the same refusals as `read_json`."""
    if isinstance(text, bytes):
        text = _decode(text, what)
    _check_depth(text, what)
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


def _check_depth(text: str, what: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH before the C parser recurses into it.

    json's parser recurses once per level and relies on the interpreter's recursion limit;
    py_ecc raises that limit to 100,000 on import, deep enough to overflow the C stack and
    crash the process, so a hostile file must be stopped here.
    """
    if nested_too_deep(_STRING.sub("", text)):
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


# Field types shared by the file formats. Pydantic's strict mode would refuse a date
# written as a string, so dates go through their own parser; numbers accept JSON integers
# where a float is meant (80 for 80.0) but never booleans or strings.

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def _parse_iso_date(value: Any) -> Any:
    if isinstance(value, str):
        if not _ISO_DATE.match(value):
            raise ValueError("expected a date written YYYY-MM-DD")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError("not a calendar date") from None
    return value


LABEL_LENGTH = 64


def check_label(value: str, longest: int = LABEL_LENGTH) -> str:
    """A label is one line of printable text with one spelling, else `ValueError`.

    `str.isprintable` refuses every control (Cc: newline, escape), format (Cf: the bidi
    overrides and isolates, zero-width joiners) and separator character other than the
    ASCII space; NFC makes "é" one text, not two (precomposed or e + combining accent).
    """
    if not isinstance(value, str):
        raise ValueError("expected a string")
    if not 1 <= len(value) <= longest:
        raise ValueError(f"must be 1 to {longest} characters long")
    if value != value.strip():
        raise ValueError("must not start or end with whitespace")
    if not value.isprintable():
        raise ValueError("must contain printable characters only (no control, format or bidi characters)")
    if unicodedata.normalize("NFC", value) != value:
        raise ValueError("must be in Unicode normal form NFC")
    return value


def _exact_int(value: Any) -> Any:
    # JSON `true` is not the number 1, even where the type is Literal[1].
    if isinstance(value, bool):
        raise ValueError("expected an integer, not a boolean")
    return value


def _exact_decimal(value: Any) -> Decimal:
    # Strings are refused too: in a JSON file "10" is text, not a quantity.
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError("expected a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("expected a finite number")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise ValueError("expected a finite number")
    return number


IsoDate = Annotated[date, BeforeValidator(_parse_iso_date)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=LABEL_LENGTH), AfterValidator(check_label)]
"""An account, instrument, issuer or custodian name: see `check_label`."""


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise ValueError("leave an absent field out rather than writing null")
    return value


NotNull = BeforeValidator(_refuse_null)
"""For an optional field written only when present: an explicit null would be a second
spelling of the same file (`Annotated[X | None, NotNull] = None`)."""

Version1 = Annotated[Literal[1], BeforeValidator(_exact_int)]
"""A file format's version: the JSON integer 1 exactly."""
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegativeFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]
ExactDecimal = Annotated[
    Decimal, BeforeValidator(_exact_decimal), WithJsonSchema({"type": "number"})
]
QuantityDecimals = Annotated[int, Field(ge=0, le=8)]


class StrictModel(pydantic.BaseModel):
    """Base of every file format: unknown fields are errors, no silent type coercion.

    Built in code (`Portfolio(account="alice", cash=1000)`), a model refuses bad values as a
    file does: one `InputError` line (the format's `json_error`) naming the class, the
    field and the value, in place of pydantic's multi-line `ValidationError`.
    """

    model_config = pydantic.ConfigDict(extra="forbid", strict=True, frozen=True)

    if not TYPE_CHECKING:  # type checkers keep pydantic's signature, which names the fields

        def __init__(self, **data: Any) -> None:
            try:
                super().__init__(**data)
            except pydantic.ValidationError as error:
                refusal = getattr(type(self), "json_error", InputError)
                raise refusal(describe_validation_error(error, type(self), type(self).__name__)) from None

        # Only a keyword call reaches this: validation (`from_json`, a nested model) stays
        # pydantic's own, so a file's error names the file, not the class (pydantic's flag).
        __init__.__pydantic_base_init__ = True


class JsonFile(pydantic.BaseModel):
    """A model kept as one JSON file: `load`, `from_json`, `to_json`, `save`, `json_schema`.

    A file format inherits these and states only how it differs, in the class attributes
    below; `_from_data` is the hook for a model that turns parsed JSON into itself its own way.
    """

    json_what: ClassVar[str] = "JSON input"
    """How `from_json` names its text in error messages unless told otherwise."""
    json_exact: ClassVar[bool] = False
    """Read every number as an exact `Decimal` (see `read_json`), never through a float."""
    json_private: ClassVar[bool] = False
    """`save` creates a new file readable by its owner only (the file is a secret)."""
    json_secret: ClassVar[bool] = False
    """Private, `load` refuses the file when its group or others may read it, and `save`
    replaces an existing file only when told to (keys, openings)."""
    json_dump: ClassVar[dict[str, Any]] = {"mode": "json", "exclude_defaults": True}
    """Keyword arguments of `model_dump` for `to_json`; by default fields at their defaults are left out.

    Mode "json" writes a `Decimal` as a string: a model with exact numbers dumps in Python
    mode (`{}`) so that `dumps` writes them as JSON numbers, digit for digit."""
    json_indent: ClassVar[int | None] = None
    """If set, `to_json` is pydantic's own encoding at this indent, for formats with no
    number to keep exact, optional fields written only when present (`NotNull`); otherwise
    `dumps` of `model_dump(**json_dump)`."""
    json_error: ClassVar[type[InputError]] = InputError
    """Every problem reading or validating the file is raised as this `InputError` subclass."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "json_what" in cls.__dict__:  # a file format, not a base its formats share
            FILE_KINDS.append(cls)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Self:
        """Read and validate the file at `path`; errors name the path.

        A secret's permissions are checked once the file is known to be one: a public key
        given as --key is named as what it is, not as a secret to chmod."""
        named = f"{cls.__name__}.load", f"{cls.__name__}.from_json"
        loaded = cls._parse(lambda: read_json(path_argument(path, *named), exact=cls.json_exact), str(path))
        if cls.json_secret:
            require_private(path)
        return loaded

    @classmethod
    def from_json(cls, text: str | bytes, what: str | None = None) -> Self:
        """Validate JSON text (never a path); errors name it `what`, by default `json_what`."""
        what = what or cls.json_what
        if not isinstance(text, (str, bytes)):
            raise cls.json_error(f"{what}: expected JSON text, got {type(text).__name__}")
        return cls._parse(functools.partial(loads, text, what, exact=cls.json_exact), what)

    @classmethod
    def _parse(cls, read: Callable[[], Any], what: str) -> Self:
        try:
            return cls._from_data(read(), what)
        except cls.json_error:
            raise
        except InputError as error:
            raise cls.json_error(str(error)) from None

    @classmethod
    def _from_data(cls, data: Any, what: str) -> Self:
        return validate(cls, data, what)

    def to_json(self) -> str:
        """The model as JSON text in the file's format, ending in a newline."""
        if self.json_indent is not None:
            return self.model_dump_json(indent=self.json_indent, exclude_none=True) + "\n"
        return dumps(self.model_dump(**self.json_dump))

    def save(self, path: str | os.PathLike, *, overwrite: bool | None = None) -> None:
        """Write `to_json()` to `path` atomically: readers see the old file or the whole new one.

        An existing file is replaced, unless `overwrite=False`. A secret (signing key,
        openings) is the exception: it replaces an existing file only with `overwrite=True`,
        else `InputError`, because the key or blindings written over are lost for good.
        """
        if overwrite is None:
            overwrite = not self.json_secret
        write_atomic(path, self.to_json(), overwrite=overwrite, private=self.json_private or self.json_secret)

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """JSON Schema of the file format. Its description is the first paragraph of the
        class docstring, the one that says what the file is: the rest is for developers."""
        schema = cls.model_json_schema()
        if "description" in schema:
            schema["description"] = schema["description"].split("\n\n", 1)[0].replace("\n", " ")
        return schema
