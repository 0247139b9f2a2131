"""Lambda and S3 collectors and the CloudWatch batching they share, offline.

moto models functions, buckets, lifecycle, versioning, tags and the metrics we seed. What moto lacks (GetMetricData
pages, ListBucketMetricsConfigurations, a denied tagging API) is answered locally, validated against botocore's
own output shapes so a wrong field fails here as AWS would. Every expected number is worked out by hand beside it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pandas as pd
import pytest
from botocore.awsrequest import AWSResponse
from botocore.validate import validate_parameters
from moto import mock_aws

from costkit.collect import lambda_functions, s3_buckets
from costkit.collect.cloudwatch import MetricQuery, metric_sums
from costkit.collect.context import CallLog, RegionContext, Window

ACCOUNT = "123456789012"
WINDOW = Window(dt.datetime(2025, 3, 1, tzinfo=dt.UTC), dt.datetime(2025, 3, 5, tzinfo=dt.UTC))  # 4 whole days
Answer = Callable[[dict[str, Any]], dict[str, Any]]


def at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2025, 3, day, hour, tzinfo=dt.UTC) if day > 0 else WINDOW.start - dt.timedelta(hours=1)


@dataclass
class AnsweringContext(RegionContext):
    """A RegionContext whose clients keep every request's parameters and answer the operations in `answers`
    locally (after the read-only guard has counted them), with responses checked against botocore's model."""

    answers: dict[str, Answer] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # (region, operation, params)

    def client(self, service: str, region: str | None = None) -> Any:
        api = super().client(service, region)
        where = api.meta.region_name

        def keep(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
            context["api_params"] = dict(params)
            self.requests.append((where, model.name, dict(params)))

        def answer(model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
            if model.name not in self.answers:
                return None
            response = self.answers[model.name](context["api_params"])
            if "Error" in response:
                return AWSResponse(None, 403, {}, None), response  # type: ignore[arg-type]
            validate_parameters(response, model.output_shape)
            return AWSResponse(None, 200, {}, None), response  # type: ignore[arg-type]

        api.meta.events.register("before-parameter-build", keep)
        api.meta.events.register("before-call", answer)  # after the guard's handler: counted, then answered
        return api

    def sent(self, operation: str) -> list[dict[str, Any]]:
        return [params for _, name, params in self.requests if name == operation]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_CLOUDWATCH"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield


def session() -> boto3.Session:
    return boto3.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def context(answers: dict[str, Answer] | None = None) -> AnsweringContext:
    return AnsweringContext(
        account_id=ACCOUNT, region="us-east-1", session=session(), window=WINDOW, log=CallLog(), answers=answers or {}
    )


def seed(
    namespace: str, metric: str, dimensions: dict[str, str], points: list[tuple[dt.datetime, float]], region: str
) -> None:
    """PutMetricData through a plain (unguarded) client: test setup, not collection."""
    api = session().client("cloudwatch", region_name=region)
    api.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
                "Timestamp": when,
                "Value": value,
            }
            for when, value in points
        ],
    )


