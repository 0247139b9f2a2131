"""Turn a usage file into usage rows: one per account/region/service/resource/usage type.

Quantities are what AWS meters, with its rounding rules applied (per action execution, per build,
per request), so the pricing layer only multiplies. Each row carries `detail`, the arithmetic in words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from costkit.billing import lambda_, s3
from costkit.billing.codebuild import billed_for
from costkit.billing.codepipeline import ACTION_MINUTES, action_minutes, charged, pipeline_month
from costkit.billing.s3 import ARCHIVE_CLASSES, GB_PER_KB, MIN_SIZE_CLASSES
from costkit.billing.units import billed_units
from costkit.model.inventory import PIPELINE_COLUMNS, PROJECT_COLUMNS, Inventory, table
from costkit.model.period import Period
from costkit.model.runs import ACTION_RUN_COLUMNS, BUILD_RUN_COLUMNS, Runs
from costkit.sources.usage_file.load import Usage
from costkit.tables import PriceBook

ROW_COLUMNS = (
    "account",
    "region",
    "service",
    "resource",
    "component",
    "pipeline",
    "usage_type",
    "quantity",
    "unit",
    "meter",
    "detail",
)
# `meter`: what the row meters (a meter of pricing/usage_types.csv, e.g. `storage` or `archive-index`): rules select
# rows by it and the usage type, never by the display label in `component`.


@dataclass
class UsageRows:
    """Usage rows plus the ids of the assumptions the derivation relied on."""

    rows: pd.DataFrame
    assumptions: set[str] = field(default_factory=set)
    projection: float = 1.0  # factor from an observed window to the estimated month (1 for usage files)
    counts: dict[str, int] = field(default_factory=dict)  # data quality: e.g. stale runs clipped to their timeout
    runs: Runs = field(default_factory=Runs)  # the runs the rows sum, kept for the savings rules
    inventory: Inventory = field(default_factory=Inventory)  # the resources and their attributes


def _frame(section: dict[str, Any], defaults: dict[str, str], region_override: str | None) -> pd.DataFrame:
    """A section's resources as a DataFrame, with region/account defaults filled in."""
    records = [{"name": name, **model.model_dump(by_alias=True)} for name, model in section.items()]
    frame = pd.DataFrame.from_records(records)
    frame["region"] = frame["region"].fillna(defaults["region"]) if region_override is None else region_override
    frame["account"] = frame["account"].fillna(defaults["account"])
    return frame


def rows_for(frame: pd.DataFrame, **columns: Any) -> pd.DataFrame:
    """Usage rows for each row of `frame` (its account and region), every ROW_COLUMNS column present."""
    base = {"account": frame["account"], "region": frame["region"]}
    out = pd.DataFrame({**base, **columns}, index=frame.index)
    for name in ROW_COLUMNS:
        if name not in out:
            out[name] = None
    return out[list(ROW_COLUMNS)]


def _fmt(values: pd.Series | np.ndarray) -> pd.Series:
    """Numbers as people write them in the detail column: 1,234.5 not 1234.5000."""
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    return series.map(lambda v: f"{v:,.6g}" if abs(v) < 1e6 else f"{v:,.0f}")


def derive(usage: Usage, pricebook: PriceBook, period: Period, *, region: str | None = None) -> UsageRows:
    """All usage rows of a usage file for one monthly period."""
    spec = usage.spec
    defaults = {"region": spec.region, "account": spec.account}
    result = UsageRows(
        rows=pd.DataFrame(columns=list(ROW_COLUMNS)), assumptions={"monthly-usage-file"}, runs=Runs(planned=True)
    )
    if region is not None:
        result.assumptions.add("region-override")
    sections: list[tuple[dict[str, Any], Callable[[pd.DataFrame, UsageRows], list[pd.DataFrame]]]] = [
        (dict(spec.pipelines), lambda f, r: _pipelines(f, r, period)),
        (dict(spec.codebuild), lambda f, r: _codebuild(f, r, pricebook)),
        (dict(spec.lambda_), _lambda),
        (dict(spec.s3), _s3),
    ]
    parts: list[pd.DataFrame] = []
    for section, builder in sections:
        if section:
            parts += builder(_frame(section, defaults, region), result)
    parts = [p for p in parts if not p.empty]
    if parts:
        rows = pd.concat(parts, ignore_index=True)
        rows["quantity"] = rows["quantity"].astype("float64")
        result.rows = rows
    return result


