"""The demo's cross-venue step: a hedge held at another broker earns margin credit at the
venue, which never sees either book.

The venue signs its params (an epoch valid for a day) with its params key. The positions are
held by custodians that carry the trader's accounts anyway: the clearing firm that clears
the trader's trades at the venue, and a futures broker where the trader hedges its long
E-mini future with ten short Micro E-mini futures. Each custodian attests its part — signed
commitments to every instrument of the universe, with a key of role custody — and hands the
openings to the trader, who proves over the sum. The venue verifies with a policy that
trusts its params key and both custodians' keys and accepts attested books only; it learns
which custodians attested, their sequence numbers and times, and nothing of either book.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import zkmargin as zm
from zkmargin.demo.narration import money

if TYPE_CHECKING:
    from zkmargin.demo.walkthrough import Walkthrough

VENUE = "venue-a"
CLEARER = "clearing-firm-a"
"""Clears the trader's trades at the venue, so it holds that book and can attest it."""
BROKER = "futures-broker-b"
HEDGE = {"MES 2026-12-18": -10}
"""Held at the futures broker: ten short Micro E-minis offset the long E-mini traded at the venue."""


class CrossVenue:
    """The cross-venue step of a `Walkthrough` (it reads the walkthrough's params and book)."""

    def __init__(self, walkthrough: Walkthrough) -> None:
        self.walk = walkthrough

    def cross_venue_credit(self) -> None:
        walk, say, n = self.walk, self.walk.narrator.say, self.walk.narrator
        walk._heading(self.cross_venue_credit, "Across venues: a hedge held elsewhere earns credit")
        now = datetime.now(timezone.utc)
        venue_key, clearer_key = zm.new_key(VENUE, "params"), zm.new_key(CLEARER, "custody")
        broker_key = zm.new_key(BROKER, "custody")
        params = zm.sign_params(walk.params, venue_key, epoch=2, valid_from=now, valid_for=timedelta(days=1))
        at_venue = walk.portfolio
        at_broker = zm.Portfolio(account=at_venue.account, cash=0, positions=HEDGE)
        whole = at_venue.model_copy(update={"positions": {**at_venue.positions, **HEDGE}})
        alone, together = zm.assess(at_venue, params), zm.assess(whole, params)
        say(
            f"""{at_venue.account} hedges the long E-mini future traded at the venue with ten
            short Micro E-minis at a futures broker ({BROKER}), an account the venue never
            sees. Who holds the positions? Not the venue: the book traded there is carried by
            the trader's clearing firm ({CLEARER}), which clears every trade and so knows it
            anyway, and the hedge by the broker. Each of these custodians attests the part of
            the book it holds, with an Ed25519 key of role custody: signed commitments to
            every listed instrument and to the cash, openings to the trader. Commitments add
            up, so the trader proves over the sum of both books. The venue signs today's
            params as epoch 2 with its params key (epochs rise with every set it publishes;
            this morning's, before the crash, was epoch 1); a key trusted to vouch for books
            cannot set margin params."""
        )
        n.code(
            """params = zm.sign_params(params, venue_key, epoch=2, valid_from=now, valid_for=timedelta(days=1))
            a = zm.attest(clearer_key, params, book_at_clearer, sequence=1, time=now)
            b = zm.attest(broker_key, params, book_at_broker, sequence=1, time=now)
            book = zm.attested_book([a, b], params)
            proof = zm.prove(book.portfolio, params, openings=book.openings, attestations=book.attestations)"""
        )
        pairs = [
            zm.attest(clearer_key, params, at_venue, sequence=1, time=now),
            zm.attest(broker_key, params, at_broker, sequence=1, time=now),
        ]
        summed = zm.attested_book(pairs, params)
        proof = zm.prove(summed.portfolio, params, openings=summed.openings, attestations=summed.attestations)
        policy = zm.Policy(
            trust=zm.Trust([venue_key.public(), clearer_key.public(), broker_key.public()]),
            attested_only=True,
            required_custodians=frozenset({CLEARER, BROKER}),
            max_attestation_age=timedelta(hours=1),
        )
        n.code("statement = zm.verify(proof, params, policy=policy)   # attested_only, both custodians required")
        statement = zm.verify(proof, params, policy=policy)
        n.facts(
            [
                ("requirement, book at the venue", money(alone.requirement)),
                ("requirement, both books", money(together.requirement)),
                ("margin credit for the hedge", money(alone.requirement - together.requirement)),
                ("verified", f"{statement.account} meets {statement.level}, params epoch {statement.epoch} of {statement.issuer}"),
                ("provenance", statement.provenance),
            ]
        )
        say(
            f"""The venue credits a hedge it has not seen: the proof's commitments are exactly
            the sums of the two signed attestations, so the proved book is what the two
            custodians hold, and nothing else. The book at the venue alone needs
            {money(alone.requirement)}; with the hedge, {money(together.requirement)}. Each
            custodian knew only the part it holds already; the venue learns the custodians'
            names, sequence numbers and times — not a position. A proof over a book nobody
            attested would say "self-declared", and this policy would refuse it."""
        )
