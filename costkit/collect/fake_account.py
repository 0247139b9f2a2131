"""A fake AWS account with a known CI/CD estate, for the demo, the tests and the benchmarks.

moto (in-process) holds what it models well: IAM, pipelines, projects, functions, buckets, STS and the
queued Cost Explorer answer. What moto lacks or gets wrong (execution and action-execution history,
builds with their compute types and phases, CloudWatch metric values) is answered by handlers on the
session's `before-call` events, each answer validated against botocore's own output model first, so a
wrong field fails exactly as AWS would reject it. Pages are cut at the caller's page size to exercise
pagination.

Every duration below is chosen so the bill can be worked out by hand (see tests/test_demo.py).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.validate import validate_parameters
from moto import mock_aws
from moto.ce.models import ce_backends
from moto.codebuild.models import codebuild_backends
from moto.codepipeline.models import codepipeline_backends

from costkit.collect.context import Window

ACCOUNT = "123456789012"
GIB = 1024**3


@dataclass(frozen=True)
class ActionSpec:
    name: str
    category: str
    provider: str
    seconds: int
    owner: str = "AWS"
    configuration: dict[str, str] | None = None


@dataclass(frozen=True)
class PipelineSpec:
    name: str
    region: str
    type: str
    executions: int
    actions: tuple[ActionSpec, ...]
    bucket: str
    created_days_before_window: int = 400


@dataclass(frozen=True)
class BuildSpec:
    project: str
    region: str
    compute_type: str
    environment_type: str
    builds: int
    queued_s: int
    billed_s: int  # PROVISIONING start -> end
    initiator: str


PIPELINES = (
    PipelineSpec(
        "web-app", "us-east-1", "V2", 120,
        (
            ActionSpec("Source", "Source", "S3", 20, configuration={"S3Bucket": "costkit-demo-source", "S3ObjectKey": "web.zip"}),
            ActionSpec("Build", "Build", "CodeBuild", 372, configuration={"ProjectName": "web-app-build"}),
            ActionSpec("Approve", "Approval", "Manual", 1800),
            ActionSpec("Deploy", "Invoke", "Lambda", 45, configuration={"FunctionName": "deploy-notifier"}),
        ),
        "costkit-demo-artifacts-use1",
    ),
    PipelineSpec(
        "legacy-api", "us-east-1", "V1", 10,
        (
            ActionSpec("Source", "Source", "S3", 30, configuration={"S3Bucket": "costkit-demo-source", "S3ObjectKey": "api.zip"}),
            ActionSpec("Build", "Build", "CodeBuild", 240, configuration={"ProjectName": "web-app-build"}),
        ),
        "costkit-demo-artifacts-use1",
    ),
    PipelineSpec(
        "docs", "us-east-1", "V1", 0,
        (
            ActionSpec("Source", "Source", "S3", 10, configuration={"S3Bucket": "costkit-demo-source", "S3ObjectKey": "docs.zip"}),
            ActionSpec("Publish", "Deploy", "S3", 20, configuration={"BucketName": "costkit-demo-docs", "Extract": "true"}),
        ),
        "costkit-demo-artifacts-use1",
    ),
    PipelineSpec(
        "tokyo-service", "ap-northeast-1", "V2", 60,
        (
            ActionSpec("Source", "Source", "S3", 15, configuration={"S3Bucket": "costkit-demo-source-apne1", "S3ObjectKey": "t.zip"}),
            ActionSpec("Build", "Build", "CodeBuild", 185, configuration={"ProjectName": "tokyo-build"}),
        ),
        "costkit-demo-artifacts-apne1",
    ),
)  # fmt: skip

BUILDS = (
    BuildSpec("web-app-build", "us-east-1", "BUILD_GENERAL1_MEDIUM", "LINUX_CONTAINER", 120, 20, 330, "codepipeline/web-app"),
    BuildSpec("web-app-build", "us-east-1", "BUILD_GENERAL1_MEDIUM", "LINUX_CONTAINER", 3, 5, 121, "alice"),
    BuildSpec("nightly-tests", "us-east-1", "BUILD_GENERAL1_SMALL", "ARM_CONTAINER", 30, 40, 730, "rule/nightly"),
    BuildSpec("tokyo-build", "ap-northeast-1", "BUILD_GENERAL1_SMALL", "LINUX_CONTAINER", 60, 10, 170, "codepipeline/tokyo-service"),
)  # fmt: skip

FAILING = {"web-app": 20}  # every 20th execution fails in its last action (billed all the same)
FUNCTIONS = {  # name: (region, memory MB, architecture, invocations, total duration ms)
    "deploy-notifier": ("us-east-1", 256, "arm64", 120, 120 * 850.0),
}
BUCKETS = {  # name: (region, {StorageType: GiB}, objects)
    "costkit-demo-artifacts-use1": ("us-east-1", {"StandardStorage": 42.5}, 1200),
    "costkit-demo-artifacts-apne1": ("ap-northeast-1", {"StandardStorage": 8.0}, 300),
}
ACTUALS = {  # SERVICE dimension value: [(usage type, USD, quantity, unit)] for the Cost Explorer answer
    "AWS CodePipeline": [("USE1-actionExecutionMinute", 2.38, 1290.0, "Minutes")],
    "AWS CodeBuild": [("USE1-Build-Min:Linux:g1.medium", 7.29, 729.0, "Minutes"), ("APN1-Build-Min:Linux:g1.small", 0.44, 88.0, "Minutes")],
    "AWS Lambda": [("USE1-Lambda-GB-Second-ARM", 0.0, 25.5, "Second")],
    "Amazon Simple Storage Service": [("TimedStorage-ByteHrs", 1.16, 50.5, "GB-Mo")],
}  # fmt: skip


@dataclass(frozen=True)
class Estate:
    """The pipelines and projects the fake account holds: the demo's by default (tests and the demo rely on
    its hand-worked numbers); `synthetic_estate` builds larger ones for the benchmarks."""

    pipelines: tuple[PipelineSpec, ...] = PIPELINES
    builds: tuple[BuildSpec, ...] = BUILDS


DEMO = Estate()


def synthetic_estate(regions: Sequence[str], pipelines_per_region: int, projects_per_region: int = 10) -> Estate:
    """`pipelines_per_region` V2 pipelines (Source, Build, Deploy; 30 executions a month) in each region, their
    builds shared by `projects_per_region` CodeBuild projects, artifacts in one bucket per region."""
    pipelines: list[PipelineSpec] = []
    builds: list[BuildSpec] = []
    for region in regions:
        projects = [f"bench-build-{k:03d}" for k in range(max(1, projects_per_region))]
        for i in range(pipelines_per_region):
            project = projects[i % len(projects)]
            actions = (
                ActionSpec("Source", "Source", "S3", 20, configuration={"S3Bucket": f"costkit-bench-source-{region}", "S3ObjectKey": f"p{i}.zip"}),
                ActionSpec("Build", "Build", "CodeBuild", 300, configuration={"ProjectName": project}),
                ActionSpec("Deploy", "Deploy", "S3", 30, configuration={"BucketName": f"costkit-bench-site-{region}", "Extract": "true"}),
            )  # fmt: skip
            pipelines.append(
                PipelineSpec(f"bench-{i:04d}", region, "V2", 30, actions, f"costkit-bench-artifacts-{region}")
            )
        for project in projects:
            builds.append(
                BuildSpec(project, region, "BUILD_GENERAL1_SMALL", "LINUX_CONTAINER", 30, 10, 300, "rule/bench")
            )
    return Estate(tuple(pipelines), tuple(builds))


def _times(window: Window, count: int, index: int) -> dt.datetime:
    """Run `index` of `count`, spread evenly through the window."""
    step = (window.end - window.start) / max(count, 1)
    return window.start + step * index + dt.timedelta(minutes=7)


class Answers:
    """Model-validated answers for the calls moto does not model (or models wrongly)."""

    def __init__(self, window: Window, estate: Estate = DEMO, *, validate: bool = True) -> None:
        self.window = window
        self.estate = estate
        # Off only in benchmarks: checking every answer is the fake server's work, which against AWS happens on
        # AWS's side, not in the collecting process.
        self.validate = validate
        self.executions: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.action_executions: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.builds: dict[str, dict[str, Any]] = {}
        self.build_ids: dict[tuple[str, str], list[str]] = {}
        self._seed()

    def count(self, per_month: int) -> int:
        """Runs in this window at the estate's steady rate (declared per 31-day month)."""
        return round(per_month * (self.window.end - self.window.start) / dt.timedelta(days=31))

    def _seed(self) -> None:
        for spec in self.estate.pipelines:
            runs, details = [], []
            count = self.count(spec.executions)
            for i in range(count):
                start = _times(self.window, count, i)
                execution_id = f"{spec.name}-{i:05d}"
                failed = spec.name in FAILING and i % FAILING[spec.name] == FAILING[spec.name] - 1
                clock = start
                for position, action in enumerate(spec.actions):
                    last = position == len(spec.actions) - 1
                    end = clock + dt.timedelta(seconds=action.seconds)
                    detail: dict[str, Any] = {
                        "pipelineExecutionId": execution_id,
                        "actionExecutionId": f"{execution_id}-{action.name}",
                        "pipelineVersion": 1,
                        "stageName": action.name,
                        "actionName": action.name,
                        "startTime": clock,
                        "lastUpdateTime": end,
                        "status": "Failed" if failed and last else "Succeeded",
                        "input": {
                            "actionTypeId": {
                                "category": action.category,
                                "owner": action.owner,
                                "provider": action.provider,
                                "version": "1",
                            }
                        },
                    }
                    if action.provider == "CodeBuild":
                        project = (action.configuration or {}).get("ProjectName", "")
                        detail["output"] = {"executionResult": {"externalExecutionId": f"{project}:{execution_id}"}}
                    details.append(detail)
                    clock = end
                runs.append(
                    {
                        "pipelineExecutionId": execution_id,
                        "status": "Failed" if failed else "Succeeded",
                        "startTime": start,
                        "lastUpdateTime": clock,
                        "trigger": {"triggerType": "CloudWatchEvent"},
                        "executionType": "STANDARD",
                    }
                )
            self.executions[(spec.region, spec.name)] = sorted(runs, key=lambda r: r["startTime"], reverse=True)
            self.action_executions[(spec.region, spec.name)] = sorted(
                details, key=lambda d: d["startTime"], reverse=True
            )
        for build in self.estate.builds:
            count = self.count(build.builds)
            for i in range(count):
                queued = _times(self.window, count, i) + dt.timedelta(minutes=3 if build.initiator == "alice" else 1)
                provisioning = queued + dt.timedelta(seconds=build.queued_s)
                end = provisioning + dt.timedelta(seconds=build.billed_s)
                # A pipeline's build i is started by its execution i: the id CodePipeline reports for the action.
                build_id = f"{build.project}:{build.initiator.removeprefix('codepipeline/').replace('/', '-')}-{i:05d}"
                self.builds[build_id] = {
                    "id": build_id,
                    "arn": f"arn:aws:codebuild:{build.region}:{ACCOUNT}:build/{build_id}",
                    "buildNumber": i + 1,
                    "startTime": queued,
                    "endTime": end,
                    "buildStatus": "SUCCEEDED",  # the failing web-app runs fail at Deploy, after the build
                    "projectName": build.project,
                    "initiator": build.initiator,
                    "environment": {
                        "type": build.environment_type,
                        "image": "aws/codebuild/standard:7.0",
                        "computeType": build.compute_type,
                    },
                    "phases": [
                        {"phaseType": "SUBMITTED", "startTime": queued, "endTime": queued, "durationInSeconds": 0},
                        {"phaseType": "QUEUED", "startTime": queued, "endTime": provisioning, "durationInSeconds": build.queued_s},
                        {"phaseType": "PROVISIONING", "startTime": provisioning, "endTime": provisioning + dt.timedelta(seconds=30), "durationInSeconds": 30},
                        {"phaseType": "BUILD", "startTime": provisioning + dt.timedelta(seconds=30), "endTime": end, "durationInSeconds": build.billed_s - 30},
                        {"phaseType": "COMPLETED", "startTime": end},
                    ],
                }  # fmt: skip
                self.build_ids.setdefault((build.region, build.project), []).append(build_id)
        for key, ids in self.build_ids.items():
            self.build_ids[key] = sorted(ids, key=lambda b: self.builds[b]["startTime"], reverse=True)

    # -- answers; each takes the call's params and region and returns the parsed response -------------
    @staticmethod
    def _page(
        items: list[Any], params: dict[str, Any], token_key: str, size_key: str | None, limit: int
    ) -> tuple[list[Any], str | None]:
        size = min(int(params.get(size_key, limit)) if size_key else limit, limit)
        offset = int(params.get(token_key) or 0)
        nxt = offset + size
        return items[offset:nxt], (str(nxt) if nxt < len(items) else None)

    def list_pipeline_executions(self, params: dict[str, Any], region: str) -> dict[str, Any]:
        items, token = self._page(
            self.executions.get((region, params["pipelineName"]), []), params, "nextToken", "maxResults", 100
        )
        return {"pipelineExecutionSummaries": items, **({"nextToken": token} if token else {})}

    def list_action_executions(self, params: dict[str, Any], region: str) -> dict[str, Any]:
        items, token = self._page(
            self.action_executions.get((region, params["pipelineName"]), []), params, "nextToken", "maxResults", 100
        )
        return {"actionExecutionDetails": items, **({"nextToken": token} if token else {})}

    def list_builds_for_project(self, params: dict[str, Any], region: str) -> dict[str, Any]:
        ids = self.build_ids.get((region, params["projectName"]), [])
        if params.get("sortOrder") == "ASCENDING":
            ids = list(reversed(ids))
        items, token = self._page(ids, params, "nextToken", None, 100)
        return {"ids": items, **({"nextToken": token} if token else {})}

    def batch_get_builds(self, params: dict[str, Any], region: str) -> dict[str, Any]:
        found = [self.builds[i] for i in params["ids"] if i in self.builds]
        missing = [i for i in params["ids"] if i not in self.builds]
        return {"builds": found, **({"buildsNotFound": missing} if missing else {})}

    def list_metrics(self, params: dict[str, Any], region: str) -> dict[str, Any]:
        metrics = []
        if params.get("Namespace") == "AWS/S3":
            wanted = {d["Name"]: d.get("Value") for d in params.get("Dimensions", [])}
            for bucket, (bucket_region, sizes, _objects) in BUCKETS.items():
                if bucket_region != region or wanted.get("BucketName") not in (None, bucket):
                    continue
                if params.get("MetricName") in (None, "BucketSizeBytes"):
                    metrics += [
                        {"Namespace": "AWS/S3", "MetricName": "BucketSizeBytes",
                         "Dimensions": [{"Name": "BucketName", "Value": bucket}, {"Name": "StorageType", "Value": kind}]}
                        for kind in sizes
                    ]  # fmt: skip
                if params.get("MetricName") in (None, "NumberOfObjects"):
                    metrics.append(
                        {"Namespace": "AWS/S3", "MetricName": "NumberOfObjects",
                         "Dimensions": [{"Name": "BucketName", "Value": bucket}, {"Name": "StorageType", "Value": "AllStorageTypes"}]}
                    )  # fmt: skip
        return {"Metrics": metrics}

    def get_metric_data(self, params: dict[str, Any], region: str) -> dict[str, Any]:
        days = max(1, round((self.window.end - self.window.start) / dt.timedelta(days=1)))
        stamps = [self.window.start + dt.timedelta(days=d) for d in range(days)]
        results = []
        for query in params["MetricDataQueries"]:
            metric = query["MetricStat"]["Metric"]
            dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
            values: list[float] = []
            timestamps: list[dt.datetime] = []
            if metric["Namespace"] == "AWS/Lambda" and dims.get("FunctionName") in FUNCTIONS:
                fn_region, _memory, _arch, invocations, duration = FUNCTIONS[dims["FunctionName"]]
                if fn_region == region:
                    total = (
                        (invocations if metric["MetricName"] == "Invocations" else duration) * self.count(1000) / 1000
                    )
                    if metric["MetricName"] in ("Invocations", "Duration"):
                        values, timestamps = [float(total)], [stamps[0]]
            elif metric["Namespace"] == "AWS/S3" and dims.get("BucketName") in BUCKETS:
                bucket_region, sizes, objects = BUCKETS[dims["BucketName"]]
                if bucket_region == region:
                    if metric["MetricName"] == "BucketSizeBytes" and dims.get("StorageType") in sizes:
                        values = [sizes[dims["StorageType"]] * GIB] * days
                        timestamps = stamps
                    elif metric["MetricName"] == "NumberOfObjects":
                        values, timestamps = [float(objects)] * days, stamps
            results.append(
                {"Id": query["Id"], "Label": metric["MetricName"], "Timestamps": timestamps, "Values": values,
                 "StatusCode": "Complete"}
            )  # fmt: skip
        return {"MetricDataResults": results, "Messages": []}

    def handlers(self) -> dict[str, Callable[[dict[str, Any], str], dict[str, Any]]]:
        return {
            "codepipeline.ListPipelineExecutions": self.list_pipeline_executions,
            "codepipeline.ListActionExecutions": self.list_action_executions,
            "codebuild.ListBuildsForProject": self.list_builds_for_project,
            "codebuild.BatchGetBuilds": self.batch_get_builds,
            "cloudwatch.ListMetrics": self.list_metrics,
            "cloudwatch.GetMetricData": self.get_metric_data,
        }


