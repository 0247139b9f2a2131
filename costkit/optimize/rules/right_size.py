"""CodeBuild projects on LARGE, XLARGE or 2XLARGE compute whose builds are short: one size down.

costkit does not collect CPU or memory utilisation yet, so the signal is only the build length: an average
billed build of at most SHORT_BUILD_MINUTES. Stated assumption: the build takes as long on the smaller type
(true when it waits on the network or a single thread; a CPU- or memory-bound build runs longer and the saving
shrinks or vanishes). Confidence is always low for that reason.
"""

from __future__ import annotations

import pandas as pd

from costkit.optimize.base import Context, Suggestion, touches
from costkit.optimize.rows import retype
from costkit.optimize.runs import on_demand_builds

RULE = "right-size"
SHORT_BUILD_MINUTES = 3.0
ONE_SIZE_DOWN = {
    "BUILD_GENERAL1_LARGE": "BUILD_GENERAL1_MEDIUM",
    "BUILD_GENERAL1_XLARGE": "BUILD_GENERAL1_LARGE",
    "BUILD_GENERAL1_2XLARGE": "BUILD_GENERAL1_XLARGE",
}
SKIPPED_ENVIRONMENTS = ("LINUX_GPU_CONTAINER",)  # a GPU build is sized by its GPU, not its build length


def _candidates(ctx: Context) -> pd.DataFrame:
    """Per project and compute type: builds, average billed minutes per build (planned or observed runs); for a
    usage file, projects given only a monthly total too, their minutes per build unknown (None)."""
    columns = ["account", "region", "project", "compute_type", "environment_type", "builds", "avg_billed_minutes"]
    placement = ["account", "region", "project", "compute_type", "environment_type"]
    builds = on_demand_builds(ctx)
    if not builds.empty:
        builds = builds[builds["billing_unit"] == "Minute"]
        builds = builds.assign(weighted=builds["count"].astype(float) * builds["billed"].astype(float))
        grouped = builds.groupby(placement, dropna=False, sort=False)[["count", "weighted"]].sum().reset_index()
        grouped = grouped.assign(builds=grouped["count"], avg_billed_minutes=grouped["weighted"] / grouped["count"])
    else:
        grouped = pd.DataFrame(columns=columns)
    if ctx.baseline.runs.planned:
        projects = ctx.baseline.inventory.projects
        unknown = projects[~projects["project"].isin(set(grouped["project"]))].assign(
            builds=None, avg_billed_minutes=None
        )
        grouped = pd.concat([grouped[columns], unknown[columns]], ignore_index=True) if not unknown.empty else grouped
    return grouped.reindex(columns=columns)


def rule(ctx: Context) -> list[Suggestion]:
    rows = ctx.rows
    if rows.empty:
        return []
    mapping = ctx.pricebook.compute_types.set_index(["compute_type", "environment_type"])["usage_type"]
    suggestions: list[Suggestion] = []
    for item in _candidates(ctx).to_dict("records"):
        compute, environment = str(item["compute_type"]), str(item["environment_type"])
        smaller = ONE_SIZE_DOWN.get(compute)
        if smaller is None or environment in SKIPPED_ENVIRONMENTS:
            continue
        project, account, region = str(item["project"]), item["account"], item["region"]
        average = item["avg_billed_minutes"]
        if average is None or pd.isna(average):
            ctx.notes.append(
                f"{project}: on {compute} but the minutes per build are unknown (only a monthly total): "
                "cannot tell whether its builds are short enough to right-size"
            )
            continue
        if float(average) > SHORT_BUILD_MINUTES:
            continue
        if (compute, environment) not in mapping.index or (smaller, environment) not in mapping.index:
            ctx.notes.append(f"{project}: {smaller} does not exist for {environment}: not right-sized")
            continue
        old_type, new_type = str(mapping[(compute, environment)]), str(mapping[(smaller, environment)])
        match = {
            "service": "CodeBuild",
            "account": str(account),
            "region": str(region),
            "resource": project,
            "component": f"{compute} / {environment}",
        }

        types = {old_type: new_type}

        @touches(match)
        def smaller_type(r: pd.DataFrame, match: dict[str, str] = match, types: dict[str, str] = types) -> pd.DataFrame:
            return retype(r, match, types, "one size down, same billed minutes (assumed)")

        saving = ctx.worth(
            smaller_type,
            unpriced=f"{project}: short builds on {compute}, but there is no price for {new_type} in {region}: "
            "not right-sized (`costkit pricing refresh` may find it)",
        )
        if saving is None:
            continue
        billed = float(rows.loc[_selected(rows, match, old_type), "quantity"].sum())
        suggestions.append(
            Suggestion(
                id=f"{RULE}-{account}-{region}-{project}",
                rule=RULE,
                title=f"Run CodeBuild project {project} on {smaller} instead of {compute}",
                resources=[project],
                monthly_saving_usd=saving,
                confidence="low",
                confidence_reason=(
                    f"builds are short (average {float(average):g} billed min, at most {SHORT_BUILD_MINUTES:g}) but "
                    "CPU and memory utilisation are unknown (costkit does not collect them yet); assumes the same "
                    "duration on the smaller type: a CPU- or memory-bound build runs longer there, which eats the "
                    "saving. Try it on one branch and compare build times first."
                ),
                evidence={
                    "compute_type": compute,
                    "suggested_compute_type": smaller,
                    "environment_type": environment,
                    "builds": item["builds"],
                    "average_billed_minutes_per_build": float(average),
                    "short_build_threshold_minutes": SHORT_BUILD_MINUTES,
                    "billed_minutes": billed,
                    "utilisation": "unknown",
                },
                change={
                    "console": "CodeBuild > project > Edit > Environment > Additional configuration > "
                    f"Compute: {smaller}",
                    "cli": f"aws codebuild update-project --name {project} --environment "
                    f"type={environment},image=<same>,computeType={smaller}",
                    "cloudformation": f"AWS::CodeBuild::Project  Environment: {{ComputeType: {smaller}}}",
                    "terraform": f'environment {{ compute_type = "{smaller}" }}',
                },
                exclusive=f"build-compute:{account}:{region}:{project}",
                usage_patch=[{"op": "set", "path": f"codebuild.{project}.compute_type", "value": smaller}],
                transform=smaller_type,
            )
        )
    return suggestions


def _selected(rows: pd.DataFrame, match: dict[str, str], usage_type: str) -> pd.Series:
    mask = rows["usage_type"] == usage_type
    for column, value in match.items():
        mask &= rows[column] == value
    return mask