def error(code: str) -> Answer:
    return lambda _: {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": 403}}


# ---------------------------------------------------------------- CloudWatch


def test_more_than_500_queries_take_two_calls(aws: None) -> None:
    # 501 distinct queries: 500 in the first GetMetricData call, 1 in the second
    seed("AWS/Lambda", "Invocations", {"FunctionName": "f0"}, [(at(1), 2.0), (at(3), 5.0)], "us-east-1")
    seed("AWS/Lambda", "Invocations", {"FunctionName": "f500"}, [(at(4), 9.0), (at(0), 100.0)], "us-east-1")
    queries = [MetricQuery("AWS/Lambda", "Invocations", (("FunctionName", f"f{i}"),)) for i in range(501)]
    ctx = context()

    frame = metric_sums(ctx, [*queries, queries[7]])  # a repeated query is asked once

    assert ctx.log.as_dict() == {"cloudwatch:GetMetricData": 2}
    assert [len(p["MetricDataQueries"]) for p in ctx.sent("GetMetricData")] == [500, 1]
    assert len(frame) == 501
    assert all(re.fullmatch(r"[a-z][a-zA-Z0-9_]*", i) for i in frame["id"])
    value = dict(zip(frame["id"], frame["value"], strict=True))
    assert value[queries[0].id] == 2.0 + 5.0  # two days inside the window
    assert value[queries[500].id] == 9.0  # the 100 an hour before the window is not counted
    assert frame.set_index("id").loc[queries[1].id, "datapoints"] == 0
    first = ctx.sent("GetMetricData")[0]
    assert first["ScanBy"] == "TimestampAscending"
    assert (first["StartTime"], first["EndTime"]) == (WINDOW.start, WINDOW.end)
    assert {q["MetricStat"]["Period"] for q in first["MetricDataQueries"]} == {86400}


def test_get_metric_data_follows_next_token(aws: None) -> None:
    sizes = MetricQuery("AWS/S3", "BucketSizeBytes", (("BucketName", "b"), ("StorageType", "StandardStorage")),
                        stat="Average", aggregate="mean")  # fmt: skip
    calls = MetricQuery("AWS/Lambda", "Invocations", (("FunctionName", "f"),))
    days = [dt.datetime(2025, 3, d, tzinfo=dt.UTC) for d in (1, 2, 3)]

    def pages(params: dict[str, Any]) -> dict[str, Any]:
        if "NextToken" not in params:
            return {
                "MetricDataResults": [
                    {"Id": sizes.id, "Timestamps": days[:2], "Values": [100.0, 200.0], "StatusCode": "PartialData"},
                    {"Id": calls.id, "Timestamps": days[:1], "Values": [4.0], "StatusCode": "PartialData"},
                ],
                "NextToken": "page-2",
            }
        assert params["NextToken"] == "page-2"
        return {
            "MetricDataResults": [
                {"Id": sizes.id, "Timestamps": days[2:], "Values": [600.0], "StatusCode": "Complete"},
                {"Id": calls.id, "Timestamps": days[1:], "Values": [1.0, 2.0], "StatusCode": "Complete"},
            ],
        }

    ctx = context({"GetMetricData": pages})
    frame = metric_sums(ctx, [sizes, calls]).set_index("id")

    assert ctx.log.as_dict() == {"cloudwatch:GetMetricData": 2}
    assert frame.loc[sizes.id, "value"] == (100.0 + 200.0 + 600.0) / 3  # mean of daily values across pages
    assert frame.loc[calls.id, "value"] == 4.0 + 1.0 + 2.0
    assert frame.loc[calls.id, "datapoints"] == 3
    assert frame.loc[calls.id, "status"] == "Complete"
    second = ctx.sent("GetMetricData")[1]
    assert [q["Id"] for q in second["MetricDataQueries"]] == [sizes.id, calls.id]


def test_no_queries_no_calls(aws: None) -> None:
    ctx = context()
    assert metric_sums(ctx, []).empty
    assert ctx.log.as_dict() == {}


# ---------------------------------------------------------------- Lambda


def code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def make_functions() -> None:
    iam = session().client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    api = session().client("lambda")
    base = {"Role": role, "Handler": "index.handler", "Code": {"ZipFile": code()}}
    api.create_function(FunctionName="build-hook", Runtime="python3.12", **base)  # defaults: x86_64, 128 MB, 512 MB
    api.create_function(
        FunctionName="deploy-arm", Runtime="python3.12", Architectures=["arm64"], MemorySize=1024,
        EphemeralStorage={"Size": 2048}, Timeout=60, Tags={"ci": "deploy"}, **base,
    )  # fmt: skip
    api.create_function(FunctionName="tagged-only", Runtime="nodejs20.x", MemorySize=256, Tags={"ci": ""}, **base)
    api.create_function(FunctionName="other-team", Runtime="python3.12", Tags={"team": "x"}, **base)


def seed_lambda_metrics() -> None:
    def put(name: str, metric: str, points: list[tuple[dt.datetime, float]]) -> None:
        seed("AWS/Lambda", metric, {"FunctionName": name}, points, "us-east-1")

    # build-hook: invocations 1 + 2 on day 1, 4 on day 3 -> 7; durations 300 + 400 + 700 ms -> 1,400; avg 200 ms
    put("build-hook", "Invocations", [(at(1, 9), 1.0), (at(1, 15), 2.0), (at(3), 4.0), (at(0), 1000.0)])
    put("build-hook", "Duration", [(at(1, 9), 300.0), (at(1, 15), 400.0), (at(3), 700.0), (at(0), 9e6)])
    # tagged-only: 2 invocations, 50 ms in all -> avg 25 ms
    put("tagged-only", "Invocations", [(at(2), 2.0)])
    put("tagged-only", "Duration", [(at(2), 50.0)])


def test_named_functions_one_call_each(aws: None) -> None:
    make_functions()
    seed_lambda_metrics()
    ctx = context()

    tables = lambda_functions.collect(ctx, ["deploy-arm", "build-hook", "gone", "build-hook"])

    assert ctx.log.as_dict() == {"cloudwatch:GetMetricData": 1, "lambda:GetFunctionConfiguration": 3}
    functions = tables["functions"].set_index("function")
    assert list(functions.index) == ["build-hook", "deploy-arm", "gone"]
    assert functions.loc["deploy-arm", ["memory_mb", "architecture", "ephemeral_storage_mb", "timeout_s"]].tolist() == [
        1024, "arm64", 2048, 60
    ]  # fmt: skip
    assert functions.loc["build-hook", ["memory_mb", "architecture", "ephemeral_storage_mb", "runtime"]].tolist() == [
        128, "x86_64", 512, "python3.12"
    ]  # fmt: skip
    assert functions["found"].tolist() == [True, True, False]
    assert functions["arn"].tolist()[:2] == [
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:build-hook",
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:deploy-arm",
    ]
    metrics = tables["function_metrics"].set_index("function")
    assert metrics.loc["build-hook", ["invocations", "duration_ms_sum", "duration_ms_avg"]].tolist() == [7, 1400, 200]
    assert metrics.loc["deploy-arm", ["invocations", "duration_ms_sum"]].tolist() == [0, 0]
    assert metrics["duration_ms_avg"].isna().tolist() == [False, True, True]  # no invocations: no average
    assert len(ctx.sent("GetMetricData")[0]["MetricDataQueries"]) == 2 * 3


def test_tag_key_adds_tagged_functions(aws: None) -> None:
    make_functions()
    seed_lambda_metrics()
    ctx = context()

    tables = lambda_functions.collect(ctx, ["build-hook", "gone"], tag_key="ci")

    # one tagging page finds deploy-arm and tagged-only; one ListFunctions page holds all 4 functions
    assert ctx.log.as_dict() == {
        "cloudwatch:GetMetricData": 1,
        "lambda:ListFunctions": 1,
        "resourcegroupstaggingapi:GetResources": 1,
    }
    functions = tables["functions"].set_index("function")
    assert list(functions.index) == ["build-hook", "deploy-arm", "gone", "tagged-only"]
    assert functions["found"].tolist() == [True, True, False, True]
    assert functions.loc["tagged-only", ["memory_mb", "architecture", "runtime"]].tolist() == [
        256,
        "x86_64",
        "nodejs20.x",
    ]
    assert functions.loc["deploy-arm", ["architecture", "ephemeral_storage_mb"]].tolist() == ["arm64", 2048]
    metrics = tables["function_metrics"].set_index("function")
    assert metrics.loc["tagged-only", ["invocations", "duration_ms_sum", "duration_ms_avg"]].tolist() == [2, 50, 25]
    assert ctx.sent("ListFunctions")[0]["MaxItems"] == 50


def test_tagging_denied_falls_back_to_list_tags(aws: None) -> None:
    make_functions()
    ctx = context({"GetResources": error("AccessDeniedException")})

    tables = lambda_functions.collect(ctx, [], tag_key="ci")

    assert list(tables["functions"]["function"]) == ["deploy-arm", "tagged-only"]
    assert ctx.log.as_dict() == {
        "cloudwatch:GetMetricData": 1,
        "lambda:ListFunctions": 1,
        "lambda:ListTags": 4,  # one per function in the region
        "resourcegroupstaggingapi:GetResources": 1,
    }


def test_many_missing_functions_batch_metrics(aws: None) -> None:
    # 251 names (more than GET_PER_NAME_MAX): one ListFunctions page, 502 queries -> GetMetricData 500 + 2
    names = [f"fn-{i:03d}" for i in range(251)]
    seed("AWS/Lambda", "Invocations", {"FunctionName": "fn-250"}, [(at(2), 3.0)], "us-east-1")
    ctx = context()

    tables = lambda_functions.collect(ctx, names)

    assert ctx.log.as_dict() == {"cloudwatch:GetMetricData": 2, "lambda:ListFunctions": 1}
    assert [len(p["MetricDataQueries"]) for p in ctx.sent("GetMetricData")] == [500, 2]
    assert not tables["functions"]["found"].any()
    assert len(tables["function_metrics"]) == 251
    assert tables["function_metrics"].set_index("function").loc["fn-250", "invocations"] == 3


def listed(name: str) -> dict[str, Any]:
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"
    return {"FunctionName": name, "FunctionArn": arn, "MemorySize": 512, "Architectures": ["arm64"], "Timeout": 9}


def function_pages(params: dict[str, Any]) -> dict[str, Any]:
    """Three ListFunctions pages: [a], [b, z], [c]."""
    pages = {None: ([listed("a")], "m2"), "m2": ([listed("b"), listed("z")], "m3"), "m3": ([listed("c")], None)}
    functions, marker = pages[params.get("Marker")]
    return {"Functions": functions, **({"NextMarker": marker} if marker else {})}


@pytest.mark.parametrize(
    ("names", "pages"),
    [
        (["a"], 1),  # found on page 1: no further page although NextMarker says there is one
        (["b", "a"], 2),
        (["a", "missing"], 3),  # a missing name can only be known missing after the last page
    ],
)
def test_listing_stops_once_every_function_is_seen(aws: None, names: list[str], pages: int) -> None:
    ctx = context({"ListFunctions": function_pages})

    tables = lambda_functions.collect(ctx, names, tag_key="ci")  # no function in moto carries ci: tagged = {}

    assert ctx.log.as_dict()["lambda:ListFunctions"] == pages
    assert [p.get("Marker") for p in ctx.sent("ListFunctions")] == [None, "m2", "m3"][:pages]
    functions = tables["functions"].set_index("function")
    assert list(functions.index) == sorted(names)
    assert functions["found"].tolist() == [name != "missing" for name in sorted(names)]
    assert functions.loc["a", ["memory_mb", "architecture", "ephemeral_storage_mb", "timeout_s"]].tolist() == [
        512, "arm64", 512, 9
    ]  # fmt: skip


def test_function_name_from_arn() -> None:
    assert lambda_functions.function_name(f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f:prod") == "f"
    assert lambda_functions.function_name(f"{ACCOUNT}:function:f") == "f"
    assert lambda_functions.function_name("f:3") == "f"


# ---------------------------------------------------------------- S3


def make_buckets() -> None:
    east = session().client("s3", region_name="us-east-1")
    east.create_bucket(Bucket="artifacts")
    east.put_bucket_versioning(Bucket="artifacts", VersioningConfiguration={"Status": "Enabled"})
    east.put_bucket_lifecycle_configuration(
        Bucket="artifacts",
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "age-out", "Status": "Enabled", "Filter": {"Prefix": ""},
                    "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}], "Expiration": {"Days": 90},
                },
                {
                    "ID": "off", "Status": "Disabled", "Filter": {"Prefix": "old/"},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
                },
            ]
        },
    )  # fmt: skip
    east.create_bucket(Bucket="cache")  # no lifecycle, never versioned
    west = session().client("s3", region_name="eu-west-1")
    west.create_bucket(Bucket="eu-cache", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    west.put_bucket_versioning(Bucket="eu-cache", VersioningConfiguration={"Status": "Suspended"})
    west.put_bucket_lifecycle_configuration(
        Bucket="eu-cache",
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "markers", "Status": "Enabled", "Filter": {"Prefix": ""},
                    "Expiration": {"ExpiredObjectDeleteMarker": True},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                },
            ]
        },
    )  # fmt: skip


