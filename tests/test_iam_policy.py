"""docs/iam-policy.json is exactly the read-only permissions costkit's AWS calls need: nothing missing, nothing extra.

- every call the demo collection makes (manifest "calls", counted by the read-only guard) is allowed;
- every operation the collectors' source can call (client method or paginator, on any code path) is allowed;
- every allowed action is an operation some source file calls, and is read-only by name;
- the Athena path's statements: its own four calls (StartQueryExecution runs costkit's SELECTs, whose only write
  is the result, in the output location the caller names), and what Athena itself does with the caller's
  credentials: read the Glue catalog, read the tables' S3 data, write and read the results. Those S3 grants name
  placeholder buckets (invalid names, so the file grants nothing there until a person puts theirs in).

IAM action names are the API operation names except where listed in OPERATION_TO_ACTION; IAM service prefixes
are the botocore service names except where listed in SERVICE_TO_PREFIX.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore import xform_name

from costkit.collect import run
from costkit.collect.context import Window
from costkit.collect.fake_account import fake_account

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "docs" / "iam-policy.json"
# where AWS clients are created and called: the collectors, plus `costkit pricing refresh` (client made in cli/)
SOURCES = [*sorted((ROOT / "costkit" / "collect").glob("*.py")), *sorted((ROOT / "costkit" / "cli").glob("*.py"))]
NOT_COLLECTORS = {"fake_account.py", "fake_org.py"}  # the fakes seed moto; they are no AWS code path

SERVICE_TO_PREFIX = {"resourcegroupstaggingapi": "tag"}
# (botocore service, operation) -> IAM action, where the action is not "<prefix>:<operation>"
OPERATION_TO_ACTION = {
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
    ("s3", "ListBucketMetricsConfigurations"): "s3:GetMetricsConfiguration",
}
ACTION_TO_OPERATION = {action: key for key, action in OPERATION_TO_ACTION.items()}
PREFIX_TO_SERVICE = {prefix: service for service, prefix in SERVICE_TO_PREFIX.items()}
READ_ONLY_ACTION = re.compile(r"^[a-z0-9-]+:(List|Get|Describe|BatchGet)[A-Z]\w*$")
ALSO_ALLOWED = {"sts:AssumeRole"}  # reading other accounts (--role-arn, --org-role): changes nothing
# Athena: runs costkit's own SELECT queries (results go to the output location) and stops one costkit gave up on
ALSO_ALLOWED |= {"athena:StartQueryExecution", "athena:StopQueryExecution"}
# What Athena does with the caller's own credentials when it runs a query: no costkit source calls these.
ON_BEHALF = {
    "AthenaCatalogRead": ["glue:GetDatabase", "glue:GetPartitions", "glue:GetTable"],
    "AthenaDataRead": ["s3:GetObject", "s3:ListBucket"],
    "AthenaResultsWrite": ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListBucket", "s3:PutObject"],
}
# Operation names whose snake_case form appears in the source as something else: botocore.session.get_session()
# is not Athena's GetSession.
NOT_CALLS = {("athena", "GetSession")}
PLACEHOLDERS = {"AthenaDataRead": "SNAPSHOT-AND-CUR-BUCKET", "AthenaResultsWrite": "ATHENA-RESULTS-BUCKET"}


def action_for(service: str, operation: str) -> str:
    return OPERATION_TO_ACTION.get((service, operation), f"{SERVICE_TO_PREFIX.get(service, service)}:{operation}")


def operation_for(action: str) -> tuple[str, str]:
    if action in ACTION_TO_OPERATION:
        return ACTION_TO_OPERATION[action]
    prefix, name = action.split(":", 1)
    return PREFIX_TO_SERVICE.get(prefix, prefix), name


@cache
def policy() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(POLICY.read_text())
    return document


def allowed() -> set[str]:
    """What costkit's own calls are allowed (the statements for what Athena does on the caller's behalf aside)."""
    return {action for statement in own_statements() for action in statement["Action"]}


def own_statements() -> list[dict[str, Any]]:
    return [statement for statement in policy()["Statement"] if statement["Sid"] not in ON_BEHALF]


def own_actions() -> list[str]:
    return sorted(
        {a for s in json.loads(POLICY.read_text())["Statement"] if s["Sid"] not in ON_BEHALF for a in s["Action"]}
    )


@cache
def source_text() -> str:
    return "\n".join(path.read_text() for path in SOURCES if path.name not in NOT_COLLECTORS)


def called_in_source(operation: str) -> bool:
    """The operation is called as a client method (`.name(`) or paginated (`get_paginator("name")`)."""
    snake = xform_name(operation)
    return bool(re.search(rf"\.{snake}\(|get_paginator\(\s*\"{snake}\"", source_text()))


@cache
def services_in_source() -> frozenset[str]:
    """Every botocore service a client is created for: `client("x"`, `client(session, "x"` or `client(s(...), "x"`."""
    found = re.findall(r"client\((?:[^\"()]*(?:\([^()]*\))?,\s*)?\"([a-z0-9-]+)\"", source_text())
    return frozenset(found)


@cache
def service_operations(service: str) -> tuple[str, ...]:
    return tuple(botocore.session.get_session().get_service_model(service).operation_names)


def test_policy_shape() -> None:
    document = policy()
    assert document["Version"] == "2012-10-17"
    sids = [statement["Sid"] for statement in document["Statement"]]
    assert len(sids) == len(set(sids))
    assert "PriceListRefresh" in sids
    prefixes = []
    for statement in own_statements():
        assert statement["Effect"] == "Allow"
        assert statement["Resource"] == "*"
        assert isinstance(statement["Action"], list)
        assert len(statement["Action"]) == len(set(statement["Action"]))
        assert len({action.split(":")[0] for action in statement["Action"]}) == 1, statement["Sid"]
        prefixes.append(statement["Action"][0].split(":")[0])
        assert not any("*" in action for action in statement["Action"]), "no wildcards: least privilege"
    # one statement per service; the price list has its own, and nothing else is in it
    assert len(prefixes) == len(set(prefixes))
    price_list = next(s for s in document["Statement"] if s["Sid"] == "PriceListRefresh")
    assert price_list["Action"] == ["pricing:GetProducts"]
    athena = next(s for s in document["Statement"] if s["Sid"] == "AthenaQueries")
    assert athena["Action"] == [
        "athena:GetQueryExecution",
        "athena:GetQueryResults",
        "athena:GetTableMetadata",
        "athena:StartQueryExecution",
        "athena:StopQueryExecution",
    ]


def test_what_athena_does_on_the_callers_behalf_is_listed_and_s3_is_scoped_to_named_buckets() -> None:
    statements = {s["Sid"]: s for s in policy()["Statement"] if s["Sid"] in ON_BEHALF}
    assert {sid: s["Action"] for sid, s in statements.items()} == ON_BEHALF
    for statement in statements.values():
        assert statement["Effect"] == "Allow"
        assert not any("*" in action for action in statement["Action"])
    catalog = statements["AthenaCatalogRead"]
    assert catalog["Resource"] == "*"
    assert all(READ_ONLY_ACTION.match(action) for action in catalog["Action"])
    glue = botocore.session.get_session().get_service_model("glue").operation_names
    assert all(action.split(":")[1] in glue for action in catalog["Action"])
    for sid, bucket in PLACEHOLDERS.items():
        # never "*": the results write and the data read name the buckets a person fills in
        assert statements[sid]["Resource"] == [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
        assert bucket != bucket.lower(), "a placeholder no real bucket can be (bucket names are lower case)"


def test_demo_collection_calls_are_all_allowed() -> None:
    window = Window.month(2026, 10)
    with fake_account(window) as session:
        snapshot = run.collect(
            session, run.CollectOptions(window=window, regions=["us-east-1", "ap-northeast-1"], cache_dir=None)
        )
    calls = snapshot.manifest["calls"]
    assert snapshot.manifest["failures"] == []
    # the demo reaches every collector (so this is not vacuous): pipelines, builds, Lambda, S3, metrics, CE
    assert {key.split(":")[0] for key in calls} >= {
        "sts",
        "codepipeline",
        "codebuild",
        "lambda",
        "s3",
        "cloudwatch",
        "ce",
    }
    missing = sorted(key for key in calls if action_for(*key.split(":")) not in allowed())
    assert missing == [], f"calls the policy does not allow: {missing}"


def test_every_operation_the_source_can_call_is_allowed() -> None:
    """Conditional paths too (--role-arn, --org-role, --regions all, --lambda-tag and its fallback, pricing refresh)."""
    services = services_in_source()
    assert services >= {"sts", "organizations", "ec2", "codepipeline", "codebuild", "lambda", "s3", "cloudwatch"}
    assert services >= {"ce", "resourcegroupstaggingapi", "pricing", "athena"}
    used = {
        action_for(service, operation)
        for service in services
        for operation in service_operations(service)
        if called_in_source(operation) and (service, operation) not in NOT_CALLS
    }
    assert sorted(used - allowed()) == [], "operations called in the source but not allowed"
    assert sorted(allowed() - used) == [], "allowed but never called"


@pytest.mark.parametrize("action", own_actions())
def test_every_allowed_action_is_called_somewhere(action: str) -> None:
    service, operation = operation_for(action)
    assert operation in service_operations(service), f"{action}: {service} has no operation {operation}"
    assert service in services_in_source(), f"{action}: no {service} client is ever created"
    assert called_in_source(operation), f"{action}: {xform_name(operation)} is never called"


@pytest.mark.parametrize("action", own_actions())
def test_every_allowed_action_is_read_only(action: str) -> None:
    assert READ_ONLY_ACTION.match(action) or action in ALSO_ALLOWED, action


def test_operation_to_action_map_is_needed_and_right() -> None:
    """The mapped operations exist, and their mechanical "<prefix>:<operation>" name is NOT what IAM calls them."""
    for (service, operation), action in OPERATION_TO_ACTION.items():
        assert operation in service_operations(service)
        assert action != f"{service}:{operation}"
        assert action in allowed()
        assert f"{service}:{operation}" not in allowed()
