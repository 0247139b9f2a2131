"""A usage file as the usage model: planned runs (one per declared action or project, standing for `count` runs
that each last the stated average) and an inventory of the resources it declares. The rows are derived from
them by costkit.billing, exactly as a snapshot's observed runs are."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from costkit.billing import codebuild, codepipeline
from costkit.billing.rows import derive as derive_rows
from costkit.model.inventory import (
    BUCKET_COLUMNS,
    FUNCTION_COLUMNS,
    PIPELINE_COLUMNS,
    PROJECT_COLUMNS,
    Inventory,
    table,
)
from costkit.model.period import Period
from costkit.model.runs import ACTION_RUN_COLUMNS, BUILD_RUN_COLUMNS, Runs
from costkit.model.usage import Usage
from costkit.pricing import current_pricebook
from costkit.sources.usage_file.load import UsageDocument, load_usage
from costkit.tables import PriceBook


def _frame(section: dict[str, Any], defaults: dict[str, str], region_override: str | None) -> pd.DataFrame:
    """A section's resources as a DataFrame, with region/account defaults filled in."""
    records = [{"name": name, **model.model_dump(by_alias=True)} for name, model in section.items()]
    frame = pd.DataFrame.from_records(records)
    if frame.empty:
        return frame
    frame["region"] = frame["region"].fillna(defaults["region"]) if region_override is None else region_override
    frame["account"] = frame["account"].fillna(defaults["account"])
    return frame


def derive(document: UsageDocument, pricebook: PriceBook, period: Period, *, region: str | None = None) -> Usage:
    """The usage model of a usage file for one monthly period (planned runs, inventory, rows)."""
    spec = document.spec
    defaults = {"region": spec.region, "account": spec.account}
    pipelines = _frame(dict(spec.pipelines), defaults, region)
    projects = _frame(dict(spec.codebuild), defaults, region)
    inventory = Inventory(
        pipelines=_pipelines(pipelines, period),
        projects=_projects(projects),
        functions=_functions(_frame(dict(spec.lambda_), defaults, region)),
        buckets=_buckets(_frame(dict(spec.s3), defaults, region)),
    )
    actions = planned_actions(pipelines) if not pipelines.empty else pd.DataFrame(columns=ACTION_RUN_COLUMNS)
    runs = Runs(
        actions=codepipeline.meter(actions, inventory.pipelines, planned=True),
        builds=codebuild.meter(_planned_builds(projects), pricebook.compute_types, planned=True),
        planned=True,
    )
    noted = {"monthly-usage-file"} | ({"region-override"} if region is not None else set())
    usage = Usage(
        runs=runs,
        inventory=inventory,
        period=period,
        planned=True,
        source=document.source,
        noted=noted,
        free_tier=spec.free_tier,
        region=region,
        defaults=defaults,
    )
    return derive_rows(usage, pricebook.compute_types)


def _pipelines(frame: pd.DataFrame, period: Period) -> pd.DataFrame:
    if frame.empty:
        return table(frame, PIPELINE_COLUMNS)
    stated = frame.rename(columns={"name": "pipeline"})
    for column, default in (("execution_mode", "SUPERSEDED"), ("triggers", False), ("variables", False)):
        stated[column] = stated[column].fillna(default) if column in stated else default  # V1 has none of them
    created = pd.to_datetime(stated["created"], utc=True)
    stated["age_days"] = (pd.Timestamp(period.end) - created).dt.days.astype(float)
    stated["active"] = stated["active"].fillna(True).astype(bool) if "active" in stated else True
    return table(stated, PIPELINE_COLUMNS)


def _projects(frame: pd.DataFrame) -> pd.DataFrame:
    return table(frame.rename(columns={"name": "project"}), PROJECT_COLUMNS)


def _functions(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return table(frame, FUNCTION_COLUMNS)
    named = frame.rename(columns={"name": "function", "requests_per_month": "requests"}).assign(share=1.0)
    return table(named, FUNCTION_COLUMNS)


def _buckets(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return table(frame, BUCKET_COLUMNS)
    named = frame.rename(
        columns={
            "name": "bucket",
            "put_requests_per_month": "put_requests",
            "get_requests_per_month": "get_requests",
            "retrieval_gb_per_month": "retrieval_gb",
            "lifecycle_transitions_per_month": "transitions",
        }
    ).assign(share=1.0)
    return table(named, BUCKET_COLUMNS)


def planned_actions(frame: pd.DataFrame) -> pd.DataFrame:
    """One planned run per declared action of every pipeline, standing for `count` executions a month that each
    last the action's average `minutes` (billed by costkit.billing.codepipeline.meter). V1 pipelines' actions
    too: their `minutes` are what they would bill on V2."""
    actions = frame[["name", "account", "region", "executions_per_month", "actions"]].explode("actions")
    actions = actions[actions["actions"].notna()]
    if actions.empty:
        return pd.DataFrame(columns=ACTION_RUN_COLUMNS)
    fields = pd.DataFrame(actions["actions"].tolist(), index=actions.index)
    runs = pd.DataFrame(
        {
            "account": actions["account"],
            "region": actions["region"],
            "pipeline": actions["name"],
            "action": fields["name"],
            "category": fields["category"],
            "owner": fields["owner"],
            "component": fields["name"] + " (" + fields["category"] + ")",
            "count": actions["executions_per_month"].astype(float) * fields["runs_per_execution"].astype(float),
            "seconds": fields["minutes"].astype(float) * 60.0,
        },
        index=actions.index,
    )
    return runs.reindex(columns=ACTION_RUN_COLUMNS).reset_index(drop=True)


def _planned_builds(frame: pd.DataFrame) -> pd.DataFrame:
    """One planned run per project given per build: `count` builds a month, each `minutes_per_build` long.
    A project given only a monthly total has no runs (its minutes per build are unknown; its inventory row
    carries the total)."""
    if frame.empty:
        return pd.DataFrame(columns=BUILD_RUN_COLUMNS)
    merged = frame[frame["build_minutes_per_month"].isna()]
    runs = pd.DataFrame(
        {
            "account": merged["account"],
            "region": merged["region"],
            "project": merged["name"],
            "pipeline": merged["pipeline"],
            "compute_type": merged["compute_type"],
            "environment_type": merged["environment_type"],
            "fleet": False,
            "count": merged["builds_per_month"].astype(float),
            "seconds": merged["minutes_per_build"].astype(float) * 60.0,
        },
        index=merged.index,
    )
    return runs.reindex(columns=BUILD_RUN_COLUMNS).reset_index(drop=True)


def derive_usage(
    source: str | Path | Mapping[str, Any] | UsageDocument,
    *,
    period: Period | None = None,
    region: str | None = None,
    pricebook: PriceBook | None = None,
) -> Usage:
    """A usage file (path, dict or UsageDocument) as the planned usage model for `period` (default: this
    month); `region` places every resource in one region."""
    book = pricebook or current_pricebook()
    return derive(load_usage(source, pricebook=book), book, (period or Period.current()).billing(), region=region)
