"""Ed25519 key files and the set of keys a user trusts.

```json
{"format": "zkmargin-public-key", "version": 1, "issuer": "venue-a", "roles": ["params"],
 "key_id": "<sha256 hex of the raw 32-byte public key>", "public_key": "<base64, 32 bytes>"}
{"format": "zkmargin-signing-key", "version": 1, "issuer": "venue-a", "roles": ["params"],
 "key_id": "…", "private_key": "<base64, 32-byte seed>"}       written 0600, refused if shared
```

The key id is the SHA-256 of the raw public key, so a public key file cannot claim another
key's id. Trusting several keys at once is how keys rotate: params and attestations name
the key that signed them, and a verifier trusts the old and the new key for a while.

Roles say what a key may sign: "params" (a venue's margin params) or "custody" (a
custodian's attestations). Trusting a custodian to attest books must not let it set margin
params, nor a venue's params key vouch for a book; `Trust.require` checks the role and
signing refuses it. Files written before roles existed have no `roles` field and keep both
roles, so existing trust stores still work (docs/trust-model.md).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal, get_args

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from pydantic import AfterValidator, StringConstraints, model_validator

from zkmargin.engine.params_epoch import SIGNATURE_BYTES
from zkmargin.errors import TRUST_KEY_ADVICE, InputError, UntrustedSignature, new_key_advice
from zkmargin.canonical import base64_of, decode_base64, encode_base64
from zkmargin.formats import JsonFile, Label, NotNull, StrictModel, Version1
from zkmargin.validation import validate
KEY_BYTES = 32
Role = Literal["params", "custody"]
KEY_ROLES: tuple[Role, ...] = get_args(Role)
SIGNS: dict[Role, str] = {"params": "params", "custody": "attestations"}
"""What a key of each role signs, in messages."""
KeyId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


def key_id(public: bytes) -> str:
    """The id of a raw Ed25519 public key: SHA-256, hex."""
    return hashlib.sha256(public).hexdigest()


KeyText = base64_of(KEY_BYTES, "a key")


_P = 2**255 - 19
_D = -121665 * pow(121666, -1, _P) % _P


def _square_roots(a: int) -> set[int]:
    """Both square roots of `a` mod p (p ≡ 5 mod 8), or none."""
    root = pow(a, (_P + 3) // 8, _P)
    if root * root % _P != a:
        root = root * pow(2, (_P - 1) // 4, _P) % _P
    return {root, _P - root} if root * root % _P == a else set()


def _small_order_ys() -> frozenset[int]:
    """The y coordinates of the 8 points of order dividing 8 on -x² + y² = 1 + d·x²y².

    Order 1 and 2: (0, 1), (0, -1). Order 4: y = 0 (x = ±√-1). Order 8: doubling gives
    y(2P) = (x² + y²) / (1 - d·x²y²), which is 0 (order 4) iff x² = -y²; on the curve that
    is d·y⁴ + 2y² - 1 = 0, so y² = (-1 ± √(1 + d)) / d.
    """
    ys = {0, 1, _P - 1}
    for s in _square_roots((1 + _D) % _P):
        for y in _square_roots((s - 1) * pow(_D, -1, _P) % _P):
            ys.add(y)
    return frozenset(ys)


SMALL_ORDER_Y = _small_order_ys()
"""Under a small-order public key A, the signature (R = identity, S = 0) satisfies
8·S·B = 8·R + 8·k·A for every message: anyone could sign as its issuer, and the issuer could
deny any signature. The check reads y modulo p and ignores the sign bit, so it also refuses
the non-canonical spellings of these points (y ≥ p, x = 0 with the sign bit set)."""


def _large_order(public: bytes) -> bool:
    y = int.from_bytes(public, "little") & ((1 << 255) - 1)
    return y % _P not in SMALL_ORDER_Y



def _role_list(roles: list[Role]) -> list[Role]:
    if not roles:
        raise ValueError(f"give at least one role: {', '.join(map(repr, KEY_ROLES))}")
    if len(set(roles)) != len(roles):
        raise ValueError("name each role once")
    return roles


Roles = Annotated[list[Role], AfterValidator(_role_list)]


class _KeyFile(StrictModel, JsonFile):
    # No defaults, as for proof files: a file that does not say what it is is refused by
    # name ("format: Field required"), not read as whatever kind of key was asked for.
    version: Version1
    issuer: Label
    key_id: KeyId
    roles: Annotated[Roles | None, NotNull] = None
    """What the key may sign; absent only in files written before roles, which keep both."""

    @property
    def granted(self) -> tuple[Role, ...]:
        """The roles this key holds, in `KEY_ROLES` order: both for a file without `roles`."""
        return tuple(role for role in KEY_ROLES if self.roles is None or role in self.roles)

    def describe_roles(self) -> str:
        return ", ".join(self.granted) + (" (no roles field: a key file from before roles)" if self.roles is None else "")

    def refuse_role(self, role: Role) -> str | None:
        """Why this key may not sign for `role`, or None when it may."""
        if role in self.granted:
            return None
        return (f"key {self.key_id[:16]}… of {self.issuer!r} has roles [{', '.join(self.granted)}]: "
                f"only a key with role {role!r} may sign {SIGNS[role]}")

    @model_validator(mode="before")
    @classmethod
    def _says_what_it_is(cls, data: object) -> object:
        if isinstance(data, dict):
            missing = [name for name in ("format", "version") if name not in data]
            if missing:
                wanted = get_args(cls.model_fields["format"].annotation)[0]
                raise ValueError(
                    f"missing {' and '.join(map(repr, missing))}: a key file must say what it is; a key "
                    f'file written before these were required needs "format": "{wanted}", "version": 1'
                )
        return data


class PublicKey(_KeyFile):
    """An issuer's public key: publish it; whoever trusts it passes it to `--trust`."""

    json_what = "public key"

    format: Literal["zkmargin-public-key"]
    public_key: KeyText

    @model_validator(mode="after")
    def _id_matches(self) -> PublicKey:
        raw = decode_base64(self.public_key)
        if key_id(raw) != self.key_id:
            raise ValueError("key_id: is not the SHA-256 of public_key")
        if not _large_order(raw):
            raise ValueError("public_key: is a small-order point, under which a signature proves nothing")
        return self

    def verify(self, signature: str, message: bytes, what: str) -> None:
        """Refuse `signature` (base64) unless this key made it over `message`."""
        raw = decode_base64(signature, f"{what}: the signature")
        if len(raw) != SIGNATURE_BYTES:
            raise UntrustedSignature(f"{what}: the signature is {len(raw)} bytes, not {SIGNATURE_BYTES}")
        try:
            Ed25519PublicKey.from_public_bytes(decode_base64(self.public_key)).verify(raw, message)
        except InvalidSignature:
            raise UntrustedSignature(
                f"{what}: the signature does not verify under {self.issuer!r}'s key {self.key_id[:16]}… "
                "(a signed field was changed, or another key signed it)"
            ) from None


