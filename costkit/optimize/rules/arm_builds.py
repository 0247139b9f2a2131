"""Linux x86 CodeBuild projects on Arm (arm1.* at the same duration, where AWS publishes the Arm rate)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from costkit.billing.codebuild import twins
from costkit.optimize.base import Batch, Context, Suggestion, touches
from costkit.optimize.rows import candidates, retype

RULE = "arm-builds"
ARM_IMAGE = "aws/codebuild/amazonlinux2-aarch64-standard:3.0"
STANDARD_IMAGES = (
    "aws/codebuild/standard",
    "aws/codebuild/amazonlinux2-x86_64-standard",
    "aws/codebuild/amazonlinux-x86_64",
)


def _images(ctx: Context) -> dict[str, str]:
    """Each project's build image, when the source says (a usage file does not): the first one listed."""
    projects = ctx.baseline.inventory.projects
    known = projects[projects["image"].notna()].drop_duplicates("project")
    return dict(zip(known["project"].astype(str), known["image"].astype(str), strict=True))


def rule(ctx: Context) -> list[Suggestion]:
    rows = ctx.rows
    if rows.empty:
        return []
    arm_twin = twins(ctx.pricebook.compute_types, "LINUX_CONTAINER", "ARM_CONTAINER")
    linux = (rows["service"] == "CodeBuild") & rows["usage_type"].isin(arm_twin)
    candidate, places = candidates(rows, linux.to_numpy(), ["account", "region", "resource"])
    detail = "on Arm (arm1), same billed minutes"
    batch = Batch.changed(rows, candidate, usage_type=rows["usage_type"].map(arm_twin).to_numpy(), detail=detail)
    savings = ctx.savings(batch)
    minutes_of = np.bincount(candidate + 1, rows["quantity"].astype("float64").to_numpy(), len(places) + 1)[1:]
    types = pd.DataFrame({"candidate": candidate, "usage_type": rows["usage_type"].to_numpy()})
    mappings: list[dict[str, str]] = [{} for _place in places]
    for number, usage_type in types[candidate >= 0].drop_duplicates().itertuples(index=False):
        mappings[number][str(usage_type)] = arm_twin[str(usage_type)]  # in the order the rows list them
    images = _images(ctx)
    suggestions: list[Suggestion] = []
    for number, (account, region, project) in enumerate(places):
        mapping = mappings[number]
        match = {"service": "CodeBuild", "account": account, "region": region, "resource": project}

        @touches(match)
        def to_arm(r: pd.DataFrame, match: dict[str, str] = match, mapping: dict[str, str] = mapping) -> pd.DataFrame:
            return retype(r, match, mapping, detail)

        saving = ctx.judge(
            savings[number],
            unpriced=f"{project}: no published Arm price for {', '.join(mapping.values())} in {region}",
        )
        if saving is None:
            continue
        image = images.get(project)
        standard = image is not None and image.startswith(STANDARD_IMAGES)
        confidence = "medium" if image is None or standard else "low"
        reason = (
            "assumes the same build duration on Graviton; "
            + ("the AWS standard image has an aarch64 twin" if standard else
               "the image is unknown" if image is None else f"custom image {image} needs an arm64 build")
        )  # fmt: skip
        minutes = float(minutes_of[number])
        suggestions.append(
            Suggestion(
                id=f"{RULE}-{project}",
                rule=RULE,
                title=f"Run CodeBuild project {project} on Arm",
                resources=[str(project)],
                monthly_saving_usd=saving,
                confidence=confidence,  # type: ignore[arg-type]
                confidence_reason=reason,
                evidence={"billed_minutes": minutes, "usage_types": mapping, "image": image},
                change={
                    "console": "CodeBuild > project > Edit > Environment: Arm, image amazonlinux2-aarch64-standard",
                    "cli": f"aws codebuild update-project --name {project} --environment "
                    f"type=ARM_CONTAINER,image={ARM_IMAGE},computeType=<same>",
                    "cloudformation": f"AWS::CodeBuild::Project Environment: {{Type: ARM_CONTAINER, Image: {ARM_IMAGE}}}",  # noqa: E501
                    "terraform": f'environment {{ type = "ARM_CONTAINER"  image = "{ARM_IMAGE}" }}',
                },
                exclusive=f"build-compute:{account}:{region}:{project}",
                usage_patch=[{"op": "set", "path": f"codebuild.{project}.environment_type", "value": "ARM_CONTAINER"}],
                transform=to_arm,
                priced_in=(batch, number),
            )
        )
    return suggestions
