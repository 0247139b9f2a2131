"""`costkit pricing`: inspect, refresh and compare price sets."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from costkit.cli.options import OfflineOption, PricingDirOption, comma_list
from costkit.cli.output import emit_table, stderr, user_errors
from costkit.errors import CostkitError
from costkit.present import estimate as render
from costkit.present.escape import visible
from costkit.pricing import current_pricebook
from costkit.tables import SERVICES, coverage, load_pricebook

if TYPE_CHECKING:  # the refresh modules load the HTTP stack: imported when a refresh runs
    from costkit.pricing.refresh import RefreshResult

pricing_app = typer.Typer(help="Inspect, refresh and compare price sets.", no_args_is_help=True)


class Source(StrEnum):
    bulk = "bulk"
    api = "api"


class FileFormat(StrEnum):
    json = "json"
    csv = "csv"


@pricing_app.command("coverage")
def pricing_coverage(
    region: Annotated[
        str | None, typer.Option(metavar="REGION", help="List every usage type in this region, priced or not.")
    ] = None,
    pricing_dir: PricingDirOption = None,
    offline: OfflineOption = False,
) -> None:
    """Show which regions and usage types have prices (and where they come from)."""
    with user_errors():
        book = current_pricebook(pricing_dir, offline=offline)
        table = coverage(book, region)
        if region is not None and region not in book.region_codes:
            raise CostkitError(f"--region {region!r} is not an AWS region costkit knows")
        emit_table(lambda console: render.frame_table(table.drop(columns=["priced"], errors="ignore"), console), None)


def _list(value: str, option: str, allowed: frozenset[str] | tuple[str, ...], what: str) -> list[str]:
    items = comma_list(value, option)  # each once; an empty item is refused
    bad = [item for item in items if item not in allowed]
    if bad or not items:
        raise CostkitError(
            f"{option}: unknown {what} {bad[0]!r}" if bad else f"{option} is empty",
            hint=f"use {', '.join(sorted(allowed))}"
            if len(allowed) < 10
            else "regions are listed in pricing/regions.csv",
        )
    return items


@pricing_app.command("refresh")
def pricing_refresh(
    regions: Annotated[
        str | None, typer.Option(metavar="R1,R2", help="Regions to refresh, comma-separated (default us-east-1).")
    ] = None,
    all_regions: Annotated[bool, typer.Option("--all", help="Every region AWS publishes prices for.")] = False,
    services: Annotated[
        str, typer.Option(metavar="S1,S2", help="Services: CodePipeline,CodeBuild,Lambda,S3.")
    ] = "CodePipeline,CodeBuild,Lambda,S3",
    index_url: Annotated[
        str | None, typer.Option(metavar="URL", help="The Price List service index (default: AWS's public one).")
    ] = None,
    source: Annotated[
        Source, typer.Option(help="bulk: AWS's public price files, no account; api: GetProducts, needs credentials.")
    ] = Source.bulk,
    file_format: Annotated[FileFormat, typer.Option("--file-format", help="Read the JSON or the CSV offer files.")] = (
        FileFormat.json
    ),
    timeout: Annotated[
        float, typer.Option(metavar="SECONDS", help="Network timeout per read (--source api: per call).", min=0.1)
    ] = 60.0,
    profile: Annotated[str | None, typer.Option(help="AWS profile for --source api.")] = None,
    out: Annotated[
        Path | None, typer.Option(metavar="DIR", help="Keep price sets under DIR instead of the user cache.")
    ] = None,
) -> None:
    """Refresh prices into a new dated price set, used by every estimate from then on.

    The default source is AWS's public Price List bulk files: no AWS account or credentials needed. A failed
    or interrupted refresh writes nothing: the previous price set stays in use.
    """
    with user_errors():
        from costkit.pricing.bulk import DEFAULT_INDEX_URL, HttpSettings
        from costkit.pricing.refresh import refresh, write_refreshed

        book = load_pricebook()
        wanted = _list(services, "--services", SERVICES, "service")
        if all_regions and regions:
            raise CostkitError("give --regions or --all, not both")
        region_list = (
            None
            if all_regions
            else _list("us-east-1" if regions is None else regions, "--regions", book.region_codes, "region")
        )
        if source is Source.api:
            from costkit.cli.collect_support import aws_calls
            from costkit.collect.aws import client, session
            from costkit.collect.price_list import fetch_offers

            if region_list is None:
                raise CostkitError("--all reads the bulk files; with --source api name the --regions")
            with aws_calls(stderr, timeout):  # a time limit per call; an unreachable endpoint is one clear message
                pricing = client(session(profile), "pricing", region="us-east-1")
                offers = fetch_offers(pricing, wanted, region_list)
            result = write_refreshed(offers, {"source": "api"}, out)
        else:
            from costkit.pricing.bulk import BulkFileError

            settings = HttpSettings(read_timeout=timeout, connect_timeout=min(timeout, 10.0))
            try:
                result = refresh(
                    wanted,
                    region_list,
                    index_url=index_url or DEFAULT_INDEX_URL,
                    settings=settings,
                    fmt=file_format.value,
                    root=out,
                )
            except BulkFileError as error:
                error.message += "; nothing was written and estimates keep the previous prices"
                raise
            result.not_offered = [
                (s, r) for s, r in result.not_offered if region_list is not None or r in book.region_codes
            ]
        _summary(result)


def _summary(result: RefreshResult) -> None:
    """What the refresh read, what it could not use, and where the set is: on stderr, never dropped."""

    def say(text: str) -> None:
        # offer files are third-party text: control characters are shown, never sent to the terminal
        stderr.print(visible(text), markup=False, highlight=False)

    for offer in result.offers:
        say(
            f"{offer.service} {offer.region}: {len(offer.rows)} price rows from offer version {offer.version} "
            f"(published {offer.publication_date})",
        )
        if offer.unknown_usage_types:
            shown = ", ".join(offer.unknown_usage_types[:8])
            more = len(offer.unknown_usage_types) - 8
            say(
                f"  {len(offer.unknown_usage_types)} usage type(s) costkit does not price: {shown}"
                + (f" and {more} more (listed in the set's price-set.json)" if more > 0 else "")
            )
        for problem in offer.problems:
            say(f"  not used: {problem}")
    for service, region in result.not_offered:
        stderr.print(f"{service} is not offered in {region} (AWS publishes no prices for it there)", markup=False)
    if result.set_path is None:
        stderr.print("no prices were read: no price set written; estimates keep using the previous prices")
        return
    if result.carried_rows:
        stderr.print(f"{result.carried_rows} rows for other regions carried over from the previous price set")
    stderr.print(
        f"wrote price set {result.set_path}; estimates now use it (--offline for the bundled tables)",
        markup=False,
        highlight=False,
    )


@pricing_app.command("show")
def pricing_show(
    service: Annotated[str, typer.Option(metavar="SERVICE", help="CodePipeline, CodeBuild, Lambda or S3.")],
    region: Annotated[str, typer.Option(metavar="REGION", help="An AWS region, e.g. eu-west-1.")],
    pricing_dir: PricingDirOption = None,
    offline: OfflineOption = False,
) -> None:
    """Show the prices an estimate would use for one service in one region, and which set each comes from."""
    with user_errors():
        book = current_pricebook(pricing_dir, offline=offline)
        _list(service, "--service", SERVICES, "service")
        _list(region, "--region", book.region_codes, "region")
        prices = book.prices
        rows = prices[(prices["service"] == service) & (prices["region"] == region)]
        if rows.empty:
            stderr.print(
                f"no {service} prices for {region}; `costkit pricing refresh --regions {region}` fetches them "
                "from AWS's public price list (no AWS account needed)",
                markup=False,
            )
            raise typer.Exit(4)
        columns = ["usage_type", "unit", "tier_start", "tier_end", "price_usd", "effective_date", "price_set"]
        columns += ["price_version", "price_date"]
        shown = rows.sort_values(["usage_type", "tier_start"])[columns]
        emit_table(lambda console: render.frame_table(shown, console), None)


@pricing_app.command("diff")
def pricing_diff(
    a: Annotated[str, typer.Argument(help="`bundled`, `newest`, a set name from the cache, or a folder.")],
    b: Annotated[str, typer.Argument(help="The same kinds as A.")] = "newest",
) -> None:
    """Show prices changed, added and removed from A to B, over the service-region pairs B covers."""
    with user_errors():
        from costkit.pricing.diff import diff, only_in_one
        from costkit.pricing.sets import resolve

        label_a, prices_a = resolve(a)
        label_b, prices_b = resolve(b)
        table = diff(prices_a, prices_b)
        stderr.print(f"from {label_a} to {label_b}: {len(table)} price(s) differ", markup=False, highlight=False)
        only_a, _ = only_in_one(prices_a, prices_b)
        if only_a:
            stderr.print(f"not compared: {len(only_a)} service-region pair(s) that only A covers", markup=False)
        emit_table(lambda console: render.frame_table(table, console), None)
