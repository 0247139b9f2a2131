"""Tables as plain rows for assertions: missing values as None, since NaN != NaN would fail every comparison."""

from __future__ import annotations

from typing import Any

import pandas as pd


def records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """The rows of `columns` as plain dicts, in the frame's order, missing values as None."""
    picked = frame[columns].astype(object)
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in picked.to_dict("records")]
