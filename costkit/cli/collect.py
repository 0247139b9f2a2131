"""`costkit collect`: measure a live (or the demo) AWS estate into a snapshot."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from costkit.cli.options import (
    CurOption,
    CurPartitionedOption,
    OutputLocationOption,
    RedactOption,
    WorkgroupOption,
    comma_list,
)
from costkit.cli.output import messages, stderr, user_errors
from costkit.errors import CostkitError, ExitCode


def collect_command(
    out: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="Write the snapshot here: a new or empty folder, or a snapshot costkit wrote (replaced atomically). "
            "Default: costkit-snapshot.",
        ),
    ] = None,
    history: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="Store each month under DIR/YYYY-MM/ (the history `costkit report` reads); a month that was closed "
            "when collected is reused, not collected again.",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(metavar="YYYY-MM", help="With --history: every month from this one to --month (or this month)."),
    ] = None,
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
    cur: CurOption = None,
    workgroup: WorkgroupOption = "primary",
    output_location: OutputLocationOption = None,
    cur_partitioned: CurPartitionedOption = False,
    max_concurrency: Annotated[
        int | None,
        typer.Option(min=1, metavar="N", help="API calls in flight at once, across regions and services (default 32)."),
    ] = None,
    demo: Annotated[bool, typer.Option(help="Collect a seeded fake account offline (needs the demo extra).")] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            metavar="SECONDS",
            help="Give up on an AWS call that has no answer after this long, retries included "
            "(default: COSTKIT_TIMEOUT, else 120).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    redact: RedactOption = False,
) -> None:
    """Measure a live AWS estate (read-only calls) into a snapshot that `costkit estimate --snapshot` prices.

    Exit codes: 0 complete, 2 bad input or credentials, 5 partial (a region or service failed: see the manifest).
    """
    with user_errors(redact=redact):
        from costkit.cli import collect_support
        from costkit.collect.aws import limits
        from costkit.collect.run import CollectOptions
        from costkit.sources.snapshot.folder import check_target, write
        from costkit.sources.snapshot.history import CACHE_FOLDER

        if history is not None:
            if out is not None or days is not None:
                raise CostkitError("--history stores whole months: give it without --out and --days")
            targets, reused = collect_support.history_months(history, since, month)
            for folder in reused:
                stderr.print(f"{messages.text(folder.name)}: closed when collected, reused ({messages.text(folder)})")
        else:
            if since is not None:
                raise CostkitError("--since fills a history: give --history DIR too")
            targets = [(collect_support.window_from(days, month), out or Path("costkit-snapshot"))]
        for _window, target in targets:
            check_target(target)  # before collecting: a refused folder should not cost a whole collection
        if timeout is not None and not (math.isfinite(timeout) and timeout > 0):
            raise CostkitError(
                f"--timeout {timeout:g}: must be a positive number of seconds", hint="e.g. --timeout 120"
            )
        limits(timeout)  # COSTKIT_TIMEOUT, AWS_MAX_ATTEMPTS and AWS_RETRY_MODE checked before collecting too
        wanted = comma_list(regions, "--regions") if regions is not None else None
        collect_support.check_regions(wanted)
        collect_support.check_org_role(org_role)
        role_arns = collect_support.check_role_arns(role_arn or []) or None
        cache = cache_dir or (history / CACHE_FOLDER if history is not None else collect_support.DEFAULT_CACHE)
        partial = False
        for window, target in targets:
            options = CollectOptions(
                window=window,
                regions=wanted,
                lambda_functions=list(dict.fromkeys(lambda_function or [])),
                lambda_tag=lambda_tag,
                cost_explorer=cost_explorer,
                cache_dir=cache,
            )
            if max_concurrency is not None:
                options.max_concurrency = max_concurrency
            if cur is not None:
                options.cur = collect_support.cur_table(cur, workgroup, output_location, cur_partitioned, region)
            if demo:
                from costkit.cli.demo import collect_demo

                snapshot = collect_demo(options, stderr, quiet=quiet)
            else:
                snapshot = collect_support.run(
                    options,
                    stderr,
                    profile=profile,
                    region=region,
                    role_arns=role_arns,
                    org_role=org_role,
                    quiet=quiet,
                    timeout=timeout,
                    redact=redact,
                )
            path = write(snapshot, target)
            collect_support.summary(snapshot, stderr, redact=redact)
            rows = ", ".join(f"{name} {len(frame)}" for name, frame in sorted(snapshot.tables.items()))
            stderr.print(f"wrote {messages.text(path)} ({rows})")
            partial = partial or snapshot.partial
        if partial:
            stderr.print("costkit: partial snapshot: estimates from it say so")
            raise typer.Exit(int(ExitCode.PARTIAL))
