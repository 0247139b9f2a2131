"""Two compute changes costkit can name but, with the shipped price tables, cannot price: CodeBuild Lambda
compute for short builds, and reserved-capacity fleets for steady, high-volume projects.

Neither rule ever invents a saving. Where a candidate exists and a price is missing, it adds a note saying so
and how to get prices (`costkit pricing refresh`); where the price book has the prices (a refreshed table),
the change is priced like any other: the usage rows are edited and re-priced.

- Lambda compute bills per second: each build's measured seconds, rounded up per build, on the smallest Lambda
  size with at least the memory of the current EC2 type. Assumes the build takes as long as on EC2.
- A fleet bills every provisioned instance-minute, busy or idle. Priced as ceil(average concurrency) instances
  for the whole month at `ReservedCapacity-Min:<env>:g1.<size>` per instance-minute (costkit's name for the
  fleet rate; not in the shipped tables), with no overflow and without the fleet's initial per-instance charge.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from costkit.billing.codebuild import billed_for, fleet_minutes, is_on_demand_minutes
from costkit.model.rows import ROW_COLUMNS
from costkit.optimize.base import MIN_SAVING_USD, Batch, Context, Suggestion, touches
from costkit.optimize.rows import as_rows, matched, matching
from costkit.optimize.runs import build_row_key, on_demand_builds

LAMBDA_RULE = "lambda-compute"
FLEET_RULE = "reserved-capacity"
LAMBDA_LIMIT_MINUTES = 15.0
LAMBDA_MAX_MINUTES = 10.0  # "well under" the limit: the longest build may take at most this long
LAMBDA_FROM = ("BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM")
LAMBDA_ENVIRONMENT = {"LINUX_CONTAINER": "LINUX_LAMBDA_CONTAINER", "ARM_CONTAINER": "ARM_LAMBDA_CONTAINER"}
LAMBDA_CONSTRAINTS = [
    f"builds must finish within {LAMBDA_LIMIT_MINUTES:g} minutes (the Lambda limit)",
    "no Docker: no docker build/run and no privileged mode",
    "only images Lambda compute supports: the curated aws/codebuild/amazonlinux-<arch>-lambda-standard images "
    "or a custom single-architecture image",
    "check the rest of the CodeBuild user guide's 'Limitations of AWS Lambda compute' (caching, VPC, file systems)",
]
FLEET_KEY = ["account", "region", "resource", "component", "usage_type"]
FLEET_MATCH = ["service", *FLEET_KEY]
FLEET_MIN_CONCURRENCY = 0.5  # billed minutes at least half the minutes in the month: one instance half busy
REFRESH = (
    "refresh the price tables from the AWS Price List API (`costkit pricing refresh`) and price with them, "
    "or add the price row to a copy of the tables"
)


def has_price(ctx: Context, region: object, usage_type: str) -> bool:
    """Whether the price book has `usage_type` in `region` (or in the estimate's fallback region)."""
    prices = ctx.pricebook.prices
    regions = {region, ctx.baseline.options.get("fallback_region")} - {None}
    return bool(((prices["usage_type"] == usage_type) & prices["region"].isin(regions)).any())


def _unpriced(ctx: Context, region: object, usage_type: str, priced: bool | None = None) -> str:
    """Why a change could not be priced: its own price is missing (`priced`: whether the price book has it, when
    already known), or the baseline already misses one."""
    if not (has_price(ctx, region, usage_type) if priced is None else priced):
        return f"costkit has no price for {usage_type} in {region}, so this cannot be priced: {REFRESH}"
    return "the estimate already misses a price (see missing prices), so no change can be re-priced"


def _lambda_target(ctx: Context, compute: str, environment: str) -> tuple[str, str] | None:
    """(compute type, usage type) of the smallest Lambda size with at least the EC2 type's memory."""
    types = ctx.pricebook.compute_types
    target_env = LAMBDA_ENVIRONMENT.get(environment)
    current = types[(types["compute_type"] == compute) & (types["environment_type"] == environment)]
    if target_env is None or current.empty or "memory_gib" not in types:
        return None
    memory = pd.to_numeric(current["memory_gib"], errors="coerce").iloc[0]
    options = types[types["environment_type"] == target_env].assign(
        gib=lambda t: pd.to_numeric(t["memory_gib"], errors="coerce")
    )
    options = options[options["gib"] >= memory].sort_values("gib")
    if pd.isna(memory) or options.empty:
        return None
    return str(options["compute_type"].iloc[0]), str(options["usage_type"].iloc[0])


def _convert(
    rows: pd.DataFrame, changes: list[tuple[dict[str, object], float]], usage_type: str, unit: str, component: str
) -> pd.DataFrame:
    """Matching rows move to another usage type and unit; quantity times the factor (rows matched by value)."""
    out = rows.copy()
    for key, factor in changes:
        hit = matching(out, key)
        out.loc[hit, "quantity"] = out.loc[hit, "quantity"].astype(float) * factor
        out.loc[hit, ["usage_type", "unit", "component"]] = [usage_type, unit, component]
        out.loc[hit, "detail"] = f"on {component}, same duration (assumed), billed per {unit.lower()}"
    return out


PLACEMENT = ["account", "region", "project", "compute_type", "environment_type"]
ROW_KEY = ["pipeline", "component", "billing_unit"]  # with the placement: one CodeBuild usage row
ROW_MATCH = ["service", "account", "region", "resource", "pipeline", "component", "unit"]  # = build_row_key


def _lambda_candidates(ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per project and small EC2 type (in the order the builds first show them): its builds, the longest in
    minutes and the seconds Lambda would bill, from its build runs (planned or observed, each weighed by
    `count`); and per candidate the usage rows it moves, with the factor minutes -> seconds (`changes`)."""
    builds = on_demand_builds(ctx)
    if builds.empty:
        return pd.DataFrame(columns=[*PLACEMENT, "longest_minutes", "builds", "billed_seconds"]), pd.DataFrame(
            columns=["candidate", *PLACEMENT[:3], *ROW_KEY, "billed", "billed_seconds", "factor"]
        )
    builds = builds[(builds["billing_unit"] == "Minute") & builds["compute_type"].isin(LAMBDA_FROM)].copy()
    ran = True if ctx.baseline.runs.planned else None  # a planned build always runs; an observed one if timed
    count = builds["count"].astype(float)
    builds["billed"] = count * builds["billed"].astype(float)
    builds["billed_seconds"] = count * billed_for(builds["seconds"], "Second", ran=ran)
    placement = builds.groupby(PLACEMENT, dropna=False, sort=False)
    builds["candidate"] = placement.ngroup().to_numpy()
    found = placement.agg(
        longest=("seconds", "max"), builds=("count", "sum"), billed_seconds=("billed_seconds", "sum")
    ).reset_index()
    found["longest_minutes"] = found.pop("longest").astype(float) / 60.0
    found["builds"] = found["builds"].astype(float)
    changes = (
        builds.groupby(["candidate", *PLACEMENT[:3], *ROW_KEY], dropna=False)[["billed", "billed_seconds"]]
        .sum()
        .reset_index()
    )
    changes = changes[changes["billed"] > 0].reset_index(drop=True)
    changes["factor"] = changes["billed_seconds"] / changes["billed"]
    return found, changes


def _lambda_batch(rows: pd.DataFrame, found: pd.DataFrame, changes: pd.DataFrame, chosen: np.ndarray) -> Batch:
    """The `chosen` candidates' rows as `_convert` moves them: quantity times the factor, the Lambda usage type,
    billed per second (candidate i = row i of `found`)."""
    keys = changes[chosen[changes["candidate"].to_numpy(dtype=np.int64)]]
    keys = keys.rename(columns={"project": "resource", "billing_unit": "unit"}).assign(service="CodeBuild")
    position, key = matched(rows, keys, ROW_MATCH)
    number = keys["candidate"].to_numpy(dtype=np.int64)[key] if len(key) else np.zeros(0, dtype=np.int64)
    component = found["component"].to_numpy(dtype=object)[number]
    moved = rows.iloc[position].assign(
        quantity=rows["quantity"].astype("float64").to_numpy()[position] * keys["factor"].to_numpy()[key],
        usage_type=found["usage_type"].to_numpy(dtype=object)[number],
        unit="Second",
        component=component,
        detail=[f"on {name}, same duration (assumed), billed per second" for name in component],
    )
    return Batch(len(found), position, number, as_rows(moved), number)


def _without(batch: Batch, left_out: np.ndarray) -> Batch:
    """`batch` with the `left_out` candidates' rows taken out (they keep their numbers and save nothing)."""
    removed, added = ~left_out[batch.removed_by], ~left_out[batch.added_by]
    rows = batch.added[added].reset_index(drop=True)
    return Batch(batch.size, batch.removed[removed], batch.removed_by[removed], rows, batch.added_by[added])


def lambda_compute(ctx: Context) -> list[Suggestion]:
    """Short builds on small EC2 types -> CodeBuild Lambda compute, priced only where the price book can."""
    if ctx.rows.empty:
        return []
    found, changes = _lambda_candidates(ctx)
    keys: dict[int, list[tuple[dict[str, object], float]]] = {}
    for change in changes.to_dict("records"):
        keys.setdefault(int(change["candidate"]), []).append((build_row_key(change), float(change["factor"])))
    pairs = {(str(compute), str(environment)) for compute, environment in zip(
        found["compute_type"], found["environment_type"], strict=True)}  # fmt: skip
    targets = {pair: _lambda_target(ctx, *pair) for pair in pairs}  # a few compute types, not one per project
    target = [targets[(str(c), str(e))] for c, e in zip(found["compute_type"], found["environment_type"], strict=True)]
    found["lambda_type"] = [None if t is None else t[0] for t in target]
    found["usage_type"] = [None if t is None else t[1] for t in target]
    found["component"] = [
        None if t is None else f"{t[0]} / {LAMBDA_ENVIRONMENT[str(e)]}"
        for t, e in zip(target, found["environment_type"], strict=True)
    ]
    found["moves"] = np.bincount(changes["candidate"], minlength=len(found)) if len(changes) else 0
    chosen = (found["longest_minutes"] <= LAMBDA_MAX_MINUTES) & (found["moves"] > 0) & found["usage_type"].notna()
    batch = _lambda_batch(ctx.rows, found, changes, chosen.to_numpy(dtype=bool))
    # A candidate moving billed minutes onto a usage type the price book has no price for cannot be priced:
    # known without re-pricing it (the shipped tables have no Lambda-compute prices at all).
    known: dict[tuple[str, str], bool] = {}  # (region, usage type) -> has a price: a few pairs, each looked up once

    def priced_at(region: object, usage_type: object) -> bool:
        pair = (str(region), str(usage_type))
        if pair not in known:
            known[pair] = has_price(ctx, region, str(usage_type))
        return known[pair]

    priced = np.array([priced_at(*pair) for pair in zip(found["region"], found["usage_type"], strict=True)], dtype=bool)
    moved = np.bincount(batch.added_by, batch.added["quantity"].to_numpy(), len(found)) > 0
    unpriceable = ~priced & moved
    savings = np.where(unpriceable, np.nan, ctx.savings(_without(batch, unpriceable)))
    suggestions: list[Suggestion] = []
    for number, item in enumerate(found.to_dict("records")):
        if not chosen.iloc[number]:
            continue
        project, account, region = str(item["project"]), item["account"], item["region"]
        compute, environment = str(item["compute_type"]), str(item["environment_type"])
        item["changes"] = keys.get(number, [])
        lambda_type, usage_type, component = str(item["lambda_type"]), str(item["usage_type"]), str(item["component"])

        @touches(*(key for key, _factor in item["changes"]))
        def to_lambda(
            r: pd.DataFrame,
            changes: list[tuple[dict[str, object], float]] = item["changes"],
            usage_type: str = usage_type,
            component: str = component,
        ) -> pd.DataFrame:
            return _convert(r, changes, usage_type, "Second", component)

        saving = float(savings[number])
        constraints = "; ".join(LAMBDA_CONSTRAINTS)
        if np.isnan(saving):
            ctx.notes.append(
                f"{project}: builds of at most {item['longest_minutes']:.1f} min on {compute} could run on CodeBuild "
                f"Lambda compute ({lambda_type}, billed per second), but "
                f"{_unpriced(ctx, region, usage_type, bool(priced[number]))}. "
                f"Constraints: {constraints}."
            )
            continue
        if saving <= MIN_SAVING_USD:
            ctx.notes.append(f"{project}: priced on Lambda compute ({lambda_type}) it would not cost less")
            continue
        suggestions.append(
            Suggestion(
                id=f"{LAMBDA_RULE}-{account}-{region}-{project}",
                rule=LAMBDA_RULE,
                title=f"Run CodeBuild project {project} on Lambda compute ({lambda_type})",
                resources=[project],
                monthly_saving_usd=saving,
                confidence="low",
                confidence_reason=(
                    "assumes each build takes as long on Lambda as on EC2 (Lambda starts faster, but its CPU share "
                    f"follows memory); costkit cannot see whether the build meets the constraints: {constraints}"
                ),
                evidence={
                    "compute_type": compute,
                    "suggested_compute_type": lambda_type,
                    "builds": item["builds"],
                    "longest_build_minutes": item["longest_minutes"],
                    "billed_seconds": item["billed_seconds"],
                    "billing": "per second, each build's measured seconds rounded up",
                    "constraints": LAMBDA_CONSTRAINTS,
                    "price_source": "price book (not in the shipped tables)",
                },
                change={
                    "console": f"CodeBuild > project > Edit > Environment: Compute Lambda, {lambda_type}, "
                    "a Lambda image for your runtime",
                    "cli": f"aws codebuild update-project --name {project} --environment "
                    f"type={LAMBDA_ENVIRONMENT[environment]},computeType={lambda_type},image=<lambda image>",
                    "cloudformation": "AWS::CodeBuild::Project  Environment: "
                    f"{{Type: {LAMBDA_ENVIRONMENT[environment]}, ComputeType: {lambda_type}, Image: <lambda image>}}",
                    "terraform": f'environment {{ type = "{LAMBDA_ENVIRONMENT[environment]}"  '
                    f'compute_type = "{lambda_type}"  image = "<lambda image>" }}',
                },
                exclusive=f"build-compute:{account}:{region}:{project}",
                usage_patch=[
                    {"op": "set", "path": f"codebuild.{project}.compute_type", "value": lambda_type},
                    {
                        "op": "set",
                        "path": f"codebuild.{project}.environment_type",
                        "value": LAMBDA_ENVIRONMENT[environment],
                    },
                ],
                transform=to_lambda,
                priced_in=(batch, number),
            )
        )
    return suggestions


def _fleet(item: dict[Any, Any], month_minutes: float) -> tuple[dict[str, object], dict[str, Any], int]:
    """The usage-row key of a fleet candidate's on-demand rows, the fleet's one row replacing them, its size."""
    account, region, project, component, usage_type = (item[column] for column in FLEET_KEY)
    capacity = max(1, math.ceil(float(item["concurrency"])))
    key = {"service": "CodeBuild", "account": account, "region": region, "resource": project,
           "component": component, "usage_type": usage_type}  # fmt: skip
    row = {**key, "component": f"fleet of {capacity} x {component}",
           "pipeline": item["pipeline"] if item["pipelines"] == 1 else None,
           "usage_type": fleet_minutes(str(usage_type)), "quantity": capacity * month_minutes, "unit": "Minute",
           "detail": f"{capacity} instance(s) x {month_minutes:,.0f} min, busy or idle"}  # fmt: skip
    return key, row, capacity


def reserved_capacity(ctx: Context) -> list[Suggestion]:
    """Steady, high-volume on-demand projects -> a reserved-capacity fleet, priced only where the price book can."""
    rows = ctx.rows
    if rows.empty:
        return []
    on_demand = rows[
        (rows["service"] == "CodeBuild") & (rows["unit"] == "Minute") & is_on_demand_minutes(rows["usage_type"])
    ]
    month_minutes = ctx.baseline.period.days * 1440.0
    found = on_demand.groupby(FLEET_KEY).agg(
        billed=("quantity", "sum"), pipelines=("pipeline", "nunique"), pipeline=("pipeline", "first")
    )
    found["concurrency"] = found["billed"] / month_minutes if month_minutes > 0 else 0.0
    found = found[found["concurrency"] >= FLEET_MIN_CONCURRENCY].reset_index()
    fleets = [_fleet(item, month_minutes) for item in found.to_dict("records")]
    keys = pd.DataFrame([key for key, _row, _capacity in fleets], columns=FLEET_MATCH)
    position, number = matched(rows, keys, FLEET_MATCH)
    added = pd.DataFrame([row for _key, row, _capacity in fleets], columns=list(ROW_COLUMNS))
    batch = Batch(len(fleets), position, number, as_rows(added), np.arange(len(fleets)))
    savings = ctx.savings(batch)
    suggestions: list[Suggestion] = []
    for index, (item, (key, fleet_row, capacity)) in enumerate(zip(found.to_dict("records"), fleets, strict=True)):
        project, region, component = item["resource"], item["region"], item["component"]
        account, billed, concurrency = item["account"], float(item["billed"]), float(item["concurrency"])
        fleet_type = str(fleet_row["usage_type"])

        @touches(key)
        def to_fleet(r: pd.DataFrame, key: dict[str, object] = key, row: dict[str, Any] = fleet_row) -> pd.DataFrame:
            kept = r[~matching(r, key)]
            added = pd.DataFrame([{name: row.get(name) for name in r.columns}], columns=r.columns)
            added["quantity"] = added["quantity"].astype("float64")
            return pd.concat([kept, added], ignore_index=True)

        saving = float(savings[index])
        busy = f"{billed:,.0f} billed min a month = {concurrency:.2f} builds running on average"
        if np.isnan(saving):
            ctx.notes.append(
                f"{project}: {busy} on {component}; a reserved-capacity fleet of {capacity} instance(s) might cost "
                f"less, but {_unpriced(ctx, region, fleet_type)}. A fleet bills every provisioned minute, busy or "
                "idle, plus an initial charge per instance; overflow builds bill on demand."
            )
            continue
        if saving <= MIN_SAVING_USD:
            continue
        suggestions.append(
            Suggestion(
                id=f"{FLEET_RULE}-{account}-{region}-{project}",
                rule=FLEET_RULE,
                title=f"Run CodeBuild project {project} on a reserved-capacity fleet of {capacity}",
                resources=[str(project)],
                monthly_saving_usd=saving,
                confidence="low",
                confidence_reason=(
                    f"{busy}; priced as {capacity} instance(s) provisioned all month with no overflow (builds that "
                    "arrive while every instance is busy queue or run on demand, billed on top) and without the "
                    "fleet's initial per-instance charge; peak concurrency and steadiness are not modelled"
                ),
                evidence={
                    "billed_minutes": billed,
                    "average_concurrency": concurrency,
                    "fleet_capacity": capacity,
                    "fleet_usage_type": fleet_type,
                    "month_minutes": month_minutes,
                },
                change={
                    "console": "CodeBuild > Compute fleets > Create fleet (capacity "
                    f"{capacity}, overflow on demand); project > Edit > Environment: Reserved capacity, that fleet",
                    "cli": f"aws codebuild create-fleet --name {project}-fleet --base-capacity {capacity} "
                    "--environment-type <type> --compute-type <type> --overflow-behavior ON_DEMAND; "
                    f"aws codebuild update-project --name {project} --environment fleet={{fleetArn=<arn>}},...",
                    "cloudformation": f"AWS::CodeBuild::Fleet  BaseCapacity: {capacity}; "
                    "AWS::CodeBuild::Project  Environment: {Fleet: {FleetArn: !GetAtt Fleet.Arn}}",
                    "terraform": f'resource "aws_codebuild_fleet" {{ base_capacity = {capacity} }}; '
                    "environment { fleet { fleet_arn = aws_codebuild_fleet.x.arn } }",
                },
                exclusive=f"build-compute:{account}:{region}:{project}",
                transform=to_fleet,
                priced_in=(batch, index),
            )
        )
    return suggestions


def rule(ctx: Context) -> list[Suggestion]:
    """Both: Lambda compute for short builds, reserved-capacity fleets for steady high-volume projects."""
    return lambda_compute(ctx) + reserved_capacity(ctx)
