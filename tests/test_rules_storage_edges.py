"""The two rules costkit cannot price with its shipped tables (CodeBuild Lambda compute, reserved-capacity
fleets) and the artifact-lifecycle rule, checked where a mutation run found them untested: the notes a user reads
when a change is not suggested, the thresholds on both sides, the ARM variants, and the fields of suggestions on
snapshots (versioning, buckets whose rules could not be read).

Each expected figure is worked by hand as price x quantity. Prices (us-east-1): CodeBuild Linux general1.small
$0.005, medium $0.01 per minute; S3 Standard $0.023, Standard-IA $0.0125 per GB-month, Transition-SIA $0.01 per
1,000 objects. Fleet and Lambda-compute rates are TEST figures added to a copy of the tables. Free tiers off.
November has 30 days = 43,200 minutes. Each test's docstring names the bug it catches.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from batch_checks import batch_matches_transform
from test_rules_builds_storage import (
    ACCOUNT,
    GB,
    NOVEMBER,
    WINDOW,
    artifact_snapshot,
    book_with,
    builds,
    context_for_snapshot,
    context_for_usage,
    price_row,
    project,
    usage_file,
)
from test_savings_edges import (
    FLEET_RATE,
    FLEET_TYPE,
    IA_CAVEATS,
    IA_GB_MONTH,
    MEDIUM,
    MEDIUM_COMPONENT,
    ROLLBACK,
    SMALL,
    STANDARD_GB_MONTH,
    STEADY,
    TRANSITION,
    applied,
    book_without,
    rows_of,
)

from costkit.estimate import estimate
from costkit.optimize.base import Context
from costkit.optimize.rules import artifact_lifecycle, not_priced
from costkit.sources.snapshot.folder import Snapshot
from costkit.tables import load_pricebook

REGION = "us-east-1"
MONTH_MINUTES = 30 * 1440.0
REFRESH = (
    "refresh the price tables from the AWS Price List API (`costkit pricing refresh`) and price with them, "
    "or add the price row to a copy of the tables"
)
CONSTRAINTS = (
    "builds must finish within 15 minutes (the Lambda limit); no Docker: no docker build/run and no privileged "
    "mode; only images Lambda compute supports: the curated aws/codebuild/amazonlinux-<arch>-lambda-standard images "
    "or a custom single-architecture image; check the rest of the CodeBuild user guide's 'Limitations of AWS Lambda "
    "compute' (caching, VPC, file systems)"
)
FLEET_TAIL = (
    "A fleet bills every provisioned minute, busy or idle, plus an initial charge per instance; overflow builds bill "
    "on demand."
)


def medium_project(builds: int, minutes: float, **more: Any) -> dict[str, Any]:
    return {"compute_type": "BUILD_GENERAL1_MEDIUM", "builds_per_month": builds, "minutes_per_build": minutes, **more}


# --- reserved capacity ------------------------------------------------------------------------------------------


def test_reserved_capacity_note_names_the_missing_fleet_price_at_exactly_half_busy() -> None:
    """Catches the half-busy threshold moved (`>` for `>=`: half is 2,160 x 10 = 21,600 of 43,200 minutes, exactly
    0.5, and must be a candidate; 2,159 x 10 = 21,590 is not), the fleet sized other than ceil(0.5) = 1, and the
    note's wording: the billed minutes, the concurrency, the component, the missing usage type and region."""
    usage = usage_file(codebuild={"half": medium_project(2160, 10), "under": medium_project(2159, 10)})
    ctx = context_for_usage(usage)
    assert not_priced.reserved_capacity(ctx) == []
    assert ctx.notes == [
        f"half: 21,600 billed min a month = 0.50 builds running on average on {MEDIUM_COMPONENT}; a "
        f"reserved-capacity fleet of 1 instance(s) might cost less, but costkit has no price for {FLEET_TYPE} in "
        f"{REGION}, so this cannot be priced: {REFRESH}. {FLEET_TAIL}"
    ]


