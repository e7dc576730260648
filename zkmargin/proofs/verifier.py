"""`verify` and `verify_batch`: check margin proofs knowing only the public params.

The verifier recompiles the circuit from the params and the proof's statement, rebuilds the
transcript from the statement and the commitments, and lets the range proof recompute every
challenge. It never forms the range-proved commitments: each is Σ a_i·W_i + b·B (and, for a
low limb, minus 2^32·V_hi), so their weights in the range proof's verification equation are
pushed through the public coefficients onto W_i, V_hi and B, and the whole check is ONE
multi-scalar multiplication. `verify_batch` adds such checks, each times a random weight,
into one MSM over the shared bases per group of MSM_GROUP proofs.

This module never imports portfolio.py or witness.py (a test walks the imports).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from zkmargin.anchors.attestation import AttestedBy
from zkmargin.anchors.keys import Trust
from zkmargin.anchors.signed_params import ParamsAuthority
from zkmargin.engine.params import RiskParams
from zkmargin.errors import InputError, InvalidProof, UnsoundStatement, ZkMarginError
from zkmargin.hazmat.groups import Point
from zkmargin.hazmat.range_proof import RangeProofCheck, batch_weight
from zkmargin.hazmat.scalar import ORDER
from zkmargin.proofs.account import AccountCommitments
from zkmargin.proofs.attested import require_attested, require_commitments
from zkmargin.proofs.circuit import LIMB_BITS, Circuit
from zkmargin.proofs.policy import Policy
from zkmargin.proofs.proof_file import MarginProof
from zkmargin.proofs.stacked import stacked
from zkmargin.proofs.statement import (
    Statement,
    check_challenge,
    limb_count,
    margin_transcript,
    proof_generators,
)
from zkmargin.proofs.verified import BatchFailure, BatchResult, VerifiedStatement
from zkmargin.validation import require_argument

RANGE_PROOF_FAILS = (
    "the range proof does not verify: the proof does not match its statement (the file was edited or "
    "corrupted, or the proof was made for other params or commitments)"
)
"""Why a proof whose range proof fails is refused. Not a shortfall: an honest prover never
proves a short account, so a failing range proof says only that the statement, the
commitments and the proof do not belong together."""


@dataclass(frozen=True)
class _Equation:
    """One proof's verification equation, with the value commitments folded in."""

    statement: Statement
    check: RangeProofCheck


MSM_GROUP = 32
"""Proofs per MSM in `verify_batch`. A bad proof is found by halving its group, one MSM per
halving, so it costs log2(32) = 5 MSMs of 16, 8, 4, 2 and 1 proofs (~5.5 verifies) whatever
the batch's size; one MSM over a thousand proofs would make it cost ~60. The price is the
shared G and H bases once per 32 proofs: an honest batch costs 10-15% more than in one MSM
(docs/protocol.md §6)."""


def _residual(weighted: Sequence[tuple[int, _Equation]], circuit: Circuit) -> Point:
    """Σ weight·equation, in one MSM: the identity iff every equation holds (but ~2^-128)."""
    bp_gens, pc_gens = proof_generators(circuit)
    merged = RangeProofCheck.combine([(weight, equation.check) for weight, equation in weighted])
    return merged.residual(bp_gens, pc_gens, [])


def _equation(
    proof: MarginProof, circuit: Circuit, params: RiskParams, statement: Statement, pinned: AccountCommitments | None
) -> _Equation:
    items = circuit.range_items
    wide = [j for j, item in enumerate(items) if item.bits > LIMB_BITS]
    if len(proof.limb_commitments) != len(wide):
        raise InvalidProof(f"the proof has {len(proof.limb_commitments)} limb commitments, the circuit needs {len(wide)}")
    if pinned is not None:
        held = f"what the venue holds for {pinned.account!r}"
        require_commitments(proof, circuit, params, pinned, held, statement.buckets, movable=True)
    commitments, high_limbs, range_proof = proof.decode(limb_count(circuit))
    bp_gens, pc_gens = proof_generators(circuit)
    transcript = margin_transcript(statement, proof.commitment_bytes, proof.limb_commitment_bytes)
    check = range_proof.verification_check(bp_gens, pc_gens, transcript, LIMB_BITS, limb_count(circuit))
    weights = check.value_weights

    # Limb order (prover.py): one limb per item (the item itself, or its low limb), then the
    # high limbs of the 64-bit items in order. V_item = Σ a_i·W_i + b·B and V_lo = V_item − 2^32·V_hi.
    commitment_scalars = [0] * len(commitments)
    b = check.b
    for weight, item in zip(weights, items):
        for index, coefficient in item.terms:
            commitment_scalars[index] += weight * coefficient
        b += weight * item.constant
    high_scalars = [weights[len(items) + t] - (weights[j] << LIMB_BITS) for t, j in enumerate(wide)]
    folded = RangeProofCheck(
        n=check.n,
        m=check.m,
        g=check.g,
        h=check.h,
        b=b % ORDER,
        b_blinding=check.b_blinding,
        points=check.points + commitments + high_limbs,
        scalars=check.scalars + [k % ORDER for k in commitment_scalars + high_scalars],
        value_weights=[],
    )
    return _Equation(statement, folded)


