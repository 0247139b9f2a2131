"""`costkit estimate`: price a usage file, a snapshot or a live account, and gate on a budget."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from costkit.cli.hints import refresh_hint
from costkit.cli.options import (
    FreeTierOption,
    FreeTierScopeOption,
    MonthOption,
    OfflineOption,
    OutputFormat,
    OutputLocationOption,
    OutputOption,
    PricingDirOption,
    ProfileOption,
    RedactOption,
    SnapshotOption,
    UsageOption,
    View,
    WorkgroupOption,
)
from costkit.cli.output import emit, emit_table, messages, stderr, user_errors
from costkit.cli.source import observed as observed_source
from costkit.errors import CostkitError, ExitCode
from costkit.estimate import Estimate, estimate
from costkit.model.period import Period
from costkit.present import estimate as render
from costkit.present import redact as masking
from costkit.pricing import current_pricebook
from costkit.sources.usage_file.load import load_usage


class EngineChoice(StrEnum):
    pandas = "pandas"
    duckdb = "duckdb"


def _render(result: Estimate, fmt: OutputFormat, output: Path | None, view: View = View.line) -> None:
    if fmt is OutputFormat.json:
        emit(result.to_json() + "\n", output)
    elif fmt is OutputFormat.csv:
        emit(render.csv(result, by_pipeline=view is View.pipeline), output)
    elif fmt is OutputFormat.markdown:
        emit(render.markdown(result, by_pipeline=view is View.pipeline), output)
    else:
        emit_table(lambda console: render.table(result, console, by_pipeline=view is View.pipeline), output)


def _verdict(result: Estimate, budget: float | None, strict: bool) -> None:
    """Budget gate for CI: exit 3 over budget, 4 when missing prices make the verdict impossible."""
    total = render.money(result.total)
    if budget is not None and result.total > budget:
        stderr.print(
            f"costkit: over budget: estimate {total} per month exceeds the budget {render.money(budget)} "
            f"by {render.money(result.total - budget)}"
        )
        raise typer.Exit(int(ExitCode.OVER_BUDGET))
    if (budget is not None or strict) and result.data_quality:
        stderr.print(
            f"costkit: incomplete estimate: {len(result.data_quality)} data-quality problem(s) in the snapshot "
            f"left rows out of {total} (listed with the assumptions)"
        )
        raise typer.Exit(int(ExitCode.INCOMPLETE))
    if (budget is not None or strict) and not result.complete:
        stderr.print(
            f"costkit: incomplete estimate: {len(result.missing_prices)} line(s) have no price, so "
            f"{total} is only a lower bound",
            markup=False,
        )
        raise typer.Exit(int(ExitCode.INCOMPLETE))
    if (budget is not None or strict) and result.options.get("partial_collection"):
        stderr.print(
            f"costkit: incomplete estimate: the snapshot is partial (see its manifest); {total} is a lower bound"
        )
        raise typer.Exit(int(ExitCode.INCOMPLETE))
    if budget is not None:
        stderr.print(f"costkit: within budget: {total} of {render.money(budget)} per month")


def _on_athena(
    price: Callable[..., Estimate],
    name: str,
    snapshot: Path | None,
    engine: EngineChoice,
    workgroup: str,
    output_location: str | None,
    region: str | None,
) -> Estimate:
    """`--athena`: the snapshot folder's run tables summed in Athena; the queries' cost said on stderr."""
    if snapshot is None:
        raise CostkitError(
            "--athena prices a snapshot: give --snapshot DIR (its manifest and small tables) with it",
            hint="costkit estimate --snapshot DIR --athena DATABASE.PREFIX --workgroup W",
        )
    if engine is not EngineChoice.pandas:
        raise CostkitError("--athena sums the run tables in Athena: leave out --engine")
    from costkit.cli import collect_support  # boto3 only when AWS is asked for

    tables = collect_support.athena_tables(name, workgroup, output_location, region)
    with collect_support.aws_calls(stderr, region_flag="--athena-region"):
        result = price(engine="athena", athena=tables)
    collect_support.athena_summary(tables, stderr)
    return result


def estimate_command(
    usage: UsageOption = None,
    snapshot: SnapshotOption = None,
    profile: ProfileOption = None,
    fmt: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="Output format: a table for people, or json/csv/markdown."),
    ] = OutputFormat.table,
    by: Annotated[
        View, typer.Option(help="One line per resource and usage type, or one figure per pipeline.")
    ] = View.line,
    free_tier: FreeTierOption = None,
    free_tier_scope: FreeTierScopeOption = None,
    region: Annotated[
        str | None,
        typer.Option(metavar="REGION", help="Price every resource in this region, overriding the usage file."),
    ] = None,
    fallback_region: Annotated[
        str | None,
        typer.Option(
            metavar="REGION", help="Borrow prices missing in a region from this one; borrowed lines are marked."
        ),
    ] = None,
    month: MonthOption = None,
    budget: Annotated[
        float | None,
        typer.Option(
            metavar="USD", help="Monthly budget in USD: exit 3 when the estimate exceeds it (CI gates).", min=0
        ),
    ] = None,
    strict: Annotated[bool, typer.Option(help="Exit 4 when any price is missing.")] = False,
    output: OutputOption = None,
    pricing_dir: PricingDirOption = None,
    offline: OfflineOption = False,
    redact: RedactOption = False,
    engine: Annotated[
        EngineChoice,
        typer.Option(
            help="How a snapshot's run tables are summed: in memory, or out of core by DuckDB (docs/scale.md)."
        ),
    ] = EngineChoice.pandas,
    athena: Annotated[
        str | None,
        typer.Option(
            metavar="DATABASE.PREFIX",
            help="Sum the snapshot's run tables in Athena: PREFIX_pipeline_executions, PREFIX_action_executions "
            "and PREFIX_builds in DATABASE (with --snapshot DIR for the manifest and other tables; docs/scale.md).",
        ),
    ] = None,
    workgroup: WorkgroupOption = "primary",
    output_location: OutputLocationOption = None,
    athena_region: Annotated[
        str | None,
        typer.Option(metavar="REGION", help="The region of the Athena workgroup (default: AWS_REGION, the profile's)."),
    ] = None,
) -> None:
    """Estimate the monthly cost of a usage file, a snapshot, or a live account (--profile).

    Exit codes: 0 ok, 2 bad input, 3 over --budget, 4 incomplete estimate (with --budget or --strict).
    """
    with user_errors(redact=redact):
        observed = observed_source(usage, snapshot, profile, "estimate", redact=redact)
        period = Period.parse_month(month) if month else None
        book = current_pricebook(pricing_dir, offline=offline)
        source = load_usage(usage, pricebook=book) if usage is not None else observed
        assert source is not None
        price = partial(
            estimate,
            source,
            period=period,
            free_tier=free_tier,
            free_tier_scope=free_tier_scope.value if free_tier_scope else None,
            region=region,
            fallback_region=fallback_region,
            pricebook=book,
        )
        if athena is not None:
            result = _on_athena(price, athena, snapshot, engine, workgroup, output_location, athena_region)
        else:
            result = price(engine=engine.value)
        _render(masking.value(result) if redact else result, fmt, output, by)
        hint = refresh_hint(result.missing_prices)
        if hint:
            stderr.print(f"costkit: {messages.text(hint)}")
        _verdict(result, budget, strict)
