"""Artifact and cache buckets with no expiration rule: expire, or move to Standard-IA, what is older than N days.

Model (stated in every suggestion): pipelines write artifacts at a steady rate and nothing deletes them, so the
bucket holds artifacts of every age. Without an age histogram, the objects written in the last N days are
estimated from the artifact writes (PUT requests: for a snapshot, one per Source/Build action per execution, as
the estimate counts them; for a usage file, put_requests_per_month), and compared with the bucket's object count:
    old share = 1 - (PUTs a month x N / days in the month) / objects,
applied to the bytes on the assumption that artifacts are of similar size. The saving is re-priced:
- expire: Standard storage x (1 - old share); lifecycle expiration itself is free.
- transition to STANDARD_IA: the old share billed at Standard-IA, at least 128 KB per object, plus one
  Transition-SIA request per object aging past N days each month (steady state: the objects written a month);
  the one-off cost is the first run moving the backlog.
When the split cannot be estimated (no object count or no write rate), only the transition is priced, on the
stated assumption that everything stored is older than N days (the bucket has been filling for much longer).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from costkit.billing.s3 import GB_PER_KB, of_class
from costkit.optimize.base import MIN_SAVING_USD, Batch, Context, Suggestion, touches
from costkit.optimize.rows import as_rows, matched, matching

RULE = "artifact-lifecycle"
DAYS = 30  # S3 moves objects to Standard-IA no sooner than 30 days after creation
STANDARD = of_class("storage", "STANDARD")
SIA = of_class("storage", "STANDARD_IA")
SIA_TRANSITION = of_class("transition", "STANDARD_IA")
PUT = of_class("put-requests", "STANDARD")
IA_MIN_KB = 128
PLACE = ["account", "region", "resource"]
ENTRY = {"account": "entry_account", "region": "entry_region", "pipeline": "entry_pipeline"}
CANDIDATE_COLUMNS = ["account", "region", "bucket", "standard_gb", "monthly_puts", "objects", "versioning",
                     *ENTRY.values()]  # fmt: skip
ROLLBACK = (
    "expired artifacts are gone: a pipeline cannot roll back to, or re-run a stage with, an artifact older than "
    "the rule keeps (keep N above your longest rollback window; the release pipeline's last deployed revision may be "
    "older than N days)"
)


def _standard_storage(rows: pd.DataFrame) -> pd.Series:
    """S3 Standard storage of objects themselves (not archive indexes or overheads billed at the Standard rate)."""
    return (rows["usage_type"] == STANDARD) & (rows["meter"] == "storage")


def _candidates(ctx: Context) -> pd.DataFrame:
    """Buckets without an expiration rule, one row each in (account, region, bucket) order: Standard storage GB,
    monthly writes (NaN: none known), object count (NaN: unknown), versioning, and what the bucket's inventory
    entry states (`entry_region`, `entry_account`, `entry_pipeline`). A usage file states no lifecycle rules: its
    STANDARD entries are taken as having none."""
    rows = ctx.rows
    s3 = rows[rows["service"] == "S3"]
    standard = s3[_standard_storage(s3)]
    usage = ctx.baseline.usage
    buckets = usage.inventory.buckets
    if not usage.planned and not usage.observed.get("lifecycle_rules", False):
        if not standard.empty:
            ctx.notes.append(
                f"{RULE}: the snapshot has no bucket lifecycle rules (buckets.has_expiration was not collected): "
                "not checked; collect again with this costkit to check them"
            )
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    stored = standard.groupby(PLACE)["quantity"].sum().rename("standard_gb").reset_index()
    puts = s3[s3["usage_type"] == PUT].groupby(PLACE)["quantity"].sum().rename("monthly_puts").reset_index()
    kind = "storage_class" if usage.planned else "storage_type"
    entries = buckets[buckets[kind] == ("STANDARD" if usage.planned else "StandardStorage")]
    entries = entries.drop_duplicates(["account", "bucket"]).rename(columns=ENTRY)  # a bucket's first entry
    if stored.empty or entries.empty:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    found = (
        stored.merge(puts, how="left", on=PLACE)
        .merge(entries, how="inner", left_on=["account", "resource"], right_on=["entry_account", "bucket"])
        .reset_index(drop=True)
    )
    if not usage.planned:
        present = found["found"].isna().to_numpy() | np.asarray(found["found"].to_numpy(dtype=object), dtype=bool)
        unread = found["has_expiration"].isna().to_numpy()
        ctx.notes.extend(
            f"{bucket}: lifecycle rules could not be read (access denied): not checked"
            for bucket in found.loc[present & unread, "bucket"]
        )
        expires = np.asarray(found["has_expiration"].to_numpy(dtype=object), dtype=bool)
        found = found[present & ~unread & ~expires]
    return found[CANDIDATE_COLUMNS].reset_index(drop=True)


def _lifecycle(
    rows: pd.DataFrame,
    key: dict[str, object],
    keep: float,
    to_ia_gb: float,
    transitions: float,
    detail: str,
) -> pd.DataFrame:
    """Standard storage rows of the bucket times `keep`; with `to_ia_gb` > 0, Standard-IA storage and
    Transition-SIA rows added in the same proportions (a bucket shared by pipelines stays shared)."""
    out = rows.copy()
    hit = matching(out, key) & _standard_storage(out)
    before = out.loc[hit].copy()
    total = float(before["quantity"].sum())
    out.loc[hit, "quantity"] = before["quantity"].astype(float) * keep
    out.loc[hit, "detail"] = detail
    if to_ia_gb <= 0 or total <= 0:
        return out
    share = before["quantity"].astype(float) / total
    added = [before.assign(component="storage (STANDARD_IA, by lifecycle)", usage_type=SIA,
                           quantity=to_ia_gb * share, unit="GB-Month", detail=detail)]  # fmt: skip
    if transitions > 0:
        added.append(before.assign(component="lifecycle transitions to STANDARD_IA", usage_type=SIA_TRANSITION,
                                   quantity=transitions * share, unit="Object", meter="transition",
                                   detail=detail))  # fmt: skip
    extra = pd.concat(added, ignore_index=True)
    extra["quantity"] = extra["quantity"].astype("float64")
    return pd.concat([out, extra], ignore_index=True)


def rule(ctx: Context, days: int = DAYS) -> list[Suggestion]:
    if ctx.rows.empty:
        return []
    month_days = ctx.baseline.period.days
    found = _candidates(ctx)
    found = found[found["standard_gb"] > 0]
    puts = found["monthly_puts"].to_numpy(dtype="float64")
    objects = found["objects"].to_numpy(dtype="float64")
    written = puts * days / month_days if month_days > 0 else np.full(len(found), np.nan)
    estimated = (objects > 0) & ~np.isnan(written)
    older = np.where(estimated, 1.0 - written / np.where(estimated, objects, 1.0), 1.0)  # the old share
    older_objects = np.where(estimated, objects - written, objects)
    older_gb = found["standard_gb"].to_numpy(dtype="float64") * older
    counted = ~np.isnan(older_objects) & (older_objects != 0)  # an object count to apply Standard-IA's minimum to
    ia_minimum = np.where(counted, older_objects, 0.0) * IA_MIN_KB * GB_PER_KB
    detail = f"lifecycle: expire after {days} days (older share {{:.0%}} removed, estimated)"
    found = found.assign(
        written=written,
        estimated=estimated,
        old_share=older,
        old_objects=older_objects,
        old_gb=older_gb,
        to_ia=np.where(counted, np.maximum(older_gb, ia_minimum), older_gb),
        transitions=np.nan_to_num(puts, nan=0.0),
        little=estimated & (written >= np.where(estimated, objects, np.inf)),
        expire_detail=[detail.format(share) for share in older],
    ).reset_index(drop=True)
    expire, to_ia, backlog = _batches(ctx.rows, found, f"lifecycle: to STANDARD_IA after {days} days")
    expire_savings, to_ia_savings, first_runs = ctx.savings(expire), ctx.savings(to_ia), ctx.savings(backlog)
    suggestions: list[Suggestion] = []
    for number, item in enumerate(found.to_dict("records")):
        bucket, account, region = str(item["bucket"]), item["account"], item["region"]
        stored, objects, puts = item["standard_gb"], _known(item["objects"]), _known(item["monthly_puts"])
        written, estimated = _known(item["written"]), bool(item["estimated"])
        if item["little"]:
            ctx.notes.append(
                f"{bucket}: no expiration rule, but its ~{objects:,.0f} objects are about what the pipelines write in "
                f"{days} days (~{written:,.0f}): little is older than {days} days"
            )
            continue
        old_share, old_objects = float(item["old_share"]), _known(item["old_objects"])
        key: dict[str, object] = {"service": "S3", "account": account, "region": region, "resource": bucket}
        assumptions = [
            "artifacts are written at a steady rate and nothing deletes them, so the bucket holds every age",
            (
                f"objects written in {days} days estimated from artifact writes: {puts:,.0f} PUTs a month x "
                f"{days}/{month_days:g} days = {written:,.0f} of {objects:,.0f} objects; older share "
                f"{old_share:.0%} of the bytes (artifacts of similar size)"
                if estimated
                else f"object ages unknown ({'no object count' if not objects else 'no artifact write rate'}): "
                f"assumes everything stored is older than {days} days (a bucket filling for much longer than "
                f"{days} days); the expiration saving cannot be estimated without ages"
            ),
        ]
        versioned = str(item["versioning"]) == "Enabled"
        if versioned:
            assumptions.append("versioning is on: add NoncurrentVersionExpiration too, or deleted versions stay billed")
        common = {
            "bucket": bucket,
            "days": days,
            "standard_gb": stored,
            "objects": objects,
            "artifact_puts_per_month": puts,
            "older_share": old_share,
            "assumptions": assumptions,
            "warning": ROLLBACK,
            "versioning": _known(item["versioning"]),
        }
        noncurrent = " NoncurrentVersionExpiration={NoncurrentDays=" + str(days) + "}," if versioned else ""
        if estimated:
            detail = str(item["expire_detail"])

            @touches(key)
            def expire_rule(r: pd.DataFrame, key: dict[str, object] = key, keep: float = 1.0 - old_share,
                       detail: str = detail) -> pd.DataFrame:  # fmt: skip
                return _lifecycle(r, key, keep, 0.0, 0.0, detail)

            saving = float(expire_savings[number])
            if not np.isnan(saving) and saving > MIN_SAVING_USD:
                suggestions.append(
                    Suggestion(
                        id=f"{RULE}-expire-{account}-{region}-{bucket}",
                        rule=RULE,
                        title=f"Expire artifacts older than {days} days in bucket {bucket}",
                        resources=[bucket],
                        monthly_saving_usd=saving,
                        confidence="medium" if not versioned else "low",
                        confidence_reason="; ".join(assumptions) + f". Warning: {ROLLBACK}.",
                        evidence={**common, "action": "expire"},
                        change={
                            "console": f"S3 > {bucket} > Management > Create lifecycle rule: Expire current versions "
                            f"after {days} days" + (", permanently delete noncurrent versions" if versioned else ""),
                            "cli": f"aws s3api put-bucket-lifecycle-configuration --bucket {bucket} "
                            "--lifecycle-configuration 'Rules=[{ID=expire-artifacts,Status=Enabled,Filter={},"
                            f"Expiration={{Days={days}}},{noncurrent}}}]'  # merges with no existing rule: "
                            "include the bucket's current rules",
                            "cloudformation": f"AWS::S3::Bucket  LifecycleConfiguration: {{Rules: [{{Status: Enabled, "
                            f"ExpirationInDays: {days}}}]}}",
                            "terraform": f'resource "aws_s3_bucket_lifecycle_configuration" {{ rule {{ status = '
                            f'"Enabled"  filter {{}}  expiration {{ days = {days} }} }} }}',
                        },
                        exclusive=f"s3-lifecycle:{account}:{region}:{bucket}",
                        usage_patch=_patch(ctx, item, stored * (1.0 - old_share), objects, old_share, None),
                        transform=expire_rule,
                        priced_in=(expire, number),
                    )
                )
        # Transition to Standard-IA: billed at least 128 KB per object; one request per object moved.
        old_gb, to_ia_gb, monthly_transitions = item["old_gb"], item["to_ia"], item["transitions"]
        detail = f"lifecycle: to STANDARD_IA after {days} days"

        @touches(key)
        def to_ia_rule(r: pd.DataFrame, key: dict[str, object] = key, keep: float = 1.0 - old_share,
                       to_ia: float = to_ia_gb, moved: float = monthly_transitions,
                       detail: str = detail) -> pd.DataFrame:  # fmt: skip
            return _lifecycle(r, key, keep, to_ia, moved, detail)

        saving, first_run = float(to_ia_savings[number]), float(first_runs[number])
        if np.isnan(saving) or np.isnan(first_run):
            ctx.notes.append(f"{bucket}: no Standard-IA or transition price in {region}: lifecycle not priced")
            continue
        if saving <= MIN_SAVING_USD:
            if old_objects and to_ia_gb > old_gb:
                ctx.notes.append(
                    f"{bucket}: objects average {stored * 1024 * 1024 / objects:,.0f} KB: Standard-IA bills at least "
                    f"{IA_MIN_KB} KB each, so moving them costs more than it saves (S3 also skips objects under "
                    "128 KB by default); expiring old artifacts is the saving here"
                )
            continue
        caveats = [
            f"Standard-IA bills at least {IA_MIN_KB} KB per object"
            + ("" if old_objects else " (object count unknown: not applied)"),
            "30-day minimum storage duration: deleting or overwriting within 30 days of the move is billed as 30 days",
            "S3 by default does not transition objects smaller than 128 KB",
            "Standard-IA bills retrieval per GB read back (a rollback or re-run reads old artifacts)",
            "monthly transition requests = objects aging past N days a month (the artifact writes)"
            if puts
            else "ongoing transition requests not priced (artifact write rate unknown)",
        ]
        suggestions.append(
            Suggestion(
                id=f"{RULE}-standard-ia-{account}-{region}-{bucket}",
                rule=RULE,
                title=f"Move artifacts older than {days} days in bucket {bucket} to S3 Standard-IA"
                + ("" if estimated else " (and consider expiring them)"),
                resources=[bucket],
                monthly_saving_usd=saving,
                one_off_cost_usd=max(0.0, -first_run),
                confidence="medium" if estimated and not versioned else "low",
                confidence_reason="; ".join(assumptions + caveats) + f". If you expire instead: {ROLLBACK}.",
                evidence={
                    **common,
                    "action": "transition to STANDARD_IA",
                    "standard_ia_billed_gb": to_ia_gb,
                    "transitions_per_month": monthly_transitions,
                    "first_run_transitions": old_objects,
                    "caveats": caveats,
                },
                change={
                    "console": f"S3 > {bucket} > Management > Create lifecycle rule: Transition current versions to "
                    f"Standard-IA after {days} days",
                    "cli": f"aws s3api put-bucket-lifecycle-configuration --bucket {bucket} "
                    "--lifecycle-configuration 'Rules=[{ID=artifacts-to-ia,Status=Enabled,Filter={},"
                    f"Transitions=[{{Days={days},StorageClass=STANDARD_IA}}]}}]'  # include the bucket's current rules",
                    "cloudformation": "AWS::S3::Bucket  LifecycleConfiguration: {Rules: [{Status: Enabled, "
                    f"Transitions: [{{StorageClass: STANDARD_IA, TransitionInDays: {days}}}]}}]}}",
                    "terraform": 'resource "aws_s3_bucket_lifecycle_configuration" { rule { status = "Enabled"  '
                    f'filter {{}}  transition {{ days = {days}  storage_class = "STANDARD_IA" }} }} }}',
                },
                exclusive=f"s3-lifecycle:{account}:{region}:{bucket}",
                usage_patch=_patch(
                    ctx, item, stored * (1.0 - old_share), objects, old_share, (old_gb, monthly_transitions)
                ),
                transform=to_ia_rule,
                priced_in=(to_ia, number),
            )
        )
    return suggestions


def _known(value: Any) -> Any:
    """A number of the candidates table, None where it is unknown (NaN)."""
    return None if pd.isna(value) else value


def _batches(rows: pd.DataFrame, found: pd.DataFrame, to_ia_detail: str) -> tuple[Batch, Batch, Batch]:
    """Per bucket (candidate i = row i of `found`), as `_lifecycle` changes its Standard storage rows: expiring
    (only where the old share is estimated), moving to Standard-IA, and the first run moving the backlog
    (one transition row per old object, priced as the one-off cost). Buckets with `little` old are left out."""
    position, number = _bucket_rows(rows, found)
    size = len(found)
    before = rows.iloc[position].reset_index(drop=True)
    quantity = before["quantity"].astype("float64").to_numpy()
    total = np.bincount(number, quantity, size)
    keep = 1.0 - found["old_share"].to_numpy(dtype="float64")
    priced = ~found["little"].to_numpy(dtype=bool)
    expiring = (priced & found["estimated"].to_numpy(dtype=bool))[number]
    expired = before[expiring].assign(
        quantity=quantity[expiring] * keep[number[expiring]],
        detail=found["expire_detail"].to_numpy(dtype=object)[number[expiring]],
    )
    expire = Batch(size, position[expiring], number[expiring], as_rows(expired), number[expiring])
    moving = priced[number]
    to_ia_gb, transitions = found["to_ia"].to_numpy(dtype="float64"), found["transitions"].to_numpy(dtype="float64")
    share = quantity / np.where(total > 0, total, 1.0)[number]
    with_ia = moving & ((to_ia_gb > 0) & (total > 0))[number]
    with_transitions = with_ia & (transitions > 0)[number]
    parts = [
        (before[moving].assign(quantity=quantity[moving] * keep[number[moving]], detail=to_ia_detail), moving),
        (before[with_ia].assign(component="storage (STANDARD_IA, by lifecycle)", usage_type=SIA,
                                quantity=to_ia_gb[number[with_ia]] * share[with_ia], unit="GB-Month",
                                detail=to_ia_detail), with_ia),
        (before[with_transitions].assign(component="lifecycle transitions to STANDARD_IA", usage_type=SIA_TRANSITION,
                                         quantity=transitions[number[with_transitions]] * share[with_transitions],
                                         unit="Object", meter="transition", detail=to_ia_detail), with_transitions),
    ]  # fmt: skip
    to_ia = Batch(
        size,
        position[moving],
        number[moving],
        as_rows(pd.concat([frame for frame, _mask in parts], ignore_index=True)),
        np.concatenate([number[mask] for _frame, mask in parts]),
    )
    moved = np.nan_to_num(found["old_objects"].to_numpy(dtype="float64"), nan=0.0)
    first = np.unique(number, return_index=True)[1]  # each bucket's first Standard storage row
    first = first[(priced & (moved > 0))[number[first]]]
    backlog_rows = before.iloc[first].assign(
        component="first lifecycle run: backlog to STANDARD_IA", pipeline=None, usage_type=SIA_TRANSITION,
        quantity=moved[number[first]], unit="Object", meter="transition", detail="one-off",
    )  # fmt: skip
    backlog = Batch(
        size, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), as_rows(backlog_rows), number[first]
    )
    return expire, to_ia, backlog


def _bucket_rows(rows: pd.DataFrame, found: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the baseline's Standard storage rows of the `found` buckets, in baseline order, and the
    bucket (row of `found`) each belongs to."""
    standard = np.flatnonzero(((rows["service"] == "S3") & _standard_storage(rows)).to_numpy())
    keys = found[["account", "region", "bucket"]].rename(columns={"bucket": "resource"})
    at, number = matched(rows.iloc[standard], keys, PLACE)
    return standard[at], number


