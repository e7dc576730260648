"""zkmargin: prove that an account meets its margin requirement without showing the positions.

Recipes (DESIGN §4)::

    import zkmargin as zm
    params = zm.build_params(zm.Market.load("examples/market.json"), zm.MarginModel.load("circuits/span.toml"))
    portfolio = zm.Portfolio.load("examples/portfolio_covered_call.json")
    report = zm.assess(portfolio, params)          # margin in the clear
    proof = zm.prove(portfolio, params)            # raises zm.InsufficientMargin
    proofs = zm.prove_many(portfolios, params, jobs=2)  # one process per proof
    statement = zm.verify(proof, params)           # raises zm.InvalidProof

    # a venue's own risk file (SPAN XML .spn, or Deribit's pme/simulate JSON) as risk arrays
    arrays = zm.import_risk_file("examples/span_sp_nq.spn", "span-xml")
    params = zm.build_params(arrays, zm.MarginModel.load("circuits/span.toml"))

The cryptographic primitives live in `zkmargin.hazmat`.
"""

from zkmargin.proofs.account import AccountCommitments, AccountOpenings, open_account
from zkmargin.engine.assess import MarginReport, assess
from zkmargin.errors import (
    BackendError,
    FixedPointOverflow,
    InputError,
    InsufficientMargin,
    InvalidEncoding,
    InvalidProof,
    MalformedProof,
    UnknownInstrument,
    UnsoundStatement,
    ZkMarginError,
)
from zkmargin.engine.importers import IMPORT_FORMATS, import_risk_file
from zkmargin.engine.market import Market
from zkmargin.engine.models import MarginModel
from zkmargin.engine.params import RiskParams, build_params
from zkmargin.engine.portfolio import Portfolio
from zkmargin.proofs.proof_file import MarginProof
from zkmargin.proofs.many import prove_many
from zkmargin.proofs.prover import prove
from zkmargin.engine.risk_arrays import RiskArrays
from zkmargin.proofs.verifier import BatchFailure, BatchResult, VerifiedStatement, verify, verify_batch

__all__ = [
    "AccountCommitments",
    "AccountOpenings",
    "BackendError",
    "BatchFailure",
    "BatchResult",
    "FixedPointOverflow",
    "IMPORT_FORMATS",
    "InputError",
    "InsufficientMargin",
    "InvalidEncoding",
    "InvalidProof",
    "MalformedProof",
    "MarginModel",
    "MarginProof",
    "MarginReport",
    "Market",
    "Portfolio",
    "RiskArrays",
    "RiskParams",
    "UnknownInstrument",
    "UnsoundStatement",
    "VerifiedStatement",
    "ZkMarginError",
    "assess",
    "build_params",
    "import_risk_file",
    "open_account",
    "prove",
    "prove_many",
    "verify",
    "verify_batch",
]
__version__ = "0.1.0"
