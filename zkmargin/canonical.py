"""One spelling per value: canonical base64 and UTC timestamps.

A proof, params or attestation file with two texts for the same bytes would be two files
that verify alike; so every base64 field must be exactly what `encode_base64` writes, and
every time exactly what `timestamp_text` writes (signed bytes stay stable).
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime, timezone
from typing import Annotated, Any

from pydantic import AfterValidator

from zkmargin.errors import InvalidEncoding


def decode_base64(text: str, what: str | None = None) -> bytes:
    """Canonical base64, else `InvalidEncoding`: the one decoder of every file's bytes.

    Only the alphabet, padding where it belongs, and the unused low bits of the last
    character zero: "AQ==" and "AR==" decode to the same byte, and a second spelling of a
    proof must not verify. Re-encoding the bytes must give the text back exactly.
    The message is "<what> is not valid base64", or "not valid base64" inside a field check.
    """
    problem = f"{what} is not valid base64" if what else "not valid base64"
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidEncoding(problem) from None
    if base64.b64encode(raw).decode() != text:
        raise InvalidEncoding(f"{problem} (not canonical: padding or unused bits)")
    return raw


def base64_of(length: int, what: str) -> Any:
    """A text field holding exactly `length` bytes in canonical base64 (`what` names them)."""

    def check(text: str | None) -> str | None:
        if text is not None and len(decode_base64(text)) != length:
            raise ValueError(f"{what} is {length} bytes")
        return text

    return Annotated[str, AfterValidator(check)]


def encode_base64(raw: bytes) -> str:
    """Standard base64 with padding: the spelling `decode_base64` accepts."""
    return base64.b64encode(raw).decode()


_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")


def parse_timestamp(text: str) -> datetime:
    """A UTC time written the one way files write it: 2026-12-02T05:00:00Z (`ValueError` else)."""
    if not isinstance(text, str) or not _TIMESTAMP.match(text):
        raise ValueError("expected a UTC time written YYYY-MM-DDTHH:MM:SSZ")
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise ValueError("not a calendar time") from None


def timestamp_text(moment: datetime) -> str:
    """`moment` (aware) in the files' spelling, to the second."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _timestamp(text: str) -> str:
    parse_timestamp(text)
    return text


Timestamp = Annotated[str, AfterValidator(_timestamp)]
"""A UTC time to the second, `YYYY-MM-DDTHH:MM:SSZ` (one spelling, so signed bytes are stable)."""
