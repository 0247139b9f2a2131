"""CodePipeline: pipelines with their declarations, executions and action executions in the window.

Calls: ListPipelines (1,000 per page), GetPipeline per pipeline (there is no batch call),
ListPipelineExecutions and ListActionExecutions per pipeline (100 per page, newest first; paging stops
once a whole page started before the window).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from botocore.exceptions import BotoCoreError, ClientError

from costkit.collect.context import PartialCollection, RegionContext, Window

PIPELINE_COLUMNS = [
    "pipeline", "pipeline_type", "execution_mode", "version", "created", "updated",
    "artifact_buckets", "has_triggers", "has_variables",
]  # fmt: skip
ACTION_COLUMNS = [
    "pipeline", "stage", "action", "category", "owner", "provider", "run_order",
    "project_name", "function_name", "configuration", "timeout_minutes",
]  # fmt: skip
EXECUTION_COLUMNS = [
    "pipeline", "execution_id", "status", "trigger_type", "execution_type", "start", "last_update",
]  # fmt: skip
ACTION_EXECUTION_COLUMNS = [
    "pipeline", "execution_id", "action_execution_id", "stage", "action", "category", "owner", "provider",
    "start", "last_update", "status", "external_execution_id",
]  # fmt: skip


def utc(value: Any) -> pd.Timestamp:
    """Timestamps from botocore (aware, sometimes local time) as UTC."""
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def pages_in_window(pages: Iterator[dict[str, Any]], key: str, window: Window) -> Iterator[dict[str, Any]]:
    """Items of newest-first pages that may overlap the window; stop after a page wholly before it."""
    start = pd.Timestamp(window.start)
    for page in pages:
        items = page.get(key, [])
        yield from items
        if items and all(utc(item["startTime"]) < start - pd.Timedelta(days=1) for item in items):
            return


def _overlaps(frame: pd.DataFrame, window: Window) -> pd.Series:
    if frame.empty:
        return pd.Series(dtype=bool, index=frame.index)
    return (frame["start"] < pd.Timestamp(window.end)) & (frame["last_update"] >= pd.Timestamp(window.start))


def _declaration(summary: dict[str, Any], answer: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The pipeline's row and its actions' rows from GetPipeline."""
    name = summary["name"]
    declaration, metadata = answer["pipeline"], answer.get("metadata", {})
    stores = declaration.get("artifactStores") or {}
    buckets = sorted(
        {s["location"] for s in stores.values()}
        | ({declaration["artifactStore"]["location"]} if declaration.get("artifactStore") else set())
    )
    pipeline = {
        "pipeline": name,
        "pipeline_type": declaration.get("pipelineType") or summary.get("pipelineType") or "V1",
        "execution_mode": declaration.get("executionMode") or summary.get("executionMode") or "SUPERSEDED",
        "version": declaration.get("version"),
        "created": utc(metadata.get("created") or summary.get("created")),
        "updated": utc(metadata.get("updated") or summary.get("updated")),
        "artifact_buckets": ",".join(buckets),
        "has_triggers": bool(declaration.get("triggers")),
        "has_variables": bool(declaration.get("variables")),
    }
    actions = []
    for stage in declaration.get("stages", []):
        for action in stage.get("actions", []):
            type_id, config = action["actionTypeId"], action.get("configuration", {})
            actions.append(
                {
                    "pipeline": name,
                    "stage": stage["name"],
                    "action": action["name"],
                    "category": type_id["category"],
                    "owner": type_id["owner"],
                    "provider": type_id["provider"],
                    "run_order": action.get("runOrder", 1),
                    "project_name": config.get("ProjectName") if type_id["provider"] == "CodeBuild" else None,
                    "function_name": config.get("FunctionName") if type_id["provider"] == "Lambda" else None,
                    "configuration": json.dumps(config, sort_keys=True),
                    "timeout_minutes": action.get("timeoutInMinutes"),
                }
            )
    return pipeline, actions


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)