class _Circuits:
    """Circuits compiled once per (level, threshold, lean or not) for one params object, with
    their digests, and the stacks of bucket copies built from them."""

    def __init__(self, params: RiskParams) -> None:
        self.params = params
        self.params_digest = params.digest()
        self._singles: dict[tuple[str, Decimal, bool], tuple[Circuit, str]] = {}
        self._stacks: dict[tuple[str, int], Circuit] = {}

    def statement_and_circuit(self, proof: MarginProof) -> tuple[Statement, Circuit]:
        """The proof's statement and its circuit; refuses other params, then another circuit
        than the proof names (before any length or equation check could blame the account)."""
        statement = proof.to_statement()
        statement.require_params(self.params, self.params_digest)
        single, digest = self._single(statement)
        buckets = statement.buckets
        # Checked for every proof, before B copies are built (a small file cannot make the
        # verifier stack 64 copies of a large circuit) and before anything indexes the
        # commitments by the circuit's variables (pinned and attested sums).
        if len(proof.commitments) != buckets * len(single.variables):
            if buckets == 1:
                raise InvalidProof(f"the proof has {len(proof.commitments)} commitments, the circuit {len(single.variables)} variables")
            raise InvalidProof(
                f"the proof has {len(proof.commitments)} commitments; {buckets} buckets of "
                f"{len(single.variables)} variables need {buckets * len(single.variables)}"
            )
        if buckets == 1:
            return statement, single
        if (digest, buckets) not in self._stacks:
            self._stacks[digest, buckets] = stacked(single, buckets)
        return statement, self._stacks[digest, buckets]

    def _single(self, statement: Statement) -> tuple[Circuit, str]:
        """The one-bucket circuit the proof names: today's lean one, or the one with every
        item stated that proofs were made for before (named by its digest, or by no digest in
        proofs made before circuits were named). Both are sound for the statement; another
        digest is refused, naming today's."""
        if statement.circuit_digest is None:
            return self._one(statement, lean=False)
        lean = self._one(statement, lean=True)
        if statement.circuit_digest == lean[1]:
            return lean
        full = self._one(statement, lean=False)
        if statement.circuit_digest != full[1]:
            statement.require_circuit(lean[1])  # names neither: raises
        return full

    def _one(self, statement: Statement, lean: bool) -> tuple[Circuit, str]:
        key = (statement.level, statement.threshold, lean)
        if key not in self._singles:
            try:
                circuit = statement.compile(self.params, lean=lean)
            except UnsoundStatement:
                raise  # the soundness budget speaks for itself, whoever's numbers broke it
            except InputError as error:
                # The statement names these params, whose prover compiled it: one that does not
                # compile (a level they lack, a threshold past their fixed point) was edited.
                raise InvalidProof(f"the statement does not fit the params it names: {error}") from None
            self._singles[key] = circuit, circuit.digest()
        return self._singles[key]


def _verified(
    statement: Statement, authority: ParamsAuthority | None, attested: tuple[AttestedBy, ...]
) -> VerifiedStatement:
    return VerifiedStatement(
        account=statement.account,
        model=statement.model,
        level=statement.level,
        threshold=statement.threshold,
        currency=statement.currency,
        params_digest=statement.params_digest,
        issuer=statement.issuer,
        epoch=statement.epoch,
        challenge=statement.challenge,
        params_authority=authority,
        attestations=attested,
        buckets=statement.buckets,
        circuit_digest=statement.circuit_digest,
    )


