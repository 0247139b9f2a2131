"""Run the collectors over accounts and regions in parallel and assemble one snapshot.

A region or service that fails (AccessDenied, opt-in region, missing endpoint) is recorded in the
manifest with its reason and the rest is still collected: a silent gap would corrupt a cost total,
so the snapshot says it is partial.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import boto3
import botocore.session
import pandas as pd
from botocore.exceptions import BotoCoreError, ClientError

from costkit import __version__
from costkit.collect import codebuild, codepipeline, cost_explorer, cur, lambda_functions, s3_buckets, tagging
from costkit.collect.aws import client as make_client
from costkit.collect.context import (
    DEFAULT_MAX_CONCURRENCY,
    CallLog,
    PartialCollection,
    ReadOnlyViolation,
    RegionContext,
    Window,
    fan_out,
    guard,
)
from costkit.errors import CostkitError
from costkit.sources.snapshot.folder import Snapshot


class Progress(Protocol):
    """Where the collection reports progress (a bar on stderr in the CLI; nothing when quiet)."""

    def start(self, total: int) -> None: ...

    def advance(self, message: str) -> None: ...


class Silent:
    def start(self, total: int) -> None:
        return None

    def advance(self, message: str) -> None:
        return None


@dataclass(frozen=True)
class Target:
    """One account to read, through a session whose credentials reach it."""

    account_id: str
    session: boto3.Session
    via: str = "current credentials"


@dataclass
class CollectOptions:
    window: Window
    regions: list[str] | None = None  # None: the session's region; ["all"]: every enabled CodePipeline region
    lambda_functions: list[str] = field(default_factory=list)
    lambda_tag: str | None = None
    cost_explorer: bool = True
    cache_dir: Path | None = None
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY  # API calls in flight at once, across accounts and regions
    cur: cur.CurTable | None = None  # actuals from this CUR 2.0 table through Athena, instead of Cost Explorer


def _failure(account: str, region: str, service: str, error: BaseException) -> dict[str, str]:
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "ClientError")
        message = error.response.get("Error", {}).get("Message", str(error))
    else:
        code, message = type(error).__name__, str(error)
    return {"account": account, "region": region, "service": service, "error": code, "message": message}


def targets(
    base: boto3.Session,
    log: CallLog,
    role_arns: list[str] | None = None,
    org_role: str | None = None,
    failures: list[dict[str, str]] | None = None,
) -> list[Target]:
    """The accounts to read: the caller's own, or each assumed role, or every active organization account.

    A role that cannot be assumed is recorded in `failures` (the account is missing from the snapshot,
    which says so); the others are still read.
    """
    sts = guard(log, make_client(base, "sts"))
    if not role_arns and not org_role:
        return [Target(sts.get_caller_identity()["Account"], base)]
    arns = list(role_arns or [])
    if org_role:
        organizations = guard(log, make_client(base, "organizations"))
        for page in organizations.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 20}):
            arns += [
                f"arn:aws:iam::{account['Id']}:role/{org_role}"
                for account in page["Accounts"]
                if account.get("Status", "ACTIVE") == "ACTIVE"
            ]

    def assume(arn: str) -> dict[str, Any] | ClientError | BotoCoreError:
        try:
            credentials: dict[str, Any] = sts.assume_role(RoleArn=arn, RoleSessionName="costkit-collect")["Credentials"]
        except (ClientError, BotoCoreError) as error:  # refused, or no answer in time: that account is missing
            return error
        return credentials

    found = []
    # The roles are assumed side by side (an organisation has hundreds); results stay in the accounts' order.
    for arn, answer in zip(arns, fan_out(log.max_concurrency, assume, arns), strict=True):
        if isinstance(answer, ClientError | BotoCoreError):
            if failures is None:
                raise answer
            failures.append(_failure(arn.split(":")[4], "global", "sts:AssumeRole", answer))
            continue
        session = assumed_session(base, answer)
        # Whatever the base session was set up with (the offline demo's answers) carries over.
        prepare = getattr(base, "costkit_prepare", None)
        if prepare is not None:
            prepare(session)
        found.append(Target(arn.split(":")[4], session, via=arn))
    return found


def assumed_session(base: boto3.Session, credentials: dict[str, Any]) -> boto3.Session:
    """A session with an assumed role's credentials that shares `base`'s parsed service models: parsing them
    again (ec2's, s3's...) costs about a second of CPU per account, which an organisation pays per member."""
    core = botocore.session.get_session()
    core.register_component("data_loader", base._session.get_component("data_loader"))
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=base.region_name,
        botocore_session=core,
    )


def resolve_regions(target: Target, wanted: list[str] | None, log: CallLog) -> list[str]:
    """`all`: regions where CodePipeline exists and the account has them enabled (ec2:DescribeRegions)."""
    if not wanted:
        return [target.session.region_name or "us-east-1"]
    if wanted != ["all"]:
        return list(dict.fromkeys(wanted))  # a region named twice is read once, or its cost would count twice
    available = set(target.session.get_available_regions("codepipeline"))
    ec2 = guard(
        log,
        make_client(target.session, "ec2", region=target.session.region_name or "us-east-1", account=target.account_id),
    )
    enabled = {r["RegionName"] for r in ec2.describe_regions(AllRegions=False)["Regions"]}
    return sorted(available & enabled)


def _region_job(ctx: RegionContext, options: CollectOptions) -> tuple[dict[str, pd.DataFrame], list[dict[str, str]]]:
    """Every service in one account and region; each service that fails is recorded, not fatal."""
    tables: dict[str, pd.DataFrame] = {}
    failures: list[dict[str, str]] = []
    Step = tuple[str, Callable[[], dict[str, pd.DataFrame]]]

    def attempt(step: Step) -> tuple[dict[str, pd.DataFrame], dict[str, str] | None]:
        service, run = step
        try:
            return run(), None
        except PartialCollection as partial:
            return partial.tables, _failure(ctx.account_id, ctx.region, service, partial.error)
        except ReadOnlyViolation:
            raise  # a bug, never a partial result
        except Exception as error:  # recorded in the manifest with its reason, never silent
            return {}, _failure(ctx.account_id, ctx.region, service, error)

    def run_side_by_side(steps: list[Step]) -> None:
        """Independent services at once; their tables are merged in the steps' order, whatever finishes first."""
        for found, failure in fan_out(min(len(steps), ctx.log.max_concurrency), attempt, steps):
            tables.update(found)
            failures.extend([failure] if failure else [])

    run_side_by_side(
        [
            ("codepipeline", lambda: codepipeline.collect(ctx)),
            ("codebuild", lambda: codebuild.collect(ctx)),
            ("tagging", lambda: tagging.collect(ctx)),  # owners, for showback
        ]
    )
    # Lambda and S3 need what the pipelines and projects name.
    actions = tables.get("pipeline_actions", pd.DataFrame())
    names = sorted(set(actions["function_name"].dropna()) if "function_name" in actions else set()) + [
        n for n in options.lambda_functions if n not in set(actions.get("function_name", []))
    ]
    buckets = _artifact_buckets(tables)
    later: list[Step] = []
    if names or options.lambda_tag:
        later.append(("lambda", lambda: lambda_functions.collect(ctx, names, tag_key=options.lambda_tag)))
    if buckets:
        later.append(("s3", lambda: s3_buckets.collect(ctx, buckets)))
    run_side_by_side(later)
    return tables, failures


