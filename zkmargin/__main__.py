"""`python -m zkmargin` runs the same command line as the `zkmargin` script."""

from zkmargin.cli import main

main()