def _require_challenge(statement: Statement, challenge: str | None) -> None:
    """A verifier that handed out `challenge` accepts only a proof that answers it."""
    if challenge is not None and statement.challenge != check_challenge(challenge):
        answered = "no challenge" if statement.challenge is None else f"challenge {statement.challenge[:16]}…"
        raise InvalidProof(f"the proof answers {answered}, not this request's challenge {challenge[:16]}…")


def verify(
    proof: MarginProof,
    params: RiskParams,
    *,
    commitments: AccountCommitments | None = None,
    challenge: str | None = None,
    policy: Policy | None = None,
    now: datetime | None = None,
) -> VerifiedStatement:
    """Verify `proof` against `params`; returns what it establishes or raises `InvalidProof`.

    A proof whose statement names other params is `WrongParams`, an `InputError` like a
    malformed file: the proof is not judged, the verifier holds the wrong params (or the
    proof is from another epoch).

    With `commitments`, the proof must also carry exactly the venue's pinned commitments
    for that account (collateral and positions from `open_account`, updated by deposits).
    With `challenge`, it must answer this nonce (`new_challenge()`). With `policy`, the
    params' signature is checked against the policy's trusted keys first (`UntrustedSignature`,
    `StaleAnchor`), and a valid proof that falls short of the policy is a `PolicyViolation`.
    """
    require_argument(proof, MarginProof, "verify", "a MarginProof (MarginProof.load(path))")
    _require_context(params, policy, "verify")
    if commitments is not None:
        require_argument(commitments, AccountCommitments, "verify", "AccountCommitments as commitments (AccountCommitments.load(path))")
    authority = policy.check_params(params, now) if policy is not None else None
    statement, circuit = _Circuits(params).statement_and_circuit(proof)
    _require_challenge(statement, challenge)
    attested = require_attested(proof, circuit, params, statement, policy.trust if policy else Trust())
    if not _residual([(1, _equation(proof, circuit, params, statement, commitments))], circuit).is_identity():
        raise InvalidProof(RANGE_PROOF_FAILS)
    verified = _verified(statement, authority, attested)
    if policy is not None:
        policy.require(verified, params, now)
    return verified


def verify_batch(
    proofs: Iterable[MarginProof],
    params: RiskParams,
    *,
    commitments: Mapping[str, AccountCommitments] | None = None,
    progress: Callable[[int, int], None] | None = None,
    challenges: Mapping[str, str] | None = None,
    policy: Policy | None = None,
    now: datetime | None = None,
    trust: Trust | None = None,
) -> BatchResult:
    """Verify many accounts' proofs against one params object, one MSM per MSM_GROUP proofs.

    With `commitments` (account label → the venue's `AccountCommitments`), every proof must
    carry its account's pinned commitments; a proof for an account without an entry fails.
    Without it, each proof shows only that its prover knows *some* account meeting the
    statement (see docs/protocol.md §7).

    Each proof's equation is scaled by a fresh random 128-bit weight, so a bad proof makes
    its group's sum non-zero except with probability ~2^-128. When a sum fails, the group is
    bisected until every bad proof is named (a bad proof costs ~6 verifies);
    `progress(done, total)` is called as equations are prepared. `challenges` (account label → the nonce handed to it) and
    `policy` work as in `verify`; a proof failing either is a failure with the reason. With
    `challenges`, a valid proof answering a challenge an earlier proof of the batch already
    answered for its account is a failure too (`replayed`): one challenge, one answer.
    `trust` is the keys attestations are checked against when no `policy` gives them (a
    ledger that checked the params when it published them).
    """
    proofs = batch_arguments(proofs, params, commitments, policy)
    authority = policy.check_params(params, now) if policy is not None else None
    trust = policy.trust if policy is not None else (trust or Trust())
    attested: dict[int, tuple[AttestedBy, ...]] = {}
    circuits = _Circuits(params)
    statements: list[VerifiedStatement | None] = [None] * len(proofs)
    failures: dict[int, ZkMarginError] = {}
    pending: dict[int, tuple[Circuit, list[tuple[int, int, _Equation]]]] = {}
    for index, proof in enumerate(proofs):
        try:
            statement, circuit = circuits.statement_and_circuit(proof)
            if challenges is not None:
                if proof.account not in challenges:
                    raise InvalidProof(f"no challenge was handed to account {proof.account!r}")
                _require_challenge(statement, challenges[proof.account])
            pinned = None
            if commitments is not None:
                pinned = commitments.get(proof.account)
                if pinned is None:
                    raise InvalidProof(f"the venue holds no commitments for account {proof.account!r}")
            attested[index] = require_attested(proof, circuit, params, statement, trust)
            equation = _equation(proof, circuit, params, statement, pinned)
        except ZkMarginError as error:
            failures[index] = error
        else:
            weight = batch_weight()
            pending.setdefault(id(circuit), (circuit, []))[1].append((index, weight, equation))
        if progress is not None:
            progress(index + 1, len(proofs))

    held: list[tuple[int, int, _Equation]] = []
    for circuit, equations in pending.values():
        for start in range(0, len(equations), MSM_GROUP):
            group = equations[start : start + MSM_GROUP]
            held += _bisect(group, _group_residual(group, circuit), circuit, failures)
    for index, _, equation in held:
        verified = _verified(equation.statement, authority, attested[index])
        try:
            if policy is not None:
                policy.require(verified, params, now)
        except ZkMarginError as error:
            failures[index] = error
        else:
            statements[index] = verified
    result = BatchResult(
        tuple(statements),
        tuple(
            BatchFailure(i, proofs[i].account, str(failures[i]), bad_input=isinstance(failures[i], InputError))
            for i in sorted(failures)
        ),
    )
    return refuse_second_answers(proofs, result) if challenges is not None else result


