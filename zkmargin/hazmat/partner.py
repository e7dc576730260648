"""A second process that does half of one prover's group arithmetic.

Almost all of a range proof's proving time is group operations on the vectors G and H: the
MSMs of A and S, then in each inner-product round the MSMs of L and R and one scalar
multiplication per folded base. Every one of them splits by the parity of the index: A, S
and the cross terms are sums, and folding pairs index i with i + n/2, which has the same
parity while n/2 is even (`inner_product.Folding`). So a `Partner` holds the odd-indexed
entries of G and H in its own process and does their share of the work while this process
does the even share; the two partial points of A and S are added here. For L and R the
processes trade halves instead: each sends the other its terms (scalars and folded bases)
of one of them, and this process computes L over both classes while the partner computes
R, one MSM of every base each rather than two of half (an MSM costs less a point the more
points it has: 31 ms for 1,025 points, 2 × 17 ms for 513). The range prover's scalar
work splits the same way: the partner gets the odd class of a_L, s_L and s_R once, returns
its parts of t_1, t_2 and t_x, and starts the inner-product argument on its own l(x), r(x)
(`range_prover.ProverShare`), so after the first message only each round's traded terms
cross the pipe, never l(x), r(x) whole.
The proof is the same bytes as without a partner (tests compare them).

Only scalars and points the two processes computed cross the pipe: bases travel as raw affine
x ‖ y and are decoded without curve or subgroup checks (`from_affine_bytes_trusted`), which
is sound only because both ends produced them from validated generators. Nothing read from
a proof or from a user ever takes this path. Single points (partial sums) travel in the
checked 48-byte encoding: they are few, and the identity is allowed there.

Costs (measured, arkworks): starting the process by fork takes a few milliseconds and each
round one round trip of ~0.2 ms plus ~1 µs a traded base, so small statements stay in one process
(`Partner.worth_it`). Folds dominate and do not get cheaper than one scalar multiplication
per base from Python, so the split, not a cleverer schedule, is what halves the wall clock
(docs/range-proof.md, section 10).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from typing import Any

from zkmargin.errors import ZkMarginError
from zkmargin.hazmat import groups
from zkmargin.hazmat.groups import Point, msm
from zkmargin.hazmat.groups.backend import AFFINE_BYTES
from zkmargin.hazmat.inner_product import CrossTermPart, Folding
from zkmargin.hazmat.range_prover import ProverShare
from zkmargin.hazmat.scalar import ORDER

SPLIT_MINIMUM = 512
"""Vectors shorter than this (n·m bits) are proved in one process: the fork and the round
trips cost more than half their group work (one 64-bit value: 39 ms in all)."""

FOLD_TOGETHER_BELOW = 8
"""Inner-product rounds on fewer bases than this run in one process. Splitting stays faster
down to 8 (measured: 32 cost span 1.5% more); 4 would leave each class two bases, whose fold
`Folding.fold` takes for the last one and skips."""


class PartnerFailed(ZkMarginError):
    """The partner process died or reported an error (an internal failure, not bad input)."""


def default_workers() -> int:
    """Processes one proof may use: 2 when the machine has two cores or more."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def _encode_points(points: Sequence[Point]) -> bytes:
    to_affine = points[0].backend.to_affine_bytes if points else None
    return b"".join(to_affine(point.raw) for point in points)


def _decode_points(data: bytes) -> list[Point]:
    active = groups.backend()
    load = active.from_affine_bytes_trusted
    return [Point(load(data[i : i + AFFINE_BYTES]), active) for i in range(0, len(data), AFFINE_BYTES)]


def _encode_part(part: CrossTermPart) -> tuple[list[int], bytes, int]:
    scalars, bases, c = part
    return scalars, _encode_points(bases), c


def _decode_part(encoded: tuple[list[int], bytes, int]) -> CrossTermPart:
    scalars, bases, c = encoded
    return scalars, _decode_points(bases), c


def _decode_point(data: bytes) -> Point:
    return Point.from_bytes(data, allow_identity=True)