@dataclass
class _Pipeline:
    """What one pipeline's calls returned (history_error: its history could not be read). Its runs are kept
    as frames of the window's rows only, made as soon as the pipeline's paging ends: an organisation's
    collection never holds more than one pipeline's history as Python objects at a time per thread."""

    pipeline: dict[str, Any]
    actions: list[dict[str, Any]]
    executions: pd.DataFrame = field(default_factory=lambda: _empty(EXECUTION_COLUMNS))
    action_executions: pd.DataFrame = field(default_factory=lambda: _empty(ACTION_EXECUTION_COLUMNS))
    history_error: BaseException | None = None


def _in_window(rows: list[dict[str, Any]], columns: list[str], window: Window) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    return frame[_overlaps(frame, window)].reset_index(drop=True)


def _one_pipeline(api: Any, summary: dict[str, Any], window: Window) -> _Pipeline:
    name = summary["name"]
    found = _Pipeline(*_declaration(summary, api.get_pipeline(name=name)))
    try:
        found.executions = _in_window(_executions(api, name, window), EXECUTION_COLUMNS, window)
        found.action_executions = _in_window(_action_executions(api, name, window), ACTION_EXECUTION_COLUMNS, window)
    except (ClientError, BotoCoreError) as error:  # keep the declarations; history is recorded as failed
        found.history_error = error
    return found


def collect(ctx: RegionContext) -> dict[str, pd.DataFrame]:
    api = ctx.client("codepipeline")
    summaries = [
        summary
        for page in api.get_paginator("list_pipelines").paginate(PaginationConfig={"PageSize": 1000})
        for summary in page.get("pipelines", [])
    ]
    # Each pipeline's GetPipeline and history paging run side by side; results stay in ListPipelines order.
    found = ctx.fan_out("codepipeline", lambda summary: _one_pipeline(api, summary, ctx.window), summaries)
    errors = [one.history_error for one in found if one.history_error is not None]
    tables = {
        "pipelines": pd.DataFrame([one.pipeline for one in found], columns=PIPELINE_COLUMNS),
        "pipeline_actions": pd.DataFrame([row for one in found for row in one.actions], columns=ACTION_COLUMNS),
        "pipeline_executions": _concat([one.executions for one in found], EXECUTION_COLUMNS),
        "action_executions": _concat([one.action_executions for one in found], ACTION_EXECUTION_COLUMNS),
    }
    if errors:
        raise PartialCollection(tables, errors[0])
    return tables


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """The pipelines' frames in ListPipelines order (those with rows: pandas warns on concatenating empty ones)."""
    kept = [frame for frame in frames if not frame.empty]
    return pd.concat(kept, ignore_index=True) if kept else _empty(columns)


def _executions(api: Any, name: str, window: Window) -> list[dict[str, Any]]:
    runs = api.get_paginator("list_pipeline_executions").paginate(pipelineName=name, PaginationConfig={"PageSize": 100})
    return [
        {
            "pipeline": name,
            "execution_id": run["pipelineExecutionId"],
            "status": run.get("status"),
            "trigger_type": run.get("trigger", {}).get("triggerType"),
            "execution_type": run.get("executionType", "STANDARD"),
            "start": utc(run["startTime"]),
            "last_update": utc(run.get("lastUpdateTime", run["startTime"])),
        }
        for run in pages_in_window(iter(runs), "pipelineExecutionSummaries", window)
    ]


def _action_executions(api: Any, name: str, window: Window) -> list[dict[str, Any]]:
    details = api.get_paginator("list_action_executions").paginate(
        pipelineName=name, PaginationConfig={"PageSize": 100}
    )
    rows = []
    for detail in pages_in_window(iter(details), "actionExecutionDetails", window):
        type_id = detail.get("input", {}).get("actionTypeId", {})
        rows.append(
            {
                "pipeline": name,
                "execution_id": detail.get("pipelineExecutionId"),
                "action_execution_id": detail.get("actionExecutionId"),
                "stage": detail.get("stageName"),
                "action": detail.get("actionName"),
                "category": type_id.get("category"),
                "owner": type_id.get("owner"),
                "provider": type_id.get("provider"),
                "start": utc(detail["startTime"]),
                "last_update": utc(detail.get("lastUpdateTime", detail["startTime"])),
                "status": detail.get("status"),
                "external_execution_id": detail.get("output", {}).get("executionResult", {}).get("externalExecutionId"),
            }
        )
    return rows
