"""The anchors tests share the small two-instrument params of tests/proofs."""

from tests.proofs.conftest import params  # noqa: F401  (a fixture, used by name)