def test_reserved_capacity_every_field_by_hand_beside_a_fleet_that_would_cost_more(tmp_path: Path) -> None:
    """Catches any field of the fleet suggestion going wrong (title, reason, commands, evidence, id, exclusive key),
    a fleet that costs more suggested or noted, `continue` turned into `break` after a fleet that is only noted or
    costs more (the candidates go in name order: alpha, beta, busy), and the fleets' batch numbering: busy bills
    3,000 x ceil(10.5) = 33,000 min x $0.01 on demand against 1 x 43,200 x $0.004; beta (general1.small, 21,600
    min x $0.005 = $108) would pay 43,200 x $0.006 = $259.20 for its fleet; alpha (general1.large) has no fleet
    price."""
    small_fleet = "ReservedCapacity-Min:Linux:g1.small"
    book = book_with(tmp_path, price_row(FLEET_TYPE, "Minute", FLEET_RATE), price_row(small_fleet, "Minute", 0.006))
    usage = usage_file(
        codebuild={
            "alpha": {"compute_type": "BUILD_GENERAL1_LARGE", "builds_per_month": 2160, "minutes_per_build": 10},
            "beta": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 2160, "minutes_per_build": 10},
            "busy": medium_project(3000, 10.5),
        }
    )
    ctx = context_for_usage(usage, book)
    [fleet] = not_priced.reserved_capacity(ctx)
    busy = "33,000 billed min a month = 0.76 builds running on average"
    assert fleet.to_dict() == {
        "id": f"reserved-capacity-{ACCOUNT}-{REGION}-busy",
        "rule": "reserved-capacity",
        "title": "Run CodeBuild project busy on a reserved-capacity fleet of 1",
        "resources": ["busy"],
        "monthly_saving_usd": pytest.approx(33_000 * MEDIUM - 43_200 * FLEET_RATE),
        "one_off_cost_usd": 0.0,
        "confidence": "low",
        "confidence_reason": f"{busy}; priced as 1 instance(s) provisioned all month with no overflow (builds that "
        "arrive while every instance is busy queue or run on demand, billed on top) and without the fleet's initial "
        "per-instance charge; peak concurrency and steadiness are not modelled",
        "evidence": {
            "billed_minutes": 33_000.0,
            "average_concurrency": pytest.approx(33_000 / 43_200),
            "fleet_capacity": 1,
            "fleet_usage_type": FLEET_TYPE,
            "month_minutes": MONTH_MINUTES,
        },
        "change": {
            "console": "CodeBuild > Compute fleets > Create fleet (capacity 1, overflow on demand); project > Edit > "
            "Environment: Reserved capacity, that fleet",
            "cli": "aws codebuild create-fleet --name busy-fleet --base-capacity 1 --environment-type <type> "
            "--compute-type <type> --overflow-behavior ON_DEMAND; aws codebuild update-project --name busy "
            "--environment fleet={fleetArn=<arn>},...",
            "cloudformation": "AWS::CodeBuild::Fleet  BaseCapacity: 1; AWS::CodeBuild::Project  Environment: "
            "{Fleet: {FleetArn: !GetAtt Fleet.Arn}}",
            "terraform": 'resource "aws_codebuild_fleet" { base_capacity = 1 }; environment { fleet { fleet_arn = '
            "aws_codebuild_fleet.x.arn } }",
        },
        "exclusive": f"build-compute:{ACCOUNT}:{REGION}:busy",
        "usage_patch": [],
    }
    assert ctx.notes == [
        "alpha: 21,600 billed min a month = 0.50 builds running on average on BUILD_GENERAL1_LARGE / LINUX_CONTAINER; "
        "a reserved-capacity fleet of 1 instance(s) might cost less, but costkit has no price for "
        f"ReservedCapacity-Min:Linux:g1.large in {REGION}, so this cannot be priced: {REFRESH}. {FLEET_TAIL}"
    ]
    after = applied(ctx, fleet)
    assert after.total == pytest.approx(ctx.baseline.total - (33_000 * MEDIUM - 43_200 * FLEET_RATE))
    assert rows_of(after.usage_rows, "beta") == rows_of(ctx.rows, "beta")
    batch_matches_transform(ctx, fleet)


# --- Lambda compute ----------------------------------------------------------------------------------------------

LAMBDA_4GB = "Build-Sec:Linux:Lambda:x86-64.4GB"
TOKYO_SMALL = 0.005  # general1.small in ap-northeast-1, per minute
ARM_4GB, ARM_8GB = "Build-Sec:Linux:Lambda:arm.4GB", "Build-Sec:Linux:Lambda:arm.8GB"


def test_lambda_compute_note_names_the_missing_price_at_exactly_ten_minutes() -> None:
    """Catches the "well under the limit" threshold moved (`<` for `<=`: edge's builds take exactly 10 min and
    are a candidate; over's 10.5 min are not), and the note's wording: the longest build, the compute types, the
    missing usage type and region, the constraints."""
    usage = usage_file(
        codebuild={
            "edge": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 10, "minutes_per_build": 10},
            "over": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 10, "minutes_per_build": 10.5},
        }
    )
    ctx = context_for_usage(usage)
    assert not_priced.lambda_compute(ctx) == []
    assert ctx.notes == [
        "edge: builds of at most 10.0 min on BUILD_GENERAL1_SMALL could run on CodeBuild Lambda compute "
        f"(BUILD_LAMBDA_4GB, billed per second), but costkit has no price for {LAMBDA_4GB} in {REGION}, so this "
        f"cannot be priced: {REFRESH}. Constraints: {CONSTRAINTS}."
    ]


def test_lambda_compute_that_would_not_cost_less_is_a_note(tmp_path: Path) -> None:
    """Catches a Lambda move that costs more suggested, or noted without the project and Lambda size: quick's
    100 builds of 2 min bill 200 min x $0.005 = $1.00 on EC2 and 100 x 120 s x $0.01 = $120 at a TEST rate."""
    book = book_with(tmp_path, price_row(LAMBDA_4GB, "Second", 0.01))
    usage = usage_file(
        codebuild={"quick": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 100, "minutes_per_build": 2}}
    )
    ctx = context_for_usage(usage, book)
    assert not_priced.lambda_compute(ctx) == []
    assert ctx.notes == ["quick: priced on Lambda compute (BUILD_LAMBDA_4GB) it would not cost less"]


