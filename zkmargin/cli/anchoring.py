"""Options shared by the commands that rely on anchors: trusted keys, unsigned params, policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import click

import zkmargin as zm
from zkmargin.cli.common import load_trust
from zkmargin.cli.options import decimal_amount, duration, margin_level


def _challenge(_ctx: click.Context, param: click.Parameter, text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return zm.check_challenge(text)
    except zm.InputError as error:
        raise click.BadParameter(str(error), param=param) from None


trust_option = click.option(
    "--trust",
    "trust_paths",
    multiple=True,
    envvar="ZKMARGIN_TRUST",
    type=click.Path(path_type=Path),
    metavar="FILE|DIR",
    help="Public key file, or directory of them, whose signatures you trust (repeatable; "
    "several keys of one issuer = key rotation). Default: $ZKMARGIN_TRUST.",
)
allow_unsigned_option = click.option(
    "--allow-unsigned",
    is_flag=True,
    help="Accept params that nobody signed (a test setup): nothing then ties them to the venue.",
)
challenge_option = click.option(
    "--challenge",
    callback=_challenge,
    metavar="HEX",
    help="The verifier's challenge (64 hex digits) the proof must answer: binds it to one request.",
)


def policy_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The verifier's policy, as options of verify and verify-batch."""
    options = [
        trust_option,
        allow_unsigned_option,
        click.option(
            "--require-level", metavar="LEVEL", callback=margin_level,
            help="The proof's level must be this one or cover it for every book (factor and every rate ≥; e.g. initial; any case).",
        ),
        click.option(
            "--require-excess", callback=decimal_amount, default="0", metavar="AMOUNT",
            help="The proved excess threshold must be at least AMOUNT (currency units).",
        ),
        click.option("--max-params-age", callback=duration, metavar="DURATION", help="Params signed at most this long ago (e.g. 1d)."),
        click.option(
            "--max-attestation-age", callback=duration, metavar="DURATION",
            help="Every attestation made at most this long ago (e.g. 12h).",
        ),
        click.option(
            "--require-custodian", "required_custodians", multiple=True, metavar="ID",
            help="This custodian must have attested part of the book (repeatable).",
        ),
        click.option("--attested-only", is_flag=True, help="Refuse self-declared books: require attestations."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def build_policy(options: dict[str, Any]) -> zm.Policy:
    """The `zm.Policy` the policy options describe (popped from the command's keyword arguments)."""
    return zm.Policy(
        trust=load_trust(options.pop("trust_paths")),
        allow_unsigned_params=options.pop("allow_unsigned"),
        level=options.pop("require_level"),
        min_excess=options.pop("require_excess"),
        max_params_age=options.pop("max_params_age"),
        max_attestation_age=options.pop("max_attestation_age"),
        required_custodians=frozenset(options.pop("required_custodians")),
        attested_only=options.pop("attested_only"),
    )


def load_trusted_params(params_path: Path, trust_paths: tuple[Path, ...], allow_unsigned: bool) -> zm.RiskParams:
    """The params, refused unless signed by a trusted key and within their validity window."""
    params = zm.RiskParams.load(params_path)
    try:
        zm.check_params(params, load_trust(trust_paths), allow_unsigned=allow_unsigned)
    except zm.InputError as error:
        raise type(error)(f"{params_path}: {error}") from None
    return params