class SigningKey(_KeyFile):
    """An issuer's private key: written owner-only, and refused when others may read it."""

    json_what = "signing key"
    json_secret = True

    format: Literal["zkmargin-signing-key"]
    private_key: KeyText

    @model_validator(mode="after")
    def _id_matches(self) -> SigningKey:
        if key_id(self._public_bytes()) != self.key_id:
            raise ValueError("key_id: is not the id of this private key's public key")
        return self

    def _private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(decode_base64(self.private_key))

    def _public_bytes(self) -> bytes:
        return self._private().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def public(self) -> PublicKey:
        # A legacy key (no roles) has a legacy public half: both roles, as its owner always had.
        held = {"roles": self.roles} if self.roles is not None else {}
        return PublicKey(
            format="zkmargin-public-key", version=1, issuer=self.issuer, key_id=self.key_id,
            public_key=encode_base64(self._public_bytes()), **held,
        )

    def require_role(self, role: Role) -> None:
        """Refuse to sign what this key's roles do not cover, before anything is signed."""
        refusal = self.refuse_role(role)
        if refusal is not None:
            raise InputError(f"{refusal} {new_key_advice(role)}")

    def sign(self, message: bytes) -> str:
        """Ed25519 signature over `message`, base64."""
        return encode_base64(self._private().sign(message))


def new_key(issuer: str, *roles: Role) -> SigningKey:
    """A fresh Ed25519 key pair for `issuer` that may sign for `roles` ("params", "custody");
    `.public()` is the half to publish. `new_key("venue-a", "params")`."""
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    document = {"format": "zkmargin-signing-key", "version": 1, "issuer": issuer, "key_id": key_id(public),
                # In KEY_ROLES order, each once; an unknown role is kept so that validation names it.
                "roles": [role for role in KEY_ROLES if role in roles] + [role for role in roles if role not in KEY_ROLES],
                "private_key": encode_base64(seed)}
    return validate(SigningKey, document, "key")