def test_lambda_compute_on_arm_moves_to_the_arm_lambda_container(tmp_path: Path) -> None:
    """Catches an ARM project moved to the x86 Lambda container (or its size picked from the wrong
    environment): arm1.small (4 GB) -> the 4 GB ARM Lambda size, arm1.medium (8 GB) -> 8 GB. tiny's 1,000 builds
    of 1.5 min bill 1,000 x 2 = 2,000 min x $0.0034 (arm1.small) and 1,000 x 90 s x $0.00002 (TEST rate); mid
    (arm1.medium at a TEST $0.0068) is noted: its 8 GB ARM size has no price."""
    arm_medium = price_row("Build-Min:ARM:g1.medium", "Minute", 0.0068)  # not in the shipped us-east-1 table
    book = book_with(tmp_path, price_row(ARM_4GB, "Second", 0.00002), arm_medium)
    arm = {"environment_type": "ARM_CONTAINER", "builds_per_month": 1000, "minutes_per_build": 1.5}
    usage = usage_file(
        codebuild={
            "tiny": {"compute_type": "BUILD_GENERAL1_SMALL", **arm},
            "mid": {"compute_type": "BUILD_GENERAL1_MEDIUM", **arm},
        }
    )
    ctx = context_for_usage(usage, book)
    [move] = not_priced.lambda_compute(ctx)
    assert move.monthly_saving_usd == pytest.approx(2000 * 0.0034 - 1000 * 90 * 0.00002)
    assert move.title == "Run CodeBuild project tiny on Lambda compute (BUILD_LAMBDA_4GB)"
    assert move.change["cli"] == (
        "aws codebuild update-project --name tiny --environment type=ARM_LAMBDA_CONTAINER,"
        "computeType=BUILD_LAMBDA_4GB,image=<lambda image>"
    )
    assert move.change["cloudformation"] == (
        "AWS::CodeBuild::Project  Environment: {Type: ARM_LAMBDA_CONTAINER, ComputeType: BUILD_LAMBDA_4GB, "
        "Image: <lambda image>}"
    )
    assert move.change["terraform"] == (
        'environment { type = "ARM_LAMBDA_CONTAINER"  compute_type = "BUILD_LAMBDA_4GB"  image = "<lambda image>" }'
    )
    assert move.usage_patch == [
        {"op": "set", "path": "codebuild.tiny.compute_type", "value": "BUILD_LAMBDA_4GB"},
        {"op": "set", "path": "codebuild.tiny.environment_type", "value": "ARM_LAMBDA_CONTAINER"},
    ]
    assert rows_of(applied(ctx, move).usage_rows, "tiny") == [
        {"service": "CodeBuild", "resource": "tiny", "component": "BUILD_LAMBDA_4GB / ARM_LAMBDA_CONTAINER",
         "pipeline": None, "usage_type": ARM_4GB, "quantity": 90_000.0, "unit": "Second", "meter": None},
    ]  # fmt: skip
    batch_matches_transform(ctx, move)
    # mid: 1,000 x 2 min on arm1.medium (8 GB) -> the 8 GB ARM size, which has no price.
    assert ctx.notes == [
        "mid: builds of at most 1.5 min on BUILD_GENERAL1_MEDIUM could run on CodeBuild Lambda compute "
        f"(BUILD_LAMBDA_8GB, billed per second), but costkit has no price for {ARM_8GB} in {REGION}, so this "
        f"cannot be priced: {REFRESH}. Constraints: {CONSTRAINTS}."
    ]


# --- artifact lifecycle: usage files ----------------------------------------------------------------------------


def test_artifact_lifecycle_notes_a_bucket_holding_only_what_a_month_writes_and_objects_too_small_for_ia() -> None:
    """Catches the "little is older" test moved (`>` for `>=`: full's 1,000 objects are exactly the 1,000 x 30 / 30
    written in 30 days) or its note reworded, and the too-small note's wording: tiny's 1 GB in 1,000,000 objects
    averages 1 x 1024 x 1024 / 1,000,000 = 1 KB, so 1,000,000 x 128 KB = 122 GB would bill at Standard-IA."""
    usage = usage_file(
        s3={
            "full": {"storage_gb": 10, "objects": 1000, "put_requests_per_month": 1000},
            "tiny": {"storage_gb": 1, "objects": 1_000_000},
        }
    )
    ctx = context_for_usage(usage)
    assert artifact_lifecycle.rule(ctx) == []
    assert ctx.notes == [
        "full: no expiration rule, but its ~1,000 objects are about what the pipelines write in 30 days (~1,000): "
        "little is older than 30 days",
        "tiny: objects average 1 KB: Standard-IA bills at least 128 KB each, so moving them costs more than it saves "
        "(S3 also skips objects under 128 KB by default); expiring old artifacts is the saving here",
    ]


def test_artifact_lifecycle_without_a_standard_ia_price_still_expires(tmp_path: Path) -> None:
    """Catches the missing Standard-IA price suggested at $0 (or the note naming the wrong bucket or region),
    the expiration dropped with it, and `continue` turned into `break` after the note (other, after art, is noted
    too): art's 90% older share of 200 GB expires at $0.023 a GB."""
    book = book_without(tmp_path, "s3", "TimedStorage-SIA-ByteHrs")
    art = {"storage_gb": 200, "objects": 1_000_000, "put_requests_per_month": 100_000}
    usage = usage_file(s3={"art": art, "other": {"storage_gb": 100}})
    ctx = context_for_usage(usage, book)
    [expire] = artifact_lifecycle.rule(ctx)
    assert expire.id == f"artifact-lifecycle-expire-{ACCOUNT}-{REGION}-art"
    assert expire.monthly_saving_usd == pytest.approx(200 * 0.9 * STANDARD_GB_MONTH)
    assert ctx.notes == [
        f"art: no Standard-IA or transition price in {REGION}: lifecycle not priced",
        f"other: no Standard-IA or transition price in {REGION}: lifecycle not priced",
    ]


