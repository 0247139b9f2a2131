"""A history store: one snapshot per calendar month under `ROOT/YYYY-MM/`, so a report can read a month and the
months before it. A month that was closed when collected is final and reused; an open one is collected again."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from costkit.errors import CostkitError
from costkit.model.period import Period
from costkit.sources.snapshot.folder import MANIFEST, Snapshot, read

MONTH_FOLDER = re.compile(r"([0-9]{4})-([0-9]{2})")
CACHE_FOLDER = ".cost-explorer-cache"  # Cost Explorer answers kept beside the months they were asked for


def month_folder(root: Path, period: Period) -> Path:
    return root / period.name


def months_between(first: Period, last: Period) -> list[Period]:
    """Every calendar month from `first` to `last`, both included."""
    return Period(first.start, last.end).months() if first.start <= last.start else []


def stored_months(root: Path) -> list[Period]:
    """The months the store holds a snapshot for, oldest first (other folders and files are ignored)."""
    if not root.is_dir():
        return []
    found = []
    for entry in root.iterdir():
        match = MONTH_FOLDER.fullmatch(entry.name)
        if match and 1 <= int(match[2]) <= 12 and (entry / MANIFEST).is_file():
            found.append(Period.month(int(match[1]), int(match[2])))
    return sorted(found, key=lambda p: p.start)


def closed_when_collected(manifest: dict[str, object]) -> bool:
    """The snapshot covers its whole calendar month and was collected after the month ended: it is final."""
    bounds = manifest.get("window")
    created = manifest.get("created")
    if not isinstance(bounds, dict) or not isinstance(created, str):
        return False
    window = Period.parse(bounds)
    return window == window.calendar_month() and pd.Timestamp(created) >= pd.Timestamp(window.end)


def is_final(root: Path, period: Period) -> bool:
    """A stored month that need not be collected again."""
    path = month_folder(root, period) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(manifest, dict) and closed_when_collected(manifest)


def read_months(root: Path, month: Period, back: int = 12) -> dict[Period, Snapshot]:
    """`month` and up to `back` stored months before it, oldest first. The month itself must be stored."""
    if not root.is_dir():
        raise CostkitError(f"{root}: no history folder there", hint="collect months into it with `costkit collect`")
    wanted = months_between(month.shift(-max(0, back)), month)
    stored = set(stored_months(root))
    if month not in stored:
        held = ", ".join(p.name for p in sorted(stored, key=lambda p: p.start)) or "no month"
        raise CostkitError(
            f"{root}: holds no snapshot for {month.name} (it holds {held})",
            hint=f"collect it into {month_folder(root, month)}",
        )
    return {period: read(month_folder(root, period)) for period in wanted if period in stored}