class Trust:
    """The public keys a user trusts, by key id; several keys of one issuer make rotation."""

    def __init__(self, keys: PublicKey | list[PublicKey] | tuple[PublicKey, ...] = ()) -> None:
        """`keys`: the trusted public keys (one key alone is a one-key trust). A path is not a
        key: `Trust.load(paths)` reads key files."""
        self._keys: dict[str, PublicKey] = {}
        if isinstance(keys, _KeyFile):  # a signing key alone is refused below, as in a list
            keys = [keys]
        if isinstance(keys, (str, bytes, os.PathLike)):
            raise InputError(f"Trust takes public keys, not a path ({keys!r}); read key files with Trust.load(paths)")
        for key in keys:
            if not isinstance(key, PublicKey):
                # a signing key here (for key.public()) would carry the roles its owner wrote
                raise InputError(f"trust: holds public keys only, got {type(key).__name__}; give key.public()")
            known = self._keys.setdefault(key.key_id, key)
            if known.issuer != key.issuer:
                # The last file would re-label the key: one issuer's signatures counting as another's.
                raise InputError(f"trust: key {key.key_id[:16]}… is given for both {known.issuer!r} and {key.issuer!r}")
            if known.granted != key.granted:
                # Whichever file came last would decide what the key may sign.
                raise InputError(
                    f"trust: key {key.key_id[:16]}… of {key.issuer!r} is given with roles "
                    f"{', '.join(known.granted)} and with roles {', '.join(key.granted)}"
                )

    @classmethod
    def load(cls, sources: str | os.PathLike | Iterable[str | os.PathLike]) -> Trust:
        """Public key files, or directories whose *.json files are all public keys: one path
        or several. A hidden *.json file in a directory is refused: `ls` would not show the
        user a key it trusts."""
        # a str is iterable too: read as a list it would be one path per character
        if isinstance(sources, (str, os.PathLike)):
            sources = [sources]
        keys = []
        for source in map(Path, sources):
            directory = source.is_dir()
            files = sorted(source.glob("*.json")) if directory else [source]
            if directory and not files:
                raise InputError(f"{source}: holds no public key file (*.json)")
            hidden = [path.name for path in files if directory and path.name.startswith(".")]
            if hidden:
                raise InputError(f"{source}: holds hidden key file {hidden[0]}; rename or remove it, nothing hidden is trusted")
            keys += [PublicKey.load(path) for path in files]
        return cls(keys)

    def __bool__(self) -> bool:
        return bool(self._keys)

    def __contains__(self, key_id: str) -> bool:
        return key_id in self._keys

    def issuers(self) -> set[str]:
        return {key.issuer for key in self._keys.values()}

    def holds_role(self, role: Role) -> bool:
        """Whether any trusted key may sign for `role` (legacy keys hold both roles)."""
        return any(role in key.granted for key in self._keys.values())

    def legacy_keys(self) -> list[PublicKey]:
        """Keys from files without a `roles` field, which hold both roles: a custody key
        handed on with the field left off reads the same, so the command line names them."""
        return [key for key in self._keys.values() if key.roles is None]

    def require(self, key_id: str, issuer: str, signature: str, message: bytes, what: str, *, role: Role) -> None:
        """Refuse unless a trusted key with this id, belonging to `issuer` and holding `role`,
        signed `message`."""
        key = self._keys.get(key_id)
        if key is None and not self._keys:
            # The commonest case by far: the user has not said whom they trust yet.
            raise UntrustedSignature(
                f"{what}: signed by key {key_id[:16]}… of {issuer!r}, which is not among the trusted keys: "
                f"none is trusted; give that issuer's public key {TRUST_KEY_ADVICE}"
            )
        if key is None:
            raise UntrustedSignature(
                f"{what}: signed by key {key_id[:16]}… of {issuer!r}, which is not among the trusted keys; if you "
                f"trust {issuer!r}, add its public key {TRUST_KEY_ADVICE}"
            )
        if key.issuer != issuer:
            raise UntrustedSignature(f"{what}: names issuer {issuer!r}, but key {key_id[:16]}… belongs to {key.issuer!r}")
        key.verify(signature, message, what)
        refusal = key.refuse_role(role)
        if refusal is not None:
            raise UntrustedSignature(f"{what}: the trusted {refusal}")
