"""Pydantic's validation errors as one `InputError` line that names the field path in the
file's own terms (`instruments["XYZ P"].strike`, whatever the key's characters) and the
offending value, instead of pydantic's multi-line report.
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from collections.abc import Iterable
from typing import Any

import pydantic

from zkmargin.errors import InputError

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_VALUE_PREVIEW = 60
_FIELD_MESSAGE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*): (.*)\Z", re.DOTALL)

FILE_KINDS: list[type[pydantic.BaseModel]] = []
"""Every file format zkmargin reads, registered as its class is defined (`formats.JsonFile`):
`another_kind` names a file given in place of another by the format whose fields it has."""


def validate(model_cls: type[pydantic.BaseModel], data: Any, what: str = "input") -> Any:
    """Validate `data` into `model_cls`; the first error becomes one `InputError` line.

    The line names the field path in the file's own terms, e.g.
    `market.json: instruments["XYZ P"].strike: Input should be greater than 0 (got -5)`.
    """
    try:
        return model_cls.model_validate(data)
    except pydantic.ValidationError as error:
        raise InputError(another_kind(model_cls, data, what) or describe_validation_error(error, model_cls, what)) from None


def another_kind(model_cls: type[pydantic.BaseModel], data: Any, what: str) -> str | None:
    """One line for a file of another kind given in place of this one (a proof as --params,
    openings as --commitments): what it is (`named_kind`) and what was expected, rather than
    the first of its twenty missing fields."""
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        return f"{what}: expected a JSON object {{…}}, got {kind}"
    expected = _kind_name(model_cls)
    given = data.get("format")
    other_format = isinstance(given, str) and given.startswith("zkmargin-") and given not in _formats(model_cls)
    if other_format or not _has_the_fields_of(model_cls, data):
        kind = named_kind(data)
        if kind is not None and kind != _described(model_cls):
            return f"{what}: is {kind}, not {expected}"
    required = [name for name, spec in model_cls.model_fields.items() if spec.is_required()]
    missing = [name for name in required if name not in data]
    if len(required) > 2 and 2 * len(missing) > len(required):
        return f"{what}: not {expected}: it lacks {len(missing)} of its {len(required)} required fields ({_few(missing)})"
    foreign = [str(name) for name in data if name not in model_cls.model_fields]
    if not missing and len(foreign) > 1 and model_cls.model_config.get("extra") == "forbid":
        # Every field there, and more: a sibling format (account commitments as openings).
        return f"{what}: not {expected}: it has fields {expected} never has ({_few(foreign)})"
    return None


def named_kind(data: Any) -> str | None:
    """What zkmargin file the parsed JSON `data` is — "a 'zkmargin-proof' file" by its
    `format`, "account openings" by its fields for a format without one — or None."""
    if not isinstance(data, dict):
        return None
    given = data.get("format")
    if isinstance(given, str) and given.startswith("zkmargin-"):
        return f"a {given!r} file"
    return next((_described(kind) for kind in FILE_KINDS if _has_the_fields_of(kind, data)), None)


def _described(model_cls: type[pydantic.BaseModel]) -> str:
    formats = _formats(model_cls)
    return f"a {formats[0]!r} file" if formats else _kind_name(model_cls)


def _formats(model_cls: type[pydantic.BaseModel]) -> tuple[str, ...]:
    """The `format` values the model accepts: () for a format without the field."""
    field = model_cls.model_fields.get("format")
    return typing.get_args(_unwrap(field.annotation)) if field is not None else ()


def _kind_name(model_cls: type[pydantic.BaseModel]) -> str:
    formats = _formats(model_cls)
    return repr(formats[0]) if formats else getattr(model_cls, "json_what", model_cls.__name__)


def _has_the_fields_of(model_cls: type[pydantic.BaseModel], data: dict) -> bool:
    """Every field the model requires, and none it does not know."""
    known = model_cls.model_fields
    return all(name in data for name, spec in known.items() if spec.is_required()) and all(name in known for name in data)


NAMES_SHOWN = 3
"""Names a refusal lists (unknown fields, say); "…" says there are more."""


def _few(names: list[str]) -> str:
    return ", ".join(names[:NAMES_SHOWN]) + (", …" if len(names) > NAMES_SHOWN else "")


def describe_validation_error(
    error: pydantic.ValidationError, model_cls: type[pydantic.BaseModel], what: str
) -> str:
    """One line for the first problem of `error`, plus how many more there were."""
    problems = error.errors(include_url=False)
    first = problems[0]
    path = field_path(first["loc"], model_cls)
    message = first["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    field_message = _FIELD_MESSAGE.match(message)
    if path and field_message:
        # A model validator's message "strike: ..." names a field of the model at `path`; a
        # field validator's "threshold: ..." names the field `path` already ends with.
        named = field_message[1]
        path = path if path == named or path.endswith(f".{named}") else f"{path}.{named}"
        message = field_message[2]
    line = f"{what}: {path}: {message}" if path else f"{what}: {message}"
    value = first.get("input")
    if first["type"] != "missing" and not isinstance(value, (dict, list)):
        line += f" (got {preview(value)})"
    if first["type"] == "extra_forbidden" and first["loc"]:
        line += did_you_mean(str(first["loc"][-1]), _known_fields(first["loc"][:-1], model_cls))
    if len(problems) > 1:
        line += f" [and {len(problems) - 1} more problem(s)]"
    return line


def field_path(loc: tuple[int | str, ...], model_cls: type[pydantic.BaseModel]) -> str:
    """Render a pydantic error location as `a.b["dict key"][3].c`.

    Walks the model's annotations so a mapping key is written `["key"]` and a field `.name`,
    whatever characters the key contains.
    """
    return _walk(loc, model_cls)[0]


def _known_fields(loc: tuple[int | str, ...], model_cls: type[pydantic.BaseModel]) -> list[str]:
    """The field names of the model at `loc` (where a misspelt field sits), or none."""
    annotation = _unwrap(_walk(loc, model_cls)[1])
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return list(annotation.model_fields)
    return []


def _walk(loc: tuple[int | str, ...], model_cls: type[pydantic.BaseModel]) -> tuple[str, Any]:
    """`loc` rendered (`field_path`), and the annotation found there."""
    rendered = ""
    annotation: Any = model_cls
    for item in loc:
        if item == "[key]":
            rendered += " (the key)"
            continue
        annotation = _unwrap(annotation)
        origin = typing.get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
            field = annotation.model_fields.get(str(item))
            annotation = field.annotation if field is not None else Any
            rendered += f".{item}" if rendered else str(item)
        elif origin in (dict, typing.Mapping) or annotation is dict:
            args = typing.get_args(annotation)
            annotation = args[1] if len(args) == 2 else Any
            rendered += f"[{quote_key(str(item))}]"
        elif origin in (list, tuple) or isinstance(item, int):
            args = typing.get_args(annotation)
            annotation = args[0] if args else Any
            rendered += f"[{item}]"
        elif _IDENTIFIER.match(str(item)):
            rendered += f".{item}" if rendered else str(item)
        else:
            rendered += f"[{quote_key(str(item))}]"
    return rendered, annotation


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`; did you mean 'XYZ 2026-12-18 100 C'?` for the choice a misspelt name most likely
    meant, or "" when none is close.

    Case and spaces are ignored first (`xyz`, `XYZ 2026-12-18 100C`), then a bare root
    symbol names what it starts (`MES` → `MES 2026-12-18`, up to three), then the closest
    spelling whose root symbol is close too wins (`XYX`); a name near nothing gets no guess
    rather than a wrong one (`ABC 2026-12-18 50 C` is not `SOX 2026-12-18 5600 C`).
    """
    choices = list(choices)
    squeezed = {"".join(choice.split()).casefold(): choice for choice in choices}
    if (match := squeezed.get("".join(name.split()).casefold())) is not None:
        return f"; did you mean {match!r}?"
    root = name.strip().casefold() + " "
    started = [choice for choice in choices if choice.casefold().startswith(root)]
    if started:
        shown = ", ".join(map(repr, started[:3])) + (", …" if len(started) > 3 else "")
        return f"; did you mean {shown}?" if len(started) == 1 else f"; did you mean one of {shown}?"
    # An instrument id is a root and then expiry, strike, type: two options on unrelated
    # roots share most of their spelling, so the root must be close as well.
    close = [choice for choice in difflib.get_close_matches(name, choices, n=5, cutoff=0.6) if _roots_close(name, choice)]
    return f"; did you mean {close[0]!r}?" if close else ""