def test_artifact_lifecycle_patch_states_the_bucket_entry_beyond_the_file_defaults() -> None:
    """Catches the Standard-IA entry of the patch losing what the bucket's own entry states beyond the file's
    defaults (another region and account, its pipeline), or stating the defaults: west (us-west-2, another
    account, pipeline deploy) holds 100 GB of unknown age, all moved: 100 x ($0.023 - $0.0125)."""
    other = "444455556666"
    deploy = {"type": "V2", "executions_per_month": 1, "actions": [{"name": "B", "category": "Build", "minutes": 1}]}
    usage = usage_file(
        pipelines={"deploy": deploy},
        s3={
            "west": {"storage_gb": 100, "region": "us-west-2", "account": other, "pipeline": "deploy"},
            "home": {"storage_gb": 100},
        },
    )
    ctx = context_for_usage(usage)
    found = {s.resources[0]: s for s in artifact_lifecycle.rule(ctx)}
    assert sorted(found) == ["home", "west"]
    west = found["west"]
    assert west.id == f"artifact-lifecycle-standard-ia-{other}-us-west-2-west"
    assert west.exclusive == f"s3-lifecycle:{other}:us-west-2:west"
    assert west.monthly_saving_usd == pytest.approx(100 * (STANDARD_GB_MONTH - IA_GB_MONTH))
    assert west.usage_patch == [
        {"op": "set", "path": "s3.west.storage_gb", "value": 0.0},
        {"op": "set", "path": "s3.west-standard-ia", "value": {
            "storage_class": "STANDARD_IA", "storage_gb": 100.0, "lifecycle_transitions_per_month": 0.0,
            "region": "us-west-2", "account": other, "pipeline": "deploy"}},
    ]  # fmt: skip
    assert found["home"].usage_patch[1]["value"] == {
        "storage_class": "STANDARD_IA", "storage_gb": 100.0, "lifecycle_transitions_per_month": 0.0
    }  # fmt: skip
    for suggestion in found.values():
        assert applied(ctx, suggestion).total == pytest.approx(ctx.baseline.total - suggestion.monthly_saving_usd)
        batch_matches_transform(ctx, suggestion)


def test_artifact_lifecycle_patch_of_a_file_priced_in_one_region_states_no_region() -> None:
    """Catches the patch writing a region into the Standard-IA entry of a usage file priced with a region
    override (`region=`): every entry is priced there already, so the entry must not pin one."""
    usage = usage_file(s3={"art": {"storage_gb": 100}})
    book = load_pricebook()
    ctx = Context(baseline=estimate(usage, period=NOVEMBER, free_tier=False, region="us-west-2", pricebook=book),
                  pricebook=book)  # fmt: skip
    [to_ia] = artifact_lifecycle.rule(ctx)
    assert to_ia.id == f"artifact-lifecycle-standard-ia-{ACCOUNT}-us-west-2-art"
    assert to_ia.usage_patch[1]["value"] == {
        "storage_class": "STANDARD_IA", "storage_gb": 100.0, "lifecycle_transitions_per_month": 0.0
    }  # fmt: skip


# --- artifact lifecycle: snapshots ------------------------------------------------------------------------------


def bucket(
    name: str, *, found: bool = True, versioning: str = "Disabled", expires: bool | None = False
) -> dict[str, Any]:
    return {"account": ACCOUNT, "bucket": name, "region": REGION, "found": found, "versioning": versioning,
            "lifecycle_rules": None if expires is None else int(expires), "has_expiration": expires,
            "has_transition": None if expires is None else False}  # fmt: skip


def storage(name: str, gib: float, objects: float) -> list[dict[str, Any]]:
    return [
        {"account": ACCOUNT, "region": REGION, "bucket": name, "storage_type": "AllStorageTypes", "avg_bytes": None,
         "avg_objects": objects, "datapoints": 31},
        {"account": ACCOUNT, "region": REGION, "bucket": name, "storage_type": "StandardStorage",
         "avg_bytes": gib * GB, "avg_objects": None, "datapoints": 31},
    ]  # fmt: skip


def lifecycle_snapshot(*, collected: bool = True) -> Snapshot:
    """ver: versioned, no lifecycle, 100 GiB Standard in 10,000 objects; web-app (V2, Source + Build + Deploy)
    ran 155 times in October: 2 artifact PUTs each = 310 a month, all into ver. denied: its rules could not be
    read. gone: deleted since it was listed. With `collected` False the buckets table predates has_expiration."""
    pipelines = pd.DataFrame(
        [{"account": ACCOUNT, "region": REGION, "pipeline": "web-app", "pipeline_type": "V2",
          "artifact_buckets": "ver"}]
    )  # fmt: skip
    actions = pd.DataFrame(
        [{"account": ACCOUNT, "region": REGION, "pipeline": "web-app", "category": c} for c in ("Source", "Build",
         "Deploy")]
    )  # fmt: skip
    executions = pd.DataFrame(
        [{"account": ACCOUNT, "region": REGION, "pipeline": "web-app", "execution_id": str(i)} for i in range(155)]
    )
    buckets = pd.DataFrame(
        [bucket("ver", versioning="Enabled"), bucket("denied", expires=None), bucket("gone", found=False)]
    )
    if not collected:
        buckets = buckets.drop(columns=["lifecycle_rules", "has_expiration", "has_transition"])
    rows = [*storage("ver", 100, 10_000), *storage("denied", 50, 5_000), *storage("gone", 50, 5_000)]
    return artifact_snapshot(pipelines, actions, executions, buckets, pd.DataFrame(rows))


