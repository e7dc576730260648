"""`zkmargin demo`: a narrated walkthrough of a trader and a venue, built on the public API only.

- `scenery`: the example files, the listed products, the trader's book, the crash;
- `crowd`: the generated accounts of the last step, proved in worker processes;
- `narration`: how the story is printed;
- `walkthrough`: the steps, in order (`Walkthrough`, `run`), and the first four of them;
- `crash`: steps 5 to 7, the crash, the margin call and the top-up (`CrashSteps`);
- `end_of_day`: step 8, the venue batch-verifies the crowd (`EndOfDayStep`);
- `cross_venue`: step 9, a hedge held at another broker earns credit (`CrossVenue`);
- `picture`: the last step, the trader's risk picture (zkmargin[plot]).
- `venue_side`: the venue's day on its ledger (`VenueSide`, `zkmargin demo --venue`).
"""

from zkmargin.demo.crowd import DEFAULT_ACCOUNTS, DEFAULT_SEED, GeneratedAccount, generate_accounts
from zkmargin.demo.narration import Narrator
from zkmargin.demo.scenery import TRADER, TRADER_CASH, TRADER_POSITIONS, DemoFilesMissing, locate_repo
from zkmargin.demo.walkthrough import Walkthrough, run

__all__ = [
    "DEFAULT_ACCOUNTS",
    "DEFAULT_SEED",
    "DemoFilesMissing",
    "GeneratedAccount",
    "Narrator",
    "TRADER",
    "TRADER_CASH",
    "TRADER_POSITIONS",
    "Walkthrough",
    "generate_accounts",
    "locate_repo",
    "run",
]