def _roots_close(name: str, choice: str) -> bool:
    root, other = (text.split()[0].casefold() if text.split() else "" for text in (name, choice))
    return difflib.SequenceMatcher(None, root, other).ratio() >= 0.6


def quote_key(key: str) -> str:
    """A mapping key as it is written in a field path: `"XYZ 2026-12-18 80 P"`."""
    return json.dumps(key, ensure_ascii=False)


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and Optional[...] down to the type that carries the structure."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def preview(value: Any) -> str:
    """`value` as a refusal quotes it: its repr, cut to a few dozen characters."""
    text = repr(value)
    if len(text) > _VALUE_PREVIEW:
        text = text[: _VALUE_PREVIEW - 3] + "..."
    return text


def require_argument(value: Any, expected: type | tuple[type, ...], function: str, wanted: str) -> None:
    """`InputError` unless `value` is an `expected` instance: "verify takes a MarginProof
    (MarginProof.load(path)), not a PosixPath" — `wanted` says what to pass and how to make it."""
    if not isinstance(value, expected):
        raise InputError(f"{function} takes {wanted}, not {type_named(value)}")


def require_count(value: Any, what: str) -> int:
    """A number of processes or jobs: a whole number ≥ 1 (0 would mean none, not "default")."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{what} must be a whole number ≥ 1 (None for the default), got {value!r}")
    return value


def type_named(value: Any) -> str:
    """"a PosixPath", "an int", "None": what was passed, for "takes X, not …"."""
    name = type(value).__name__
    return "None" if value is None else f"{'an' if name[:1] in 'AEIOU' else 'a'} {name}"
