"""One rooted exception hierarchy: everything zkmargin raises on purpose is a ZkMarginError.

The CLI maps the two families to exit codes: `InvalidProof` and `InsufficientMargin` exit 1
(the statement is false), every `InputError` exits 2 (the question was malformed).
"""

from __future__ import annotations

from decimal import Decimal

# The way out of some refusals, in the library's words: what to pass instead. The command
# line puts its own options in their place (`zkmargin.cli.common.in_cli_words`), so each
# piece of advice is written once for each audience.
ALLOW_UNSIGNED_ADVICE = "or accept params nobody vouches for with Policy(allow_unsigned_params=True)"
TRUST_KEY_ADVICE = "to the verifier: Policy(trust=zm.Trust([public_key, ...]))"


def new_key_advice(role: str) -> str:
    """How to make a key that may sign for `role`."""
    return f"(make one with zm.new_key(issuer, {role!r}))"


class ZkMarginError(Exception):
    """Root of every error zkmargin raises deliberately."""


class InputError(ZkMarginError, ValueError):
    """Input that cannot be used as given: malformed file, bad value, wrong parameters."""


class UnknownInstrument(InputError):
    """A portfolio or risk file names an instrument outside the params' universe."""


class FixedPointOverflow(InputError):
    """A number does not fit the fixed-point range it must be proved in."""


class InvalidEncoding(InputError):
    """Bytes that do not decode to a valid group element or canonical scalar."""


class BackendError(InputError):
    """An unknown or unavailable curve backend was requested."""


class UnsoundStatement(InputError):
    """A statement whose constraints could wrap modulo the group order (soundness budget)."""


class MalformedProof(InputError):
    """A proof file that is not a well-formed v1 proof: broken JSON, unknown field or version,
    bad base64, a commitment of the wrong length. (Whether its points and proof are valid is
    for the verifier to say, with `InvalidProof`.)"""


class UntrustedSignature(InputError):
    """A signed file (params, attestation) whose signature is missing, malformed, wrong, or
    made by a key the user does not trust: nothing it says can be relied on."""


class StaleAnchor(InputError):
    """Signed params or an attestation used outside its validity window or beyond a maximum age."""


class MissingExtra(InputError):
    """An optional feature whose extra is not installed (e.g. plots: `zkmargin[plot]`)."""


class LedgerError(InputError):
    """The venue's ledger cannot do what was asked: unknown account, uninitialised or
    unreachable database, a schema newer than this zkmargin."""


class ReplayedMovement(LedgerError):
    """A money movement whose reference the ledger already holds; it is not applied again."""


class OutOfOrder(LedgerError):
    """An anchor older than one the ledger holds: params of an epoch at or below the
    issuer's latest published one, or an attestation whose sequence number does not rise."""


class WrongParams(InputError):
    """A proof checked against other params than the ones its statement names (another
    params digest): the verifier holds the wrong params file, or the proof belongs to
    another epoch. Nothing is judged; verify against the params the proof names, or ask
    for a proof under these. A statement edited to name these params instead is judged, and
    fails with `InvalidProof`."""


class InvalidProof(ZkMarginError):
    """A proof did not verify. `reason` says which check failed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PolicyViolation(InvalidProof):
    """A proof that verifies but does not establish what the verifier's `Policy` requires
    (another level, a smaller excess, self-declared where attestations are required, …).

    A subclass of `InvalidProof`: whoever asked "does this proof satisfy me?" gets no, with
    `reason`, through the same path (exit 1) as a proof that does not verify at all.
    """


class InsufficientMargin(ZkMarginError):
    """The portfolio does not meet the requirement, so no proof can be made.

    `shortfall` is how much equity is missing, in the market's currency units. `account` is
    the account's label; `buckets` names the isolated buckets that fall short (empty for a
    plain portfolio). `prove` and `prove_many` set both, so a caller need not parse the message
    to learn which account (of many) stopped the run.
    """

    def __init__(
        self, message: str, shortfall: Decimal, account: str | None = None, buckets: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.shortfall = shortfall
        self.account = account
        self.buckets = tuple(buckets)

    def __reduce__(self) -> tuple:
        # Crosses process boundaries intact (prove_many's workers raise it).
        return type(self), (str(self), self.shortfall, self.account, self.buckets)
