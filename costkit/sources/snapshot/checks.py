"""Check a snapshot folder as it is read: snapshots are copied between machines, edited and truncated, and a
wrong observation must never become a confident total.

Two outcomes (docs/trust-and-safety.md lists every check):
- **refused** (SnapshotError, exit 2): the folder cannot be read as costkit wrote it: a corrupt or unknown
  manifest, a bad window, tables missing, unsafe or unreadable, columns missing or of the wrong type, account
  ids that are not 12 digits. Pricing it would mean guessing.
- **flagged** (a Problem): some rows are impossible (negative, NaN or infinite quantities, builds longer than
  CodeBuild allows, duplicates, runs outside the window) or a file is not in the manifest. Those rows are left
  out, the rest is priced, and the estimate lists the problem and is never `complete`.
"""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from costkit.errors import CostkitError, quoted

FORMAT_VERSIONS = frozenset({1})
MAX_MANIFEST_BYTES = 10 * 1024 * 1024
MAX_BUILD = pd.Timedelta(hours=36)  # CodeBuild's longest build timeout (2,160 minutes)
TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
ACCOUNT_ID = r"^[0-9]{12}$"
RECOLLECT = "collect the snapshot again with `costkit collect`"

# Column kinds: text, time (datetime64), number (int or float), bool. Required columns are read by pricing;
# optional ones are checked when present.
Columns = dict[str, str]
REQUIRED: dict[str, Columns] = {
    "pipelines": {"account": "text", "region": "text", "pipeline": "text", "pipeline_type": "text",
                  "created": "time", "artifact_buckets": "text"},
    "pipeline_executions": {"account": "text", "region": "text", "pipeline": "text", "execution_id": "text",
                            "start": "time", "last_update": "time"},
    "action_executions": {"account": "text", "region": "text", "pipeline": "text", "execution_id": "text",
                          "action_execution_id": "text", "stage": "text", "action": "text", "category": "text",
                          "owner": "text", "status": "text", "start": "time", "last_update": "time"},
    "pipeline_actions": {"account": "text", "region": "text", "pipeline": "text", "action": "text",
                         "category": "text"},
    "builds": {"account": "text", "region": "text", "project": "text", "build_id": "text", "status": "text",
               "start": "time", "end": "time", "billed_start": "time", "compute_type": "text",
               "environment_type": "text", "initiator": "text", "fleet_arn": "text"},
    "projects": {"account": "text", "region": "text", "project": "text"},
    "functions": {"account": "text", "region": "text", "function": "text", "found": "bool", "memory_mb": "number",
                  "architecture": "text", "ephemeral_storage_mb": "number"},
    "function_metrics": {"account": "text", "region": "text", "function": "text", "invocations": "number",
                         "duration_ms_avg": "number"},
    "buckets": {"account": "text", "region": "text", "bucket": "text", "found": "bool"},
    "bucket_storage": {"account": "text", "region": "text", "bucket": "text", "storage_type": "text",
                       "avg_bytes": "number"},
    "actuals": {"account": "text", "service": "text", "cost_usd": "number"},
}  # fmt: skip
PHASES = ["queued_s", "provisioning_s", "download_source_s", "install_s", "pre_build_s", "build_s", "post_build_s",
          "upload_artifacts_s", "finalizing_s"]  # fmt: skip
OPTIONAL: dict[str, Columns] = {
    "builds": {"provisioning_start": "time", "billable_seconds": "number", "from_pipeline": "bool",
               **dict.fromkeys(PHASES, "number")},
    "function_metrics": {"duration_ms_sum": "number"},
    "bucket_storage": {"avg_objects": "number"},
    "actuals": {"usage_quantity": "number", "estimated": "bool"},
    "pipeline_actions": {"function_name": "text", "project_name": "text"},
}  # fmt: skip
# Run tables: the ids that must be unique, and the columns giving a run's start and end.
RUNS = {
    "pipeline_executions": (["account", "region", "pipeline", "execution_id"], "start", "last_update"),
    "action_executions": (["account", "region", "action_execution_id"], "start", "last_update"),
    "builds": (["account", "region", "build_id"], "start", "end"),
}


