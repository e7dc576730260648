"""The building blocks of every file format: field types, `StrictModel`, `JsonFile`.

A file format is a `StrictModel` (unknown fields are errors, no silent coercion) and, when it
is kept as a file of its own, a `JsonFile`: read with `zkmargin.jsonio.read_json`, validated
with `zkmargin.validation.validate` (one `InputError` line naming the field), written with
`zkmargin.files.write_atomic`. The field types say once what every file means by a label, a
date, an exact number or a version.
"""

from __future__ import annotations

import functools
import math
import os
import re
import typing
import unicodedata
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Callable, ClassVar, Literal, Self

import pydantic
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from zkmargin.errors import InputError
from zkmargin.files import require_private, write_atomic
from zkmargin.jsonio import dumps, loads, path_argument, read_json
from zkmargin.validation import (
    FILE_KINDS,
    NAMES_SHOWN,
    describe_validation_error,
    preview,
    validate,
)

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


def first_error_only(collection: Any, longest: int) -> Any:
    """`collection` (a `list[X]` or `dict[K, V]` type) of at most `longest` items, refused at
    its first bad item with one error naming it.

    Pydantic reports every bad item, and a validator's error keeps its exception and traceback
    (~1.3 KB): a file of a million 4-byte bad items would hold gigabytes before it is refused.
    """
    container, item_types = typing.get_origin(collection), typing.get_args(collection)
    adapters = [(item_type, pydantic.TypeAdapter(item_type)) for item_type in item_types]

    def require(value: Any, typed: tuple[Any, pydantic.TypeAdapter], position: Any) -> None:
        item_type, adapter = typed
        try:
            adapter.validate_python(value, strict=True)
        except pydantic.ValidationError as error:
            # Named only when refused: a good item (of up to `longest`) costs no text.
            where = f"item {position}" if container is list else f"at {preview(position)}"
            raise ValueError(describe_validation_error(error, item_type, where)) from None

    def check(value: Any) -> Any:
        if not isinstance(value, container):
            return value  # the collection type's own error says what was expected
        if len(value) > longest:
            raise ValueError(f"{len(value)} items, more than the {longest} any file needs")
        if container is list:
            for index, item in enumerate(value):
                require(item, adapters[0], index)
        else:
            for key, item in value.items():
                require(key, adapters[0], key)
                require(item, adapters[1], key)
        return value

    return Annotated[collection, BeforeValidator(check)]


UNKNOWN_FIELDS_KEPT = NAMES_SHOWN + 1
"""Unknown fields of one object that are validated: the refusal lists NAMES_SHOWN of them and
"…" for the rest, which pydantic never sees."""


class StrictModel(pydantic.BaseModel):
    """Base of every file format: unknown fields are errors, no silent type coercion.

    Built in code (`Portfolio(account="alice", cash=1000)`), a model refuses bad values as a
    file does: one `InputError` line (the format's `json_error`) naming the class, the
    field and the value, in place of pydantic's multi-line `ValidationError`.
    """

    model_config = pydantic.ConfigDict(extra="forbid", strict=True, frozen=True)

    @pydantic.model_validator(mode="before")
    @classmethod
    def _few_unknown_fields(cls, data: Any) -> Any:
        # Pydantic keeps one error per unknown key: an object of 10^5 of them held 100 MB
        # before it was refused. The first few name the mistake as well as all of them would.
        if isinstance(data, dict) and cls.model_config.get("extra") == "forbid":
            unknown = [key for key in data if key not in cls.model_fields]
            if len(unknown) > UNKNOWN_FIELDS_KEPT:
                named = set(unknown[:UNKNOWN_FIELDS_KEPT])
                return {key: value for key, value in data.items() if key in cls.model_fields or key in named}
        return data

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
    json_most_containers: ClassVar[int | None] = None
    """The JSON arrays and objects a file of this kind holds at most, when its shape bounds
    them: a file with more is refused before it is parsed (`read_json`)."""
    json_bytes_per_key: ClassVar[int | None] = None
    """The fewest characters a file of this kind spends per object key, when its shape bounds
    it (a commitment file's keys each carry a base64 point): a denser file is refused before
    it is parsed (`read_json`)."""

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
        loaded = cls._parse(lambda: read_json(path_argument(path, *named), **cls._reading()), str(path))
        if cls.json_secret:
            require_private(path)
        return loaded

    @classmethod
    def from_json(cls, text: str | bytes, what: str | None = None) -> Self:
        """Validate JSON text (never a path); errors name it `what`, by default `json_what`."""
        what = what or cls.json_what
        if not isinstance(text, (str, bytes)):
            raise cls.json_error(f"{what}: expected JSON text, got {type(text).__name__}")
        return cls._parse(functools.partial(loads, text, what, **cls._reading()), what)

    @classmethod
    def _reading(cls) -> dict[str, Any]:
        """How `read_json` reads a file of this kind: its numbers and its shape's limits."""
        return {"exact": cls.json_exact, "most_containers": cls.json_most_containers, "bytes_per_key": cls.json_bytes_per_key}

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
