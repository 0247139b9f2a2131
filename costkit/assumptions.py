"""Every convention an estimate relies on, named once so the output can list exactly those used."""

from __future__ import annotations

from collections.abc import Mapping

ASSUMPTIONS: dict[str, str] = {
    "whatif-kept-on-v2": (
        "What-if: {whatif-kept-on-v2} pipeline(s) use features that exist only on V2 (QUEUED or PARALLEL execution "
        "mode, triggers, variables) and stay on V2 in a scenario that moves pipelines to V1."
    ),
    "monthly-usage-file": (
        "Usage-file quantities are monthly figures for the estimate's period; S3 storage_gb is the average "
        "stored over the month (GB-Month, 1 GB = 1,024^3 bytes)."
    ),
    "v1-active": (
        "CodePipeline V1: $1 per active pipeline per month, not prorated. A pipeline is active when a code change "
        "ran through it in the month (usage files: `active`) and it is more than 30 days old at the end of the "
        "period; younger pipelines are in their free 30-day trial."
    ),
    "v1-created-unknown": (
        "CodePipeline V1 pipelines without a `created` date are assumed to be more than 30 days old."
    ),
    "v2-average-rounding": (
        "CodePipeline V2: every execution of an action is assumed to last the action's average `minutes`, "
        "rounded up to a whole minute per action execution (AWS rounds each action execution, not the total)."
    ),
    "v2-exclusions": (
        "CodePipeline V2: manual approval actions (category Approval) and custom actions (owner Custom) "
        "are not charged."
    ),
    "codebuild-average-rounding": (
        "CodeBuild EC2 compute: every build is assumed to last `minutes_per_build`, rounded up to a whole "
        "minute per build; `build_minutes_per_month` is taken as already rounded."
    ),
    "codebuild-lambda-seconds": (
        "CodeBuild Lambda compute is billed per second: every build is assumed to last `minutes_per_build` "
        "x 60 seconds, rounded up to a whole second per build."
    ),
    "lambda-average-duration": (
        "Lambda: every request is assumed to last `duration_ms`, rounded up to a whole millisecond; "
        "GB-seconds = memory_mb / 1024 x billed seconds."
    ),
    "lambda-ephemeral": (
        "Lambda ephemeral storage is charged per GB-second for the storage configured above the free 512 MB."
    ),
    "s3-min-object-size": (
        "S3 Standard-IA, One Zone-IA and Glacier Instant Retrieval bill every object as at least 128 KB "
        "(applied when `objects` is given, to the average size: a lower bound when sizes vary)."
    ),
    "s3-archive-overhead": (
        "S3 Glacier Flexible Retrieval and Deep Archive add 40 KB per object: 32 KB at the archive rate and "
        "8 KB at S3 Standard rates (applied when `objects` is given)."
    ),
    "s3-intelligent-tiering": (
        "S3 Intelligent-Tiering storage is priced as if every object stays in the Frequent Access tier "
        "(the highest rate); objects smaller than 128 KB are not monitored and not charged monitoring."
    ),
    "s3-int-monitoring-unknown": (
        "S3 Intelligent-Tiering entries without `objects` carry no monitoring charge ($0.0025 per 1,000 objects "
        "of 128 KB or more in us-east-1): give `objects` to include it."
    ),
    "s3-minimum-duration": (
        "S3 minimum storage durations (Standard-IA and One Zone-IA 30 days, Glacier Instant Retrieval and "
        "Glacier Flexible Retrieval 90 days, Deep Archive 180 days) are not modelled: objects deleted earlier are "
        "billed for the remaining days."
    ),
    "s3-transitions": (
        "S3 lifecycle_transitions_per_month counts objects moved INTO the bucket entry's storage class "
        "each month, priced at that class's transition rate."
    ),
    "s3-no-free-tier": "S3: the 12-month new-account free tier is not applied (not always-free).",
    "tiers-blended": (
        "Tiered prices (Lambda duration, S3 Standard storage) are applied to the total of each usage type per "
        "account and region; each resource's line carries the blended rate, shared in proportion to quantity."
    ),
    "tiers-organization": (
        "Volume tiers are aggregated across all accounts (consolidated billing treats an organization as one account)."
    ),
    "free-tier-account": (
        "Always-free allowances (CodePipeline 1 V1 pipeline and 100 V2 action minutes; CodeBuild 100 minutes "
        "of general1.small/arm1.small or 6,000 seconds of 1 GB Lambda compute, treated as one shared pool; "
        "Lambda 1 M requests and 400,000 GB-s shared by x86 and Arm) are applied once per account across all "
        "regions, to the first (highest-priced) tiers, shared among resources in proportion to their usage."
    ),
    "free-tier-organization": (
        "Always-free allowances are applied once for the whole organization (as consolidated billing does), "
        "shared among accounts and resources in proportion to their usage."
    ),
    "free-tier-off": "No free tier is applied.",
    "v2-free-minutes-pricing-page": (
        "The 100 free V2 action minutes per month follow the CodePipeline pricing page; the AWS Pricing "
        "Calculator does not subtract them."
    ),
    "observed-window": (
        "Observed usage comes from the snapshot's window (manifest `window`, UTC); runs that cross the window's "
        "edges are clipped to it, as AWS bills by calendar month."
    ),
    "observed-projection": (
        "The observed window is shorter or longer than the estimated month: flows (executions, builds, requests, "
        "action minutes) are scaled by the month's days / the window's days; storage and V1 pipeline-months are "
        "levels and are not scaled."
    ),
    "observed-v1-active": (
        "CodePipeline V1: a pipeline counts as active when at least one execution started in the window "
        "(an execution runs the latest source revision)."
    ),
    "observed-v2-rounding": (
        "CodePipeline V2: each observed action execution is measured from its start to its last update "
        "(status change), clipped to the window, and rounded up to a whole minute; every status is charged."
    ),
    "observed-codebuild-billing-start": (
        "CodeBuild: a build is billed from the start of its PROVISIONING phase (queued time is not billed) to its "
        "end, or from startTime when phases are unknown; builds still running when a window that was still open was "
        "collected are not counted."
    ),
    "observed-stale-runs": (
        "Runs still unfinished in a window that was closed when collected are billed from their start to at most "
        "their timeout, as AWS stops them there: {stale_action_executions} CodePipeline action executions (status "
        "InProgress) at their action type's timeout (pricing/run_timeouts.csv) and {stale_builds} CodeBuild builds "
        "(no end time) at their project's timeoutInMinutes."
    ),
    "observed-fleet": (
        "CodeBuild builds on reserved-capacity fleets are billed by the fleet, not per build minute; fleet prices "
        "are not in the tables, so those builds are listed as missing prices."
    ),
    "observed-lambda-average": (
        "Lambda: GB-seconds from CloudWatch Invocations and the average Duration, rounded up to a whole "
        "millisecond (the per-invocation rounding is not observable)."
    ),
    "observed-s3-storage": (
        "S3 storage is the average of the daily CloudWatch BucketSizeBytes values in the window, per storage "
        "type (overheads at the rate of the class they belong to)."
    ),
    "observed-s3-shared-bucket": (
        "An artifact bucket used by several pipelines has its storage shared among them in proportion to their "
        "executions in the window (equally when none ran), for the per-pipeline view."
    ),
    "observed-s3-requests": (
        "S3 artifact-store requests are estimated from pipeline executions: one PUT per Source/Build action and "
        "one GET per later non-approval action in each execution."
    ),
    "region-override": "Every resource is priced in one region (the `region` option), overriding the usage file.",
    "fallback-region": (
        "Prices missing in a resource's region were borrowed from the fallback region named in each line's "
        "price_region; those lines are approximations."
    ),
}


def describe(ids: set[str] | list[str], counts: Mapping[str, int] | None = None) -> list[dict[str, str]]:
    """Assumption objects for output, in the registry's order so output is stable; `counts` fill the
    figures a text names in braces (e.g. how many stale runs were clipped)."""
    wanted = set(ids)
    figures = {name: f"{value:,}" for name, value in (counts or {}).items()}
    return [
        {"id": key, "text": text.format_map(figures) if "{" in text else text}
        for key, text in ASSUMPTIONS.items()
        if key in wanted
    ]
