"""`costkit pricing`: inspect and refresh the price tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from costkit import render
from costkit.cli.options import PricingDirOption
from costkit.cli.output import stderr, stdout_console, user_errors
from costkit.errors import CostkitError
from costkit.tables import coverage, load_pricebook

pricing_app = typer.Typer(help="Inspect and refresh the price tables.", no_args_is_help=True)


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
        render.frame_table(table.drop(columns=["priced"], errors="ignore"), stdout_console())


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
