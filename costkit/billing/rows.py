"""The one place usage rows come from: each service's billing module turns the model's runs and inventory into
its rows, for a usage file's planned usage and a snapshot's observed usage alike."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import pandas as pd

from costkit.billing import codebuild, codepipeline, lambda_, s3
from costkit.model.rows import concat_rows
from costkit.model.usage import SERVICES, Usage


def derive(
    usage: Usage, compute_types: pd.DataFrame, services: Iterable[str] = SERVICES, *, meter: bool = False
) -> Usage:
    """`usage` with the rows of `services` (re-)derived from its runs and inventory, the other services' rows
    kept. `meter`: bill the runs again first (after an edit changed their seconds, compute or pipeline type)."""
    chosen = [name for name in SERVICES if name in set(services)]
    runs = usage.runs
    if meter and "CodePipeline" in chosen and not runs.actions.empty:
        runs = replace(runs, actions=codepipeline.meter(runs.actions, usage.inventory.pipelines, planned=runs.planned))
    if meter and "CodeBuild" in chosen and not runs.builds.empty:
        runs = replace(runs, builds=codebuild.meter(runs.builds, compute_types, planned=runs.planned))
    metered = replace(usage, runs=runs)
    parts = {
        "CodePipeline": lambda: codepipeline.rows(metered),
        "CodeBuild": lambda: codebuild.rows(metered, compute_types),
        "Lambda": lambda: lambda_.rows(metered),
        "S3": lambda: s3.rows(metered),
    }
    kept = usage.rows[~usage.rows["service"].isin(chosen)] if not usage.rows.empty else usage.rows
    found = {name: parts[name]() for name in chosen}
    by_service = [kept[kept["service"] == name] if name not in found else found[name][0] for name in SERVICES]
    notes = {**usage.metered, **{name: frozenset(found[name][1]) for name in chosen}}
    return replace(metered, rows=concat_rows(by_service), metered=notes)
