"""costkit: estimate and optimise the monthly AWS cost of CodePipeline CI/CD estates."""

from __future__ import annotations

__version__ = "0.1.0"

from costkit.errors import CostkitError, ExitCode, UsageFileError
from costkit.estimate import Estimate, estimate
from costkit.model.period import Period
from costkit.model.usage import Usage
from costkit.sources.snapshot.observed import load_snapshot
from costkit.sources.usage_file.derive import derive_usage
from costkit.sources.usage_file.load import UsageDocument, load_usage
from costkit.tables import load_pricebook
from costkit.whatif import Scenario, breakeven, compare, project, sensitivity, sweep, to_usage_file

__all__ = [
    "CostkitError",
    "Estimate",
    "ExitCode",
    "Period",
    "Scenario",
    "Usage",
    "UsageDocument",
    "UsageFileError",
    "__version__",
    "breakeven",
    "compare",
    "derive_usage",
    "estimate",
    "load_pricebook",
    "load_snapshot",
    "load_usage",
    "project",
    "sensitivity",
    "sweep",
    "to_usage_file",
]
