"""Checks that a suggestion priced in its rule's batch is the same change as its own row edit."""

from __future__ import annotations

import pandas as pd
import pytest

from costkit.model.rows import ROW_COLUMNS
from costkit.optimize.base import Context, Suggestion
from costkit.reprice import Edit


def table(rows: pd.DataFrame) -> list[tuple[object, ...]]:
    """A usage table as sorted rows (empty cells as ""), for comparing tables holding the same rows in any order."""
    cells = rows.reset_index(drop=True)[list(ROW_COLUMNS)].astype(object)
    return sorted((tuple("" if pd.isna(v) else v for v in row) for row in cells.itertuples(index=False)), key=repr)


def batch_matches_transform(ctx: Context, suggestion: Suggestion) -> None:
    """The suggestion's batch edit leaves the very table its transform leaves, and its batched saving equals
    that transform re-priced alone (one by one, as before batches)."""
    assert suggestion.transform is not None
    assert suggestion.priced_in is not None
    batch, number = suggestion.priced_in
    rows = ctx.rows.reset_index(drop=True)
    edit = batch.edit([number])
    after = pd.concat([rows.drop(index=edit.removed), edit.added], ignore_index=True)
    assert table(after) == table(suggestion.transform(rows.copy()))
    assert suggestion.monthly_saving_usd == pytest.approx(ctx.saving(suggestion.transform), abs=1e-9)


def wiring_reprice_matches_saving(ctx: Context, suggestion: Suggestion) -> float:
    """WIRING check, not a billing check: the suggestion's transform re-priced with the same call that
    computed its saving gives baseline minus the saving. It cannot catch a wrong saving (both sides move
    together); the hand-worked `monthly_saving_usd == ...` assertions next to each call do that."""
    assert suggestion.transform is not None
    total, missing = reprice_whole(ctx, suggestion.transform(ctx.rows.copy()))
    assert not missing
    assert total == pytest.approx(ctx.baseline.total - suggestion.monthly_saving_usd)
    if suggestion.priced_in is not None:
        batch_matches_transform(ctx, suggestion)
    return total


def reprice_whole(ctx: Context, rows: pd.DataFrame) -> tuple[float, set[tuple[str, ...]]]:
    """A changed usage table priced exactly as the baseline was (the whole table), and what had no price."""
    result = ctx.repricer.price(Edit.whole(len(ctx.rows), rows))
    return result.total_usd, set(result.missing)
