"""zkmargin: prove that an account meets its margin requirement without showing the positions.

Recipes (DESIGN §4)::

    import zkmargin as zm
    params = zm.build_params(zm.Market.load("examples/market.json"), zm.MarginModel.load("circuits/span.toml"))
    portfolio = zm.Portfolio.load("examples/portfolio_covered_call.json")
    report = zm.assess(portfolio, params)          # margin in the clear
    after = zm.what_if(portfolio, params, ["close XYZ 2026-12-18 100 C"])   # and after a trade
    zm.save_plot(zm.plot_scenarios(portfolio, params), "scenarios.png")    # needs zkmargin[plot]
    proof = zm.prove(portfolio, params)            # raises zm.InsufficientMargin
    proofs = zm.prove_many(portfolios, params, jobs=2)  # one process per proof
    book = zm.BucketedPortfolio.load_any("examples/portfolio_buckets.json")  # isolated buckets, or a plain file
    proof = zm.prove(book, params, pad_to=4)       # every bucket meets its own requirement
    statement = zm.verify(proof, params)           # raises zm.InvalidProof

    # a venue's own risk file (SPAN XML .spn, or Deribit's pme/simulate JSON) as risk arrays
    arrays = zm.import_risk_file("examples/span_sp_nq.spn", "span-xml")
    params = zm.build_params(arrays, zm.MarginModel.load("circuits/span.toml"))

Anchored (docs/trust-model.md)::

    key = zm.new_key("venue-a", "params")          # key.save(...) 0600; key.public().save(...)
    custodian_key = zm.new_key("custodian-b", "custody")   # roles: what each key may sign
    params = zm.sign_params(params, key, epoch=7, valid_from=now, valid_for=timedelta(days=1))
    policy = zm.Policy(trust=zm.Trust([key.public(), custodian_key.public()]), level="initial", attested_only=True)
    pair = zm.attest(custodian_key, params, book_held, sequence=9, time=now)   # custodian: (attestation, openings)
    book = zm.attested_book([pair_a, pair_b], params)  # trader: the sum of the attested books
    proof = zm.prove(book.portfolio, params, openings=book.openings, attestations=book.attestations)
    proof = zm.prove(buckets, params, openings=openings, commitments=held, pad_to=4)  # a pinned (ledger)
    statement = zm.verify(proof, params, commitments=held)   # account in isolated buckets: they add up to it
    challenge = zm.new_challenge()                 # the trader proves with challenge=...
    statement = zm.verify(proof, params, challenge=challenge, policy=policy)  # zm.PolicyViolation

The cryptographic primitives live in `zkmargin.hazmat`.
"""

from importlib import import_module as _import_module
from typing import TYPE_CHECKING

from zkmargin.errors import (
    BackendError,
    FixedPointOverflow,
    InputError,
    InsufficientMargin,
    InvalidEncoding,
    InvalidProof,
    LedgerError,
    MalformedProof,
    MissingExtra,
    OutOfOrder,
    PolicyViolation,
    ReplayedMovement,
    StaleAnchor,
    UnknownInstrument,
    UnsoundStatement,
    UntrustedSignature,
    WrongParams,
    ZkMarginError,
)

_HOMES = {
    "zkmargin.anchors.attestation": ("Attestation", "AttestationOpenings", "AttestedBy", "attest"),
    "zkmargin.anchors.keys": ("KEY_ROLES", "PublicKey", "SigningKey", "Trust", "new_key"),
    "zkmargin.anchors.signed_params": ("ParamsAuthority", "check_params", "sign_params"),
    "zkmargin.proofs.account": ("AccountCommitments", "AccountOpenings", "open_account"),
    "zkmargin.proofs.attested_book": ("AttestedBook", "attested_book"),
    "zkmargin.engine.assess": ("MarginReport", "assess"),
    "zkmargin.engine.buckets": ("BucketedPortfolio",),
    "zkmargin.engine.importers": ("IMPORT_FORMATS", "import_risk_file"),
    "zkmargin.engine.market": ("Market",),
    "zkmargin.engine.models": ("MarginModel",),
    "zkmargin.engine.params": ("RiskParams", "build_params"),
    "zkmargin.engine.params_epoch": ("ParamsEpoch",),
    "zkmargin.engine.portfolio": ("Portfolio",),
    "zkmargin.proofs.proof_file": ("MarginProof",),
    "zkmargin.proofs.many": ("prove_many",),
    "zkmargin.proofs.policy": ("Policy",),
    "zkmargin.proofs.prover": ("prove",),
    "zkmargin.proofs.statement": ("check_challenge", "new_challenge"),
    "zkmargin.engine.plots": ("plot_profile", "plot_scenarios", "save_plot"),
    "zkmargin.engine.risk_arrays": ("RiskArrays",),
    "zkmargin.engine.what_if": ("Marginal", "WhatIf", "marginal_requirements", "what_if"),
    "zkmargin.proofs.spread": ("verify_batch",),
    "zkmargin.proofs.verified": ("BatchFailure", "BatchResult", "VerifiedStatement"),
    "zkmargin.proofs.verifier": ("verify",),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}
