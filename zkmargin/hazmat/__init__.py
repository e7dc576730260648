"""Cryptographic primitives. You should only use these if you know what you are doing.

Nothing here knows about margin, portfolios or markets; the domain layers build on these
names only.
"""
