"""What `verify` and `verify-batch` print: the statement as a JSON document and as one
sentence, the batch's counts and tables, and the note on proofs that nothing pins."""

from __future__ import annotations

from typing import Any

from zkmargin.cli.common import short_digest, table
from zkmargin.console import format_money, shown
from zkmargin.venue.verdicts import INVALID, VALID

_ANCHOR_ADVICE = "ask for custodian attestations (--attested-only), or pin with --commitments"
UNPINNED_NOTE = (
    f"note: self-declared and not pinned — nothing ties this proof to a book anyone holds; {_ANCHOR_ADVICE}"
)


def unpinned_batch_note(unpinned: int, valid: int) -> str:
    """The batch's note on how many of its valid proofs rest on nothing: self-declared and,
    with no --commitments, not pinned either (an attested proof is tied to a custodian's book)."""
    return (
        f"note: {unpinned} of {valid} valid proofs {'is' if unpinned == 1 else 'are'} self-declared and not pinned "
        f"— nothing ties {'it' if unpinned == 1 else 'them'} to a book anyone holds; {_ANCHOR_ADVICE}"
    )


def duplicate_accounts(verified: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Account → its files, for each account with more than one valid proof in the batch: the
    batch cannot tell which of them the venue should believe."""
    files: dict[str, list[str]] = {}
    for row in verified:
        files.setdefault(row["account"], []).append(row["file"])
    return {account: names for account, names in files.items() if len(names) > 1}


def duplicate_warning(duplicates: dict[str, list[str]]) -> str:
    """One line naming every account proved twice or more, and its files."""
    listed = "; ".join(
        f"{shown(account)!r} in {', '.join(map(shown, names))}" for account, names in sorted(duplicates.items())
    )
    count = len(duplicates)
    return (
        f"warning: {count} account{'' if count == 1 else 's'} {'has' if count == 1 else 'have'} more than one valid "
        f"proof in this batch, and the batch cannot say which one stands: {listed}"
    )


def statement_document(statement: Any) -> dict[str, Any]:
    authority = statement.params_authority
    return {
        "account": statement.account,
        "model": statement.model,
        "level": statement.level,
        "threshold": statement.threshold,
        "currency": statement.currency,
        "params_digest": statement.params_digest,
        # Only what a trusted signature vouched for: a statement's own issuer and epoch are the
        # prover's words when the params are unsigned.
        "issuer": authority.issuer if authority else None,
        "epoch": authority.epoch if authority else None,
        "challenge": statement.challenge,
        "self_declared": statement.self_declared,
        "provenance": statement.provenance,
        "attestations": [attestation.document() for attestation in statement.attestations],
        "buckets": statement.buckets,
        "circuit_digest": statement.circuit_digest,
    }


def format_statement(document: dict[str, Any]) -> str:
    threshold = format_money(document["threshold"], document["currency"])
    # the count is padded: some of these buckets may be empty ones the prover added
    isolated = (
        f" in each of {document['buckets']} isolated buckets (a padded count: some may be empty)"
        if document["buckets"] > 1 else ""
    )
    return (
        f"account {shown(document['account'])} meets the {shown(document['level'])} requirement of "
        f"{shown(document['model'])}{isolated} with excess ≥ {threshold} "
        f"(params {short_digest(document['params_digest'])}{_epoch(document)})"
    )


def _epoch(document: dict[str, Any]) -> str:
    if document["epoch"] is None:
        return ", unsigned"
    return f", epoch {document['epoch']} of {shown(document['issuer'])}"


def format_batch_summary(
    counts: dict[str, int], verified: list[dict[str, Any]], files: list[dict[str, Any]], seconds: float
) -> str:
    """Counts, then what the valid proofs state (grouped, with provenance), then every file
    that is not valid, with its verdict and reason."""
    checked = counts[VALID] + counts[INVALID]
    per_proof = 1000 * seconds / checked if checked else 0.0
    lines = [
        table(("", "files"), [("total", str(len(files))), *((status, str(count)) for status, count in counts.items())], "<>"),
        f"verified in {seconds:.2f} s ({per_proof:.1f} ms per proof)",
    ]
    # Grouped by provenance too: "valid" alone would read as vouched-for when nobody attested
    # the book. A set per claim: two proofs of one account are one account.
    claims: dict[tuple[Any, ...], set[str]] = {}
    for row in verified:
        claim = (row["model"], row["level"], format_money(row["threshold"], row["currency"]),
                 "self-declared" if row["self_declared"] else "attested", row["buckets"])
        claims.setdefault(claim, set()).add(row["account"])
    if claims:
        rows = [
            (shown(model), shown(level), f"≥ {threshold}", provenance, str(buckets), str(len(accounts)))
            for (model, level, threshold, provenance, buckets), accounts in sorted(claims.items())
        ]
        lines += ["", "valid proofs state:",
                  table(("model", "level", "excess", "provenance", "buckets (padded)", "accounts"), rows, "<<><>>")]
    refused = [
        (shown(row["file"]), shown(row["account"] or "-"), row["status"], shown(row["reason"]))
        for row in files if row["status"] != VALID
    ]
    if refused:
        lines += ["", table(("file", "account", "status", "reason"), refused, "<<<<")]
    return "\n".join(lines)