def _pipelines(frame: pd.DataFrame, result: UsageRows, period: Period) -> list[pd.DataFrame]:
    stated = frame.rename(columns={"name": "pipeline"})
    for column, default in (("execution_mode", "SUPERSEDED"), ("triggers", False), ("variables", False)):
        stated[column] = stated[column].fillna(default) if column in stated else default  # V1 has none of them
    result.inventory.pipelines = table(stated, PIPELINE_COLUMNS)
    v1 = frame[frame["type"] == "V1"]
    parts: list[pd.DataFrame] = []
    if not v1.empty:
        result.assumptions.add("v1-active")
        created = pd.to_datetime(v1["created"])
        if created.isna().any():
            result.assumptions.add("v1-created-unknown")
        age_at_end = (pd.Timestamp(period.end) - created).dt.days
        trial = age_at_end.notna() & (age_at_end <= 30)
        active = v1["active"].astype(bool)
        usage_type = pipeline_month(trial)
        detail = np.select(
            [trial & (age_at_end <= 0), trial, ~active],
            [
                "created after the period: no charge",
                "in its first 30 days at the end of the period: free trial",
                "no code change in the month: not active, no charge",
            ],
            default="active in the month: 1 pipeline-month",
        )
        quantity = np.where(active & (age_at_end.isna() | (age_at_end > 0)), 1.0, 0.0)
        parts.append(
            rows_for(
                v1,
                service="CodePipeline",
                resource=v1["name"],
                component="pipeline (V1)",
                pipeline=v1["name"],
                usage_type=usage_type,
                quantity=quantity,
                unit="Pipeline-Month",
                meter="pipeline-month",
                detail=detail,
            )
        )
    runs = planned_actions(frame)
    result.runs.actions = runs
    v2_runs = runs[runs["v2"].astype(bool)]
    if not v2_runs.empty:
        result.assumptions |= {"v2-average-rounding", "v2-exclusions", "v2-free-minutes-pricing-page"}
        reason = np.where(
            v2_runs["category"] == "Approval",
            "manual approval: not charged",
            "custom action: not charged",
        )
        detail = np.where(
            v2_runs["charged"].astype(bool),
            _fmt(v2_runs["count"])
            + " action executions x ceil("
            + _fmt(v2_runs["seconds"] / 60.0)
            + " min) = "
            + _fmt(v2_runs["minutes"])
            + " min each",
            reason,
        )
        parts.append(
            rows_for(
                v2_runs,
                service="CodePipeline",
                resource=v2_runs["pipeline"],
                component=v2_runs["component"],
                pipeline=v2_runs["pipeline"],
                usage_type=ACTION_MINUTES,
                meter="action-minutes",
                quantity=v2_runs["count"] * v2_runs["billed"],
                unit="Minute",
                detail=detail,
            )
        )
    return parts


def planned_actions(frame: pd.DataFrame) -> pd.DataFrame:
    """One planned run per declared action of every pipeline, standing for `count` executions a month that each
    last the action's average `minutes`. V1 pipelines' actions too: `minutes` is what they would bill on V2."""
    actions = frame[["name", "account", "region", "type", "executions_per_month", "actions"]].explode("actions")
    actions = actions[actions["actions"].notna()]
    if actions.empty:
        return pd.DataFrame(columns=ACTION_RUN_COLUMNS)
    fields = pd.DataFrame(actions["actions"].tolist(), index=actions.index)
    chargeable = charged(fields["category"], fields["owner"])
    v2 = actions["type"] == "V2"
    runs = pd.DataFrame(
        {
            "account": actions["account"],
            "region": actions["region"],
            "pipeline": actions["name"],
            "action": fields["name"],
            "category": fields["category"],
            "owner": fields["owner"],
            "component": fields["name"] + " (" + fields["category"] + ")",
            "v2": v2,
            "charged": v2 & chargeable,
            "count": actions["executions_per_month"].astype(float) * fields["runs_per_execution"].astype(float),
            "seconds": fields["minutes"].astype(float) * 60.0,
        },
        index=actions.index,
    )
    runs["minutes"] = np.where(chargeable, action_minutes(runs["seconds"], ran=True), 0.0)
    runs["billed"] = np.where(v2, runs["minutes"], 0.0)
    return runs.reindex(columns=ACTION_RUN_COLUMNS)