class Partner:
    """The odd-indexed half of G and H in a second process; use as a context manager.

    A share or an inner-product argument may run on any even-length prefix of G and H (the
    odd entries of a prefix are a prefix of the odd entries), so one partner serves every
    part of a proof made in parts (`range_proof_parts.create_range_proof`): the process is
    started and its bases sent once.

        with Partner(G, H) as partner:
            InnerProductProof.create(..., G, H, ..., partner=partner)     # or, in a range proof,
            partner.begin_share(...); ...; InnerProductProof.prove_folded(..., partner)
    """

    minimum_length = FOLD_TOGETHER_BELOW

    def __init__(self, G: Sequence[Point], H: Sequence[Point]) -> None:
        self.capacity = len(G)
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, groups.current_backend()), daemon=True)
        self._process.start()
        child.close()
        self._send("bases", _encode_points(list(G)[1::2]), _encode_points(list(H)[1::2]))

    @staticmethod
    def worth_it(length: int, workers: int) -> bool:
        """Whether vectors of this length should be split, given the workers allowed.

        Never inside a daemonic process (e.g. a multiprocessing.Pool worker): it may not
        start children, and its pool already keeps the cores busy.
        """
        return workers >= 2 and length >= SPLIT_MINIMUM and not multiprocessing.current_process().daemon

    def __enter__(self) -> Partner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._conn.send(("stop",))
        except OSError:
            pass  # already gone
        self._conn.close()
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()

    def _send(self, *message: object) -> None:
        try:
            self._conn.send(message)
        except OSError:
            raise PartnerFailed("the prover's partner process exited unexpectedly") from None

    def _receive(self) -> Any:
        try:
            kind, payload = self._conn.recv()
        except (EOFError, OSError):
            raise PartnerFailed("the prover's partner process exited unexpectedly") from None
        if kind == "error":
            raise PartnerFailed(f"the prover's partner process failed: {payload}")
        return payload

    def begin_share(self, n: int, m: int, bits: Sequence[int], s_L: Sequence[int], s_R: Sequence[int]) -> None:
        """Hand over the odd class of a_L, s_L, s_R (`range_prover.ProverShare`) over the first
        n·m bases and start its commitments' parts; collect them with `share_commitments()`."""
        self._check_capacity(n * m)
        self._send("share", n, m, bytes(bits), list(s_L), list(s_R))

    def share_commitments(self) -> tuple[Point, Point]:
        A_part, S_part = self._receive()
        return _decode_point(A_part), _decode_point(S_part)

    def request_polynomial(self, y: int, z: int) -> None:
        self._send("polynomial", y, z)

    def polynomial(self) -> tuple[int, int]:
        """The odd class's parts of t_1 and t_2."""
        return self._receive()

    def request_evaluation(self, x: int) -> None:
        """Evaluate l(x), r(x) on the odd class and begin the inner-product argument on it."""
        self._send("evaluate", x)

    def evaluation(self) -> int:
        """The odd class's part of t_x."""
        return self._receive()

    def begin_folding(self, scalars: tuple[list[int], ...]) -> None:
        """Start an inner-product argument with the odd class's scalars, on as many of the
        held odd bases as there are scalars."""
        self._check_capacity(2 * len(scalars[0]))
        self._send("begin", scalars)

    def _check_capacity(self, length: int) -> None:
        if length % 2 or length > self.capacity:
            raise ValueError(f"a partner holding {self.capacity} bases cannot share a vector of {length}")

    def cross_terms(self, state: Folding, Q: Point) -> tuple[Point, Point]:
        """This round's L and R from both classes (`state` the even one): this process sends its
        terms of R and computes L from its and the partner's terms of L, while the partner
        computes R. One MSM of every base each, not two of half of them: a multi-scalar
        multiplication costs less a point the more points it has."""
        self._send("terms")  # the partner builds its terms while this process builds its own
        (L_scalars, L_bases, c_L), R_part = state.cross_term_parts()
        # Receive before sending: two large messages written at once would fill both pipes.
        partner_part = self._receive()
        self._send("cross", Q.to_bytes(), _encode_part(R_part))
        partner_scalars, partner_bases, partner_c_L = _decode_part(partner_part)
        L = msm(L_scalars + partner_scalars + [(c_L + partner_c_L) % ORDER], L_bases + partner_bases + [Q])
        return L, _decode_point(self._receive())

    def fold(self, u: int, u_inv: int) -> None:
        self._send("fold", u, u_inv)

    def gather(self) -> Folding:
        """The odd class as it stands, handed back for the last rounds."""
        self._send("gather",)
        G, H, scalars = self._receive()
        return Folding(_decode_points(G), _decode_points(H), *scalars)


def _serve(conn: Any, backend_name: str) -> None:
    """The partner's loop: one command per message, replies only where the caller waits."""
    groups.use(backend_name)
    G: list[Point] = []
    H: list[Point] = []
    state: Folding | None = None
    share: ProverShare | None = None
    while True:
        try:
            command, *args = conn.recv()
        except EOFError:
            return
        try:
            if command == "stop":
                return
            if command == "bases":
                G, H = _decode_points(args[0]), _decode_points(args[1])
            elif command == "share":
                n, m, bits, s_L, s_R = args
                share = ProverShare(n, m, list(bits), s_L, s_R, offset=1, step=2)
                G_share, H_share = G[: len(bits)], H[: len(bits)]
                conn.send(("points", tuple(point.to_bytes() for point in share.commitments(G_share, H_share))))
            elif command == "polynomial":
                conn.send(("scalars", share.polynomial(*args)))
            elif command == "evaluate":
                t_x = share.evaluate(args[0])
                state, share = share.folding(G_share, H_share), None
                conn.send(("scalar", t_x))
            elif command == "begin":
                count = len(args[0][0])
                state = Folding(G[:count], H[:count], *args[0])
            elif command == "terms":
                L_part, (R_scalars, R_bases, c_R) = state.cross_term_parts()
                conn.send(("part", _encode_part(L_part)))
            elif command == "cross":
                Q, (main_scalars, main_bases, main_c_R) = _decode_point(args[0]), _decode_part(args[1])
                R = msm(R_scalars + main_scalars + [(c_R + main_c_R) % ORDER], R_bases + main_bases + [Q])
                conn.send(("point", R.to_bytes()))
            elif command == "fold":
                state.fold(*args)
            elif command == "gather":
                conn.send(("state", (_encode_points(state.G), _encode_points(state.H), state.scalars())))
                state = None
        except Exception as exc:  # reported to the waiting caller, which raises PartnerFailed
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
