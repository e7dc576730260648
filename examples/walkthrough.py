"""The `zkmargin demo` walkthrough as a script: the same steps, called one by one.

Run it from the repository root:

    python examples/walkthrough.py            # pauses between steps
    python examples/walkthrough.py --fast --accounts 50

Each step is a method of `zkmargin.demo.Walkthrough` (step 9's of `CrossVenue`); read them
there (or in docs/walkthrough.md) to see the library calls behind the narration. Between steps the
walkthrough's state is plain attributes — `walk.params`, `walk.portfolio`, `walk.proof`,
`walk.commitments` — so you can stop anywhere and experiment.
"""

from __future__ import annotations

import argparse

from zkmargin.demo import DEFAULT_ACCOUNTS, Narrator, Walkthrough
from zkmargin.demo.cross_venue import CrossVenue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="do not pause between steps")
    parser.add_argument("--accounts", type=int, default=DEFAULT_ACCOUNTS,
                        help="generated accounts the venue batch-verifies at the end")
    options = parser.parse_args()

    walk = Walkthrough(Narrator(pause_seconds=0 if options.fast else 1.5),
                       accounts=options.accounts)

    # The venue: market data + margin model -> public params with a digest.
    walk.venue_publishes_params()
    # The trader: margin in the clear, on their own machine.
    walk.trader_checks_margin()
    # The trader opens the account (commitments to the venue) and proves.
    walk.trader_proves()
    # The venue: checks the proof against its params and the pinned commitments.
    walk.venue_verifies()
    # Prices fall 20%; futures settle; the venue republishes; the old proof stops verifying.
    walk.market_crashes()
    # The account is short: no proof can be made.
    walk.margin_call()
    # A deposit, applied to the committed balance by the venue; a new proof verifies.
    walk.trader_tops_up()
    # End of day: many accounts, one batch verification, the failures named.
    walk.venue_batch_verifies()
    # A hedge held at a futures broker earns margin credit at the venue (two attestations).
    CrossVenue(walk).cross_venue_credit()
    # The trader draws the book's risk profile (a PNG; needs zkmargin[plot]).
    walk.trader_draws_the_book()

    print(f"\nThe trader's final proof: {walk.proof.size} bytes, "
          f"account {walk.proof.account}, params {walk.proof.params_digest[:16]}…")


if __name__ == "__main__":
    main()
