"""The `costkit` command: a thin face over the library. It formats what the library returns.

Exit codes: 0 ok; 1 internal error; 2 bad input (file, field, option); 3 over --budget;
4 estimate incomplete (missing prices) when --budget or --strict asks for a verdict.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from costkit import render
from costkit.errors import CostkitError, ExitCode
from costkit.estimate import Estimate, estimate
from costkit.period import Period
from costkit.tables import coverage, load_pricebook

app = typer.Typer(
    name="costkit",
    help="Estimate and optimise the monthly AWS cost of CodePipeline CI/CD estates.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)
PricingDirOption = Annotated[
    Path | None,
    typer.Option(metavar="DIR", help="Price tables to use instead of the bundled ones (see costkit pricing refresh)."),
]
TABLE_WIDTH = 150  # when stdout is not a terminal (pipes, CI logs), do not squeeze to 80 columns


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class Scope(StrEnum):
    account = "account"
    organization = "organization"


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn CostkitError into one clear line on stderr and its documented exit code."""
    try:
        yield
    except CostkitError as exc:
        stderr.print(f"[bold red]costkit: error:[/bold red] {exc.message}", markup=True)
        if exc.hint:
            stderr.print(f"  hint: {exc.hint}")
        raise typer.Exit(int(exc.exit_code)) from None


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CostkitError(f"--output {output}: cannot write ({exc.strerror})") from None
    stderr.print(f"wrote {output}")


def _stdout_console(*, record: bool = False) -> Console:
    """A console for data: to stdout, or to memory when recording for --output; wide when not a terminal."""
    console = Console(highlight=False, record=record, file=io.StringIO() if record else None)
    if not console.is_terminal and console.width < TABLE_WIDTH:
        console.width = TABLE_WIDTH
    return console


def _render(result: Estimate, fmt: OutputFormat, output: Path | None) -> None:
    if fmt is OutputFormat.json:
        _emit(result.to_json() + "\n", output)
    elif fmt is OutputFormat.csv:
        _emit(render.csv(result), output)
    elif fmt is OutputFormat.markdown:
        _emit(render.markdown(result), output)
    else:
        console = _stdout_console(record=output is not None)
        render.table(result, console)
        if output is not None:
            _emit(console.export_text(), output)


def _verdict(result: Estimate, budget: float | None, strict: bool) -> None:
    """Budget gate for CI: exit 3 over budget, 4 when missing prices make the verdict impossible."""
    total = render.money(result.total)
    if budget is not None and result.total > budget:
        stderr.print(
            f"costkit: over budget: estimate {total} per month exceeds the budget {render.money(budget)} "
            f"by {render.money(result.total - budget)}"
        )
        raise typer.Exit(int(ExitCode.OVER_BUDGET))
    if (budget is not None or strict) and not result.complete:
        stderr.print(
            f"costkit: incomplete estimate: {len(result.missing_prices)} line(s) have no price, so "
            f"{total} is only a lower bound; add prices or use --fallback-region"
        )
        raise typer.Exit(int(ExitCode.INCOMPLETE))
    if budget is not None:
        stderr.print(f"costkit: within budget: {total} of {render.money(budget)} per month")


