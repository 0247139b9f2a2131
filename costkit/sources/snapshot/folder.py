"""A snapshot: the raw observations of one collection, as Parquet tables plus manifest.json.

Written atomically: the new snapshot is built beside the target and swapped in with renames, so an
interrupted collection never damages an earlier snapshot. Only a folder costkit wrote (its manifest says
`written_by: costkit`) is ever replaced, and a write killed between the renames is undone on the next
read or write. Parquet, so DuckDB or Athena can read it too.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from costkit.errors import CostkitError
from costkit.model.period import Period
from costkit.sources.snapshot.checks import Problem
from costkit.sources.snapshot.checks import load as checked_load

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
WRITTEN_BY = "costkit"  # the marker that lets a later collection replace this folder


@dataclass
class Snapshot:
    """Observation tables by name (pipelines, action_executions, builds, ...) and the manifest."""

    tables: dict[str, pd.DataFrame]
    manifest: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # rows left out on read (sources/snapshot/checks.py)
    deferred: dict[str, Path] = field(default_factory=dict)  # tables left on disk (read lazily): name -> file

    def table(self, name: str) -> pd.DataFrame:
        """A table, or an empty frame when the collection found none. A table left on disk is never silently
        empty: asking for it is a programming error (query it, or read the snapshot without `defer`)."""
        if name in self.deferred:
            raise LookupError(f"table {name} was left on disk ({self.deferred[name]}); read it without defer")
        return self.tables.get(name, pd.DataFrame())

    @property
    def partial(self) -> bool:
        return bool(self.manifest.get("failures"))

    @property
    def window(self) -> Period:
        """The span the collection observed (the manifest's `window`)."""
        return Period.parse(self.manifest.get("window"))


def write(snapshot: Snapshot, target: Path) -> Path:
    """Write `snapshot` to `target` atomically and return the path.

    Only an absent or empty folder, or a snapshot costkit wrote, is replaced (`check_target`); the old
    snapshot's files are removed by name, so nothing else is ever deleted.
    """
    recover(target)
    owned = check_target(target)
    target = target.resolve()
    staging = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
    except OSError as error:
        raise _unwritable(target, error) from None
    old: Path | None = None
    try:
        for name, frame in snapshot.tables.items():
            frame.to_parquet(staging / f"{name}.parquet", index=False)
        manifest = {
            **snapshot.manifest,
            "written_by": WRITTEN_BY,
            "format_version": FORMAT_VERSION,
            "tables": sorted(snapshot.tables),
        }
        # The manifest last: a staging folder with a manifest is complete.
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str) + "\n")
        if target.exists():
            old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
            target.rename(old)
        try:
            staging.rename(target)
        except BaseException:
            if old is not None:
                old.rename(target)  # put the previous snapshot back before anything else
            raise
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)  # costkit's own staging folder
        if isinstance(error, OSError):
            raise _unwritable(target, error) from None
        raise
    if old is not None:
        _remove_owned(old, owned)
    return target


def check_target(target: Path) -> list[str]:
    """Refuse a `target` that `write` must not replace; return the names of the files it may remove there.

    Replaceable: an absent path, an empty folder, or a folder holding only what a costkit snapshot lists
    (its manifest and tables). Refused: a symbolic link, a file, the current folder or one above it, and any
    folder holding anything else.
    """
    fix = "give a new or empty folder, or a snapshot written by `costkit collect`"
    if target.is_symlink():
        raise CostkitError(f"{target}: is a symbolic link; costkit does not replace links", hint=fix)
    resolved = target.resolve()
    here = Path(os.getcwd()).resolve() if os.path.isdir(".") else None
    if here is not None and (resolved == here or resolved in here.parents):
        raise CostkitError(f"{target}: is the current folder or holds it; costkit never replaces it", hint=fix)
    _check_creatable(target, resolved)
    if not resolved.exists():
        return []
    if not resolved.is_dir():
        raise CostkitError(f"{target}: is a file, not a snapshot folder; costkit does not replace it", hint=fix)
    try:
        entries = sorted(entry.name for entry in resolved.iterdir())
    except OSError as error:
        raise CostkitError(f"{target}: cannot be read ({error.strerror})", hint=fix) from None
    if not entries:
        return []
    listed = _costkit_files(resolved)
    if listed is None:
        raise CostkitError(f"{target}: is not empty and not a snapshot costkit wrote; nothing was changed", hint=fix)
    foreign = [name for name in entries if name not in listed or not _plain_file(resolved / name)]
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise CostkitError(
            f"{target}: holds files costkit did not write ({shown}); nothing was changed",
            hint="move them away, or " + fix,
        )
    return entries


