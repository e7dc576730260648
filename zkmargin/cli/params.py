"""`zkmargin params`: the venue publishes its risk parameters."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import click

import zkmargin as zm
from zkmargin.cli.common import emit_json, refuse_existing
from zkmargin.cli.options import AsciiInt, duration, json_option, output_options
from zkmargin.console import shown
from zkmargin.files import write_atomic


@click.group(
    "params",
    epilog="""\b
Example:
  zkmargin params build --market examples/market.json \\
      --model circuits/span.toml -o unsigned.json
  zkmargin params sign unsigned.json --key venue.key.json --epoch 1 --valid-for 1d -o params.json
  zkmargin params show params.json      # trader: the instruments a portfolio may hold""",
)
def params_group() -> None:
    """Publish risk parameters (venue side); show what received params hold."""


@params_group.command(
    "build",
    epilog="""\b
Examples:
  zkmargin params build --market examples/market.json --model circuits/span.toml -o params.json
  zkmargin params build --market examples/market.json --instrument XYZ \\
      --instrument "XYZ 2026-12-18 100 C" --model circuits/span.toml -o params.json
  zkmargin params build --risk-arrays examples/risk_spx.json \\
      --model circuits/scenario.toml -o params.json
\b
Traders check and prove against params.json; its digest names it in every proof. Every
proof commits to each instrument of the params, so listing only the products the venue
trades (--instrument) keeps proofs small.""",
)
@click.option(
    "--market", "market_path", type=click.Path(path_type=Path), help="market.json to price from."
)
@click.option(
    "--risk-arrays",
    "risk_path",
    type=click.Path(path_type=Path),
    help="risk.json with scenario P&L supplied by the venue (instead of --market).",
)
@click.option(
    "--instrument",
    "listed",
    multiple=True,
    metavar="NAME",
    help="List only this instrument of --market (repeat for each); default: all of them.",
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(path_type=Path),
    required=True,
    help="Margin model spec, e.g. circuits/span.toml.",
)
@output_options("params.json")
def params_build(
    market_path: Path | None,
    risk_path: Path | None,
    listed: tuple[str, ...],
    model_path: Path,
    output: Path,
    force: bool,
    as_json: bool,
) -> None:
    """Build the public risk parameters from market data and a margin model."""
    if (market_path is None) == (risk_path is None):
        raise click.UsageError("give exactly one of --market or --risk-arrays")
    if listed and market_path is None:
        raise click.UsageError("--instrument lists instruments of --market")
    refuse_existing(output, force)
    source = zm.Market.load(market_path) if market_path else zm.RiskArrays.load(risk_path)
    if listed:
        source = source.listing(listed)
    model = zm.MarginModel.load(model_path)
    params = zm.build_params(source, model)
    write_atomic(output, params.to_json(), overwrite=force)
    digest = params.digest()
    if as_json:
        emit_json(
            {
                "params": str(output),
                "digest": digest,
                "model": params.model,
                "currency": params.currency,
                "instruments": len(params.instruments),
                "scenarios": len(params.scenarios),
            }
        )
        return
    click.echo(
        f"wrote {output}: model {params.model}, {len(params.instruments)} instruments, "
        f"{len(params.scenarios)} scenarios"
    )
    click.echo(f"digest {digest}")


@params_group.command(
    "import",
    epilog="""\b
Examples:
  zkmargin params import --format span-xml examples/span_sp_nq.spn -o risk.json
  zkmargin params import --format span-xml cme.spn --commodity SP --commodity NQ -o risk.json
  zkmargin params import --format deribit-pme examples/deribit_pme.json -o risk.json
  zkmargin params build --risk-arrays risk.json --model circuits/span.toml -o params.json
\b
span-xml reads a SPAN XML risk parameter file (.spn): each combined commodity becomes a
scenario group of its 16 scan scenarios, SPAN's losses (positive) become profits, and the
scan ranges, the inter-commodity spread table, each commodity's calendar spreads and its
short option minimums are carried into risk.json. deribit-pme reads
the JSON of Deribit's private/pme/simulate: one group per currency, P&L per unit in USD.
Hostile or broken files (XML bombs, external entities, truncation) exit 2 naming the line
or field.""",
)
@click.argument("risk_file", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "file_format",
    type=click.Choice(zm.IMPORT_FORMATS, case_sensitive=False),
    required=True,
    help="Layout of RISK_FILE.",
)
@click.option(
    "--commodity",
    "commodities",
    multiple=True,
    metavar="CC",
    help="span-xml: keep only this combined commodity (repeat for more); default all.",
)
@output_options("risk.json")
def params_import(
    risk_file: Path,
    file_format: str,
    commodities: tuple[str, ...],
    output: Path,
    force: bool,
    as_json: bool,
) -> None:
    """Import a venue's risk file (SPAN XML, Deribit PM simulation) as risk.json."""
    refuse_existing(output, force)
    arrays = zm.import_risk_file(risk_file, file_format, list(commodities) or None)
    write_atomic(output, arrays.to_json(), overwrite=force)
    groups = list(dict.fromkeys(arrays.groups()))
    if as_json:
        emit_json(
            {
                "risk_arrays": str(output),
                "format": file_format,
                "currency": arrays.currency,
                "instruments": len(arrays.instruments),
                "scenarios": len(arrays.scenarios),
                "groups": groups,
                "inter_commodity_spreads": len(arrays.inter_commodity_spreads),
                "intra_commodity_spreads": [spread.group for spread in arrays.intra_commodity_spreads],
                "short_option_minimums": [minimum.group for minimum in arrays.short_option_minimums],
            }
        )
        return
    click.echo(
        f"wrote {output}: {len(arrays.instruments)} instruments, {len(arrays.scenarios)} "
        f"scenarios in {len(groups)} groups ({', '.join(groups)}), currency {arrays.currency}"
    )
    if arrays.inter_commodity_spreads:
        click.echo(f"{len(arrays.inter_commodity_spreads)} inter-commodity spreads carried")
    if arrays.intra_commodity_spreads:
        charged = ", ".join(spread.group for spread in arrays.intra_commodity_spreads)
        click.echo(f"intra-commodity (calendar) spread charges carried for {charged}")
    if arrays.short_option_minimums:
        floored = ", ".join(minimum.group for minimum in arrays.short_option_minimums)
        click.echo(f"short option minimums carried for {floored}")


