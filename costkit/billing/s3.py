"""S3's metering: storage per GB-month by storage class (with the minimum billable object size and archive
overheads), requests by class and tier, retrieval per GB, lifecycle transitions per object.
https://aws.amazon.com/s3/pricing/
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from costkit.billing.meters import mapping, name
from costkit.model.rows import concat_rows, empty_rows, fmt, rows_for
from costkit.model.usage import Usage

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


REQUESTS = (
    ("put_requests", "put-requests", "PUT/COPY/POST/LIST requests", "Request", " requests", "put_actions"),
    ("get_requests", "get-requests", "GET and other requests", "Request", " requests", "get_actions"),
    ("retrieval_gb", "retrieval", "retrieval", "GB", " GB retrieved", None),
    ("transitions", "transition", "lifecycle transitions", "Object", " objects transitioned", None),
)


def rows(usage: Usage) -> tuple[pd.DataFrame, set[str]]:
    """S3's usage rows from the inventory's buckets: storage per GB-month (stated: with the minimum billable size
    and archive overheads applied; measured by CloudWatch: as measured, overheads included, x the bucket's
    share for its pipeline), requests, retrieval and transitions (x the projection), archive index and
    Intelligent-Tiering monitoring."""
    buckets = usage.inventory.buckets
    if buckets.empty:
        return empty_rows(), set()
    noted: set[str] = set()
    frame = buckets.assign(share=buckets["share"].astype(float).fillna(1.0))
    types = by_class(frame["storage_class"].astype(object).fillna("STANDARD"))  # artifact stores: Standard
    measured = frame["storage_type"].notna()
    stated = frame[~measured & frame["storage_gb"].notna()]
    parts: list[pd.DataFrame] = []
    if not stated.empty:
        parts += _stated(stated, types.loc[stated.index], noted)
    if measured.any():
        noted |= {"observed-s3-storage", "s3-no-free-tier"}
        if (frame.loc[measured, "share"] < 1).any():
            noted.add("observed-s3-shared-bucket")
        parts.append(_measured(frame[measured]))
    parts += _requests(frame, types, usage.projection, noted, observed=not usage.planned)
    if not stated.empty:
        parts += _per_object(stated, noted)
    return concat_rows(parts), noted


def _measured(sized: pd.DataFrame) -> pd.DataFrame:
    types = observed_storage(sized["storage_type"])
    return rows_for(sized, service="S3", resource=sized["bucket"], pipeline=sized["pipeline"],
                    component="storage (" + sized["storage_type"] + ")", usage_type=types["usage_type"],
                    meter=types["meter"], quantity=sized["storage_gb"].astype(float) * sized["share"], unit="GB-Month",
                    detail=np.where(sized["share"] < 1, "share (by executions) of the average daily BucketSizeBytes",
                                    "average of daily BucketSizeBytes over the window"))  # fmt: skip


def _stated(frame: pd.DataFrame, types: pd.DataFrame, noted: set[str]) -> list[pd.DataFrame]:
    """Storage as a usage file states it: average GB, with the minimum size and archive overhead per object."""
    objects = frame["objects"].astype(float)
    has_objects = objects.notna()
    stored = frame["storage_gb"].astype(float)
    cls = frame["storage_class"]
    min_size = cls.isin(MIN_SIZE_CLASSES) & has_objects
    archive = cls.isin(ARCHIVE_CLASSES) & has_objects
    count = objects.fillna(0.0)
    billed_storage = np.where(min_size, np.maximum(stored, count * MIN_OBJECT_KB * GB_PER_KB), stored)
    billed_storage = np.where(archive, stored + count * ARCHIVE_OVERHEAD_KB * GB_PER_KB, billed_storage)
    if min_size.any():
        noted.add("s3-min-object-size")
    if archive.any():
        noted.add("s3-archive-overhead")
    noted.add("s3-no-free-tier")
    if (cls != "STANDARD").any():
        noted.add("s3-minimum-duration")
    detail = np.select(
        [min_size & (billed_storage > stored), archive],
        [
            fmt(count) + " objects x 128 KB minimum billable size",
            fmt(stored) + " GB + " + fmt(count) + " objects x 32 KB archive overhead",
        ],
        default=fmt(stored) + " GB average stored",
    )
    return [
        rows_for(frame, service="S3", resource=frame["bucket"], pipeline=frame["pipeline"],
                 component="storage (" + cls + ")", usage_type=types["storage"], meter="storage",
                 quantity=billed_storage, unit="GB-Month", detail=detail)
    ]  # fmt: skip


def _requests(
    frame: pd.DataFrame, types: pd.DataFrame, projection: float, noted: set[str], *, observed: bool
) -> list[pd.DataFrame]:
    parts: list[pd.DataFrame] = []
    for column, kind, label, unit, words, actions in REQUESTS:
        used = types[kind].notna() & (frame[column].astype(float).fillna(0.0) > 0)
        if not used.any():
            continue
        if kind == "transition":
            noted.add("s3-transitions")
        if observed:
            noted.add("observed-s3-requests")
        sub = frame[used]
        quantity = sub[column].astype(float) * projection
        words_of = fmt(quantity) + words
        if actions is not None and sub["executions"].notna().any():
            counted = sub["executions"].astype(float).fillna(0).astype(int).astype(str) + " executions x "
            counted += sub[actions].astype(float).fillna(0).astype(int).astype(str) + " artifact actions"
            counts_known = sub["executions"].notna() & sub[actions].notna()  # else the stated requests' words
            words_of = counted.where(counts_known, words_of)
            label = label + " (estimated)" if observed else label
        parts.append(
            rows_for(sub, service="S3", resource=sub["bucket"], pipeline=sub["pipeline"], component=label,
                     usage_type=types.loc[used, kind], quantity=quantity, unit=unit, meter=kind, detail=words_of)
        )  # fmt: skip
    return parts


def _per_object(frame: pd.DataFrame, noted: set[str]) -> list[pd.DataFrame]:
    """The archive classes' 8 KB index per object at S3 Standard; Intelligent-Tiering's monitoring per object."""
    objects = frame["objects"].astype(float)
    has_objects = objects.notna()
    cls = frame["storage_class"]
    stored = frame["storage_gb"].astype(float)
    parts: list[pd.DataFrame] = []
    archive = cls.isin(ARCHIVE_CLASSES) & has_objects
    if archive.any():
        sub = frame[archive]
        parts.append(
            rows_for(sub, service="S3", resource=sub["bucket"], pipeline=sub["pipeline"],
                     component="archive index (8 KB per object at S3 Standard)",
                     usage_type=archive_index(sub["storage_class"]), meter="archive-index",
                     quantity=objects[archive] * ARCHIVE_INDEX_KB * GB_PER_KB, unit="GB-Month",
                     detail=fmt(objects[archive]) + " objects x 8 KB")
        )  # fmt: skip
    monitored = cls == "INTELLIGENT_TIERING"
    if (monitored & ~has_objects).any():
        noted.add("s3-int-monitoring-unknown")
    if monitored.any():
        noted.add("s3-intelligent-tiering")
        sub = frame[monitored & has_objects]
        if not sub.empty:
            average_kb = stored[sub.index] / objects[sub.index].replace(0, np.nan) / GB_PER_KB
            counted = np.where(average_kb >= 128, objects[sub.index], 0.0)
            parts.append(
                rows_for(sub, service="S3", resource=sub["bucket"], pipeline=sub["pipeline"],
                         component="Intelligent-Tiering monitoring",
                         usage_type=of_class("monitoring", "INTELLIGENT_TIERING"), meter="monitoring",
                         quantity=counted, unit="Object-Month",
                         detail=np.where(average_kb >= 128, fmt(objects[sub.index]) + " objects monitored",
                                         "average object under 128 KB: not monitored"))
            )  # fmt: skip
    return parts