"""Where each public name beyond the errors lives. The module is imported on first use
(PEP 562), so `import zkmargin` for one recipe does not load SciPy, pydantic and the
cryptography every other recipe needs."""


if TYPE_CHECKING:  # what `__getattr__` loads on first use, spelled out for type checkers (tests/test_typing.py keeps it in step)
    from zkmargin import anchors as anchors
    from zkmargin import console as console
    from zkmargin import engine as engine
    from zkmargin import hazmat as hazmat
    from zkmargin import proofs as proofs
    from zkmargin.anchors.attestation import (
        Attestation,
        AttestationOpenings,
        AttestedBy,
        attest,
    )
    from zkmargin.anchors.keys import KEY_ROLES, PublicKey, SigningKey, Trust, new_key
    from zkmargin.anchors.signed_params import (
        ParamsAuthority,
        check_params,
        sign_params,
    )
    from zkmargin.engine.assess import MarginReport, assess
    from zkmargin.engine.buckets import BucketedPortfolio
    from zkmargin.engine.importers import IMPORT_FORMATS, import_risk_file
    from zkmargin.engine.market import Market
    from zkmargin.engine.models import MarginModel
    from zkmargin.engine.params import RiskParams, build_params
    from zkmargin.engine.params_epoch import ParamsEpoch
    from zkmargin.engine.plots import plot_profile, plot_scenarios, save_plot
    from zkmargin.engine.portfolio import Portfolio
    from zkmargin.engine.risk_arrays import RiskArrays
    from zkmargin.engine.what_if import Marginal, WhatIf, marginal_requirements, what_if
    from zkmargin.proofs.account import (
        AccountCommitments,
        AccountOpenings,
        open_account,
    )
    from zkmargin.proofs.attested_book import AttestedBook, attested_book
    from zkmargin.proofs.many import prove_many
    from zkmargin.proofs.policy import Policy
    from zkmargin.proofs.proof_file import MarginProof
    from zkmargin.proofs.prover import prove
    from zkmargin.proofs.spread import verify_batch
    from zkmargin.proofs.statement import check_challenge, new_challenge
    from zkmargin.proofs.verified import BatchFailure, BatchResult, VerifiedStatement
    from zkmargin.proofs.verifier import verify


_SUBPACKAGES = ("anchors", "console", "engine", "hazmat", "proofs")
"""Rooms reachable as attributes, as they were when the root imported its names eagerly.
hazmat's modules are attributes of hazmat in turn (`zkmargin.hazmat.groups.use(...)`)."""


def __getattr__(name: str) -> object:
    if name in _SUBPACKAGES:
        return _import_module(f"{__name__}.{name}")
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_import_module(module), name)
    globals()[name] = value  # the next lookup is an ordinary attribute
    return value


def __dir__() -> list[str]:
    """The public names, loaded or not, and the module's dunders; not the helpers it imports."""
    return sorted({*__all__, *_SUBPACKAGES, *(name for name in globals() if name.startswith("__"))})


__all__ = [
    "AccountCommitments",
    "AccountOpenings",
    "Attestation",
    "AttestationOpenings",
    "AttestedBook",
    "AttestedBy",
    "BackendError",
    "BatchFailure",
    "BatchResult",
    "BucketedPortfolio",
    "FixedPointOverflow",
    "IMPORT_FORMATS",
    "InputError",
    "InsufficientMargin",
    "InvalidEncoding",
    "InvalidProof",
    "KEY_ROLES",
    "LedgerError",
    "MalformedProof",
    "MarginModel",
    "MarginProof",
    "MarginReport",
    "Marginal",
    "Market",
    "MissingExtra",
    "OutOfOrder",
    "ParamsAuthority",
    "ParamsEpoch",
    "Policy",
    "PolicyViolation",
    "Portfolio",
    "PublicKey",
    "ReplayedMovement",
    "RiskArrays",
    "RiskParams",
    "SigningKey",
    "StaleAnchor",
    "Trust",
    "UnknownInstrument",
    "UnsoundStatement",
    "UntrustedSignature",
    "VerifiedStatement",
    "WhatIf",
    "WrongParams",
    "ZkMarginError",
    "assess",
    "attest",
    "attested_book",
    "build_params",
    "check_challenge",
    "check_params",
    "import_risk_file",
    "marginal_requirements",
    "new_challenge",
    "new_key",
    "open_account",
    "plot_profile",
    "plot_scenarios",
    "prove",
    "prove_many",
    "save_plot",
    "sign_params",
    "verify",
    "verify_batch",
    "what_if",
]
__version__ = "0.1.0"
