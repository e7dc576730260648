import re
from pathlib import Path

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
        errors.WrongParams,
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


README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_error_rows() -> dict[str, str]:
    """`error` → `is a`, from the table of README's "Library: errors and files" section."""
    section = README.read_text(encoding="utf-8").split("## Library: errors and files", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| `(\w+)` \|", section, flags=re.MULTILINE)
    return dict(rows)


def test_readme_error_table_names_every_error_with_its_parent_when_read_against_errors_py():
    classes = {
        name: value for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, Exception) and value.__module__ == errors.__name__
    }
    assert _readme_error_rows() == {name: error.__bases__[0].__name__ for name, error in classes.items()}
    assert set(classes) <= set(zm.__all__)
