"""CodeBuild: projects with their current settings, and the builds that overlap the window.

Calls: ListProjects (paginated; skipped when project names are given), BatchGetProjects (≤100 names a call),
then per project ListBuildsForProject (sortOrder DESCENDING, so newest first; paginated) and BatchGetBuilds
(≤100 ids a call, filled across list pages). Paging a project stops after the first BatchGetBuilds batch whose
builds all started before the window. No per-build calls.

Billing convention: a build is billed from the start of its PROVISIONING phase when the phases say when that
was (AWS Support: QUEUED time is not billed), else from its startTime, to its endTime (none while in progress).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd

from costkit.collect.codepipeline import utc
from costkit.collect.context import RegionContext, Window

BATCH = 100  # BatchGetProjects and BatchGetBuilds take at most 100 names / ids

PHASE_COLUMNS = {
    "QUEUED": "queued_s",
    "PROVISIONING": "provisioning_s",
    "DOWNLOAD_SOURCE": "download_source_s",
    "INSTALL": "install_s",
    "PRE_BUILD": "pre_build_s",
    "BUILD": "build_s",
    "POST_BUILD": "post_build_s",
    "UPLOAD_ARTIFACTS": "upload_artifacts_s",
    "FINALIZING": "finalizing_s",
}
PROJECT_COLUMNS = [
    "project", "arn", "compute_type", "environment_type", "image", "fleet_arn",
    "cache_type", "cache_location", "cache_modes", "timeout_minutes", "queued_timeout_minutes",
    "artifact_type", "artifact_location", "created",
]  # fmt: skip
BUILD_COLUMNS = [
    "project", "build_id", "build_number", "status", "start", "end",
    "compute_type", "environment_type", "fleet_arn", "initiator", "from_pipeline",
    *PHASE_COLUMNS.values(),
    "provisioning_start", "billed_start", "billable_seconds", "timeout_minutes",
]  # fmt: skip


def _chunks(items: list[str], size: int = BATCH) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _project_row(project: dict[str, Any]) -> dict[str, Any]:
    environment = project.get("environment") or {}
    cache = project.get("cache") or {}
    artifacts = project.get("artifacts") or {}
    artifact_type = artifacts.get("type")
    return {
        "project": project["name"],
        "arn": project.get("arn"),
        "compute_type": environment.get("computeType"),
        "environment_type": environment.get("type"),
        "image": environment.get("image"),
        "fleet_arn": (environment.get("fleet") or {}).get("fleetArn"),
        "cache_type": cache.get("type") or "NO_CACHE",
        "cache_location": cache.get("location") or None,
        "cache_modes": ",".join(cache.get("modes") or []),
        "timeout_minutes": project.get("timeoutInMinutes"),
        "queued_timeout_minutes": project.get("queuedTimeoutInMinutes"),
        "artifact_type": artifact_type,
        "artifact_location": (artifacts.get("location") or None) if artifact_type == "S3" else None,
        "created": utc(project["created"]) if project.get("created") else None,
    }


def _build_row(project: str, build: dict[str, Any]) -> dict[str, Any]:
    environment = build.get("environment") or {}
    initiator = build.get("initiator")
    start = utc(build["startTime"])
    end = utc(build["endTime"]) if build.get("endTime") else None
    seconds = dict.fromkeys(PHASE_COLUMNS.values(), 0)
    provisioning_start = None
    for phase in build.get("phases") or []:
        column = PHASE_COLUMNS.get(phase.get("phaseType", ""))
        if column is not None:
            seconds[column] += int(phase.get("durationInSeconds") or 0)
        if phase.get("phaseType") == "PROVISIONING" and phase.get("startTime"):
            provisioning_start = utc(phase["startTime"])
    billed_start = provisioning_start if provisioning_start is not None else start
    return {
        "project": project,
        "build_id": build["id"],
        "build_number": build.get("buildNumber"),
        "status": build.get("buildStatus"),
        "start": start,
        "end": end,
        "compute_type": environment.get("computeType"),
        "environment_type": environment.get("type"),
        "fleet_arn": (environment.get("fleet") or {}).get("fleetArn"),
        "initiator": initiator,
        "from_pipeline": bool(initiator) and str(initiator).startswith("codepipeline/"),
        **seconds,
        "provisioning_start": provisioning_start,
        "billed_start": billed_start,
        "billable_seconds": (end - billed_start).total_seconds() if end is not None else None,
        "timeout_minutes": build.get("timeoutInMinutes"),
    }


def _overlaps(build: dict[str, Any], window: Window) -> bool:
    end = build["end"]
    return bool(build["start"] < pd.Timestamp(window.end) and (end is None or end >= pd.Timestamp(window.start)))


def _builds_in_window(api: Any, project: str, window: Window) -> Iterator[dict[str, Any]]:
    """Builds of `project` newest first, in batches of ≤100, until a whole batch started before the window."""
    start = pd.Timestamp(window.start)
    pages: Iterable[dict[str, Any]] = api.get_paginator("list_builds_for_project").paginate(
        projectName=project, sortOrder="DESCENDING"
    )
    pending: list[str] = []
    exhausted = False
    page_iter = iter(pages)
    while True:
        while len(pending) < BATCH and not exhausted:
            page = next(page_iter, None)
            if page is None:
                exhausted = True
            else:
                pending.extend(page.get("ids", []))
        if not pending:
            return
        batch, pending = pending[:BATCH], pending[BATCH:]
        builds = api.batch_get_builds(ids=batch).get("builds", [])
        rows = [_build_row(project, build) for build in builds if build.get("startTime")]
        yield from rows
        if rows and all(row["start"] < start for row in rows):
            return  # ids are newest first: everything older started before the window too


def collect(ctx: RegionContext, project_names: list[str] | None = None) -> dict[str, pd.DataFrame]:
    api = ctx.client("codebuild")
    if project_names is None:
        project_names = [
            name for page in api.get_paginator("list_projects").paginate() for name in page.get("projects", [])
        ]
    projects: list[dict[str, Any]] = []
    for names in _chunks(list(dict.fromkeys(project_names))):
        projects.extend(api.batch_get_projects(names=names).get("projects", []))
    # Each project's build paging runs side by side; builds stay in project order, newest first within each.
    per_project = ctx.fan_out(
        "codebuild",
        lambda project: [
            row for row in _builds_in_window(api, project["name"], ctx.window) if _overlaps(row, ctx.window)
        ],
        projects,
    )
    builds = [row for rows in per_project for row in rows]
    return {
        "projects": pd.DataFrame([_project_row(p) for p in projects], columns=PROJECT_COLUMNS),
        "builds": pd.DataFrame(builds, columns=BUILD_COLUMNS),
    }
