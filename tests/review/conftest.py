"""The venue's fixtures (the ledger on SQLite and PostgreSQL, proofs, custodians' books) for
the replay-memory attack tests."""

from tests.venue.conftest import ledger_url, postgres_server, postgres_url, venue, venue_files  # noqa: F401
from tests.venue.test_anchoring import custodians  # noqa: F401