@params_group.command(
    "sign",
    epilog="""\b
Example:
  zkmargin params sign unsigned.json --key venue-a.key.json --epoch 7 --valid-for 1d -o params.json
\b
The signature covers the digest of every field, the issuer, key id, epoch and validity
window included; proofs name the epoch, so a proof never verifies under another one.
Raise --epoch with every set you publish.""",
)
@click.argument("params_path", metavar="PARAMS", type=click.Path(path_type=Path))
@click.option("--key", "key_path", type=click.Path(path_type=Path), required=True, help="Your signing key (zkmargin keys new).")
@click.option("--epoch", type=AsciiInt(1, 2**63 - 1), required=True, help="Epoch number: higher than any you published before.")
@click.option("--valid-for", callback=duration, required=True, metavar="DURATION", help="How long the params hold from now, e.g. 1d or 12h.")
@output_options("Signed params.json")
def params_sign(
    params_path: Path, key_path: Path, epoch: int, valid_for: timedelta, output: Path, force: bool, as_json: bool
) -> None:
    """Sign params for an epoch and a validity window (venue side)."""
    refuse_existing(output, force)
    params = zm.RiskParams.load(params_path)
    key = zm.SigningKey.load(key_path)
    signed = zm.sign_params(params, key, epoch=epoch, valid_from=datetime.now(timezone.utc), valid_for=valid_for)
    write_atomic(output, signed.to_json(), overwrite=force)
    if as_json:
        emit_json({"params": str(output), "digest": signed.digest(), **signed.epoch.model_dump()})
        return
    stamp = signed.epoch
    click.echo(
        f"wrote {output}: epoch {stamp.epoch} of {shown(stamp.issuer)}, key {stamp.key_id[:16]}…, "
        f"valid {stamp.valid_from} – {stamp.valid_until}"
    )
    click.echo(f"digest {signed.digest()}")


@params_group.command(
    "show",
    epilog="""\b
Examples:
  zkmargin params show params.json
  zkmargin params show params.json --json
\b
For the trader who received params.json: the instrument names to write a portfolio.json
with (zkmargin schema portfolio), the model, its levels and who signed the params. The
signature is not checked here; check and prove check it against --trust.""",
)
@click.argument("path", metavar="PARAMS", type=click.Path(path_type=Path))
@json_option
def params_show(path: Path, as_json: bool) -> None:
    """Show what params hold: model, levels, signer, instruments (trader side)."""
    params = zm.RiskParams.load(path)
    stamp = params.epoch
    if as_json:
        emit_json({
            "file": str(path), "model": params.model, "currency": params.currency, "as_of": params.as_of,
            "digest": params.digest(), "levels": params.levels, "epoch": stamp and stamp.model_dump(mode="json"),
            "scenarios": len(params.scenarios), "instruments": params.instruments,
        })
        return
    signer = (
        f"epoch {stamp.epoch} of {shown(stamp.issuer)}, key {stamp.key_id[:16]}…, "
        f"valid {stamp.valid_from} – {stamp.valid_until} (not checked here)"
        if stamp else "nobody: unsigned"
    )
    click.echo(f"{path}: model {shown(params.model)}, {params.currency}, as of {params.as_of or 'no date'}")
    click.echo(f"digest       {params.digest()}")
    click.echo(f"levels       {', '.join(f'{shown(name)} ×{factor}' for name, factor in params.levels.items())}")
    click.echo(f"signed by    {signer}")
    click.echo(f"scenarios    {len(params.scenarios)}")
    click.echo(f"instruments  {len(params.instruments)}:")
    for name in params.instruments:
        click.echo(f"  {shown(name)}")
