"""A snapshot: the raw observations of one collection, as Parquet tables plus manifest.json.

Written atomically: the new snapshot is built beside the target and swapped in with renames, so an
interrupted collection never damages an earlier snapshot. Parquet, so DuckDB or Athena can read it too.
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from costkit.errors import CostkitError

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


@dataclass
class Snapshot:
    """Observation tables by name (pipelines, action_executions, builds, ...) and the manifest."""

    tables: dict[str, pd.DataFrame]
    manifest: dict[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        """A table, or an empty frame when the collection found none."""
        return self.tables.get(name, pd.DataFrame())

    @property
    def partial(self) -> bool:
        return bool(self.manifest.get("failures"))


def write(snapshot: Snapshot, target: Path) -> Path:
    """Write `snapshot` to `target` atomically and return the path."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")
    staging.mkdir()
    try:
        for name, frame in snapshot.tables.items():
            frame.to_parquet(staging / f"{name}.parquet", index=False)
        manifest = {**snapshot.manifest, "format_version": FORMAT_VERSION, "tables": sorted(snapshot.tables)}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str) + "\n")
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
            target.rename(old)
        staging.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def read(source: Path) -> Snapshot:
    """Read a snapshot folder written by `write`."""
    manifest_path = source / MANIFEST
    if not source.is_dir() or not manifest_path.is_file():
        raise CostkitError(
            f"{source}: not a costkit snapshot (no {MANIFEST})", hint="create one with `costkit collect --out DIR`"
        )
    manifest = json.loads(manifest_path.read_text())
    tables = {name: pd.read_parquet(source / f"{name}.parquet") for name in manifest.get("tables", [])}
    return Snapshot(tables=tables, manifest=manifest)
