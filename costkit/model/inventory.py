"""Inventory: the resources behind an estimate and the attributes savings rules weigh (pipeline type and V2-only
features, compute and image, cache), one table per kind, the same columns from a usage file or a snapshot.
Unknown attributes are empty (a usage file states no image or cache)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

PIPELINE_COLUMNS = [
    "account", "region", "pipeline", "type", "execution_mode", "triggers", "variables", "created", "artifact_buckets",
]  # fmt: skip
PROJECT_COLUMNS = ["account", "region", "project", "compute_type", "environment_type", "image", "cache_type"]


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)


@dataclass
class Inventory:
    pipelines: pd.DataFrame = field(default_factory=lambda: _empty(PIPELINE_COLUMNS))
    projects: pd.DataFrame = field(default_factory=lambda: _empty(PROJECT_COLUMNS))


def table(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """`frame` with exactly `columns` (absent ones empty), one row per resource."""
    return frame.reindex(columns=columns).reset_index(drop=True)