def _codebuild(frame: pd.DataFrame, result: UsageRows, pricebook: PriceBook) -> list[pd.DataFrame]:
    result.inventory.projects = table(frame.rename(columns={"name": "project"}), PROJECT_COLUMNS)
    mapping = pricebook.compute_types[["compute_type", "environment_type", "usage_type", "billing_unit"]]
    merged = frame.merge(mapping, on=["compute_type", "environment_type"], how="left", validate="many_to_one")
    merged.index = frame.index
    per_second = merged["billing_unit"] == "Second"
    given_total = merged["build_minutes_per_month"].notna()
    builds = merged["builds_per_month"].astype(float)
    minutes = merged["minutes_per_build"].astype(float)
    per_build = billed_for(minutes * 60.0, merged["billing_unit"], ran=True)
    result.runs.builds = _planned_builds(merged[~given_total], per_build[~given_total.to_numpy()])
    total = merged["build_minutes_per_month"].astype(float)
    quantity = np.where(
        given_total,
        np.where(per_second, total * 60.0, total),
        builds * per_build,
    )
    if (~given_total & ~per_second).any():
        result.assumptions.add("codebuild-average-rounding")
    if per_second.any():
        result.assumptions.add("codebuild-lambda-seconds")
    unit_word = np.where(per_second, " s", " min")
    detail = np.where(
        given_total,
        _fmt(total.fillna(0.0)) + " build minutes per month, as given",
        _fmt(builds.fillna(0.0))
        + " builds x ceil("
        + np.where(per_second, _fmt((minutes * 60.0).fillna(0.0)), _fmt(minutes.fillna(0.0)))
        + unit_word
        + ") = "
        + _fmt(pd.Series(per_build, index=merged.index).fillna(0.0))
        + unit_word
        + " each",
    )
    return [
        rows_for(
            merged,
            service="CodeBuild",
            resource=merged["name"],
            component=merged["compute_type"] + " / " + merged["environment_type"],
            pipeline=merged["pipeline"],
            usage_type=merged["usage_type"],
            quantity=quantity,
            unit=merged["billing_unit"],
            detail=detail,
        )
    ]


def _planned_builds(merged: pd.DataFrame, per_build: np.ndarray) -> pd.DataFrame:
    """One planned run per project given per build: `count` builds a month, each `minutes_per_build` long.
    A project given only a monthly total has no runs (its minutes per build are unknown)."""
    runs = pd.DataFrame(
        {
            "account": merged["account"],
            "region": merged["region"],
            "project": merged["name"],
            "pipeline": merged["pipeline"],
            "compute_type": merged["compute_type"],
            "environment_type": merged["environment_type"],
            "component": merged["compute_type"] + " / " + merged["environment_type"],
            "usage_type": merged["usage_type"],
            "unit": merged["billing_unit"].fillna("Minute"),
            "fleet": False,
            "count": merged["builds_per_month"].astype(float),
            "seconds": merged["minutes_per_build"].astype(float) * 60.0,
            "billed": per_build,
        },
        index=merged.index,
    )
    return runs.reindex(columns=BUILD_RUN_COLUMNS).reset_index(drop=True)


def _lambda(frame: pd.DataFrame, result: UsageRows) -> list[pd.DataFrame]:
    result.assumptions.add("lambda-average-duration")
    requests = frame["requests_per_month"].astype(float)
    return lambda_usage(
        frame,
        result,
        resource=frame["name"],
        requests=requests,
        duration_ms=frame["duration_ms"].astype(float),
        request_detail=_fmt(requests) + " requests",
    )


def lambda_usage(
    frame: pd.DataFrame,
    result: UsageRows,
    *,
    resource: pd.Series,
    requests: pd.Series,
    duration_ms: pd.Series,
    request_detail: pd.Series,
) -> list[pd.DataFrame]:
    """Request, GB-second and ephemeral-storage rows of Lambda functions (planned or observed).

    `frame` carries account, region, pipeline, memory_mb, architecture and ephemeral_storage_mb; each
    request lasts `duration_ms`, billed rounded up to a whole millisecond.
    """
    billed_seconds = pd.Series(billed_units(duration_ms.fillna(0.0)) / 1000.0, index=frame.index)
    memory_gb = frame["memory_mb"].astype(float) / 1024.0
    free_mb = lambda_.FREE_EPHEMERAL_MB
    extra_gb = (frame["ephemeral_storage_mb"].astype(float).fillna(free_mb) - free_mb) / 1024.0
    common = {"service": "Lambda", "resource": resource, "pipeline": frame["pipeline"]}
    architecture = frame["architecture"]
    parts = [
        rows_for(frame, **common, component="requests", usage_type=lambda_.usage_types("requests", architecture),
                 quantity=requests, unit="Request", meter="requests", detail=request_detail),
        rows_for(frame, **common, component="duration (" + architecture + ")",
                 usage_type=lambda_.usage_types("duration", architecture),
                 quantity=requests * billed_seconds * memory_gb, unit="GB-Second", meter="duration",
                 detail=_fmt(requests) + " requests x " + _fmt(billed_seconds) + " s x " + _fmt(memory_gb) + " GB"),
    ]  # fmt: skip
    storage = extra_gb > 0
    if storage.any():
        result.assumptions.add("lambda-ephemeral")
        sub = frame[storage]
        parts.append(
            rows_for(sub, service="Lambda", resource=resource[storage], pipeline=sub["pipeline"],
                     component="ephemeral storage",
                     usage_type=lambda_.usage_types("ephemeral-storage", sub["architecture"]),
                     quantity=(requests * billed_seconds * extra_gb)[storage], unit="GB-Second",
                     meter="ephemeral-storage",
                     detail=_fmt(requests[storage]) + " requests x " + _fmt(billed_seconds[storage]) + " s x "
                     + _fmt(extra_gb[storage]) + " GB above 512 MB")
        )  # fmt: skip
    return parts


