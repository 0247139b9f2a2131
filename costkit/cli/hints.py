"""What to tell a user whose estimate has missing prices: the one command that fills them."""

from __future__ import annotations

import pandas as pd


def refresh_hint(missing: pd.DataFrame) -> str | None:
    """The `pricing refresh` command for the regions with missing prices (none for services not offered)."""
    if missing.empty:
        return None
    fillable = missing[~missing["reason"].astype(str).str.contains(" is not offered in ", regex=False)]
    regions = sorted(set(fillable["region"].dropna().astype(str)))
    if not regions:
        return None
    return (
        f"{len(fillable)} line(s) in {', '.join(regions)} have no price: "
        f"`costkit pricing refresh --regions {','.join(regions)}` fetches AWS's public prices "
        "(no AWS account needed); or borrow another region's with --fallback-region REGION"
    )