def _artifact_buckets(tables: dict[str, pd.DataFrame]) -> list[str]:
    pipelines = tables.get("pipelines", pd.DataFrame())
    projects = tables.get("projects", pd.DataFrame())
    found: set[str] = set()
    if "artifact_buckets" in pipelines:
        found |= {b for joined in pipelines["artifact_buckets"].dropna() for b in str(joined).split(",") if b}
    for column in ("artifact_location", "cache_location"):
        if column in projects:
            found |= {str(v).split("/")[0] for v in projects[column].dropna() if str(v)}
    return sorted(found)


def collect(
    base: boto3.Session,
    options: CollectOptions,
    *,
    role_arns: list[str] | None = None,
    org_role: str | None = None,
    progress: Progress | None = None,
) -> Snapshot:
    """Collect every target account and region into one snapshot (tables carry account and region)."""
    log = CallLog(options.max_concurrency)
    note = progress or Silent()
    failures: list[dict[str, str]] = []
    try:
        accounts = targets(base, log, role_arns, org_role, failures)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "ClientError")
        raise CostkitError(
            f"cannot list the accounts to read: {error.operation_name}: {code}",
            hint="check the credentials and that they may call sts:GetCallerIdentity and organizations:ListAccounts "
            "(docs/iam-policy.json)",
        ) from None

    def regions_of(target: Target) -> list[str] | ClientError | BotoCoreError:
        try:
            return resolve_regions(target, options.regions, log)
        except (ClientError, BotoCoreError) as error:  # one account's refusal or silence: the others are read
            return error

    jobs: list[RegionContext] = []
    # Each account's enabled regions are asked side by side too, and listed in the accounts' order.
    for target, regions in zip(accounts, fan_out(log.max_concurrency, regions_of, accounts), strict=True):
        if isinstance(regions, ClientError | BotoCoreError):
            failures.append(_failure(target.account_id, "all", "ec2:DescribeRegions", regions))
            continue
        for region in regions:
            jobs.append(RegionContext(target.account_id, region, target.session, options.window, log))
    collected: dict[str, list[pd.DataFrame]] = {}
    actual_steps = 1 if options.cur is not None else (1 if org_role else len(accounts)) if options.cost_explorer else 0
    note.start(len(jobs) + actual_steps)
    results: dict[int, tuple[dict[str, pd.DataFrame], list[dict[str, str]]]] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(log.max_concurrency, len(jobs) or 1))) as pool:
        futures = {pool.submit(_region_job, job, options): index for index, job in enumerate(jobs)}
        for future in as_completed(futures):
            index = futures[future]
            results[index] = future.result()
            note.advance(f"{jobs[index].account_id} {jobs[index].region}")
    for index, job in enumerate(jobs):  # in job order, so the same estate always gives the same snapshot
        tables, problems = results[index]
        failures += problems
        for name, frame in tables.items():
            placed = frame.assign(account=job.account_id)
            if "region" not in placed:
                placed = placed.assign(region=job.region)
            collected.setdefault(name, []).append(placed)
    ce_stats: dict[str, Any] = {"requests": 0, "cost_usd": 0.0, "cache_hits": 0}
    cur_stats: dict[str, Any] | None = None
    if options.cur is not None:
        # The CUR table holds every account's line items (an organization's export is the payer's): one query.
        try:
            actuals, cur_stats = cur.collect_table(base, options.cur, options.window, log)
            collected.setdefault("actuals", []).append(actuals)
        except Exception as error:  # recorded like any failed service: the estimate still shows, without actuals
            where = options.cur.region or base.region_name or "us-east-1"
            failures.append(_failure("caller", where, "athena:cur", error))
        note.advance("CUR actuals through Athena")
    elif options.cost_explorer:
        # With an organization, the management account's answer already holds every member's costs: ask it
        # once, grouped by linked account, rather than adding members' answers to the consolidated one.
        asked = (
            [Target(guard(log, make_client(base, "sts")).get_caller_identity()["Account"], base)]
            if org_role
            else accounts
        )
        for target in asked:
            ctx = RegionContext(target.account_id, "us-east-1", target.session, options.window, log)
            try:
                actuals, stats = cost_explorer.collect(ctx, cache_dir=options.cache_dir, linked_accounts=bool(org_role))
                collected.setdefault("actuals", []).append(
                    actuals.assign(account=actuals.get("account", target.account_id))
                )
                for key in ("requests", "cost_usd", "cache_hits"):
                    ce_stats[key] += stats.get(key, 0)
            except Exception as error:  # recorded like any failed service: the estimate still shows
                failures.append(_failure(target.account_id, "global", "ce", error))
            note.advance(f"{target.account_id} Cost Explorer")
    tables = {name: pd.concat(frames, ignore_index=True) for name, frames in collected.items()}
    manifest = {
        "costkit_version": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "window": {"start": options.window.start.isoformat(), "end": options.window.end.isoformat()},
        "accounts": [{"account": t.account_id, "via": t.via} for t in accounts],
        "regions": sorted({job.region for job in jobs}),
        "organization": bool(org_role),
        "calls": log.as_dict(),
        "throttles": log.throttles(),  # throttled attempts per operation, each retried (adaptive mode)
        "cost_explorer": ce_stats,
        **({"cur": cur_stats} if cur_stats is not None else {}),
        "failures": sorted(failures, key=lambda f: (f["account"], f["region"], f["service"])),
    }
    return Snapshot(tables=tables, manifest=manifest)