def _s3(frame: pd.DataFrame, result: UsageRows) -> list[pd.DataFrame]:
    types = s3.by_class(frame["storage_class"])
    objects = frame["objects"].astype(float)
    has_objects = objects.notna()
    stored = frame["storage_gb"].astype(float)
    cls = frame["storage_class"]
    min_size = cls.isin(MIN_SIZE_CLASSES) & has_objects
    archive = cls.isin(ARCHIVE_CLASSES) & has_objects
    count = objects.fillna(0.0)
    billed_storage = np.where(min_size, np.maximum(stored, count * s3.MIN_OBJECT_KB * GB_PER_KB), stored)
    billed_storage = np.where(archive, stored + count * s3.ARCHIVE_OVERHEAD_KB * GB_PER_KB, billed_storage)
    if min_size.any():
        result.assumptions.add("s3-min-object-size")
    if archive.any():
        result.assumptions.add("s3-archive-overhead")
    result.assumptions.add("s3-no-free-tier")
    storage_detail = np.select(
        [min_size & (billed_storage > stored), archive],
        [
            _fmt(objects.fillna(0.0)) + " objects x 128 KB minimum billable size",
            _fmt(stored) + " GB + " + _fmt(objects.fillna(0.0)) + " objects x 32 KB archive overhead",
        ],
        default=_fmt(stored) + " GB average stored",
    )
    common = {"service": "S3", "resource": frame["name"], "pipeline": frame["pipeline"]}
    parts = [
        rows_for(
            frame,
            **common,
            component="storage (" + cls + ")",
            usage_type=types["storage"],
            meter="storage",
            quantity=billed_storage,
            unit="GB-Month",
            detail=storage_detail,
        ),
    ]
    for column, kind, label, unit, words in (
        ("put_requests_per_month", "put-requests", "PUT/COPY/POST/LIST requests", "Request", " requests"),
        ("get_requests_per_month", "get-requests", "GET and other requests", "Request", " requests"),
        ("retrieval_gb_per_month", "retrieval", "retrieval", "GB", " GB retrieved"),
        (
            "lifecycle_transitions_per_month",
            "transition",
            "lifecycle transitions in",
            "Object",
            " objects transitioned",
        ),
    ):
        used = types[kind].notna() & (frame[column] > 0)
        if not used.any():
            continue
        if kind == "transition":
            result.assumptions.add("s3-transitions")
        sub = frame[used]
        quantity = sub[column].astype(float)
        parts.append(
            rows_for(sub, service="S3", resource=sub["name"], pipeline=sub["pipeline"], component=label,
                     usage_type=types.loc[used, kind], quantity=quantity, unit=unit, meter=kind,
                     detail=_fmt(quantity) + words)
        )  # fmt: skip
    if archive.any():
        sub = frame[archive]
        parts.append(
            rows_for(
                sub,
                service="S3",
                resource=sub["name"],
                pipeline=sub["pipeline"],
                component="archive index (8 KB per object at S3 Standard)",
                usage_type=s3.archive_index(sub["storage_class"]),
                meter="archive-index",
                quantity=objects[archive] * s3.ARCHIVE_INDEX_KB * GB_PER_KB,
                unit="GB-Month",
                detail=_fmt(objects[archive]) + " objects x 8 KB",
            )
        )
    monitored = cls == "INTELLIGENT_TIERING"
    if (cls != "STANDARD").any():
        result.assumptions.add("s3-minimum-duration")
    if (monitored & ~has_objects).any():
        result.assumptions.add("s3-int-monitoring-unknown")
    if monitored.any():
        result.assumptions.add("s3-intelligent-tiering")
        sub = frame[monitored & has_objects]
        if not sub.empty:
            average_kb = stored[sub.index] / objects[sub.index].replace(0, np.nan) / GB_PER_KB
            counted = np.where(average_kb >= 128, objects[sub.index], 0.0)
            parts.append(
                rows_for(
                    sub,
                    service="S3",
                    resource=sub["name"],
                    pipeline=sub["pipeline"],
                    component="Intelligent-Tiering monitoring",
                    usage_type=s3.of_class("monitoring", "INTELLIGENT_TIERING"),
                    meter="monitoring",
                    quantity=counted,
                    unit="Object-Month",
                    detail=np.where(
                        average_kb >= 128,
                        _fmt(objects[sub.index]) + " objects monitored",
                        "average object under 128 KB: not monitored",
                    ),
                )
            )
    return parts
