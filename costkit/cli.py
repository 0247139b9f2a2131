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
from costkit.estimate import Estimate, estimate, estimate_snapshot
from costkit.period import Period
from costkit.snapshot import Snapshot
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


class View(StrEnum):
    line = "line"
    pipeline = "pipeline"


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


def _render(result: Estimate, fmt: OutputFormat, output: Path | None, view: View = View.line) -> None:
    if fmt is OutputFormat.json:
        _emit(result.to_json() + "\n", output)
    elif fmt is OutputFormat.csv:
        _emit(render.csv(result, by_pipeline=view is View.pipeline), output)
    elif fmt is OutputFormat.markdown:
        _emit(render.markdown(result, by_pipeline=view is View.pipeline), output)
    else:
        console = _stdout_console(record=output is not None)
        render.table(result, console, by_pipeline=view is View.pipeline)
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
    if (budget is not None or strict) and result.options.get("partial_collection"):
        stderr.print(
            f"costkit: incomplete estimate: the snapshot is partial (see its manifest); {total} is a lower bound"
        )
        raise typer.Exit(int(ExitCode.INCOMPLETE))
    if budget is not None:
        stderr.print(f"costkit: within budget: {total} of {render.money(budget)} per month")


def _observed(usage: Path | None, snapshot: Path | None, profile: str | None, command: str) -> Path | Snapshot | None:
    """Check that exactly one source was given; for --profile, collect the last 30 days first.

    Returns the snapshot to price (a folder or a fresh collection), or None for a usage file."""
    given = [name for name, value in (("--usage", usage), ("--snapshot", snapshot), ("--profile", profile)) if value]
    if len(given) != 1:
        raise CostkitError(
            "give exactly one of --usage FILE, --snapshot DIR or --profile PROFILE"
            + (f" (got {', '.join(given)})" if given else ""),
            hint=f"try: costkit {command} --usage examples/mid-size-platform.yaml",
        )
    if profile is not None:
        from costkit.collect.cli_support import collect_live

        return collect_live(profile, stderr)
    return snapshot


@app.command("estimate")
def estimate_command(
    usage: Annotated[
        Path | None,
        typer.Option(
            "--usage",
            "-u",
            metavar="FILE",
            help="Usage file (YAML, version 1) describing monthly usage; see examples/.",
        ),
    ] = None,
    snapshot: Annotated[
        Path | None, typer.Option(metavar="DIR", help="Price a snapshot written by `costkit collect`.")
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(metavar="PROFILE", help="Collect the last 30 days with this AWS profile, then estimate."),
    ] = None,
    fmt: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="Output format: a table for people, or json/csv/markdown."),
    ] = OutputFormat.table,
    by: Annotated[
        View, typer.Option(help="One line per resource and usage type, or one figure per pipeline.")
    ] = View.line,
    free_tier: Annotated[
        bool | None,
        typer.Option(
            "--free-tier/--no-free-tier", help="Apply always-free allowances (default: the file's free_tier)."
        ),
    ] = None,
    free_tier_scope: Annotated[
        Scope | None,
        typer.Option(
            help="Apply free tiers once per account, or once for the whole organization "
            "(default: organization for a --org-role snapshot, else account)."
        ),
    ] = None,
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
        str | None,
        typer.Option(metavar="YYYY-MM", help="The month to estimate (default: the current month, or the snapshot's)."),
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
    """Estimate the monthly cost of a usage file, a snapshot, or a live account (--profile).

    Exit codes: 0 ok, 2 bad input, 3 over --budget, 4 incomplete estimate (with --budget or --strict).
    """
    with user_errors():
        observed = _observed(usage, snapshot, profile, "estimate")
        period = Period.parse_month(month) if month else None
        book = load_pricebook(pricing_dir) if pricing_dir else None
        if usage is not None:
            result = estimate(
                usage,
                period=period,
                free_tier=free_tier,
                free_tier_scope=(free_tier_scope or Scope.account).value,
                region=region,
                fallback_region=fallback_region,
                pricebook=book,
            )
        else:
            if region is not None:
                raise CostkitError("--region re-prices a usage file; a snapshot is priced where it ran")
            assert observed is not None
            result = estimate_snapshot(
                observed,
                period=period,
                free_tier=True if free_tier is None else free_tier,
                free_tier_scope=free_tier_scope.value if free_tier_scope else None,
                fallback_region=fallback_region,
                pricebook=book,
            )
        _render(result, fmt, output, by)
        _verdict(result, budget, strict)


