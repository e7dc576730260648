"""zkmargin: prove that an account meets its margin requirement without showing the positions."""

from zkmargin.errors import (
    InputError,
    InsufficientMargin,
    InvalidProof,
    ZkMarginError,
)

__all__ = sorted(
    [
        "InputError",
        "InsufficientMargin",
        "InvalidProof",
        "ZkMarginError",
    ]
)
__version__ = "0.1.0"
