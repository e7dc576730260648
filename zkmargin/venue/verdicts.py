"""The verdict on one proof file, as intake records it and `verify-batch` prints it.

Plain words in a module of their own, so the command line can name them without loading
the database layer the rest of the venue is built on.
"""

VALID, INVALID, BAD_INPUT, ALREADY = "valid", "invalid", "bad input", "already recorded"
