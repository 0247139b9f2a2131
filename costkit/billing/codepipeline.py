"""CodePipeline's metering: V1 bills a flat pipeline-month, V2 bills action minutes.

V2 rounds every action execution up to a whole minute; manual approvals and custom actions are not charged.
https://aws.amazon.com/codepipeline/pricing/
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from costkit.billing.meters import name
from costkit.billing.units import billed_units, ran_for

ACTIVE_PIPELINE = name("CodePipeline", "pipeline-month", "active")
TRIAL_PIPELINE = name("CodePipeline", "pipeline-month", "trial")
ACTION_MINUTES = name("CodePipeline", "action-minutes")
NOT_CHARGED_CATEGORY = "Approval"
NOT_CHARGED_OWNER = "Custom"


def pipeline_month(trial: pd.Series | np.ndarray) -> np.ndarray:
    """The V1 usage type of each pipeline: its free trial month, or an active pipeline-month."""
    return np.where(np.asarray(trial, dtype=bool), TRIAL_PIPELINE, ACTIVE_PIPELINE)


def charged(category: pd.Series, owner: pd.Series) -> pd.Series:
    """Actions V2 charges for: every action but manual approvals and custom actions."""
    return (category != NOT_CHARGED_CATEGORY) & (owner != NOT_CHARGED_OWNER)


def action_minutes(seconds: pd.Series | np.ndarray, ran: pd.Series | np.ndarray | bool | None = None) -> np.ndarray:
    """The V2 minutes one action execution bills: its seconds rounded up to a whole minute, at least one;
    nothing for one that did not run (by default: no known time). The only per-execution rounding in costkit."""
    values = np.asarray(seconds, dtype=float)
    return np.where(ran_for(values, ran), billed_units(np.nan_to_num(values, nan=0.0) / 60.0), 0.0)