def _patch(
    ctx: Context,
    item: Mapping[Any, Any],
    standard_gb: float,
    objects: float | None,
    old_share: float,
    to_ia: tuple[float, float] | None,
) -> list[dict[str, Any]]:
    """The same change on a usage file: smaller Standard entry; for a transition, a STANDARD_IA entry beside it."""
    if not ctx.baseline.usage.planned:
        return []
    bucket = str(item["bucket"])
    patch: list[dict[str, Any]] = [{"op": "set", "path": f"s3.{bucket}.storage_gb", "value": standard_gb}]
    if objects is not None:
        patch.append({"op": "set", "path": f"s3.{bucket}.objects", "value": objects * (1.0 - old_share)})
    if to_ia is not None:
        old_gb, transitions = to_ia
        ia: dict[str, Any] = {"storage_class": "STANDARD_IA", "storage_gb": old_gb,
                              "lifecycle_transitions_per_month": transitions}  # fmt: skip
        if objects is not None:
            ia["objects"] = objects * old_share
        usage = ctx.baseline.usage
        stated = {"region": usage.defaults.get("region"), "account": usage.defaults.get("account"), "pipeline": None}
        for name, default in stated.items():  # what the bucket's entry says beyond the file's defaults
            stated_value = item[ENTRY[name]]
            if not pd.isna(stated_value) and stated_value != default and not (name == "region" and usage.region):
                ia[name] = stated_value
        patch.append({"op": "set", "path": f"s3.{bucket}-standard-ia", "value": ia})
    return patch
