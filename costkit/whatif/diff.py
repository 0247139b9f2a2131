"""diff: two saved estimates (`costkit estimate --format json`) compared, like `infracost diff`.

Totals, each service, and each line added, removed or changed, where a line is one (account, region, service,
resource, component, usage type). A line without a price on either side has no dollar delta: it is listed as
`unpriced`, and the diff is incomplete, so a missing price never reads as a $0 change.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from costkit.errors import CostkitError
from costkit.sources.usage_file.yaml_core import read_text
from costkit.tables import SERVICES

KEY = ["account", "region", "service", "resource", "component", "usage_type"]
LINE_COLUMNS = [
    "change", *KEY, "unit", "before_quantity", "after_quantity", "before_usd", "after_usd", "delta_usd", "priced",
]  # fmt: skip
NEEDED = ("total_usd", "by_service", "lines")
SAVE_HINT = "a saved estimate is what `costkit estimate` writes in its JSON format"
CENT = 0.005  # a cost change smaller than half a cent, with the same quantity, is not a change


class EstimateFileError(CostkitError):
    """A file that is not an estimate saved by `costkit estimate --format json`."""


@dataclass
class EstimateDiff:
    """Before and after: totals, services and lines. `to_dict()` is `costkit diff --format json`."""

    before: dict[str, Any]
    after: dict[str, Any]
    services: pd.DataFrame  # service, before_usd, after_usd, delta_usd, complete
    lines: pd.DataFrame  # LINE_COLUMNS, only lines that were added, removed or changed

    @property
    def complete(self) -> bool:
        return bool(self.before.get("complete", True)) and bool(self.after.get("complete", True))

    @property
    def delta_usd(self) -> float | None:
        """After minus before; None unless both estimates are complete."""
        return float(self.after["total_usd"]) - float(self.before["total_usd"]) if self.complete else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "before": _summary(self.before),
            "after": _summary(self.after),
            "delta_usd": self.delta_usd,
            "complete": self.complete,
            "by_service": _records(self.services),
            "lines": _records(self.lines),
            "counts": {kind: int((self.lines["change"] == kind).sum()) for kind in ("added", "removed", "changed")},
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)


def _summary(result: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "source": result.get("source"),
        "period": result.get("period"),
        "total_usd": float(result["total_usd"]),
        "complete": bool(result.get("complete", True)),
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for record in frame.astype(object).to_dict(orient="records"):
        out.append({str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()})
    return out


def read_estimate(path: str | Path) -> dict[str, Any]:
    """A saved estimate's JSON, checked for the fields a diff needs."""
    name = str(path)
    text = read_text(Path(path), what="saved estimate")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"{name}: line {exc.lineno}, column {exc.colno}"
        raise EstimateFileError(f"{where}: is not valid JSON ({exc.msg})", hint=SAVE_HINT) from None
    return checked(data, name)


