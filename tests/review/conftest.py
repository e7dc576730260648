"""The custodians fixture of the venue's anchoring tests, for the replay-memory attack tests
(the ledger fixtures live in tests/conftest.py, shared with tests/venue, so each worker
starts one PostgreSQL server)."""

from tests.venue.test_anchoring import custodians  # noqa: F401
