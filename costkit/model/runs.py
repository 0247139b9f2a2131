"""Runs: one row per action execution and per build, with what each bills (metered in costkit.billing).

A snapshot yields observed runs (`count` 1 each, measured `seconds`). A usage file yields planned runs: one row
per declared action or project, standing for `count` runs that each last the stated average (assumptions
`v2-average-rounding`, `codebuild-average-rounding`). Usage rows are sums of `count x billed`; savings rules
read and change the same runs, so the estimate and every rule bill a run alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

ACTION_RUN_COLUMNS = [
    "account", "region", "pipeline", "stage", "action", "category", "owner", "component", "execution_id", "status",
    "external_execution_id", "v2", "charged", "count", "seconds", "minutes", "billed", "stale",
]  # fmt: skip
PHASE_COLUMNS = [
    "queued_s", "provisioning_s", "download_source_s", "install_s", "pre_build_s", "build_s", "post_build_s",
    "upload_artifacts_s", "finalizing_s",
]  # fmt: skip
BUILD_RUN_COLUMNS = [
    "account", "region", "project", "pipeline", "compute_type", "environment_type", "component", "usage_type", "unit",
    "build_id", "status", "initiator", "start", "fleet", "count", "seconds", "billed", "stale", *PHASE_COLUMNS,
]  # fmt: skip
EXECUTION_COLUMNS = ["account", "region", "pipeline", "execution_id", "status", "trigger_type", "start", "last_update"]
# `minutes`: what the execution bills, or would bill, on a V2 pipeline; `billed`: what it bills as it is (0 on V1);
# `stale`: an unfinished run in a closed window, billed only to its timeout (costkit.sources.snapshot.stale).


@dataclass
class Runs:
    """The runs behind an estimate's usage rows, computed once when the source is derived."""

    actions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ACTION_RUN_COLUMNS))
    builds: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=BUILD_RUN_COLUMNS))
    planned: bool = False  # True: averages from a usage file; False: observed in a snapshot
    # One row per pipeline execution observed (status, trigger): what the wasted-runs and idle-pipelines rules read.
    # A usage file states none.
    executions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EXECUTION_COLUMNS))

    def copy(self) -> Runs:
        return Runs(self.actions.copy(), self.builds.copy(), self.planned, self.executions.copy())
