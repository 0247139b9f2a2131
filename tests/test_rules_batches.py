"""The batch helpers the run-based and storage rules price their candidates with: rows matched by key (an empty
cell matching an empty cell), and `lower` (quantities taken off in row order, never below zero) for every
candidate at once. Each batched table is compared with what the one-candidate row edit leaves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from costkit import Period
from costkit.model.rows import ROW_COLUMNS
from costkit.optimize import suggest
from costkit.optimize.rows import keep, lower, matched
from costkit.optimize.runs import changes_of, lowering_batch


def usage_rows(*rows: tuple[str, str | None, float]) -> pd.DataFrame:
    """CodeBuild minute rows of account 111122223333 in us-east-1: (project, pipeline, billed minutes)."""
    return pd.DataFrame(
        [
            {"account": "111122223333", "region": "us-east-1", "service": "CodeBuild", "resource": project,
             "component": "BUILD_GENERAL1_SMALL / LINUX_CONTAINER", "pipeline": pipeline,
             "usage_type": "Build-Min:Linux:g1.small", "quantity": minutes, "unit": "Minute", "meter": None,
             "detail": "builds"}
            for project, pipeline, minutes in rows
        ],
        columns=list(ROW_COLUMNS),
    )  # fmt: skip


def test_matched_pairs_rows_and_keys_an_empty_cell_matching_an_empty_cell() -> None:
    rows = usage_rows(("app", "web", 10.0), ("app", None, 4.0), ("lint", None, 2.0))
    keys = pd.DataFrame({"resource": ["app", "lint", "app"], "pipeline": [None, None, "web"]})
    at, key = matched(rows, keys, ["resource", "pipeline"])
    assert at.tolist() == [0, 1, 2]  # in row order
    assert key.tolist() == [2, 0, 1]  # app/web is key 2, app/(none) key 0, lint/(none) key 1
    assert matched(rows.iloc[0:0], keys, ["resource"])[0].tolist() == []


def test_lowering_batch_takes_each_amount_off_its_rows_in_row_order() -> None:
    # Two rows share one key (app, no pipeline): 3 and 5 minutes. Taking 4 leaves 0 and 4 (3 from the first,
    # 1 from the second); taking 10 leaves 0 and 0, never below zero; taking 2 leaves 1 and 5 (the first row gives
    # all, the second nothing). lint: 2 - 0.5 = 1.5 minutes.
    rows = usage_rows(("app", None, 3.0), ("lint", None, 2.0), ("app", None, 5.0))
    key = {"service": "CodeBuild", "account": "111122223333", "region": "us-east-1", "pipeline": None}
    cuts = pd.DataFrame(
        [
            {"candidate": 0, **key, "resource": "app", "amount": 4.0},
            {"candidate": 0, **key, "resource": "lint", "amount": 0.5},
            {"candidate": 1, **key, "resource": "app", "amount": 10.0},
            {"candidate": 2, **key, "resource": "app", "amount": 2.0},
        ]
    )
    batch = lowering_batch(rows, 3, cuts)
    assert batch.size == 3
    for number, expected in [(0, [0.0, 1.5, 4.0]), (1, [0.0, 2.0, 0.0]), (2, [1.0, 2.0, 5.0])]:
        edit = batch.edit([number])
        after = rows["quantity"].to_numpy(copy=True)
        after[edit.removed] = edit.added["quantity"].to_numpy()
        assert after.tolist() == pytest.approx(expected)
        # ... and exactly what `lower` leaves for that candidate alone.
        assert lower(rows, changes_of(cuts)[number])["quantity"].tolist() == pytest.approx(expected)
    empty = lowering_batch(rows, 4, cuts.iloc[0:0])
    assert empty.size == 4
    assert len(empty.removed) == 0
    assert len(empty.added) == 0


def test_keep_with_no_candidates_at_all() -> None:
    assert keep(np.array([-1, -1]), np.zeros(0, dtype=bool)).tolist() == [-1, -1]
    assert keep(np.array([1, -1, 0]), np.array([False, True])).tolist() == [0, -1, -1]


def test_suggest_on_a_usage_file_with_buckets_only() -> None:
    # No pipelines, builds or functions: the batched rules find no candidates, and the lifecycle rule still
    # prices its move to Standard-IA: 100 GB x ($0.023 - $0.0125) = $1.05 a month (no object count, no writes).
    usage = {"version": 1, "region": "us-east-1", "free_tier": False, "s3": {"artifacts": {"storage_gb": 100}}}
    found = suggest(usage, period=Period.month(2026, 11))
    assert [item.id for item in found.items] == ["artifact-lifecycle-standard-ia-planned-us-east-1-artifacts"]
    assert found.combined_saving_usd == pytest.approx(100 * (0.023 - 0.0125))
