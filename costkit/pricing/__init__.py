"""Price sets: AWS's public Price List bulk files refreshed into a dated set in the user cache, and the one
price book every estimate uses (bundled tables, overlaid by the newest refreshed set unless told otherwise).

No module here uses the AWS SDK: the bulk files are plain HTTPS and need no account.
"""

from __future__ import annotations

from costkit.pricing.sets import PriceSet, current_pricebook, newest_set, read_set

__all__ = ["PriceSet", "current_pricebook", "newest_set", "read_set"]
