"""Linux x86 CodeBuild projects on Arm (arm1.* at the same duration, where AWS publishes the Arm rate)."""

from __future__ import annotations

import pandas as pd

from costkit.billing.codebuild import twins
from costkit.optimize.base import Context, Suggestion, touches
from costkit.optimize.rows import retype

RULE = "arm-builds"
ARM_IMAGE = "aws/codebuild/amazonlinux2-aarch64-standard:3.0"
STANDARD_IMAGES = (
    "aws/codebuild/standard",
    "aws/codebuild/amazonlinux2-x86_64-standard",
    "aws/codebuild/amazonlinux-x86_64",
)


def _image(ctx: Context, project: str) -> str | None:
    """The project's build image, when the source says (a usage file does not)."""
    projects = ctx.baseline.inventory.projects
    match = projects.loc[(projects["project"] == project) & projects["image"].notna(), "image"]
    return str(match.iloc[0]) if len(match) else None


def rule(ctx: Context) -> list[Suggestion]:
    rows = ctx.rows
    if rows.empty:
        return []
    arm_twin = twins(ctx.pricebook.compute_types, "LINUX_CONTAINER", "ARM_CONTAINER")
    linux = rows[(rows["service"] == "CodeBuild") & rows["usage_type"].isin(arm_twin)]
    suggestions: list[Suggestion] = []
    for (account, region, project), group in linux.groupby(["account", "region", "resource"]):
        mapping = {t: arm_twin[t] for t in group["usage_type"].unique()}
        match = {"service": "CodeBuild", "account": str(account), "region": str(region), "resource": str(project)}

        @touches(match)
        def to_arm(r: pd.DataFrame, match: dict[str, str] = match, mapping: dict[str, str] = mapping) -> pd.DataFrame:
            return retype(r, match, mapping, "on Arm (arm1), same billed minutes")

        saving = ctx.worth(
            to_arm, unpriced=f"{project}: no published Arm price for {', '.join(mapping.values())} in {region}"
        )
        if saving is None:
            continue
        image = _image(ctx, str(project))
        standard = image is not None and image.startswith(STANDARD_IMAGES)
        confidence = "medium" if image is None or standard else "low"
        reason = (
            "assumes the same build duration on Graviton; "
            + ("the AWS standard image has an aarch64 twin" if standard else
               "the image is unknown" if image is None else f"custom image {image} needs an arm64 build")
        )  # fmt: skip
        minutes = float(group["quantity"].sum())
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
            )
        )
    return suggestions
