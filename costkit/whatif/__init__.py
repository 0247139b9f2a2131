"""What-if modelling: Scenarios (named, ordered Changes) priced against a baseline estimate, compared, swept,
projected and plotted. docs/whatif.md has the scenario file and the JSON of `costkit whatif`."""

from __future__ import annotations

from costkit.whatif.breakeven import Breakeven, breakeven
from costkit.whatif.builders import (
    arm_builds,
    artifact_retention,
    caching,
    compute,
    execution_mode,
    growth,
    lambda_functions,
    move_region,
    pipeline_type,
    remove_pipeline,
    scale_builds,
    scale_executions,
)
from costkit.whatif.compare import Comparison, compare, comparison
from costkit.whatif.explore import Sweep, Tornado, sensitivity, sweep
from costkit.whatif.plan import Plan, to_usage_file
from costkit.whatif.projection import Projection, project
from costkit.whatif.scenario import Outcome, Scenario, WhatIf, evaluate
from costkit.whatif.scenario_file import ScenarioFileError, load_scenarios

__all__ = [
    "Breakeven",
    "Comparison",
    "Outcome",
    "Plan",
    "Projection",
    "Scenario",
    "ScenarioFileError",
    "Sweep",
    "Tornado",
    "WhatIf",
    "arm_builds",
    "artifact_retention",
    "breakeven",
    "caching",
    "compare",
    "comparison",
    "compute",
    "evaluate",
    "execution_mode",
    "growth",
    "lambda_functions",
    "load_scenarios",
    "move_region",
    "pipeline_type",
    "project",
    "remove_pipeline",
    "scale_builds",
    "scale_executions",
    "sensitivity",
    "sweep",
    "to_usage_file",
]