def test_artifact_lifecycle_of_a_versioned_bucket_every_field_by_hand() -> None:
    """Catches a versioned bucket's suggestions losing the noncurrent-version expiration (console, CLI, the
    assumption) or rated medium, a bucket whose rules could not be read suggested or noted wrongly, and a bucket
    deleted since it was listed noted at all. ver: 310 PUTs x 30 / 31 days = 300 of 10,000 objects are newer
    than 30 days, so 97 of its 100 GB are older: expiring saves 97 x $0.023; Standard-IA bills 97 GB (9,700 x
    128 KB = 1.2 GB is less) at $0.0125 plus 310 transitions a month, and the backlog's 9,700 once."""
    ctx = context_for_snapshot(lifecycle_snapshot())
    found = {s.id.removeprefix("artifact-lifecycle-"): s for s in artifact_lifecycle.rule(ctx)}
    assert list(found) == [f"expire-{ACCOUNT}-{REGION}-ver", f"standard-ia-{ACCOUNT}-{REGION}-ver"]
    assert ctx.notes == ["denied: lifecycle rules could not be read (access denied): not checked"]
    estimated = (
        "objects written in 30 days estimated from artifact writes: 310 PUTs a month x 30/31 days = 300 of 10,000 "
        "objects; older share 97% of the bytes (artifacts of similar size)"
    )
    versioned = "versioning is on: add NoncurrentVersionExpiration too, or deleted versions stay billed"
    common = {
        "bucket": "ver",
        "days": 30,
        "standard_gb": pytest.approx(100.0),
        "objects": 10_000.0,
        "artifact_puts_per_month": pytest.approx(310.0),
        "older_share": pytest.approx(0.97),
        "assumptions": [STEADY, estimated, versioned],
        "warning": ROLLBACK,
        "versioning": "Enabled",
    }
    expire = found[f"expire-{ACCOUNT}-{REGION}-ver"]
    assert expire.to_dict() == {
        "id": f"artifact-lifecycle-expire-{ACCOUNT}-{REGION}-ver",
        "rule": "artifact-lifecycle",
        "title": "Expire artifacts older than 30 days in bucket ver",
        "resources": ["ver"],
        "monthly_saving_usd": pytest.approx(97 * STANDARD_GB_MONTH),
        "one_off_cost_usd": 0.0,
        "confidence": "low",
        "confidence_reason": f"{STEADY}; {estimated}; {versioned}. Warning: {ROLLBACK}.",
        "evidence": {**common, "action": "expire"},
        "change": {
            "console": "S3 > ver > Management > Create lifecycle rule: Expire current versions after 30 days, "
            "permanently delete noncurrent versions",
            "cli": "aws s3api put-bucket-lifecycle-configuration --bucket ver --lifecycle-configuration "
            "'Rules=[{ID=expire-artifacts,Status=Enabled,Filter={},Expiration={Days=30}, "
            "NoncurrentVersionExpiration={NoncurrentDays=30},}]'  # merges with no existing rule: include the "
            "bucket's current rules",
            "cloudformation": "AWS::S3::Bucket  LifecycleConfiguration: {Rules: [{Status: Enabled, "
            "ExpirationInDays: 30}]}",
            "terraform": 'resource "aws_s3_bucket_lifecycle_configuration" { rule { status = "Enabled"  filter {}  '
            "expiration { days = 30 } } }",
        },
        "exclusive": f"s3-lifecycle:{ACCOUNT}:{REGION}:ver",
        "usage_patch": [],
    }
    to_ia = found[f"standard-ia-{ACCOUNT}-{REGION}-ver"]
    caveats = [
        "Standard-IA bills at least 128 KB per object",
        *IA_CAVEATS,
        "monthly transition requests = objects aging past N days a month (the artifact writes)",
    ]
    assert to_ia.monthly_saving_usd == pytest.approx(97 * (STANDARD_GB_MONTH - IA_GB_MONTH) - 310 * TRANSITION)
    assert to_ia.one_off_cost_usd == pytest.approx(9_700 * TRANSITION)
    assert to_ia.confidence == "low"
    assert to_ia.confidence_reason == (
        f"{STEADY}; {estimated}; {versioned}; " + "; ".join(caveats) + f". If you expire instead: {ROLLBACK}."
    )
    assert to_ia.evidence == {
        **common,
        "action": "transition to STANDARD_IA",
        "standard_ia_billed_gb": pytest.approx(97.0),
        "transitions_per_month": pytest.approx(310.0),
        "first_run_transitions": pytest.approx(9_700.0),
        "caveats": caveats,
    }
    assert to_ia.usage_patch == []
    for suggestion in found.values():
        assert applied(ctx, suggestion).total == pytest.approx(ctx.baseline.total - suggestion.monthly_saving_usd)
        batch_matches_transform(ctx, suggestion)


def test_artifact_lifecycle_on_a_snapshot_without_lifecycle_rules_says_so() -> None:
    """Catches buckets of a snapshot collected before lifecycle rules were read taken as having none (suggested),
    or the note missing or reworded."""
    ctx = context_for_snapshot(lifecycle_snapshot(collected=False))
    assert artifact_lifecycle.rule(ctx) == []
    assert ctx.notes == [
        "artifact-lifecycle: the snapshot has no bucket lifecycle rules (buckets.has_expiration was not collected): "
        "not checked; collect again with this costkit to check them"
    ]


def test_lambda_compute_leaves_types_lambda_has_no_container_for() -> None:
    """Catches a Windows project (or a general1.large one) taken for a Lambda candidate: Lambda compute runs only
    Linux and ARM containers, from general1.small or medium. win's 100 builds of 2 min on Windows general1.medium
    and big's on general1.large are neither suggested nor noted; only quick (general1.small, 3 GB -> 4 GB) is."""
    short = {"builds_per_month": 100, "minutes_per_build": 2}
    usage = usage_file(
        codebuild={
            "win": {
                "compute_type": "BUILD_GENERAL1_MEDIUM",
                "environment_type": "WINDOWS_SERVER_2019_CONTAINER",
                **short,
            },
            "big": {"compute_type": "BUILD_GENERAL1_LARGE", **short},
            "quick": {"compute_type": "BUILD_GENERAL1_SMALL", **short},
        }
    )
    ctx = context_for_usage(usage)
    assert not_priced.lambda_compute(ctx) == []
    assert [note.split(":")[0] for note in ctx.notes] == ["quick"]
    assert "(BUILD_LAMBDA_4GB, billed per second)" in ctx.notes[0]