def install(session: boto3.Session, answers: Answers) -> None:
    """Answer the calls in `answers.handlers()` on every client the session creates from now on.

    Registered last on the generic events, so the collectors' own read-only guard and call counter
    (registered on each client) still run first, exactly as with real AWS.
    """
    table = answers.handlers()
    check = getattr(answers, "validate", True)

    def key(model: Any) -> str:
        return f"{model.service_model.service_name}.{model.name}"

    def keep_params(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if key(model) in table:
            context["costkit_params"] = dict(params)

    def respond(model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        answer = table.get(key(model))
        if answer is None:
            return None
        parsed = answer(context.get("costkit_params", {}), context["client_region"])
        if check:
            validate_parameters(parsed, model.output_shape)
        parsed.setdefault("ResponseMetadata", {"HTTPStatusCode": 200, "RetryAttempts": 0})
        return AWSResponse(None, 200, {}, None), parsed  # type: ignore[arg-type]

    events: Any = session.events
    events.register_last("before-parameter-build", keep_params)
    events.register_last("before-call", respond)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


def seed(window: Window, estate: Estate = DEMO) -> None:
    """Create the estate's resources in moto's backends (inside mock_aws)."""
    iam = boto3.client("iam", region_name="us-east-1")
    roles = {}
    for service in ("codepipeline", "codebuild", "lambda"):
        trust = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": f"{service}.amazonaws.com"}, "Action": "sts:AssumeRole"}]}  # fmt: skip
        document = json.dumps(trust)
        roles[service] = iam.create_role(RoleName=f"costkit-demo-{service}", AssumeRolePolicyDocument=document)["Role"][
            "Arn"
        ]
    role = roles["codepipeline"]
    for region in ("us-east-1", "ap-northeast-1"):
        s3: Any = boto3.client("s3", region_name=region)
        for bucket, (bucket_region, _sizes, _objects) in BUCKETS.items():
            if bucket_region == region:
                extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
                s3.create_bucket(Bucket=bucket, **extra)
    others = {(spec.bucket, spec.region) for spec in estate.pipelines} - {(b, r) for b, (r, _s, _o) in BUCKETS.items()}
    for bucket, home in sorted(others):  # a synthetic estate's artifact buckets
        where: dict[str, Any] = (
            {} if home == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": home}}
        )
        boto3.client("s3", region_name=home).create_bucket(Bucket=bucket, **where)
    boto3.client("s3", region_name="us-east-1").put_bucket_versioning(
        Bucket="costkit-demo-artifacts-use1", VersioningConfiguration={"Status": "Enabled"}
    )
    for spec in estate.pipelines:
        stages = [
            {"name": a.name, "actions": [{
                "name": a.name,
                "actionTypeId": {"category": a.category, "owner": a.owner, "provider": a.provider, "version": "1"},
                "configuration": a.configuration or ({"CustomData": "approve the release"} if a.category == "Approval" else {}),
                **({"outputArtifacts": [{"name": f"{a.name}Out"}]} if a.category in ("Source", "Build") else {}),
            }]}
            for a in spec.actions
        ]  # fmt: skip
        declaration: dict[str, Any] = {
            "name": spec.name,
            "roleArn": role,
            "artifactStore": {"type": "S3", "location": spec.bucket},
            "stages": stages,
            "pipelineType": spec.type,
        }
        if spec.type == "V2":
            declaration["executionMode"] = "QUEUED" if spec.name == "web-app" else "SUPERSEDED"
        boto3.client("codepipeline", region_name=spec.region).create_pipeline(pipeline=declaration)
        stored = codepipeline_backends[ACCOUNT][spec.region].pipelines[spec.name]
        stored._created = window.start - dt.timedelta(days=spec.created_days_before_window)
        stored._updated = stored._created  # fixed, so the same window always gives the same snapshot
    projects = {(b.region, b.project): b for b in estate.builds}
    for (region, name), build in projects.items():
        boto3.client("codebuild", region_name=region).create_project(
            name=name,
            source={"type": "S3", "location": "costkit-demo-source/source.zip"},
            artifacts={"type": "NO_ARTIFACTS"},
            environment={"type": build.environment_type, "image": "aws/codebuild/standard:7.0", "computeType": build.compute_type},
            serviceRole=roles["codebuild"],
        )  # fmt: skip
        metadata = codebuild_backends[ACCOUNT][region].codebuild_projects[name].project_metadata
        metadata["created"] = metadata["lastModifiedDate"] = (window.start - dt.timedelta(days=200)).timestamp()
    for name, (region, memory, arch, _invocations, _duration) in FUNCTIONS.items():
        functions: Any = boto3.client("lambda", region_name=region)
        functions.create_function(
            FunctionName=name, Runtime="python3.12", Role=roles["lambda"], Handler="handler.handler",
            Code={"ZipFile": _zip()}, MemorySize=memory, Architectures=[arch], Timeout=30,
        )  # fmt: skip
    groups = [
        {"Keys": [service, usage_type], "Metrics": {
            "UnblendedCost": {"Amount": f"{usd:.2f}", "Unit": "USD"},
            "UsageQuantity": {"Amount": f"{quantity}", "Unit": unit}}}
        for service, rows in ACTUALS.items() for usage_type, usd, quantity, unit in rows
    ]  # fmt: skip
    ce_backends[ACCOUNT]["aws"].cost_usage_results_queue.append(
        {"ResultsByTime": [{"TimePeriod": {"Start": window.start.date().isoformat(), "End": window.end.date().isoformat()},
                            "Total": {}, "Groups": groups, "Estimated": False}],
         "DimensionValueAttributes": [], "GroupDefinitions": [{"Type": "DIMENSION", "Key": "SERVICE"},
                                                              {"Type": "DIMENSION", "Key": "USAGE_TYPE"}]}
    )  # fmt: skip


@contextmanager
def fake_account(window: Window, estate: Estate = DEMO, *, validate: bool = True) -> Iterator[boto3.Session]:
    """The fake account for `window`: a boto3 session whose clients reach moto plus the handlers (each answer
    checked against botocore's output model unless `validate` is False)."""
    with mock_aws():
        seed(window, estate)
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
        answers = Answers(window, estate, validate=validate)
        install(session, answers)
        # Sessions for assumed roles (--role-arn, --org-role) get the same answers.
        session.costkit_prepare = lambda assumed: install(assumed, answers)  # type: ignore[attr-defined]
        yield session
