"""S3's metering: storage per GB-month by storage class (with the minimum billable object size and archive
overheads), requests by class and tier, retrieval per GB, lifecycle transitions per object.
https://aws.amazon.com/s3/pricing/
"""

from __future__ import annotations

import pandas as pd

from costkit.billing.meters import mapping, name

GB_PER_KB = 1.0 / (1024 * 1024)
GIB = 1024.0**3
MIN_SIZE_CLASSES = ("STANDARD_IA", "ONEZONE_IA", "GLACIER_IR")  # billed as at least 128 KB per object
MIN_OBJECT_KB = 128
ARCHIVE_CLASSES = ("GLACIER", "DEEP_ARCHIVE")  # 32 KB per object at the archive rate + 8 KB at Standard
ARCHIVE_OVERHEAD_KB = 32
ARCHIVE_INDEX_KB = 8
METERS = ("storage", "put-requests", "get-requests", "retrieval", "transition")


def by_class(storage_class: pd.Series) -> pd.DataFrame:
    """Per row: the usage type of each meter for its storage class (None where the class does not bill it)."""
    return (
        pd.DataFrame(
            {meter: storage_class.map(mapping("S3", meter, "storage_class")) for meter in METERS},
            index=storage_class.index,
        )
        .astype(object)
        .where(lambda frame: frame.notna(), None)
    )


def archive_index(storage_class: pd.Series) -> pd.Series:
    """The usage type the 8 KB per-object index of an archive class bills at (S3 Standard)."""
    return storage_class.map(mapping("S3", "archive-index", "storage_class"))


def of_class(meter: str, storage_class: str) -> str:
    return name("S3", meter, storage_class)


def observed_storage(storage_type: pd.Series) -> pd.DataFrame:
    """CloudWatch StorageType -> `usage_type` and `meter` (`storage`, or `storage-overhead` for the overheads,
    which bill at the rate of the class they name)."""
    types = mapping("S3", "storage", "cloudwatch_storage_type")
    overheads = mapping("S3", "storage-overhead", "cloudwatch_storage_type")
    usage_type = storage_type.map({**types, **overheads})
    meter = storage_type.map({**dict.fromkeys(types, "storage"), **dict.fromkeys(overheads, "storage-overhead")})
    return pd.DataFrame(
        {"usage_type": usage_type.where(usage_type.notna(), None), "meter": meter}, index=storage_type.index
    )
