"""The usage model: what both sources (a usage file, a snapshot) derive into and every later layer reads.

`runs` (one row per action execution and per build, planned or observed, with what each bills) and `inventory`
(the resources and their attributes) are the model; `rows` (the priced contract) are derived from them by
costkit.billing, one module per service, in one place for both sources. A Change edits runs and/or inventory
and has billing re-derive the rows of the services it touched (costkit.change).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from costkit.model.inventory import Inventory
from costkit.model.period import Period
from costkit.model.rows import empty_rows
from costkit.model.runs import Runs

SERVICES = ("CodePipeline", "CodeBuild", "Lambda", "S3")


@dataclass
class Usage:
    """One month of usage, planned (a usage file's averages) or observed (a snapshot, projected to the month).

    `projection` scales the observed window's flows (runs, requests) to the period; levels (V1 pipeline-months,
    storage) are not scaled. `assumptions` are the ids of the conventions the derivation relied on (source-level
    ones plus each service's, `metered`); `counts` the data-quality counts (stale runs clipped to a timeout).
    """

    rows: pd.DataFrame = field(default_factory=empty_rows)
    runs: Runs = field(default_factory=Runs)
    inventory: Inventory = field(default_factory=Inventory)
    period: Period = field(default_factory=Period.current)
    planned: bool = True
    source: str = "<usage>"
    noted: set[str] = field(default_factory=set)  # source-level assumption ids
    metered: dict[str, frozenset[str]] = field(default_factory=dict)  # service -> its billing assumption ids
    counts: dict[str, int] = field(default_factory=dict)
    projection: float = 1.0
    free_tier: bool | None = None  # the source's own say (a usage file's `free_tier`); None: on
    organization: bool = False  # a snapshot of a whole organization: one free tier for all its accounts
    region: str | None = None  # a usage file priced in one region (`region=` override)
    defaults: dict[str, str] = field(default_factory=dict)  # a usage file's top-level region and account
    observed: dict[str, Any] = field(default_factory=dict)  # a snapshot's window, partial flag, data quality
    actuals: pd.DataFrame = field(default_factory=pd.DataFrame)  # Cost Explorer, when comparable with the period

    @property
    def assumptions(self) -> set[str]:
        return set(self.noted).union(*self.metered.values())

    def copy(self) -> Usage:
        """A deep copy of the tables (an edit may change them in place without touching this one)."""
        return replace(
            self,
            rows=self.rows.copy(),
            runs=self.runs.copy(),
            inventory=self.inventory.copy(),
            noted=set(self.noted),
            metered=dict(self.metered),
            counts=dict(self.counts),
        )

    def touched(self, other: Usage) -> list[str]:
        """The services whose runs or inventory differ between this usage and `other` (what to re-derive)."""
        mine, theirs = self.inventory, other.inventory
        pairs = {
            "CodePipeline": [(self.runs.actions, other.runs.actions), (mine.pipelines, theirs.pipelines)],
            "CodeBuild": [(self.runs.builds, other.runs.builds), (mine.projects, theirs.projects)],
            "Lambda": [(mine.functions, theirs.functions)],
            "S3": [(mine.buckets, theirs.buckets)],
        }
        return [name for name in SERVICES if any(a is not b and not a.equals(b) for a, b in pairs[name])]
