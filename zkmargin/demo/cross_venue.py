"""The demo's cross-venue step: a hedge held at another broker earns margin credit at the
venue, which never sees that book.

The venue signs its params (an epoch valid for a day) with its params key, and attests the
book it holds with a second key, of role custody: a key vouches for one kind of thing. The
trader keeps the whole book at the venue and hedges its long E-mini future with ten short Micro E-mini futures at a
futures broker. Each custodian attests its part — signed commitments to every instrument of the universe — and
hands the openings to the trader, who proves over the sum. The venue verifies with a policy
that trusts its params key and both custodians' keys and accepts attested books only; it
learns which custodians attested, their sequence numbers and times, and nothing of either
book.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import zkmargin as zm
from zkmargin.demo.narration import money

if TYPE_CHECKING:
    from zkmargin.demo.walkthrough import Walkthrough

VENUE = "venue-a"
BROKER = "futures-broker-b"
HEDGE = {"MES 2026-12-18": -10}
"""Held at the futures broker: ten short Micro E-minis offset the venue's long E-mini."""


class CrossVenue:
    """The cross-venue step of a `Walkthrough` (it reads the walkthrough's params and book)."""

    def __init__(self, walkthrough: Walkthrough) -> None:
        self.walk = walkthrough

    def cross_venue_credit(self) -> None:
        walk, say, n = self.walk, self.walk.narrator.say, self.walk.narrator
        walk._heading(self.cross_venue_credit, "Across venues: a hedge held elsewhere earns credit")
        now = datetime.now(timezone.utc)
        venue_key, custody_key = zm.new_key(VENUE, "params"), zm.new_key(VENUE, "custody")
        broker_key = zm.new_key(BROKER, "custody")
        params = zm.sign_params(walk.params, venue_key, epoch=2, valid_from=now, valid_for=timedelta(days=1))
        at_venue = walk.portfolio
        at_broker = zm.Portfolio(account=at_venue.account, cash=0, positions=HEDGE)
        whole = at_venue.model_copy(update={"positions": {**at_venue.positions, **HEDGE}})
        alone, together = zm.assess(at_venue, params), zm.assess(whole, params)
        say(
            f"""{at_venue.account} hedges the long E-mini future held at the venue with ten short
            Micro E-minis at a futures broker ({BROKER}), an account the venue never sees. The
            venue signs today's params as epoch 2 with its Ed25519 params key; for the book it
            holds it attests with a second key, of role custody, as the broker does: a key
            trusted to vouch for books cannot set margin params. Each custodian attests
            the part of the book it holds: signed commitments to every listed instrument and to
            the cash, openings to the trader. Commitments add up, so the trader proves over the
            sum of both books."""
        )
        n.code(
            """params = zm.sign_params(params, venue_key, epoch=2, valid_from=now, valid_for=timedelta(days=1))
            a = zm.attest(custody_key, params, book_at_venue, sequence=1, time=now)
            b = zm.attest(broker_key, params, book_at_broker, sequence=1, time=now)
            book = zm.attested_book([a, b], params)
            proof = zm.prove(book.portfolio, params, openings=book.openings, attestations=book.attestations)"""
        )
        pairs = [
            zm.attest(custody_key, params, at_venue, sequence=1, time=now),
            zm.attest(broker_key, params, at_broker, sequence=1, time=now),
        ]
        summed = zm.attested_book(pairs, params)
        proof = zm.prove(summed.portfolio, params, openings=summed.openings, attestations=summed.attestations)
        policy = zm.Policy(
            trust=zm.Trust([venue_key.public(), custody_key.public(), broker_key.public()]),
            attested_only=True,
            required_custodians=frozenset({VENUE, BROKER}),
            max_attestation_age=timedelta(hours=1),
        )
        n.code("statement = zm.verify(proof, params, policy=policy)   # attested_only, both custodians required")
        statement = zm.verify(proof, params, policy=policy)
        n.facts(
            [
                ("requirement, venue book alone", money(alone.requirement)),
                ("requirement, both books", money(together.requirement)),
                ("margin credit for the hedge", money(alone.requirement - together.requirement)),
                ("verified", f"{statement.account} meets {statement.level}, params epoch {statement.epoch} of {statement.issuer}"),
                ("provenance", statement.provenance),
            ]
        )
        say(
            f"""The venue credits a hedge it has not seen: the proof's commitments are exactly
            the sums of the two signed attestations, so the proved book is what the two
            custodians hold, and nothing else. The venue's book alone needs
            {money(alone.requirement)}; with the hedge, {money(together.requirement)}. The venue
            learns the custodians' names, sequence numbers and times — not a position. A proof
            over a book nobody attested would say "self-declared", and this policy would refuse
            it."""
        )
