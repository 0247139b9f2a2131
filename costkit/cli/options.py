"""Options and choices shared by several commands, declared once (each command module only picks them)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from costkit.errors import CostkitError


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


PricingDirOption = Annotated[
    Path | None,
    typer.Option(
        metavar="DIR",
        help="A price set (from `costkit pricing refresh`) or a folder of price tables to price with.",
    ),
]
OfflineOption = Annotated[
    bool,
    typer.Option(
        "--offline",
        help="Price with the bundled tables only, ignoring refreshed price sets in the cache.",
    ),
]
UsageOption = Annotated[
    Path | None,
    typer.Option(
        "--usage", "-u", metavar="FILE", help="Usage file (YAML, version 1) describing monthly usage; see examples/."
    ),
]
SnapshotOption = Annotated[Path | None, typer.Option(metavar="DIR", help="A snapshot written by `costkit collect`.")]
ProfileOption = Annotated[
    str | None,
    typer.Option(metavar="PROFILE", help="Collect the last 30 days with this AWS profile first."),
]
MonthOption = Annotated[
    str | None,
    typer.Option(metavar="YYYY-MM", help="The month to estimate (default: the current month, or the snapshot's)."),
]
FreeTierOption = Annotated[
    bool | None,
    typer.Option("--free-tier/--no-free-tier", help="Apply always-free allowances (default: the file's free_tier)."),
]
FreeTierScopeOption = Annotated[
    Scope | None,
    typer.Option(
        help="Apply free tiers once per account, or once for the whole organization "
        "(default: organization for a --org-role snapshot, else account)."
    ),
]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write to this file instead of stdout.")
]
WorkgroupOption = Annotated[
    str, typer.Option(metavar="W", help="Athena workgroup the queries run in (with --athena or --cur).")
]
OutputLocationOption = Annotated[
    str | None,
    typer.Option(
        metavar="S3URL",
        help="Where Athena writes query results, e.g. s3://my-athena-results/costkit/ (default: the workgroup's).",
    ),
]
CurOption = Annotated[
    str | None,
    typer.Option(
        metavar="DATABASE.TABLE",
        help="Actuals per resource from this CUR 2.0 (Data Exports) table through Athena, instead of Cost Explorer.",
    ),
]
CurPartitionedOption = Annotated[
    bool,
    typer.Option(
        "--cur-partitioned/--cur-not-partitioned",
        help="The CUR table has AWS's billing_period partition (Athena then reads only the window's months).",
    ),
]
RedactOption = Annotated[
    bool,
    typer.Option(
        "--redact",
        envvar="COSTKIT_REDACT",
        help="Mask account ids and ARNs in everything printed and written (see docs/trust-and-safety.md).",
    ),
]


def comma_list(text: str, option: str) -> list[str]:
    """The items of a comma-separated option value, in order and each once (`us-east-1,us-east-1` is one
    region, never two); an empty item (`a,,b`, `,,,`, a trailing comma) is refused."""
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise CostkitError(
            f"{option} {text!r}: has an empty item", hint=f"separate the items with single commas, e.g. {option} A,B"
        )
    return list(dict.fromkeys(items))
