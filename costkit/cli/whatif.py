"""`costkit whatif`: price the scenarios of a scenario file against a usage file or a snapshot."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from costkit.cli.hints import refresh_hint
from costkit.cli.options import (
    FreeTierOption,
    MonthOption,
    OfflineOption,
    OutputOption,
    PricingDirOption,
    RedactOption,
    SnapshotOption,
    UsageOption,
)
from costkit.cli.output import emit, emit_table, messages, stderr, user_errors
from costkit.cli.source import observed as observed_source
from costkit.errors import ExitCode
from costkit.estimate import estimate
from costkit.model.period import Period
from costkit.present import redact as masking
from costkit.present import whatif as render
from costkit.pricing import current_pricebook
from costkit.sources.usage_file.load import load_usage
from costkit.whatif import WhatIf, evaluate, load_scenarios


class WhatIfFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


def _render(result: WhatIf, fmt: WhatIfFormat, output: Path | None, redact: bool) -> None:
    if fmt is WhatIfFormat.json:
        data = result.to_dict()
        emit(json.dumps(masking.value(data) if redact else data, indent=2, allow_nan=False) + "\n", output)
        return
    shown = masking.value(result) if redact else result
    if fmt is WhatIfFormat.markdown:
        emit(render.markdown(shown), output)
    else:
        emit_table(lambda console: render.table(shown, console), output)


def whatif_command(
    scenario: Annotated[
        Path, typer.Option("--scenario", "-s", metavar="FILE", help="Scenario file (YAML): see docs/whatif.md.")
    ],
    usage: UsageOption = None,
    snapshot: SnapshotOption = None,
    fmt: Annotated[
        WhatIfFormat, typer.Option("--format", "-f", help="Output format: a table for people, or json/markdown.")
    ] = WhatIfFormat.table,
    free_tier: FreeTierOption = None,
    month: MonthOption = None,
    strict: Annotated[bool, typer.Option(help="Exit 4 when the baseline or any scenario is incomplete.")] = False,
    output: OutputOption = None,
    pricing_dir: PricingDirOption = None,
    offline: OfflineOption = False,
    redact: RedactOption = False,
) -> None:
    """Price each scenario of a scenario file against a usage file or a snapshot, side by side.

    Exit codes: 0 ok, 2 bad input, 4 incomplete (a price is missing) with --strict.
    """
    with user_errors(redact=redact):
        scenarios = load_scenarios(scenario)
        observed = observed_source(usage, snapshot, None, "whatif", redact=redact)
        book = current_pricebook(pricing_dir, offline=offline)
        source = load_usage(usage, pricebook=book) if usage is not None else observed
        assert source is not None
        period = Period.parse_month(month) if month else None
        baseline = estimate(source, period=period, free_tier=free_tier, pricebook=book)
        result = evaluate(baseline, scenarios, book)
        _render(result, fmt, output, redact)
        for found in [baseline, *(outcome.estimate for outcome in result.outcomes)]:
            hint = refresh_hint(found.missing_prices)
            if hint:
                stderr.print(f"costkit: {messages.text(hint)}")
                break
        if strict and not result.complete:
            incomplete = [o.name for o in result.outcomes if not o.complete]
            stderr.print(
                "costkit: incomplete: a price is missing in "
                + (messages.text(", ".join(incomplete)) if incomplete else "the baseline")
                + "; those totals are lower bounds"
            )
            raise typer.Exit(int(ExitCode.INCOMPLETE))
