"""Resource tags for showback: who owns each pipeline, CodeBuild project, Lambda function and bucket.

Calls: Resource Groups Tagging API GetResources (client "resourcegroupstaggingapi", IAM tag:GetResources), one
paginated query per region filtered to the four resource types, up to 100 resources per page. It lists tagged (or
once tagged) resources only, so an untagged resource is simply absent. Where the call is denied the table is
empty and the report says no tags were collected (a missing permission for tags does not make the cost snapshot
partial); any other failure (no answer, throttled past the retries) is recorded like any service's.

Table `tags`: one row per resource and tag (resource_type pipeline, project, function or bucket; resource its name).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from costkit.collect.context import RegionContext

TAG_COLUMNS = ["arn", "resource_type", "resource", "key", "value"]
RESOURCE_TYPES = ["codepipeline", "codebuild:project", "lambda:function", "s3"]
PAGE_SIZE = 100  # GetResources ResourcesPerPage maximum
DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
# ARN shapes (service, resource part) -> costkit's kind: codepipeline:...:NAME, codebuild:...:project/NAME,
# lambda:...:function:NAME, s3:::NAME.
KINDS = {"codepipeline": "pipeline", "codebuild": "project", "lambda": "function", "s3": "bucket"}


def collect(ctx: RegionContext) -> dict[str, pd.DataFrame]:
    """The region's tags on the estate's resource types (an empty table when the tagging API is denied)."""
    api = ctx.client("resourcegroupstaggingapi")
    mappings: list[dict[str, Any]] = []
    try:
        pages = api.get_paginator("get_resources").paginate(
            ResourceTypeFilters=RESOURCE_TYPES, ResourcesPerPage=PAGE_SIZE
        )
        for page in pages:
            mappings += page.get("ResourceTagMappingList", [])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in DENIED:
            return {"tags": pd.DataFrame(columns=TAG_COLUMNS)}
        raise
    rows = [
        {"arn": item["ResourceARN"], "key": tag["Key"], "value": tag.get("Value", "")}
        for item in mappings
        for tag in item.get("Tags", [])
    ]
    return {"tags": tag_table(pd.DataFrame(rows, columns=["arn", "key", "value"]))}


def tag_table(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` (arn, key, value) with each ARN's resource kind and name; ARNs of other kinds are left out."""
    parts = frame["arn"].astype(str).str.split(":", n=5, expand=True).reindex(columns=range(6))
    service, tail = parts[2].astype(object), parts[5].fillna("").astype(str)
    name = tail.str.replace(r"^(project/|function:)", "", regex=True).str.split(":", n=1).str[0]
    kind = service.map(KINDS)
    kept = frame.assign(resource_type=kind, resource=name)[kind.notna() & (name != "")]
    return kept[TAG_COLUMNS].reset_index(drop=True)