@app.command("estimate")
def estimate_command(
    usage: Annotated[
        Path,
        typer.Option(
            "--usage",
            "-u",
            metavar="FILE",
            help="Usage file (YAML, version 1) describing monthly usage; see examples/.",
        ),
    ],
    fmt: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="Output format: a table for people, or json/csv/markdown."),
    ] = OutputFormat.table,
    free_tier: Annotated[
        bool | None,
        typer.Option(
            "--free-tier/--no-free-tier", help="Apply always-free allowances (default: the file's free_tier)."
        ),
    ] = None,
    free_tier_scope: Annotated[
        Scope, typer.Option(help="Apply free tiers once per account, or once for the whole organization.")
    ] = Scope.account,
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
    month: Annotated[
        str | None, typer.Option(metavar="YYYY-MM", help="The month to estimate (default: the current month).")
    ] = None,
    budget: Annotated[
        float | None,
        typer.Option(
            metavar="USD", help="Monthly budget in USD: exit 3 when the estimate exceeds it (CI gates).", min=0
        ),
    ] = None,
    strict: Annotated[bool, typer.Option(help="Exit 4 when any price is missing.")] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write to this file instead of stdout.")
    ] = None,
    pricing_dir: PricingDirOption = None,
) -> None:
    """Estimate the monthly cost of a usage file (no AWS account needed).

    Exit codes: 0 ok, 2 bad input, 3 over --budget, 4 incomplete estimate (with --budget or --strict).
    """
    with user_errors():
        period = Period.parse_month(month) if month else None
        result = estimate(
            usage,
            period=period,
            free_tier=free_tier,
            free_tier_scope=free_tier_scope.value,
            region=region,
            fallback_region=fallback_region,
            pricebook=load_pricebook(pricing_dir) if pricing_dir else None,
        )
        _render(result, fmt, output)
        _verdict(result, budget, strict)


pricing_app = typer.Typer(help="Inspect and refresh the price tables.", no_args_is_help=True)
app.add_typer(pricing_app, name="pricing")


@pricing_app.command("coverage")
def pricing_coverage(
    region: Annotated[
        str | None, typer.Option(metavar="REGION", help="List every usage type in this region, priced or not.")
    ] = None,
    pricing_dir: PricingDirOption = None,
) -> None:
    """Show which regions and usage types have prices (and where they come from)."""
    with user_errors():
        book = load_pricebook(pricing_dir)
        table = coverage(book, region)
        if region is not None and region not in book.region_codes:
            raise CostkitError(f"--region {region!r} is not an AWS region costkit knows")
        render.frame_table(table.drop(columns=["priced"], errors="ignore"), _stdout_console())


@pricing_app.command("refresh")
def pricing_refresh(
    out: Annotated[Path, typer.Option(metavar="DIR", help="Write the refreshed tables here (a full copy).")],
    regions: Annotated[str, typer.Option(metavar="R1,R2", help="Regions to fetch, comma-separated.")] = "us-east-1",
    services: Annotated[
        str, typer.Option(metavar="S1,S2", help="Services: CodePipeline,CodeBuild,Lambda,S3.")
    ] = "CodePipeline,CodeBuild,Lambda,S3",
    profile: Annotated[str | None, typer.Option(help="AWS profile (standard credential chain otherwise).")] = None,
    pricing_dir: PricingDirOption = None,
) -> None:
    """Fetch current on-demand prices from the AWS Price List API into a copy of the tables.

    Needs AWS credentials (pricing:GetProducts). Use the result with --pricing-dir DIR or COSTKIT_PRICING_DIR.
    """
    with user_errors():
        from costkit.collect.aws import client, session
        from costkit.collect.price_list import SERVICE_CODES, refresh

        wanted_services = [s.strip() for s in services.split(",") if s.strip()]
        unknown = [s for s in wanted_services if s not in SERVICE_CODES]
        if unknown:
            raise CostkitError(f"--services: unknown service {unknown[0]!r}", hint=f"use {', '.join(SERVICE_CODES)}")
        book = load_pricebook(pricing_dir)
        region_list = [r.strip() for r in regions.split(",") if r.strip()]
        bad = [r for r in region_list if r not in book.region_codes]
        if bad:
            raise CostkitError(f"--regions: {bad[0]!r} is not an AWS region costkit knows")
        wanted = set(book.prices["usage_type"]) | set(book.compute_types["usage_type"])
        pricing = client(session(profile), "pricing", region="us-east-1")
        counts = refresh(pricing, wanted_services, region_list, book.directory, out, wanted=wanted)
        for service, count in counts.items():
            stderr.print(f"{service}: {count} price rows fetched for {', '.join(region_list)}")
        stderr.print(f"wrote {out}; use it with --pricing-dir {out}")


@app.callback()
def _root() -> None:
    """costkit: AWS CI/CD cost, right to the cent."""


def main() -> None:
    """Console-script entry point."""
    app()