def checked(data: object, name: str) -> dict[str, Any]:
    hint = SAVE_HINT
    if not isinstance(data, dict):
        raise EstimateFileError(f"{name}: is not a saved estimate (a JSON object)", hint=hint)
    for field in NEEDED:
        if field not in data:
            raise EstimateFileError(f"{name}: {field}: is missing; this is not a saved estimate", hint=hint)
    services = data["by_service"]
    if not isinstance(services, dict) or not all(_number(v) for v in services.values()):
        raise EstimateFileError(f"{name}: by_service: must map each service to a number of USD", hint=hint)
    if not isinstance(data["lines"], list) or not all(isinstance(line, dict) for line in data["lines"]):
        raise EstimateFileError(f"{name}: lines: must be a list of line objects", hint=hint)
    if not _number(data["total_usd"]):
        raise EstimateFileError(f"{name}: total_usd: must be a number", hint=hint)
    for index, line in enumerate(data["lines"]):
        for field in ("service", "resource", "usage_type", "quantity"):
            if field not in line:
                raise EstimateFileError(f"{name}: lines[{index}].{field}: is missing", hint=hint)
        for field in ("quantity", "cost_usd"):
            value = line.get(field)
            if value is not None and not _number(value):
                raise EstimateFileError(f"{name}: lines[{index}].{field}: must be a number or null", hint=hint)
    return data


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _lines(result: Mapping[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(result["lines"]).reindex(columns=[*KEY, "unit", "quantity", "cost_usd"])
    frame[KEY] = frame[KEY].astype(object).where(frame[KEY].notna(), "").astype(str)
    frame["quantity"] = frame["quantity"].astype(float)
    frame["cost_usd"] = frame["cost_usd"].astype(float)
    frame["unpriced"] = frame["cost_usd"].isna() & (frame["quantity"] > 0)
    return frame.groupby(KEY, sort=False, dropna=False).agg(
        unit=("unit", "first"), quantity=("quantity", "sum"),
        cost_usd=("cost_usd", lambda s: s.sum(min_count=1)), unpriced=("unpriced", "any"),
    )  # fmt: skip


def diff(before: Mapping[str, Any] | str | Path, after: Mapping[str, Any] | str | Path) -> EstimateDiff:
    """Compare two saved estimates (their JSON as dicts, or the files)."""
    a = read_estimate(before) if isinstance(before, str | Path) else checked(dict(before), "<before>")
    b = read_estimate(after) if isinstance(after, str | Path) else checked(dict(after), "<after>")
    old, new = _lines(a), _lines(b)
    both = old.add_suffix("_before").join(new.add_suffix("_after"), how="outer", sort=False)
    in_old = both["quantity_before"].notna()
    in_new = both["quantity_after"].notna()
    unpriced_before = both["unpriced_before"].fillna(False).astype(bool)
    unpriced_after = both["unpriced_after"].fillna(False).astype(bool)
    priced = ~(unpriced_before | unpriced_after)
    before_usd = both["cost_usd_before"].where(in_old, 0.0).astype(float)
    after_usd = both["cost_usd_after"].where(in_new, 0.0).astype(float)
    quantity_moved = ~np.isclose(both["quantity_before"].fillna(0.0), both["quantity_after"].fillna(0.0), rtol=1e-12)
    status_moved = unpriced_before != unpriced_after
    cost_moved = ~np.isclose(before_usd.fillna(0.0), after_usd.fillna(0.0), rtol=0.0, atol=CENT)
    change = np.select(
        [in_new & ~in_old, in_old & ~in_new, quantity_moved | cost_moved | status_moved],
        ["added", "removed", "changed"],
        default="",
    )
    lines = pd.DataFrame(
        {
            "change": change,
            "unit": both["unit_after"].fillna(both["unit_before"]),
            "before_quantity": both["quantity_before"],
            "after_quantity": both["quantity_after"],
            "before_usd": before_usd.where(in_old, np.nan),
            "after_usd": after_usd.where(in_new, np.nan),
            "delta_usd": (after_usd - before_usd).where(priced),
            "priced": priced,
        },
        index=both.index,
    ).reset_index()
    lines = lines[lines["change"] != ""].reindex(columns=LINE_COLUMNS)
    lines = lines.assign(_size=lines["delta_usd"].abs().fillna(np.inf)).sort_values(
        "_size", ascending=False, kind="stable").drop(columns="_size").reset_index(drop=True)  # fmt: skip
    return EstimateDiff(a, b, _services(a, b), lines)


def _services(a: Mapping[str, Any], b: Mapping[str, Any]) -> pd.DataFrame:
    def incomplete(result: Mapping[str, Any]) -> set[str]:
        return {str(s) for s in result.get("incomplete_services", [])}

    names = list(SERVICES) + sorted((set(a["by_service"]) | set(b["by_service"])) - set(SERVICES))
    before = pd.Series({n: float(a["by_service"].get(n, 0.0)) for n in names}, dtype=float)
    after = pd.Series({n: float(b["by_service"].get(n, 0.0)) for n in names}, dtype=float)
    known = pd.Series({n: n not in incomplete(a) | incomplete(b) for n in names}, dtype=bool)
    return pd.DataFrame(
        {"service": names, "before_usd": before.to_numpy(), "after_usd": after.to_numpy(),
         "delta_usd": (after - before).where(known).to_numpy(), "complete": known.to_numpy()}
    )  # fmt: skip
