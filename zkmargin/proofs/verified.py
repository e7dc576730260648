"""What verification establishes: a `VerifiedStatement` per valid proof, and for a batch a
`BatchResult` naming each proof that failed (`BatchFailure`). The checks that produce them
are in verifier.py."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from zkmargin.anchors.attestation import AttestedBy
from zkmargin.anchors.signed_params import ParamsAuthority


@dataclass(frozen=True)
class VerifiedStatement:
    """What a valid proof establishes: this account meets this model at this level.

    `issuer` and `epoch` name the params epoch the proof is bound to; `params_authority` is
    set only when a `Policy` checked the params' signature against trusted keys. `challenge`
    is the verifier's nonce the proof answers. `attestations` say which custodians attested
    the committed book; empty means *self-declared*: the proof then shows only that the prover
    knows some book meeting the statement (`provenance` says it in words). `buckets` is how
    many isolated buckets each met the statement on their own (padded; 1: cross margin).
    `circuit_digest` names the circuit proved (None for proofs made before statements named it).
    """

    account: str
    model: str
    level: str
    threshold: Decimal
    currency: str
    params_digest: str
    issuer: str | None = None
    epoch: int | None = None
    challenge: str | None = None
    params_authority: ParamsAuthority | None = None
    attestations: tuple[AttestedBy, ...] = ()
    buckets: int = 1
    circuit_digest: str | None = None

    @property
    def self_declared(self) -> bool:
        return not self.attestations

    @property
    def provenance(self) -> str:
        """What the proof rests on, in plain words."""
        if self.self_declared:
            return (
                "self-declared: no custodian attested this book; the proof shows only that the prover "
                "knows some book meeting the statement"
            )
        return "attested by " + "; ".join(a.describe() for a in self.attestations)


@dataclass(frozen=True)
class BatchFailure:
    """Proof `index` of a batch (for `account`) failed, and why. `bad_input` when the
    failure is one `verify` raises as an `InputError` rather than `InvalidProof`: the proof
    could not be judged, e.g. made for other params (`WrongParams`) or resting on an
    attestation by a key the verifier does not trust."""

    index: int
    account: str
    reason: str
    bad_input: bool = False


@dataclass(frozen=True)
class BatchResult:
    """What `verify_batch` found, in the order the proofs were given.

    `statements[i]` is proof i's verified statement, or None when proof i failed; each
    failed proof has one entry in `failures` (sorted by index) saying why. `ok` is True
    when no proof failed, so every entry of `statements` is a statement.
    """

    statements: tuple[VerifiedStatement | None, ...]
    failures: tuple[BatchFailure, ...]

    @property
    def ok(self) -> bool:
        return not self.failures