def recover(target: Path) -> Path | None:
    """Put back the previous snapshot when a write was killed between its two renames.

    Returns the restored folder (`target`), or None when nothing needed restoring.
    """
    if target.exists() or target.is_symlink():
        return None
    resolved = target.resolve()
    pattern = re.compile(rf"\.{re.escape(resolved.name)}\.old-[0-9a-f]{{8}}")
    try:
        candidates = [p for p in resolved.parent.iterdir() if pattern.fullmatch(p.name) and _costkit_files(p)]
    except OSError:
        return None
    if not candidates:
        return None
    newest = max(candidates, key=lambda p: (p / MANIFEST).stat().st_mtime)
    newest.rename(resolved)
    return resolved


def _costkit_files(folder: Path) -> set[str] | None:
    """The file names a costkit snapshot in `folder` consists of, or None when it is not one.

    A snapshot carries `written_by: costkit`; costkit 0.1 wrote none, but its manifests are recognised by
    `format_version` 1, `costkit_version` and the list of tables.
    """
    path = folder / MANIFEST
    if not _plain_file(path):
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("tables"), list):
        return None
    marked = manifest.get("written_by") == WRITTEN_BY and isinstance(manifest.get("format_version"), int)
    legacy = manifest.get("format_version") == 1 and isinstance(manifest.get("costkit_version"), str)
    if not (marked or legacy):
        return None
    tables = [name for name in manifest["tables"] if isinstance(name, str) and "/" not in name and name]
    return {MANIFEST} | {f"{name}.parquet" for name in tables}


def _check_creatable(target: Path, resolved: Path) -> None:
    """The nearest existing folder above `target` must be one this process may write in (renames need it)."""
    above = next(parent for parent in resolved.parents if parent.exists())
    if not above.is_dir():
        raise CostkitError(f"{target}: cannot be written: {above} is a file", hint="choose a folder you can write to")
    if not os.access(above, os.W_OK | os.X_OK):
        raise CostkitError(
            f"{target}: cannot be written: no permission to write in {above}", hint="choose a folder you can write to"
        )


def _plain_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _remove_owned(old: Path, names: list[str]) -> None:
    """Remove the replaced snapshot's own files, then its folder only if nothing else appeared in it."""
    for name in names:
        (old / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # something new is in there: keep it (the new snapshot is in place)
        old.rmdir()


def _unwritable(target: Path, error: OSError) -> CostkitError:
    where = error.filename or target
    return CostkitError(
        f"{target}: cannot write the snapshot ({error.strerror or error} at {where})",
        hint="choose a folder you can write to",
    )


def read(
    source: Path,
    *,
    check_data: bool = True,
    defer: frozenset[str] = frozenset(),
    remote: frozenset[str] = frozenset(),
) -> Snapshot:
    """Read a snapshot folder written by `write`, checked (refused or flagged) by checks.py; without
    `check_data`, only the folder's structure is checked (for moving snapshots, not pricing them).

    Tables named in `defer` stay on disk (`Snapshot.deferred`): their schema is checked now, their rows by the
    SQL that reads them (sources/snapshot/in_duckdb.py), so a 10 M-row table never enters memory whole. Tables
    named in `remote` live elsewhere (Athena tables: sources/snapshot/in_athena.py): not read here at all, and
    their files need not be in the folder; they are deferred too, so asking for one is never silently empty."""
    recover(source)
    manifest_path = source / MANIFEST
    if not source.is_dir() or not manifest_path.is_file():
        raise CostkitError(
            f"{source}: not a costkit snapshot (no {MANIFEST})", hint="create one with `costkit collect`"
        )
    checked = checked_load(source, MANIFEST, data=check_data, defer=defer, remote=remote)
    return Snapshot(checked.tables, checked.manifest, checked.problems, checked.deferred)
