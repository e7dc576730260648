"""The verifier's side of anchored books: the proof must carry exactly the commitments that
someone else holds — the venue's pinned account, or the sum of custodians' attestations.

With attestations A_1 … A_t (one per custodian) the committed collateral must be
Σ_j Com_j(c) and each committed position Σ_j Com_j(q_i), over the params' whole universe.
The prover cannot change a committed value without changing its commitment (binding), so
the proved book is exactly the sum of the attested books. This module never imports
portfolio.py or witness.py.
"""

from __future__ import annotations

from functools import reduce
from operator import add

from zkmargin.anchors.attestation import Attestation, AttestedBy
from zkmargin.anchors.keys import Trust
from zkmargin.canonical import encode_base64
from zkmargin.engine.params import RiskParams
from zkmargin.errors import InputError, InvalidEncoding, InvalidProof
from zkmargin.hazmat.groups import Point
from zkmargin.proofs.account import COLLATERAL, AccountCommitments, in_words
from zkmargin.proofs.circuit import Circuit
from zkmargin.proofs.proof_file import MarginProof
from zkmargin.proofs.stacked import bucket_name
from zkmargin.proofs.statement import Statement


def require_commitments(
    proof: MarginProof,
    circuit: Circuit,
    params: RiskParams,
    held: AccountCommitments,
    source: str,
    buckets: int = 1,
    *,
    movable: bool = False,
) -> None:
    """The proof must carry exactly `held`'s commitments: collateral and every position.

    A proof of B isolated buckets carries each variable once per bucket, W^(1) … W^(B)
    (`stacked`: copy k's variable i at index k·width + i); then Σ_k W^(k) must be `held`'s
    commitment, point for point. Pedersen commitments add, and the prover cannot open a
    sum to another value than the sum of what it committed (binding), so the buckets' books
    add up to the held book; each bucket's own statement is the range proof's job.

    `movable`: `held` is the venue's pinned account, which deposits, withdrawals and fills
    move; a difference then most often means the book moved after the proof was made, and
    the message says so with the way out (prove again).
    """
    if (held.money_scale, held.quantity_scale) != (params.money_scale, params.quantity_scale):
        raise InputError(
            f"the commitments for {held.account!r} use scales {held.money_scale}/{held.quantity_scale}, "
            f"the params {params.money_scale}/{params.quantity_scale}"
        )
    if set(held.positions) != set(params.instruments):
        raise InvalidProof(f"the commitments for {held.account!r} do not cover the params' instrument universe")
    if held.account != proof.account:
        raise InvalidProof(
            f"the proof is for account {proof.account!r}, but the commitments it is checked against are for {held.account!r}"
        )
    committed = proof.commitment_bytes  # decodes the whole list: once, not per bucket and name
    if buckets == 1:
        by_name = {variable.name: raw for variable, raw in zip(circuit.variables, committed)}
        for name, raw in held.committed().items():
            if by_name.get(name) != raw:
                raise InvalidProof(f"the committed {in_words(name)} differs from {source}{_moved(name, movable)}")
        return
    index = {variable.name: i for i, variable in enumerate(circuit.variables)}
    for name, raw in held.committed().items():
        copies = [index.get(bucket_name(k, name)) for k in range(buckets)]
        if None in copies:
            raise InvalidProof(f"the proof has no committed {in_words(name)} in every bucket, which {source} holds")
        parts = [_point(committed[i]) for i in copies]
        if reduce(add, parts).to_bytes() != raw:
            raise InvalidProof(
                f"the {buckets} buckets' committed {in_words(name)} does not add up to {source}{_moved(name, movable)}"
            )


def _moved(name: str, movable: bool) -> str:
    """Why a pinned commitment differs, in the words of what moves it, and what to do."""
    if not movable:
        return ""
    movement = "a deposit or withdrawal" if name == COLLATERAL else "a fill"
    return f": it moved ({movement}) since this proof was made, or the proof is about another book; prove again"


def _point(raw: bytes) -> Point:
    try:
        return Point.from_bytes(raw)
    except InvalidEncoding as error:
        raise InvalidProof(f"a commitment is not a valid group element: {error}") from None


def check_attestations(
    attestations: list[Attestation], params: RiskParams, account: str, trust: Trust
) -> tuple[AttestedBy, ...]:
    """Each attestation signed by a trusted custodian key over the params' universe, for this
    account, and at most one per custodian (two from one custodian would count a book twice)."""
    checked = []
    for attestation in attestations:
        if attestation.account != account:
            raise InvalidProof(f"an attestation by {attestation.custodian!r} is for account {attestation.account!r}, not {account!r}")
        checked.append(attestation.check(params, trust))
    custodians = [a.custodian for a in checked]
    if len(set(custodians)) != len(custodians):
        raise InvalidProof("two attestations by one custodian: its book would be counted twice")
    return tuple(checked)


def summed_commitments(attestations: list[Attestation], params: RiskParams) -> AccountCommitments:
    """Per-instrument sums of the attested commitments (each point validated)."""
    points = [attestation.points() for attestation in attestations]
    collateral = reduce(add, (c for c, _ in points))
    positions = {name: reduce(add, (p[name] for _, p in points)) for name in params.instruments}
    return AccountCommitments(
        account=attestations[0].account,
        money_scale=params.money_scale,
        quantity_scale=params.quantity_scale,
        collateral=encode_base64(collateral.to_bytes()),
        positions={name: encode_base64(point.to_bytes()) for name, point in positions.items()},
    )


def require_attested(
    proof: MarginProof, circuit: Circuit, params: RiskParams, statement: Statement, trust: Trust
) -> tuple[AttestedBy, ...]:
    """What the proof's attestations establish, or `InvalidProof` / `UntrustedSignature`.

    The statement names the attestations' digests (so the transcript binds them), the
    signatures are checked against `trust`, and the committed book must be their sum.
    """
    attestations = proof.attestations or []
    if tuple(statement.attestations) != tuple(a.digest() for a in attestations):
        raise InvalidProof("the attestations in the proof are not the ones its statement names")
    if not attestations:
        return ()
    checked = check_attestations(attestations, params, proof.account, trust)
    summed = summed_commitments(attestations, params)
    require_commitments(proof, circuit, params, summed, "the sum of the attestations", statement.buckets)
    return checked