def test_artifact_lifecycle_counts_only_the_standard_storage_of_a_bucket_partly_in_standard_ia() -> None:
    """Catches Standard storage picked as "Standard usage type OR storage meter" (the bucket's Standard-IA bytes
    taken for Standard ones, and cut by the expiration): mixed holds 100 GiB Standard and 50 GiB already in
    Standard-IA (a transition rule, no expiration); its 10,000 objects are split by bytes, 10,000 x 100 / 150 =
    6,667 Standard, of which 300 are newer than 30 days: 1 - 300 / 6,667 = 95.5% of the 100 Standard GB expires
    at $0.023 and the 50 GB of Standard-IA stay."""
    snap = lifecycle_snapshot()
    tables = dict(snap.tables)
    tables["buckets"] = pd.DataFrame([{**bucket("mixed"), "lifecycle_rules": 1, "has_transition": True}])
    tables["pipelines"] = tables["pipelines"].assign(artifact_buckets="mixed")
    ia = {"account": ACCOUNT, "region": REGION, "bucket": "mixed", "storage_type": "StandardIAStorage",
          "avg_bytes": 50 * GB, "avg_objects": None, "datapoints": 31}  # fmt: skip
    tables["bucket_storage"] = pd.DataFrame([*storage("mixed", 100, 10_000), ia])
    ctx = context_for_snapshot(Snapshot(tables=tables, manifest=snap.manifest))
    found = {s.id.removeprefix("artifact-lifecycle-"): s for s in artifact_lifecycle.rule(ctx)}
    expire = found[f"expire-{ACCOUNT}-{REGION}-mixed"]
    assert expire.monthly_saving_usd == pytest.approx(95.5 * STANDARD_GB_MONTH)
    assert expire.evidence["standard_gb"] == pytest.approx(100.0)
    after = applied(ctx, expire)
    assert after.total == pytest.approx(ctx.baseline.total - 95.5 * STANDARD_GB_MONTH)
    stored = {
        row["usage_type"]: row["quantity"] for row in rows_of(after.usage_rows, "mixed") if row["meter"] == "storage"
    }
    assert stored == {"TimedStorage-ByteHrs": pytest.approx(4.5), "TimedStorage-SIA-ByteHrs": pytest.approx(50.0)}
    for suggestion in found.values():
        batch_matches_transform(ctx, suggestion)


def test_lambda_compute_in_a_region_priced_through_the_fallback_region(tmp_path: Path) -> None:
    """Catches the estimate's fallback region left out of the price check (a Lambda size priced only through the
    fallback taken for one with no price, and noted instead of suggested): tokyo builds in ap-northeast-1, where
    the TEST Lambda rate exists only in us-east-1, the fallback: 1,000 x ceil(2.5) = 3,000 min x Tokyo's
    general1.small rate ($0.005) against 1,000 x 150 s x $0.00005."""
    book = book_with(tmp_path, price_row(LAMBDA_4GB, "Second", 0.00005))
    usage = usage_file(
        codebuild={
            "tokyo": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 1000, "minutes_per_build": 2.5,
                      "region": "ap-northeast-1"},
        }
    )  # fmt: skip
    baseline = estimate(usage, period=NOVEMBER, free_tier=False, fallback_region=REGION, pricebook=book)
    ctx = Context(baseline=baseline, pricebook=book)
    [move] = not_priced.lambda_compute(ctx)
    assert move.monthly_saving_usd == pytest.approx(3000 * TOKYO_SMALL - 1000 * 150 * 0.00005)
    assert ctx.notes == []


def test_lambda_compute_notes_follow_the_builds_and_skip_a_project_that_bills_nothing() -> None:
    """Catches the candidates sorted by name instead of kept in the order the builds show them (zeta's note
    first), a project billed a single minute dropped (once: 1 build of 0.5 min bills 1 minute, at least a
    minute), and a project with no builds (idle: 0 a month, nothing billed) taken for a candidate."""
    small = "BUILD_GENERAL1_SMALL"
    usage = usage_file(
        codebuild={
            "zeta": {"compute_type": small, "builds_per_month": 10, "minutes_per_build": 2},
            "once": {"compute_type": small, "builds_per_month": 1, "minutes_per_build": 0.5},
            "idle": {"compute_type": small, "builds_per_month": 0, "minutes_per_build": 2},
        }
    )
    ctx = context_for_usage(usage)
    assert not_priced.lambda_compute(ctx) == []
    assert [note.split(":")[0] for note in ctx.notes] == ["zeta", "once"]
    assert ctx.notes[1].startswith("once: builds of at most 0.5 min on BUILD_GENERAL1_SMALL could run on CodeBuild")


def test_lambda_compute_bills_a_planned_build_of_no_time_one_second(tmp_path: Path) -> None:
    """Catches a planned build taken for one that did not run when it takes no time: a planned build always
    runs, so each of blink's 10 builds of 0 min bills at least 1 minute on EC2 (10 x $0.005) and at least
    1 second on Lambda (10 x $0.00005)."""
    book = book_with(tmp_path, price_row(LAMBDA_4GB, "Second", 0.00005))
    usage = usage_file(
        codebuild={"blink": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 10, "minutes_per_build": 0}}
    )
    ctx = context_for_usage(usage, book)
    [move] = not_priced.lambda_compute(ctx)
    assert move.evidence["billed_seconds"] == 10.0
    assert move.monthly_saving_usd == pytest.approx(10 * 0.005 - 10 * 0.00005)