class SnapshotError(CostkitError):
    """A snapshot that cannot be priced as it is."""


@dataclass(frozen=True)
class Problem:
    """Rows of one table left out of the estimate, and why (shown with the estimate's assumptions)."""

    kind: str
    file: str
    table: str
    column: str | None
    rows: int
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "file": self.file, "table": self.table, "column": self.column,
                "rows": self.rows, "message": self.message}  # fmt: skip


@dataclass(frozen=True)
class Checked:
    """A snapshot folder as read: tables (impossible rows removed), manifest, problems, and the tables left on
    disk (`deferred`: name -> Parquet file, its columns and types checked; its rows are checked where queried)."""

    tables: dict[str, pd.DataFrame]
    manifest: dict[str, Any]
    problems: list[Problem]
    deferred: dict[str, Path]


def load(
    source: Path,
    manifest_name: str,
    *,
    data: bool = True,
    defer: frozenset[str] = frozenset(),
    remote: frozenset[str] = frozenset(),
) -> Checked:
    """Read and check a snapshot folder.

    With `data=False` only the folder is checked (manifest, table names and files, Parquet readable), not the
    window, columns or rows: for code that moves snapshots rather than prices them. Tables named in `defer` are
    not loaded: only their Parquet schema is read and checked (columns, types); their rows are checked by whoever
    queries them (sources/snapshot/sql/checked_*.sql, the same checks as `_clean`). Tables named in `remote` are
    not read at all (they live elsewhere, e.g. in Athena, and are checked there); they are listed as deferred."""
    manifest = _manifest(source / manifest_name)
    window = _window(manifest, source / manifest_name) if data else None
    names = _table_names(manifest, source / manifest_name)
    problems = _unlisted(source, names) if data else []
    tables: dict[str, pd.DataFrame] = {}
    deferred: dict[str, Path] = {}
    for name in names:
        if name in remote:
            deferred[name] = source / f"{name}.parquet"
            continue
        path = _table_path(source, name)
        if name in defer:
            schema = _parquet_schema(path)
            if window is not None:
                _check_schema(schema, path, name)
            deferred[name] = path
            continue
        frame = _parquet(path)
        if window is not None:
            _check_columns(frame, path, name)
            frame = _clean(frame, path, name, window, problems)
        tables[name] = frame
    if window is not None:
        problems += _window_after_creation(manifest, source / manifest_name, window)
    return Checked(tables, manifest, problems, deferred)


def in_order(problems: list[Problem], names: list[str]) -> list[Problem]:
    """Problems in the order an eager read finds them: unlisted files, then each table in manifest order (checks
    in `_clean`'s order within a table), then the manifest's own; for problems found in two passes."""
    rank = {name: index for index, name in enumerate(names)}

    def key(problem: Problem) -> int:
        if problem.kind == "unlisted-table":
            return -1
        return rank.get(problem.table, len(names))

    return sorted(problems, key=key)


def _manifest(path: Path) -> dict[str, Any]:
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode):
            raise SnapshotError(f"{path}: is not a regular file", hint=RECOLLECT)
        if info.st_size > MAX_MANIFEST_BYTES:
            raise SnapshotError(f"{path}: is {info.st_size:,} bytes; a manifest is at most 10 MiB", hint=RECOLLECT)
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        detail = f"line {exc.lineno}, column {exc.colno}: {exc.msg}" if isinstance(exc, json.JSONDecodeError) else ""
        raise SnapshotError(
            f"{path}: is not valid JSON{': ' + detail if detail else f' ({type(exc).__name__})'}", hint=RECOLLECT
        ) from None
    if not isinstance(manifest, dict):
        raise SnapshotError(f"{path}: must be a JSON object, not {type(manifest).__name__}", hint=RECOLLECT)
    version = manifest.get("format_version")
    if isinstance(version, bool) or version not in FORMAT_VERSIONS:
        raise SnapshotError(
            f"{path}: format_version {quoted(version)} is not one this costkit reads "
            f"({', '.join(map(str, sorted(FORMAT_VERSIONS)))})",
            hint="use the costkit version that wrote it, or " + RECOLLECT,
        )
    return manifest


