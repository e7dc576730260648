import pytest

import zkmargin as zm
from zkmargin import errors


@pytest.mark.parametrize(
    "error",
    [
        errors.InputError,
        errors.UnknownInstrument,
        errors.FixedPointOverflow,
        errors.InvalidEncoding,
        errors.BackendError,
        errors.UnsoundStatement,
        errors.MalformedProof,
        errors.MissingExtra,
        errors.LedgerError,
        errors.ReplayedMovement,
    ],
)
def test_input_errors_share_root_when_raised(error):
    with pytest.raises(zm.ZkMarginError):
        raise error("bad")
    assert issubclass(error, zm.InputError)


def test_invalid_proof_keeps_reason_when_raised():
    with pytest.raises(zm.ZkMarginError) as caught:
        raise zm.InvalidProof("range proof check failed")
    assert caught.value.reason == "range proof check failed"
    assert not isinstance(caught.value, zm.InputError)


def test_public_api_is_curated_when_imported():
    assert zm.__all__ == sorted(zm.__all__)
    for name in zm.__all__:
        assert getattr(zm, name) is not None
    assert {"prove", "verify", "verify_batch", "assess", "build_params"} <= set(zm.__all__)