def test_lambda_compute_says_nothing_of_a_project_with_no_builds() -> None:
    """Catches a project that bills no build (0 a month) taken for a candidate with something to move when it is
    the only one (its rows moved: none; yet noted as a Lambda candidate)."""
    usage = usage_file(
        codebuild={"idle": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 0, "minutes_per_build": 2}}
    )
    ctx = context_for_usage(usage)
    assert not_priced.rule(ctx) == []
    assert ctx.notes == []


def test_the_not_priced_rules_on_an_estimate_with_no_builds_say_nothing() -> None:
    """Catches the Lambda-compute rule failing on an estimate with no CodeBuild builds at all (only a bucket):
    no candidates is no suggestion and no note, not an error."""
    ctx = context_for_usage(usage_file(s3={"art": {"storage_gb": 10}}))
    assert not_priced.rule(ctx) == []
    assert ctx.notes == []


def test_lambda_compute_keeps_looking_after_candidates_it_only_notes(tmp_path: Path) -> None:
    """Catches `continue` turned into `break` after a note: arm (arm1.medium -> the 8 GB ARM size, no price) is
    noted, dear (general1.medium -> 8 GB at a TEST $0.01 a second: 100 x 120 s x $0.01 = $120 against
    100 x 2 min x $0.01 = $2) is noted, and quick, after both, is still suggested: 100 x 2 min x $0.005 against
    100 x 120 s x $0.00005."""
    book = book_with(
        tmp_path,
        price_row(LAMBDA_4GB, "Second", 0.00005),
        price_row("Build-Sec:Linux:Lambda:x86-64.8GB", "Second", 0.01),
        price_row("Build-Min:ARM:g1.medium", "Minute", 0.0068),
    )
    short = {"builds_per_month": 100, "minutes_per_build": 2}
    usage = usage_file(
        codebuild={
            "arm": {"compute_type": "BUILD_GENERAL1_MEDIUM", "environment_type": "ARM_CONTAINER", **short},
            "dear": {"compute_type": "BUILD_GENERAL1_MEDIUM", **short},
            "quick": {"compute_type": "BUILD_GENERAL1_SMALL", **short},
        }
    )
    ctx = context_for_usage(usage, book)
    [move] = not_priced.lambda_compute(ctx)
    assert move.resources == ["quick"]
    assert move.monthly_saving_usd == pytest.approx(200 * SMALL - 100 * 120 * 0.00005)
    assert [note.split(":")[0] for note in ctx.notes] == ["arm", "dear"]
    assert ctx.notes[1] == "dear: priced on Lambda compute (BUILD_LAMBDA_8GB) it would not cost less"


def test_artifact_lifecycle_object_counts_at_the_edges() -> None:
    """Catches the thresholds on object counts and stored bytes moved by one: zero (100 GB, an object count of
    0, 100 PUTs a month) has no count to estimate ages from, so all 100 GB move: 100 x ($0.023 - $0.0125) -
    100 transitions x $0.00001; single (1 object, 5 written a month) holds only what a month writes; one (1
    object of 0.0001 GB = 105 KB) would bill 128 KB at Standard-IA; empty (0 GB in 1,000 objects) stores nothing
    and says nothing; big (0.4 GB in 1,000 objects of 400 KB, 500 written a month: half older) saves 0.2 x $0.023
    = $0.0046 by expiring, under the $0.005 threshold, and loses by moving (0.2 x $0.0105 - 500 x $0.00001 < 0)
    without the 128 KB minimum to blame: no suggestion and no note; small (0.6 GB, 1 write a month) moves all
    of it, under a gigabyte and with one transition a month, in its batch and in its own row edit. Also
    `continue` turned into `break` after a bucket that is only noted (buckets go in name order: zero is last)."""
    usage = usage_file(
        s3={
            "zero": {"storage_gb": 100, "objects": 0, "put_requests_per_month": 100},
            "single": {"storage_gb": 10, "objects": 1, "put_requests_per_month": 5},
            "one": {"storage_gb": 0.0001, "objects": 1},
            "empty": {"storage_gb": 0, "objects": 1000},
            "big": {"storage_gb": 0.4, "objects": 1000, "put_requests_per_month": 500},
            "small": {"storage_gb": 0.6, "put_requests_per_month": 1},
        }
    )
    ctx = context_for_usage(usage)
    small, to_ia = artifact_lifecycle.rule(ctx)
    # Under a gigabyte, one write a month: 0.6 x ($0.023 - $0.0125) - 1 x $0.00001, all of it moved.
    assert small.id == f"artifact-lifecycle-standard-ia-{ACCOUNT}-{REGION}-small"
    assert small.monthly_saving_usd == pytest.approx(0.6 * (STANDARD_GB_MONTH - IA_GB_MONTH) - 1 * TRANSITION)
    assert (small.evidence["standard_ia_billed_gb"], small.evidence["transitions_per_month"]) == (0.6, 1.0)
    for suggestion in (small, to_ia):
        assert applied(ctx, suggestion).total == pytest.approx(ctx.baseline.total - suggestion.monthly_saving_usd)
        batch_matches_transform(ctx, suggestion)
    assert to_ia.id == f"artifact-lifecycle-standard-ia-{ACCOUNT}-{REGION}-zero"
    assert to_ia.monthly_saving_usd == pytest.approx(100 * (STANDARD_GB_MONTH - IA_GB_MONTH) - 100 * TRANSITION)
    assert to_ia.one_off_cost_usd == 0.0
    assert to_ia.evidence["older_share"] == 1.0
    assert (
        to_ia.evidence["caveats"][0]
        == "Standard-IA bills at least 128 KB per object (object count unknown: not applied)"
    )
    assert sorted(ctx.notes) == [
        "one: objects average 105 KB: Standard-IA bills at least 128 KB each, so moving them costs more than it saves "
        "(S3 also skips objects under 128 KB by default); expiring old artifacts is the saving here",
        "single: no expiration rule, but its ~1 objects are about what the pipelines write in 30 days (~5): little "
        "is older than 30 days",
    ]


