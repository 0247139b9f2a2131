"""Runs that cannot still be running: an action execution or build left unfinished in a closed window.

ListActionExecutions can keep reporting `InProgress` for an action long after AWS timed it out, and a build
can be listed without an end. AWS stops every action at its action type's timeout and every build at its
timeout, so in a window that was closed when collected such a run is billed from its start to at most its
timeout (pricing/run_timeouts.csv for action types; the build's or project's own `timeoutInMinutes`). In a
window still open when collected, a running action is billed up to the collection and a running build is not
counted (it has not been billed yet).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import pandas as pd

from costkit.errors import PricingDataError
from costkit.sources.snapshot.folder import Snapshot
from costkit.tables import pricing_dir

TIMEOUTS_FILE = "run_timeouts.csv"
KEYS = ("category", "owner", "provider")
ANY = "*"
UNFINISHED_ACTION = "InProgress"


@lru_cache(maxsize=4)
def _read_timeouts(directory: str) -> pd.DataFrame:
    path = Path(directory) / TIMEOUTS_FILE
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "timeout_minutes" not in frame:
        raise PricingDataError(f"pricing/{TIMEOUTS_FILE}: no timeout_minutes column")
    minutes = pd.to_numeric(frame["timeout_minutes"], errors="coerce")
    if minutes.isna().any() or (minutes <= 0).any():
        raise PricingDataError(f"pricing/{TIMEOUTS_FILE}: every timeout_minutes must be a positive number")
    return frame.assign(timeout_minutes=minutes.astype(float))


def timeouts(kind: Literal["action", "build"]) -> pd.DataFrame:
    """The timeout rows of one kind, most specific first (fewest `*` in category, owner, provider)."""
    table = _read_timeouts(str(pricing_dir()))
    rows = table[table["kind"] == kind]
    wildcards = (rows[list(KEYS)] == ANY).sum(axis=1)
    return rows.assign(_wild=wildcards).sort_values("_wild", kind="stable").drop(columns="_wild")


def action_timeout_minutes(actions: pd.DataFrame) -> pd.Series:
    """Each action execution's timeout: the most specific matching row of the table (`*` matches anything)."""
    found = pd.Series(float("nan"), index=actions.index)
    table = timeouts("action")
    for pattern, group in table.groupby([table[key] == ANY for key in KEYS], sort=False):
        exact = [key for key, wild in zip(KEYS, pattern, strict=True) if not wild]
        lookup = group.drop_duplicates(exact).set_index(exact)["timeout_minutes"] if exact else None
        if lookup is None:
            matched = pd.Series(float(group["timeout_minutes"].iloc[0]), index=actions.index)
        else:
            index = pd.MultiIndex.from_frame(actions[exact].astype(str)) if len(exact) > 1 else actions[exact[0]]
            matched = pd.Series(lookup.reindex(index).to_numpy(dtype=float), index=actions.index)
        found = found.fillna(matched)
    return found


def _declared(frame: pd.DataFrame, table: pd.DataFrame, on: list[str], column: str) -> pd.Series:
    """`column` of `table` for each row of `frame` (NaN where absent), keeping frame's index."""
    if table.empty or column not in table:
        return pd.Series(float("nan"), index=frame.index)
    lookup = table.drop_duplicates(on).set_index(on)[column]
    values = lookup.reindex(pd.MultiIndex.from_frame(frame[on])).to_numpy()
    return pd.Series(pd.to_numeric(values, errors="coerce"), index=frame.index, dtype=float)


def billed_end(snapshot: Snapshot, kind: Literal["action", "build"], runs: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(when each run stops being billed, whether it was stale) for action executions or builds.

    Finished runs end at their recorded end. Unfinished ones, in a window closed when collected, end at
    start + timeout or the collection, whichever is earlier, and are stale when the timeout came first; in an
    open window an action ends at the collection, a build is not billed (NaT). Clipping to the window is the
    caller's.
    """
    window_end = pd.Timestamp(snapshot.window.end)
    created = pd.Timestamp(snapshot.manifest.get("created") or window_end)
    collected = created.tz_localize("UTC") if created.tzinfo is None else created.tz_convert("UTC")
    closed = collected >= window_end
    if kind == "action":
        start = pd.to_datetime(runs["start"], utc=True)
        recorded = pd.to_datetime(runs["last_update"], utc=True)
        unfinished = runs["status"] == UNFINISHED_ACTION
        declared = _declared(
            runs,
            snapshot.table("pipeline_actions"),
            ["account", "region", "pipeline", "stage", "action"],
            "timeout_minutes",
        )
        minutes = declared.fillna(action_timeout_minutes(runs))
        open_end = pd.Series(min(collected, window_end), index=runs.index)
    else:
        start = pd.to_datetime(runs["billed_start"], utc=True)
        recorded = pd.to_datetime(runs["end"], utc=True)
        unfinished = recorded.isna()
        own = pd.to_numeric(runs.get("timeout_minutes", pd.Series(float("nan"), index=runs.index)), errors="coerce")
        project = _declared(runs, snapshot.table("projects"), ["account", "region", "project"], "timeout_minutes")
        minutes = own.fillna(project).fillna(float(timeouts("build")["timeout_minutes"].iloc[0]))
        open_end = pd.Series(pd.NaT, index=runs.index, dtype="datetime64[ns, UTC]")
    cap = start + pd.to_timedelta(minutes, unit="m")
    if closed:
        stale = unfinished & (cap < collected)
        unfinished_end = cap.where(cap < collected, collected)
    else:
        stale = pd.Series(False, index=runs.index)
        unfinished_end = open_end
    end = recorded.where(~unfinished, unfinished_end)
    return end, stale.astype(bool)