def seed_storage() -> None:
    def put(bucket: str, storage: str, points: list[tuple[dt.datetime, float]], region: str = "us-east-1") -> None:
        metric = "NumberOfObjects" if storage == "AllStorageTypes" else "BucketSizeBytes"
        seed("AWS/S3", metric, {"BucketName": bucket, "StorageType": storage}, points, region)

    # artifacts Standard: day 1 100, day 2 two values 150 and 250 (daily Average 200), day 3 600, day 4 none;
    # average of the daily values = (100 + 200 + 600) / 3 = 300 (a plain mean of all four points would be 275)
    put("artifacts", "StandardStorage", [(at(1), 100.0), (at(2, 6), 150.0), (at(2, 18), 250.0), (at(3), 600.0)])
    put("artifacts", "StandardStorage", [(at(0), 1e12)])  # an hour before the window: ignored
    # artifacts Standard-IA: 1000, 1000, 3000, 3000 -> 8000 / 4 = 2000
    put("artifacts", "StandardIAStorage", [(at(1), 1000.0), (at(2), 1000.0), (at(3), 3000.0), (at(4), 3000.0)])
    # artifacts objects: 10, 20, 30 -> 20
    put("artifacts", "AllStorageTypes", [(at(1), 10.0), (at(2), 20.0), (at(3), 30.0)])
    # eu-cache, read in eu-west-1: Glacier 4e9 on 4 days -> 4e9; Deep Archive 7 on 1 day -> 7; objects 3, 5 -> 4
    put("eu-cache", "GlacierStorage", [(at(d), 4e9) for d in (1, 2, 3, 4)], "eu-west-1")
    put("eu-cache", "DeepArchiveStorage", [(at(4), 7.0)], "eu-west-1")
    put("eu-cache", "AllStorageTypes", [(at(1), 3.0), (at(4), 5.0)], "eu-west-1")


