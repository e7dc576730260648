"""The demo's last step: the trader draws the book's risk profile (needs zkmargin[plot]).

A mixin of `Walkthrough` (step 10), using its narrator, market, params and portfolio.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import zkmargin as zm


class PictureStep:
    """`trader_draws_the_book`: one PNG in a fresh temporary folder, and where it is
    (`picture`, None until drawn or without matplotlib)."""

    picture: Path | None = None

    def trader_draws_the_book(self) -> None:
        say, n = self.narrator.say, self.narrator
        self._heading(self.trader_draws_the_book, "The trader draws the book")
        say(
            """Back on their own machine, the trader looks at the book the way a risk
            manager would: its P&L as each underlying moves alone, against the loss the
            requirement covers and the loss that would wipe out the equity."""
        )
        n.code('zm.save_plot(zm.plot_profile(portfolio, params, market), "profile.png")')
        try:
            figure = zm.plot_profile(self.portfolio, self.params, self.market)
        except zm.MissingExtra:
            say(
                """No picture this time: plots need matplotlib. From this checkout, `pip
                install -e '.[plot]'` installs it, and the next run draws the book."""
            )
            return
        self.picture = zm.save_plot(figure, Path(tempfile.mkdtemp(prefix="zkmargin-demo-")) / "profile.png")
        n.facts([("picture", str(self.picture))])
        say(f"Open {self.picture} to see it; `zkmargin plot profile` draws the same from files.")
