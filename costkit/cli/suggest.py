"""`costkit suggest`: savings, each re-priced in dollars."""

from __future__ import annotations

from typing import Annotated

import typer

from costkit.cli.hints import refresh_hint
from costkit.cli.options import (
    FreeTierOption,
    FreeTierScopeOption,
    MonthOption,
    OfflineOption,
    OutputFormat,
    OutputOption,
    PricingDirOption,
    ProfileOption,
    RedactOption,
    SnapshotOption,
    UsageOption,
)
from costkit.cli.output import emit, emit_table, messages, stderr, user_errors
from costkit.cli.source import observed as observed_source
from costkit.model.period import Period
from costkit.present import redact as masking
from costkit.pricing import current_pricebook


def suggest_command(
    usage: UsageOption = None,
    snapshot: SnapshotOption = None,
    profile: ProfileOption = None,
    fmt: Annotated[
        OutputFormat,
        typer.Option(
            "--format", "-f", help="table, json or markdown (grouped per rule); csv or json list every suggestion."
        ),
    ] = OutputFormat.table,
    month: MonthOption = None,
    free_tier: FreeTierOption = None,
    free_tier_scope: FreeTierScopeOption = None,
    output: OutputOption = None,
    pricing_dir: PricingDirOption = None,
    offline: OfflineOption = False,
    redact: RedactOption = False,
    top: Annotated[
        int,
        typer.Option(
            "--top", min=0, metavar="N", help="Suggestions shown per rule in the table and Markdown (0: all)."
        ),
    ] = 5,
    min_saving: Annotated[
        float,
        typer.Option(
            "--min-saving",
            min=0.0,
            metavar="USD",
            help="Show only suggestions saving at least this much a month (table and Markdown; csv and json "
            "always list every suggestion).",
        ),
    ] = 0.0,
) -> None:
    """Suggest savings, each re-priced in dollars, with its evidence, confidence and the change to make."""
    with user_errors(redact=redact):
        from costkit.optimize import suggest
        from costkit.present import suggestions as suggest_render

        observed = observed_source(usage, snapshot, profile, "suggest", redact=redact)
        found = suggest(
            usage,
            snapshot=observed,
            period=Period.parse_month(month) if month else None,
            free_tier=free_tier,
            free_tier_scope=free_tier_scope.value if free_tier_scope else None,
            pricebook=current_pricebook(pricing_dir, offline=offline),
        )
        hint = refresh_hint(found.baseline.missing_prices)
        if hint:
            stderr.print(f"costkit: {messages.text(hint)}")
        if redact:
            found = masking.value(found)
        if fmt is OutputFormat.json:
            emit(found.to_json() + "\n", output)
        elif fmt is OutputFormat.markdown:
            emit(suggest_render.markdown(found, top=top, min_saving_usd=min_saving), output)
        elif fmt is OutputFormat.csv:
            emit(suggest_render.csv(found), output)
        else:
            emit_table(lambda console: suggest_render.table(found, console, top=top, min_saving_usd=min_saving), output)