@app.command("suggest")
def suggest_command(
    usage: Annotated[Path | None, typer.Option("--usage", "-u", metavar="FILE", help="A usage file.")] = None,
    snapshot: Annotated[Path | None, typer.Option(metavar="DIR", help="A snapshot from `costkit collect`.")] = None,
    profile: Annotated[
        str | None, typer.Option(metavar="PROFILE", help="Collect the last 30 days with this AWS profile first.")
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table, json or markdown (csv lists the suggestions).")
    ] = OutputFormat.table,
    month: Annotated[str | None, typer.Option(metavar="YYYY-MM", help="The month to estimate.")] = None,
    free_tier: Annotated[bool | None, typer.Option("--free-tier/--no-free-tier", help="Apply free tiers.")] = None,
    free_tier_scope: Annotated[
        Scope | None, typer.Option(help="Free tiers once per account or organization (default as for estimate).")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write to this file.")] = None,
    pricing_dir: PricingDirOption = None,
) -> None:
    """Suggest savings, each re-priced in dollars, with its evidence, confidence and the change to make."""
    with user_errors():
        from costkit.optimize import render as suggest_render
        from costkit.optimize import suggest

        observed = _observed(usage, snapshot, profile, "suggest")
        found = suggest(
            usage,
            snapshot=observed,
            period=Period.parse_month(month) if month else None,
            free_tier=free_tier,
            free_tier_scope=free_tier_scope.value if free_tier_scope else None,
            pricebook=load_pricebook(pricing_dir) if pricing_dir else None,
        )
        if fmt is OutputFormat.json:
            _emit(found.to_json() + "\n", output)
        elif fmt is OutputFormat.markdown:
            _emit(suggest_render.markdown(found), output)
        elif fmt is OutputFormat.csv:
            buffer = io.StringIO()
            found.table.to_csv(buffer, index=False, lineterminator="\n")
            _emit(buffer.getvalue(), output)
        else:
            console = _stdout_console(record=output is not None)
            suggest_render.table(found, console)
            if output is not None:
                _emit(console.export_text(), output)


@app.command("collect")
def collect_command(
    out: Annotated[Path, typer.Option(metavar="DIR", help="Write the snapshot here (replaced atomically).")] = Path(
        "costkit-snapshot"
    ),
    days: Annotated[int | None, typer.Option(help="Observe the last N days (default 30).")] = None,
    month: Annotated[
        str | None, typer.Option(metavar="YYYY-MM", help="Observe a calendar month (under way: up to now).")
    ] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile (the standard credential chain otherwise).")] = None,
    region: Annotated[str | None, typer.Option(help="Region of the session (AWS_REGION otherwise).")] = None,
    regions: Annotated[
        str | None, typer.Option(metavar="R1,R2|all", help="Regions to read (default: the session's region).")
    ] = None,
    role_arn: Annotated[
        list[str] | None, typer.Option(metavar="ARN", help="Assume this role to read another account (repeatable).")
    ] = None,
    org_role: Annotated[
        str | None, typer.Option(metavar="NAME", help="Assume role NAME in every active account of the organization.")
    ] = None,
    lambda_function: Annotated[
        list[str] | None, typer.Option(metavar="NAME", help="Also collect this Lambda function (repeatable).")
    ] = None,
    lambda_tag: Annotated[
        str | None, typer.Option(metavar="KEY", help="Also collect functions with this tag key.")
    ] = None,
    cost_explorer: Annotated[
        bool, typer.Option("--cost-explorer/--no-cost-explorer", help="Fetch actuals ($0.01 per request, cached).")
    ] = True,
    cache_dir: Annotated[Path | None, typer.Option(metavar="DIR", help="Cost Explorer answer cache.")] = None,
    demo: Annotated[bool, typer.Option(help="Collect a seeded fake account offline (needs the demo extra).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Measure a live AWS estate (read-only calls) into a snapshot that `costkit estimate --snapshot` prices.

    Exit codes: 0 complete, 2 bad input or credentials, 5 partial (a region or service failed: see the manifest).
    """
    with user_errors():
        from costkit.collect import cli_support
        from costkit.collect.run import CollectOptions
        from costkit.snapshot import write

        window = cli_support.window_from(days, month)
        cli_support.check_regions([r.strip() for r in regions.split(",") if r.strip()] if regions else None)
        options = CollectOptions(
            window=window,
            regions=[r.strip() for r in regions.split(",") if r.strip()] if regions else None,
            lambda_functions=list(lambda_function or []),
            lambda_tag=lambda_tag,
            cost_explorer=cost_explorer,
            cache_dir=cache_dir or cli_support.DEFAULT_CACHE,
        )
        if demo:
            from costkit.collect.demo import collect_demo

            snapshot = collect_demo(options, stderr, quiet=quiet)
        else:
            snapshot = cli_support.run(
                options, stderr, profile=profile, region=region, role_arns=role_arn, org_role=org_role, quiet=quiet
            )
        path = write(snapshot, out)
        cli_support.summary(snapshot, stderr)
        rows = ", ".join(f"{name} {len(frame)}" for name, frame in sorted(snapshot.tables.items()))
        stderr.print(f"wrote {path} ({rows})")
        if snapshot.partial:
            stderr.print("costkit: partial snapshot: estimates from it say so")
            raise typer.Exit(int(ExitCode.PARTIAL))


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