def metrics_configurations(params: dict[str, Any]) -> dict[str, Any]:
    bucket, token = params["Bucket"], params.get("ContinuationToken")
    if bucket == "artifacts":
        return {"IsTruncated": False, "MetricsConfigurationList": [{"Id": "EntireBucket"}]}
    if bucket == "cache":  # a prefix-filtered configuration only: not the whole bucket
        return {"IsTruncated": False, "MetricsConfigurationList": [{"Id": "logs", "Filter": {"Prefix": "logs/"}}]}
    if bucket == "eu-cache" and token is None:
        return {
            "IsTruncated": True,
            "NextContinuationToken": "more",
            "MetricsConfigurationList": [{"Id": "docs", "Filter": {"Prefix": "docs/"}}],
        }
    if bucket == "eu-cache":
        assert token == "more"
        return {"IsTruncated": False, "MetricsConfigurationList": [{"Id": "everything"}]}
    return {"Error": {"Code": "NoSuchBucket", "Message": bucket}, "ResponseMetadata": {"HTTPStatusCode": 404}}


def test_buckets_settings_and_average_daily_storage(aws: None) -> None:
    make_buckets()
    seed_storage()
    ctx = context({"ListBucketMetricsConfigurations": metrics_configurations})

    tables = s3_buckets.collect(ctx, ["artifacts", "cache", "eu-cache", "no-such-bucket"])

    assert ctx.log.as_dict() == {
        "cloudwatch:GetMetricData": 2,  # one per region holding buckets
        "cloudwatch:ListMetrics": 3,  # one per existing bucket
        "s3:GetBucketLifecycleConfiguration": 3,
        "s3:GetBucketLocation": 4,
        "s3:GetBucketVersioning": 3,
        "s3:ListBucketMetricsConfigurations": 4,  # eu-cache takes two pages
    }
    buckets = tables["buckets"].set_index("bucket")
    assert buckets.loc["artifacts"].to_dict() == {
        "region": "us-east-1", "found": True, "versioning": "Enabled", "lifecycle_rules": 1,
        "has_expiration": True, "has_transition": True, "request_metrics": True,
    }  # fmt: skip
    assert buckets.loc["cache"].to_dict() == {
        "region": "us-east-1", "found": True, "versioning": "Disabled", "lifecycle_rules": 0,
        "has_expiration": False, "has_transition": False, "request_metrics": False,
    }  # fmt: skip
    assert buckets.loc["eu-cache"].to_dict() == {
        "region": "eu-west-1", "found": True, "versioning": "Suspended", "lifecycle_rules": 1,
        "has_expiration": False, "has_transition": False, "request_metrics": True,
    }  # fmt: skip
    assert not buckets.loc["no-such-bucket", "found"]
    assert pd.isna(buckets.loc["no-such-bucket", "region"])

    storage = tables["bucket_storage"]
    seeded = storage[storage["bucket"] != "cache"].set_index(["bucket", "storage_type"])
    assert seeded.loc[("artifacts", "StandardStorage"), "avg_bytes"] == 300
    assert seeded.loc[("artifacts", "StandardStorage"), "datapoints"] == 3
    assert seeded.loc[("artifacts", "StandardIAStorage"), "avg_bytes"] == 2000
    assert seeded.loc[("artifacts", "AllStorageTypes"), "avg_objects"] == 20
    assert seeded.loc[("eu-cache", "GlacierStorage"), "avg_bytes"] == 4e9
    assert seeded.loc[("eu-cache", "DeepArchiveStorage"), "avg_bytes"] == 7
    assert seeded.loc[("eu-cache", "AllStorageTypes"), "avg_objects"] == 4
    assert seeded.xs("AllStorageTypes", level="storage_type")["avg_bytes"].isna().all()
    # cache has no seeded data: its object count row is there, empty (moto also lists a StandardStorage metric it
    # invents for every bucket, timestamped today, outside the window: empty as well)
    cache = storage[storage["bucket"] == "cache"]
    assert cache["datapoints"].eq(0).all()
    assert "AllStorageTypes" in set(cache["storage_type"])

    # storage metrics were asked in each bucket's own region, never objects listed
    asked = {
        (region, query["MetricStat"]["Metric"]["Dimensions"][0]["Value"])
        for region, name, params in ctx.requests
        if name == "GetMetricData"
        for query in params["MetricDataQueries"]
    }
    assert {b for r, b in asked if r == "eu-west-1"} == {"eu-cache"}
    assert {b for r, b in asked if r == "us-east-1"} == {"artifacts", "cache"}
    assert not [name for _, name, _ in ctx.requests if name.startswith("ListObject")]
    for p in ctx.sent("GetMetricData"):
        assert {q["MetricStat"]["Stat"] for q in p["MetricDataQueries"]} == {"Average"}


def test_denied_settings_are_unknown(aws: None) -> None:
    session().client("s3", region_name="us-east-1").create_bucket(Bucket="locked")
    ctx = context(
        {"ListBucketMetricsConfigurations": error("AccessDenied"), "GetBucketVersioning": error("AccessDenied")}
    )

    buckets = s3_buckets.collect(ctx, ["locked"])["buckets"].set_index("bucket")

    assert buckets.loc["locked", "found"]
    assert buckets.loc["locked", "lifecycle_rules"] == 0
    assert pd.isna(buckets.loc["locked", "versioning"])
    assert pd.isna(buckets.loc["locked", "request_metrics"])


def test_region_of_location_constraint() -> None:
    assert s3_buckets.region_of(None) == "us-east-1"
    assert s3_buckets.region_of("EU") == "eu-west-1"
    assert s3_buckets.region_of("ap-south-2") == "ap-south-2"
