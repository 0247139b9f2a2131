"""Multi-page answers for the listing calls the other tests do not page: Organizations ListAccounts,
the tagging API's GetResources and CloudWatch ListMetrics. Each page is answered after the read-only
guard has counted the call, and validated against botocore's model first."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.validate import validate_parameters
from moto import mock_aws

from costkit.collect import lambda_functions, s3_buckets
from costkit.collect.context import CallLog, RegionContext, Window
from costkit.collect.fake_account import fake_account
from costkit.collect.run import targets

OCTOBER = Window.month(2026, 10)


def paged(session: boto3.Session, operation: str, token_in: str, token_out: str, pages: list[dict[str, Any]]) -> None:
    """Answer `operation` with `pages`, following the service's own token fields."""

    def respond(model: Any, params: dict[str, Any], **_: Any) -> Any:
        if model.name != operation:
            return None
        body = params.get("body") or b""
        if isinstance(body, bytes | bytearray) and body[:1] == b"{":
            request = json.loads(body)
        elif isinstance(body, dict):
            request = body
        else:  # query protocol (CloudWatch may use it): form-encoded
            from urllib.parse import parse_qs

            request = {k: v[0] for k, v in parse_qs(body.decode() if isinstance(body, bytes) else str(body)).items()}
        index = int(request.get(token_in) or 0)
        page = dict(pages[index])
        if index + 1 < len(pages):
            page[token_out] = str(index + 1)
        validate_parameters(page, model.output_shape)
        return AWSResponse(None, 200, {}, None), page  # type: ignore[arg-type]

    session.events.register_last("before-call", respond)  # type: ignore[attr-defined]


def context(session: boto3.Session, log: CallLog) -> RegionContext:
    return RegionContext("123456789012", "us-east-1", session, OCTOBER, log)


def test_list_accounts_is_followed_across_pages() -> None:
    accounts: Callable[[int], dict[str, Any]] = lambda n: {  # noqa: E731
        "Id": f"{n:012d}", "Arn": f"arn:aws:organizations::1:account/o-x/{n:012d}", "Name": f"a{n}",
        "Email": f"a{n}@example.com", "Status": "ACTIVE" if n != 3 else "SUSPENDED",
    }  # fmt: skip
    with fake_account(OCTOBER) as session:
        pages = [{"Accounts": [accounts(1), accounts(2)]}, {"Accounts": [accounts(3), accounts(4)]}]
        paged(session, "ListAccounts", "NextToken", "NextToken", [*pages, {"Accounts": [accounts(5)]}])
        log = CallLog()
        found = targets(session, log, org_role="Reader")
    assert [t.account_id for t in found] == [f"{n:012d}" for n in (1, 2, 4, 5)]  # the suspended one is skipped
    assert log.as_dict()["organizations:ListAccounts"] == 3


def test_tagged_functions_are_followed_across_pages() -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:{}"
    with fake_account(OCTOBER) as session:
        paged(session, "GetResources", "PaginationToken", "PaginationToken",
              [{"ResourceTagMappingList": [{"ResourceARN": arn.format("deploy-notifier")}]},
               {"ResourceTagMappingList": [{"ResourceARN": arn.format("gone")}]}])  # fmt: skip
        log = CallLog()
        tables = lambda_functions.collect(context(session, log), [], tag_key="ci")
    # Both pages were read; the second names a function that no longer exists, which is not invented.
    assert list(tables["functions"]["function"]) == ["deploy-notifier"]
    assert log.as_dict()["resourcegroupstaggingapi:GetResources"] == 2


def test_list_metrics_is_followed_across_pages() -> None:
    def metric(kind: str) -> dict[str, Any]:
        return {"Namespace": "AWS/S3", "MetricName": "BucketSizeBytes",
                "Dimensions": [{"Name": "BucketName", "Value": "costkit-demo-artifacts-use1"},
                               {"Name": "StorageType", "Value": kind}]}  # fmt: skip

    with mock_aws():  # moto alone: the demo account answers ListMetrics itself
        session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
        session.client("s3").create_bucket(Bucket="costkit-demo-artifacts-use1")
        paged(session, "ListMetrics", "NextToken", "NextToken",
              [{"Metrics": [metric("StandardStorage")]}, {"Metrics": [metric("StandardIAStorage")]}])  # fmt: skip
        log = CallLog()
        tables = s3_buckets.collect(context(session, log), ["costkit-demo-artifacts-use1"])
    kinds = set(tables["bucket_storage"]["storage_type"])
    assert {"StandardStorage", "StandardIAStorage"} <= kinds
    assert log.as_dict()["cloudwatch:ListMetrics"] == 2