def test_artifact_lifecycle_without_a_transition_price_still_moves_a_bucket_with_nothing_to_transition(
    tmp_path: Path,
) -> None:
    """Catches zero-object transition rows added (a month's transitions or a backlog of none), which a missing
    Transition-SIA price turns into "not priced": nocount has no object count and no writes, so it moves its
    100 GB with no transition at all: 100 x ($0.023 - $0.0125), priced without the transition rate."""
    book = book_without(tmp_path, "s3", "Transition-SIA")
    ctx = context_for_usage(usage_file(s3={"nocount": {"storage_gb": 100}}), book)
    [to_ia] = artifact_lifecycle.rule(ctx)
    assert to_ia.monthly_saving_usd == pytest.approx(100 * (STANDARD_GB_MONTH - IA_GB_MONTH))
    assert to_ia.one_off_cost_usd == 0.0
    assert ctx.notes == []
    assert applied(ctx, to_ia).total == pytest.approx(ctx.baseline.total - to_ia.monthly_saving_usd)
    batch_matches_transform(ctx, to_ia)


def test_reserved_capacity_leaves_a_project_already_on_lambda_compute(tmp_path: Path) -> None:
    """Catches CodeBuild rows that are not on-demand build minutes taken for fleet candidates: lam runs on
    Lambda compute (10,000 builds x 300 s = 3,000,000 billed seconds a month at a TEST rate), far more than half
    a month of minutes if read as minutes, but it bills per second and has no instance to reserve."""
    book = book_with(tmp_path, price_row(LAMBDA_4GB, "Second", 0.00005))
    lam = {"compute_type": "BUILD_LAMBDA_4GB", "environment_type": "LINUX_LAMBDA_CONTAINER", "builds_per_month": 10_000,
           "minutes_per_build": 5}  # fmt: skip
    ctx = context_for_usage(usage_file(codebuild={"lam": lam}), book)
    assert ctx.baseline.total == pytest.approx(3_000_000 * 0.00005)
    assert not_priced.reserved_capacity(ctx) == []
    assert ctx.notes == []


def test_lambda_compute_does_not_bill_an_observed_build_that_never_ran(tmp_path: Path) -> None:
    """Catches an observed build with no billed time taken for one that ran (billed a second on Lambda): p's
    10 builds of 120 s bill 10 x 2 min x $0.005 on EC2 and 10 x 120 s x $0.00005 on Lambda; its eleventh build
    has 0 billable seconds and bills nothing on either."""
    book = book_with(tmp_path, price_row(LAMBDA_4GB, "Second", 0.00005))
    ran = builds("p", 10, 120, "BUILD_GENERAL1_SMALL")
    never = [{**row, "build_id": "p:never"} for row in builds("p", 1, 0, "BUILD_GENERAL1_SMALL", offset=20)]
    projects = pd.DataFrame([project("p", "BUILD_GENERAL1_SMALL")])
    snap = Snapshot(tables={"builds": pd.DataFrame([*ran, *never]), "projects": projects}, manifest={"window": WINDOW})
    ctx = context_for_snapshot(snap, book)
    [move] = not_priced.lambda_compute(ctx)
    assert move.evidence["billed_seconds"] == 10 * 120.0
    assert move.monthly_saving_usd == pytest.approx(10 * 2 * SMALL - 10 * 120 * 0.00005)


def test_lambda_compute_looks_up_each_region_of_one_lambda_size_on_its_own(tmp_path: Path) -> None:
    """Catches the price look-up cached by usage type alone (the second region taking the first's answer): the
    TEST 4 GB rate exists only in us-east-1, so quick there is suggested (1,000 x 3 min x $0.005 against 1,000 x
    150 s x $0.00005) and tokyo, in ap-northeast-1 with no fallback region, is noted as missing that price."""
    book = book_with(tmp_path, price_row(LAMBDA_4GB, "Second", 0.00005))
    short = {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 1000, "minutes_per_build": 2.5}
    usage = usage_file(codebuild={"quick": short, "tokyo": {**short, "region": "ap-northeast-1"}})
    ctx = context_for_usage(usage, book)
    [move] = not_priced.lambda_compute(ctx)
    assert move.resources == ["quick"]
    assert move.monthly_saving_usd == pytest.approx(3000 * SMALL - 1000 * 150 * 0.00005)
    assert ctx.notes == [
        "tokyo: builds of at most 2.5 min on BUILD_GENERAL1_SMALL could run on CodeBuild Lambda compute "
        f"(BUILD_LAMBDA_4GB, billed per second), but costkit has no price for {LAMBDA_4GB} in ap-northeast-1, so "
        f"this cannot be priced: {REFRESH}. Constraints: {CONSTRAINTS}."
    ]