def _require_context(params: RiskParams, policy: Policy | None, function: str) -> None:
    require_argument(params, RiskParams, function, "RiskParams as params (RiskParams.load(path))")
    if policy is not None:
        require_argument(policy, Policy, function, "a Policy as policy (Policy(trust=Trust.load(paths), ...))")


def batch_arguments(
    proofs: Iterable[MarginProof],
    params: RiskParams,
    commitments: Mapping[str, AccountCommitments] | None,
    policy: Policy | None,
) -> list[MarginProof]:
    """`verify_batch`'s proofs as a list, once its arguments are known to be what it takes."""
    if isinstance(proofs, MarginProof):
        raise InputError("verify_batch takes a list of MarginProof, not one MarginProof: verify(proof, params) or verify_batch([proof], params)")
    require_argument(proofs, Iterable, "verify_batch", "a list of MarginProof ([MarginProof.load(path) for path in paths])")
    proofs = list(proofs)
    for index, proof in enumerate(proofs):
        require_argument(proof, MarginProof, f"verify_batch (proofs[{index}])", "a MarginProof (MarginProof.load(path))")
    _require_context(params, policy, "verify_batch")
    if commitments is not None:
        require_argument(commitments, Mapping, "verify_batch", "a mapping of account label to AccountCommitments as commitments")
    return proofs


def refuse_second_answers(proofs: list[MarginProof], result: BatchResult) -> BatchResult:
    """`result` with every valid proof after the first answering one account's challenge
    failed as a replay: the verifier needs no memory to see a challenge answered twice."""
    statements, failures = list(result.statements), list(result.failures)
    first: dict[tuple[str, str], int] = {}
    for index, verified in enumerate(result.statements):
        if verified is None or verified.challenge is None:
            continue
        earlier = first.setdefault((proofs[index].account, verified.challenge), index)
        if earlier != index:
            statements[index] = None
            reason = f"replayed: proof {earlier + 1} of the batch already answered the challenge of {proofs[index].account!r}"
            failures.append(BatchFailure(index, proofs[index].account, reason))
    return BatchResult(tuple(statements), tuple(sorted(failures, key=lambda failure: failure.index)))


def _group_residual(group: list[tuple[int, int, _Equation]], circuit: Circuit) -> Point:
    return _residual([(weight, equation) for _, weight, equation in group], circuit)


def _bisect(
    group: list[tuple[int, int, _Equation]], residual: Point, circuit: Circuit, failures: dict[int, ZkMarginError]
) -> list[tuple[int, int, _Equation]]:
    """The members of `group` (whose weighted sum is `residual`) whose equations hold; the
    others are recorded as failures. Only the first half's residual is computed: the second
    half's is the difference, so each halving costs one MSM, wherever the bad proofs sit."""
    if residual.is_identity():
        return group
    if len(group) == 1:
        failures[group[0][0]] = InvalidProof(RANGE_PROOF_FAILS)
        return []
    middle = len(group) // 2
    first = _group_residual(group[:middle], circuit)
    return _bisect(group[:middle], first, circuit, failures) + _bisect(group[middle:], residual - first, circuit, failures)
