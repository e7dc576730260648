"""Failing tests for the findings of the protocol review (November 2026).

Each test names its finding (F1 … F8) and states the property the code should have. They
fail on the reviewed code; each should pass once its finding is fixed. Attacks are
simulated the way a dishonest prover or a local attacker would run them: with their own
code, here by monkeypatching the honest prover's guards.
"""

import hashlib
import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from tests.proofs.conftest import portfolio, small_params
from zkmargin.proofs.account import open_account
from zkmargin.cli import cli
from zkmargin.errors import InvalidProof, ZkMarginError
from zkmargin.hazmat import generators
from zkmargin.hazmat.generators import G_LABEL, GENERATORS_DST, BulletproofGens, PedersenGens, vector_message
from zkmargin.hazmat.groups import Point, backend, using
from zkmargin.hazmat.inner_product import InnerProductProof
from zkmargin.hazmat.range_proof import RangeProof
from zkmargin.hazmat.scalar import random_scalar
from zkmargin.hazmat.transcript import Transcript
from zkmargin.proofs.proof_file import MarginProof
from zkmargin.proofs.prover import prove
from zkmargin.proofs.verifier import verify, verify_batch

# Long 1 future, short 1 call (tests/proofs/test_margin_proof.py): 3,250.00 of cash meets
# the maintenance requirement exactly.
BOOK = {"FUT": 1, "CALL": -1}
REQUIRED_CASH = Decimal("3250.00")


@pytest.fixture(scope="module")
def params():
    return small_params()


@pytest.fixture(scope="module")
def honest_proof(params):
    return prove(portfolio(REQUIRED_CASH, **BOOK), params)


def _with_statement(proof, **changes):
    return proof.model_copy(update={"statement": proof.statement.model_copy(update=changes)})


# F1 (critical) — verifier.py:132-138 / proof_file.py:160-167: the verifier accepts a statement whose threshold is
# negative, i.e. "E ≥ requirement − |X|". Statement.for_params refuses such thresholds, but
# only on the prover's side; the verifier recompiles whatever the file says and answers
# VALID ("meets the maintenance requirement") for an account that is far below it.
# Since the threshold has one canonical spelling (issue 10), a negative one cannot even be
# loaded; in memory, the verifier refuses it before recompiling anything.
def test_verify_rejects_proof_when_statement_threshold_is_negative(params, honest_proof):
    forged = _with_statement(honest_proof, threshold="-1000000")
    with pytest.raises(ZkMarginError, match="threshold"):
        verify(forged, params)
    with pytest.raises(ZkMarginError, match="threshold"):
        MarginProof.from_json(forged.to_json())
    assert not verify_batch([forged], params).ok


# F2 (medium) — verifier.py:135 (_Circuits.statement_and_circuit hashes the threshold):
# a proof file whose threshold is "sNaN" parses, then hashing Decimal('sNaN') raises
# TypeError, which escapes verify() and aborts a whole verify_batch() instead of failing
# that one proof. Malformed files must only ever raise ZkMarginError.
@pytest.mark.parametrize("threshold", ["sNaN", "-sNaN", "sNaN123"])
def test_verify_raises_zkmargin_error_when_threshold_is_a_signaling_nan(params, honest_proof, threshold):
    with pytest.raises(ZkMarginError):
        malformed = MarginProof.from_json(
            json.dumps({**json.loads(honest_proof.to_json()), "statement": {**honest_proof.statement.model_dump(), "threshold": threshold}})
        )
        verify(malformed, params)


def test_verify_batch_isolates_proof_when_its_threshold_is_a_signaling_nan(params, honest_proof):
    malformed = _with_statement(honest_proof, threshold="sNaN")
    result = verify_batch([honest_proof, malformed], params)
    assert [failure.index for failure in result.failures] == [1]
    assert result.statements[0] is not None and result.statements[0].account == "alice"


def _rewrite_cached_point(directory, index, affine):
    """Replace one cached point and recompute the unkeyed SHA-256 checksum, as a forger would."""
    (path,) = directory.glob("gens-*.bin")
    data = path.read_bytes()
    header = len(data) - 16 * 96
    payload = bytearray(data[header:])
    payload[index * 96 : (index + 1) * 96] = affine
    path.write_bytes(data[: header - 32] + hashlib.sha256(bytes(payload)).digest() + bytes(payload))