def _window(manifest: dict[str, Any], path: Path) -> tuple[pd.Timestamp, pd.Timestamp]:
    window = manifest.get("window")
    bounds: list[pd.Timestamp] = []
    for edge in ("start", "end"):
        value = window.get(edge) if isinstance(window, dict) else None
        try:
            if not isinstance(value, str):
                raise ValueError
            stamp = pd.Timestamp(value)
        except (ValueError, OverflowError):
            raise SnapshotError(
                f"{path}: window.{edge} {quoted(value)} is not a timestamp (ISO 8601, e.g. 2026-10-01T00:00:00+00:00)",
                hint=RECOLLECT,
            ) from None
        if pd.isna(stamp):
            raise SnapshotError(f"{path}: window.{edge} is empty", hint=RECOLLECT)
        bounds.append(stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC"))
    start, end = bounds
    if start >= end:
        raise SnapshotError(f"{path}: window starts ({start}) at or after it ends ({end})", hint=RECOLLECT)
    return start, end


def _table_names(manifest: dict[str, Any], path: Path) -> list[str]:
    names = manifest.get("tables", [])
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise SnapshotError(f"{path}: `tables` must be a list of table names", hint=RECOLLECT)
    for name in names:
        if not TABLE_NAME.match(name):
            raise SnapshotError(
                f"{path}: table name {quoted(name)} is not allowed (lower-case letters, digits and _; "
                "no path: a table is a file inside the snapshot folder)",
                hint=RECOLLECT,
            )
    if len(set(names)) != len(names):
        raise SnapshotError(f"{path}: `tables` lists a table twice", hint=RECOLLECT)
    return list(names)


def _table_path(source: Path, name: str) -> Path:
    path = source / f"{name}.parquet"
    try:
        info = path.lstat()
    except FileNotFoundError:
        raise SnapshotError(
            f"{path}: table {name} is listed in the manifest but its file is missing", hint=RECOLLECT
        ) from None
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot be read ({exc.strerror})", hint=RECOLLECT) from None
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
        raise SnapshotError(
            f"{path}: table {name} is not a regular file inside the snapshot folder (a link, folder or device)",
            hint="a snapshot's tables are its own files; copy the folder without links, or " + RECOLLECT,
        )
    return path


def _unlisted(source: Path, names: list[str]) -> list[Problem]:
    listed = {f"{name}.parquet" for name in names}
    extra = sorted(p.name for p in source.glob("*.parquet") if p.name not in listed)
    return [
        Problem("unlisted-table", str(source / name), name.removesuffix(".parquet"), None, 0,
                f"{source / name}: not listed in the manifest, so not read; the snapshot may be missing data "
                f"({RECOLLECT})")
        for name in extra
    ]  # fmt: skip


def _parquet_schema(path: Path) -> pa.Schema:
    try:
        return pq.read_schema(path)
    except Exception as exc:  # pyarrow raises many types (ArrowInvalid, OSError, ...) for a corrupt file
        raise unreadable(path, exc) from None


def unreadable(path: Path, exc: Exception) -> SnapshotError:
    """The refusal for a Parquet file that cannot be read (here, or by the engine that queries it)."""
    return SnapshotError(
        f"{path}: is not a readable Parquet table ({type(exc).__name__}: {quoted(str(exc), 120)})", hint=RECOLLECT
    )


def _check_schema(schema: pa.Schema, path: Path, name: str) -> None:
    """`_check_columns` for a table left on disk: the same columns and kinds, from the Parquet schema. (Account
    ids are data: the engine that reads the rows checks them, `account_problem`.)"""
    if not len(schema.names):
        return  # a collector that found nothing
    required = REQUIRED.get(name, {})
    missing = [column for column in required if column not in schema.names]
    if missing:
        raise SnapshotError(f"{path}: table {name} has no column {', '.join(missing)}", hint=RECOLLECT)
    for column, kind in {**required, **OPTIONAL.get(name, {})}.items():
        if column in schema.names and not _arrow_is_kind(schema.field(column).type, kind):
            raise SnapshotError(
                f"{path}: table {name}, column {column} holds {schema.field(column).type} values, not {kind}",
                hint=RECOLLECT,
            )


def _arrow_is_kind(kind_of: pa.DataType, kind: str) -> bool:
    if pa.types.is_dictionary(kind_of):
        kind_of = kind_of.value_type
    if pa.types.is_null(kind_of):
        return True  # all missing: any kind
    if kind == "text":
        return bool(pa.types.is_string(kind_of) or pa.types.is_large_string(kind_of))
    if kind == "time":
        return bool(pa.types.is_timestamp(kind_of))
    if kind == "bool":
        return bool(pa.types.is_boolean(kind_of))
    return bool(pa.types.is_integer(kind_of) or pa.types.is_floating(kind_of))


def account_problem(path: Path, name: str, bad: int, example: object) -> SnapshotError:
    """The refusal for account ids that are not 12 digits (`bad` rows, the first of them `example`)."""
    return SnapshotError(
        f"{path}: table {name}, column account: {bad} row(s) are not a 12-digit account id (e.g. {quoted(example)})",
        hint=RECOLLECT,
    )


def row_problem(
    kind: str, path: Path, name: str, column: str | None, count: int, window: tuple[pd.Timestamp, pd.Timestamp]
) -> Problem:
    """The Problem for `count` rows of a table left out by one check (the same words from either engine)."""
    begin, finish = RUNS[name][1:] if name in RUNS else ("", "")
    what = {
        "bad-number": "negative, NaN or infinite",
        "negative-duration": f"end before they start ({finish} < {begin})",
        "duplicate-id": "duplicates of an earlier row's id (the first is kept)",
        "outside-window": f"wholly outside the window {window[0]} .. {window[1]}",
        "build-too-long": "longer than CodeBuild's 36-hour maximum",
    }[kind]
    return Problem(kind, str(path), name, column, count,
                   f"{path}: table {name}, column {column}: {count} row(s) {what}; left out of the "
                   f"estimate, which is therefore not complete ({RECOLLECT})")  # fmt: skip


def _parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types (ArrowInvalid, OSError, ...) for a corrupt file
        raise unreadable(path, exc) from None


def _check_columns(frame: pd.DataFrame, path: Path, name: str) -> None:
    required = REQUIRED.get(name, {})
    if frame.empty and not len(frame.columns):
        return  # a collector that found nothing
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise SnapshotError(f"{path}: table {name} has no column {', '.join(missing)}", hint=RECOLLECT)
    for column, kind in {**required, **OPTIONAL.get(name, {})}.items():
        if column in frame.columns and not _is_kind(frame[column], kind):
            raise SnapshotError(
                f"{path}: table {name}, column {column} holds {frame[column].dtype} values, not {kind}",
                hint=RECOLLECT,
            )
    if "account" in frame.columns:
        bad = ~frame["account"].astype("string").str.fullmatch(ACCOUNT_ID).fillna(False).astype(bool)
        if bad.any():
            raise account_problem(path, name, int(bad.sum()), frame["account"][bad].iloc[0])


def _is_kind(series: pd.Series, kind: str) -> bool:
    inferred = pd.api.types.infer_dtype(series, skipna=True)
    if inferred == "empty":
        return True  # all missing: any kind
    if kind == "text":
        return inferred == "string"
    if kind == "time":
        return pd.api.types.is_datetime64_any_dtype(series)
    if kind == "bool":
        return inferred == "boolean"
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _clean(
    frame: pd.DataFrame, path: Path, name: str, window: tuple[pd.Timestamp, pd.Timestamp], problems: list[Problem]
) -> pd.DataFrame:
    """The table without impossible rows; each kind of problem found is appended to `problems`."""
    if frame.empty:
        return frame
    checks: list[tuple[str, str | None, Callable[[pd.DataFrame], pd.Series]]] = []
    for quantity in _quantities(name):
        if quantity in frame.columns:
            checks.append(("bad-number", quantity, _bad_number(quantity, name)))
    if name in RUNS:
        key, begin, finish = RUNS[name]
        checks += [
            ("negative-duration", finish, lambda f: _time(f, finish) < _time(f, begin)),
            ("duplicate-id", key[-1], lambda f: f.duplicated(key, keep="first")),
            ("outside-window", begin, lambda f: _outside(f, begin, finish, window)),
        ]
    if name == "builds":
        checks.append(("build-too-long", "end", lambda f: (_time(f, "end") - _time(f, "billed_start")) > MAX_BUILD))
    keep = pd.Series(True, index=frame.index)
    for kind, column, test in checks:
        bad = test(frame).fillna(False).astype(bool) & keep
        if bad.any():
            problems.append(row_problem(kind, path, name, column, int(bad.sum()), window))
            keep &= ~bad
    return frame if keep.all() else frame[keep].reset_index(drop=True)


def _quantities(name: str) -> list[str]:
    """Columns holding durations, bytes or counts, which are finite and never negative."""
    return {
        "builds": ["billable_seconds", *PHASES],
        "function_metrics": ["invocations", "duration_ms_sum", "duration_ms_avg"],
        "bucket_storage": ["avg_bytes", "avg_objects"],
        "functions": ["memory_mb", "ephemeral_storage_mb"],
    }.get(name, [])


def _bad_number(column: str, table: str) -> Callable[[pd.DataFrame], pd.Series]:
    # NaN is a known gap in a few columns: no datapoint (average of zero invocations, object-count rows
    # without bytes) or a running build's billable seconds.
    may_be_missing = {"duration_ms_avg", "duration_ms_sum", "avg_objects", "billable_seconds"}

    def test(frame: pd.DataFrame) -> pd.Series:
        values = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        bad = (values < 0) | np.isinf(values)
        if column in may_be_missing:
            return bad
        if column == "avg_bytes" and table == "bucket_storage" and "storage_type" in frame:
            return bad | (values.isna() & (frame["storage_type"] != "AllStorageTypes"))
        return bad | values.isna()

    return test


def _time(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_datetime(frame[column], utc=True)


def _outside(frame: pd.DataFrame, begin: str, finish: str, window: tuple[pd.Timestamp, pd.Timestamp]) -> pd.Series:
    """Runs the collector would not have kept: started at or after the window's end, or ended before its start."""
    return (_time(frame, begin) >= window[1]) | (_time(frame, finish) < window[0])


def _window_after_creation(
    manifest: dict[str, Any], path: Path, window: tuple[pd.Timestamp, pd.Timestamp]
) -> list[Problem]:
    created = manifest.get("created")
    try:
        stamp = pd.Timestamp(created) if isinstance(created, str) else None
    except (ValueError, OverflowError):
        stamp = None
    if stamp is None or pd.isna(stamp):
        return []
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    if window[1] <= stamp + pd.Timedelta(minutes=5):
        return []
    return [Problem("window-after-creation", str(path), "manifest", "window.end", 0,
                    f"{path}: the window ends ({window[1]}) after the snapshot was created ({stamp}): its last "
                    f"part was never observed, so projecting it to a month is a guess ({RECOLLECT})")]  # fmt: skip