# F3 (medium) — hazmat/generators.py (_Chain._load): the disk cache is trusted after an
# unkeyed SHA-256 checksum and re-deriving two points, so whoever can write the cache can
# replace a generator by a point of known discrete log (here 2·G_5) and break the binding of
# commitments. A load cannot afford to re-derive every point, so the cache is trusted like
# the installed code: only files and directories that no other user can write are read
# (same-user tampering is out of scope, as it is for site-packages; docs/curve-backends.md).
def test_generators_ignore_cache_file_when_other_users_could_have_written_it(tmp_path, monkeypatch):
    monkeypatch.setenv("ZKMARGIN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(generators, "_chains", {})
    honest = BulletproofGens(16, 1).G(16, 1)
    _rewrite_cached_point(tmp_path, 5, backend().to_affine_bytes((2 * honest[5]).raw))
    (path,) = tmp_path.glob("gens-*.bin")
    path.chmod(0o666)
    # The random spot check lands anywhere but index 5 with probability 15/16; fix it at 0.
    monkeypatch.setattr(generators.secrets, "randbelow", lambda bound: 0)
    monkeypatch.setattr(generators, "_chains", {})
    loaded = BulletproofGens(16, 1).G(16, 1)
    assert loaded[5] == Point.hash_to_curve(vector_message(G_LABEL, 5), GENERATORS_DST)


def test_generators_ignore_cache_when_its_directory_is_world_writable(tmp_path, monkeypatch):
    monkeypatch.setenv("ZKMARGIN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(generators, "_chains", {})
    honest = BulletproofGens(16, 1).G(16, 1)
    _rewrite_cached_point(tmp_path, 5, backend().to_affine_bytes((2 * honest[5]).raw))
    tmp_path.chmod(0o777)
    monkeypatch.setattr(generators.secrets, "randbelow", lambda bound: 0)
    monkeypatch.setattr(generators, "_chains", {})
    assert BulletproofGens(16, 1).G(16, 1) == honest


# F3, second face: the same unchecked load lets a cached point that is not on the curve
# raise arkworks' bare ValueError from every later prove/verify (until the file is deleted),
# instead of the file being ignored and rewritten as the module docstring promises.
@pytest.mark.parametrize("name", ["arkworks", "py_ecc"])
def test_generators_rebuild_cache_when_a_cached_point_is_off_the_curve(tmp_path, monkeypatch, name):
    monkeypatch.setenv("ZKMARGIN_CACHE_DIR", str(tmp_path))
    with using(name):
        monkeypatch.setattr(generators, "_chains", {})
        honest = BulletproofGens(16, 1).G(16, 1)
        _rewrite_cached_point(tmp_path, 5, (1).to_bytes(48, "big") + (1).to_bytes(48, "big"))
        monkeypatch.setattr(generators.secrets, "randbelow", lambda bound: 0)
        monkeypatch.setattr(generators, "_chains", {})
        assert BulletproofGens(16, 1).G(16, 1) == honest


# F4 (low) — hazmat/range_proof.py: verify_batch catches only InvalidProof while preparing
# each check, so an entry whose commitment list is empty or larger than the generators'
# party capacity (both chosen by whoever submitted it) raises InputError for the whole
# batch instead of being reported in `.failures` (docs/range-proof.md section 6 promises
# structural failures are "recorded without stopping the others").
def test_range_proof_verify_batch_names_entry_when_it_has_no_commitments():
    bp_gens, pc_gens = BulletproofGens(8, 4), PedersenGens()
    proof, commitments = RangeProof.prove_multiple(bp_gens, pc_gens, Transcript(b"review"), [1], [random_scalar()], 8)
    batch = [(proof, Transcript(b"review"), commitments, 8), (proof, Transcript(b"review"), [], 8)]
    with pytest.raises(InvalidProof) as failed:
        RangeProof.verify_batch(batch, bp_gens, pc_gens)
    assert failed.value.failures == [1]


def test_range_proof_verify_batch_names_entry_when_it_has_more_values_than_the_generators_hold():
    bp_gens, pc_gens = BulletproofGens(8, 4), PedersenGens()
    proof, commitments = RangeProof.prove_multiple(bp_gens, pc_gens, Transcript(b"review"), [1], [random_scalar()], 8)
    # A well-formed proof of 5 values (8 parties after padding) from a prover with more generators.
    values = [1, 2, 3, 4, 5]
    wide, wide_commitments = RangeProof.prove_multiple(
        BulletproofGens(8, 8), pc_gens, Transcript(b"wide"), values, [random_scalar() for _ in values], 8
    )
    batch = [(proof, Transcript(b"review"), commitments, 8), (wide, Transcript(b"wide"), wide_commitments, 8)]
    with pytest.raises(InvalidProof) as failed:
        RangeProof.verify_batch(batch, bp_gens, pc_gens)
    assert failed.value.failures == [1]


# F5 (low) — account.py:54-58, 60-64, 102-106: the stored commitments and openings are not
# validated when loaded, and their later use lets binascii.Error / ValueError escape
# (non-ZkMarginError tracebacks) from verify(..., commitments=...), deposit() and prove().
@pytest.fixture(scope="module")
def account(params):
    book = portfolio(REQUIRED_CASH, **BOOK)
    commitments, openings = open_account(book, params)
    return book, commitments, openings


def test_verify_raises_zkmargin_error_when_pinned_commitment_is_not_base64(params, account):
    book, commitments, openings = account
    proof = prove(book, params, openings=openings)
    with pytest.raises(ZkMarginError):
        verify(proof, params, commitments=commitments.model_copy(update={"collateral": "abc"}))


def test_account_deposit_raises_zkmargin_error_when_collateral_is_not_base64(account):
    _, commitments, _ = account
    with pytest.raises(ZkMarginError):
        commitments.model_copy(update={"collateral": "abc"}).deposit(1)


def test_prove_raises_zkmargin_error_when_an_opening_is_not_hex(params, account):
    book, _, openings = account
    with pytest.raises(ZkMarginError):
        prove(book, params, openings=openings.model_copy(update={"collateral": "not-hex"}))


# F6 (low) — verifier.py:115-121 (_check_pinned): pinning checks only the names the venue's
# AccountCommitments happens to list, and never compares its money_scale/quantity_scale
# with the params. A commitments file that lists no positions (or was made at another
# quantity scale) silently pins nothing about the positions, although docs/protocol.md
# section 6 says the proof's W "for c and each q_i" must be exactly the venue's.
def test_verify_refuses_pinning_when_pinned_commitments_omit_a_position(params, account):
    book, commitments, openings = account
    proof = prove(book, params, openings=openings)
    partial = commitments.model_copy(update={"positions": {}})
    with pytest.raises(InvalidProof):
        verify(proof, params, commitments=partial)


def test_verify_refuses_pinning_when_pinned_quantity_scale_differs_from_params(params, account):
    book, commitments, openings = account
    proof = prove(book, params, openings=openings)
    rescaled = commitments.model_copy(update={"quantity_scale": params.quantity_scale * 10})
    with pytest.raises(ZkMarginError):
        verify(proof, params, commitments=rescaled)


# F7 (info) — hazmat/inner_product.py:217-231: InnerProductProof.from_bytes(None) (or any
# non-bytes) raises TypeError, where RangeProof.from_bytes raises InvalidProof.
@pytest.mark.parametrize("data", [None, 12345, "0" * 64], ids=["none", "int", "str"])
def test_inner_product_from_bytes_raises_invalid_proof_when_data_is_not_bytes(data):
    with pytest.raises(InvalidProof):
        InnerProductProof.from_bytes(data)


# F1 through the command line: `verify-batch` prints only counts (no statements), so a
# venue running it sees "valid" and exit 0 for the forged negative-threshold proof.
def test_cli_verify_batch_fails_when_a_proof_states_a_negative_threshold(params, honest_proof, tmp_path):
    params.save(tmp_path / "params.json")
    honest_proof.save(tmp_path / "alice.proof.json")
    _with_statement(honest_proof, threshold="-1000000", account="mallory").save(tmp_path / "mallory.proof.json")
    result = CliRunner().invoke(
        cli, ["verify-batch", "--params", str(tmp_path / "params.json"), "--allow-unsigned",
              str(tmp_path / "alice.proof.json"), str(tmp_path / "mallory.proof.json")]
    )
    assert result.exit_code == 2 and "mallory.proof.json" in result.output and "threshold" in result.output, result.output


# F2 through the command line: a hostile proof file makes `verify` die with a traceback.
def test_cli_verify_reports_bad_input_when_threshold_is_a_signaling_nan(params, honest_proof, tmp_path):
    params.save(tmp_path / "params.json")
    _with_statement(honest_proof, threshold="sNaN").save(tmp_path / "proof.json")
    result = CliRunner().invoke(cli, ["verify", "--params", str(tmp_path / "params.json"), "--allow-unsigned", str(tmp_path / "proof.json")])
    assert isinstance(result.exception, SystemExit) and result.exit_code in (1, 2), repr(result.exception)


# F8 (low) — jsonio.py:61-69 (loads, used by MarginProof.from_json and RiskParams.from_json):
# a JSON integer longer than Python's 4,300-digit int-conversion limit raises a bare
# ValueError; only json.JSONDecodeError is turned into an InputError.
@pytest.mark.parametrize("text", ['{"version": 1' + "0" * 5000 + "}", '{"statement": {"limb_bits": ' + "9" * 5000 + "}}"], ids=["version", "limb_bits"])
def test_margin_proof_from_json_raises_malformed_proof_when_an_integer_has_too_many_digits(text):
    with pytest.raises(ZkMarginError):
        MarginProof.from_json(text)
