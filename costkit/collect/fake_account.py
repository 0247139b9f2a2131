"""A fake AWS account with a known CI/CD estate, for the demo, the tests and the benchmarks.

moto (in-process) holds what it models well: IAM, pipelines, projects, functions, buckets, STS and the
queued Cost Explorer answer. What moto lacks or gets wrong (execution and action-execution history,
builds with their compute types and phases, CloudWatch metric values) is answered by handlers on the
session's `before-call` events, each answer validated against botocore's own output model first, so a
wrong field fails exactly as AWS would reject it. Pages are cut at the caller's page size to exercise
pagination.

The demo's estate is data: demo_account.yaml (October 2026, which tests/test_demo.py works out by hand, and what
changes in the months around it, mid-month changes included). `Timeline` turns it into the estate of each part of
a collection window; `Answers` runs each part's pipelines and builds at its own rate.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import itertools
import json
import zipfile
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import boto3
import yaml
from botocore.awsrequest import AWSResponse
from botocore.validate import validate_parameters
from moto import mock_aws
from moto.ce.models import ce_backends
from moto.codebuild.models import codebuild_backends
from moto.codepipeline.models import codepipeline_backends

from costkit.collect.context import Window
from costkit.model.period import utc

DATA_FILE = Path(__file__).with_name("demo_account.yaml")
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
    created: dt.date | None = None  # a pipeline created inside a window runs only from that day on
    execution_mode: str = "SUPERSEDED"
    fail_every: int = 0  # every Nth execution fails in its last action (0: none)


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


@dataclass(frozen=True)
class FunctionSpec:
    region: str
    memory_mb: int
    architecture: str
    invocations: int  # per 31-day month
    duration_ms: float  # per invocation


@dataclass(frozen=True)
class BucketSpec:
    region: str
    gib: dict[str, float]  # CloudWatch StorageType: GiB held
    objects: int


Actuals = dict[str, dict[str, tuple[float, float, str]]]  # Cost Explorer SERVICE: usage type: (USD, quantity, unit)


@dataclass(frozen=True)
class Estate:
    """The resources the fake account holds and how often they run. The demo's comes from demo_account.yaml
    (tests and the demo rely on its hand-worked numbers); `synthetic_estate` builds larger ones for benchmarks."""

    pipelines: tuple[PipelineSpec, ...]
    builds: tuple[BuildSpec, ...]
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    buckets: dict[str, BucketSpec] = field(default_factory=dict)
    actuals: Actuals = field(default_factory=dict)
    account: str = "123456789012"
    tags: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)  # kind: name: {key: value}


def _estate(data: Mapping[str, Any], account: str) -> Estate:
    """An estate from its data-file form (see demo_account.yaml)."""
    pipelines = tuple(
        PipelineSpec(
            name, spec["region"], spec["type"], int(spec["executions"]),
            tuple(ActionSpec(**action) for action in spec["actions"]), spec["bucket"],
            created=dt.date.fromisoformat(spec["created"]) if spec.get("created") else None,
            execution_mode=spec.get("execution_mode", "SUPERSEDED"), fail_every=int(spec.get("fail_every", 0)),
        )
        for name, spec in data["pipelines"].items()
    )  # fmt: skip
    return Estate(
        pipelines=pipelines,
        builds=tuple(BuildSpec(**build) for build in data["builds"]),
        functions={name: FunctionSpec(**spec) for name, spec in (data.get("functions") or {}).items()},
        buckets={name: BucketSpec(**spec) for name, spec in (data.get("buckets") or {}).items()},
        actuals={
            service: {usage: (float(v[0]), float(v[1]), str(v[2])) for usage, v in rows.items()}
            for service, rows in (data.get("actuals") or {}).items()
        },
        account=account,
        tags={
            kind: {name: dict(tags) for name, tags in named.items()} for kind, named in (data.get("tags") or {}).items()
        },
    )


def _changed(data: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The data-file estate with `changes` merged in: pipelines (and their actions) by name, builds by
    `project@initiator`, functions and buckets by name."""
    out = copy.deepcopy(dict(data))
    for name, patch in (changes.get("pipelines") or {}).items():
        pipeline = out["pipelines"][name]
        for action_name, action_patch in (patch.get("actions") or {}).items():
            action = next(a for a in pipeline["actions"] if a["name"] == action_name)
            action.update(action_patch)
        pipeline.update({k: v for k, v in patch.items() if k != "actions"})
    for key, patch in (changes.get("builds") or {}).items():
        project, initiator = key.split("@", 1)
        next(b for b in out["builds"] if (b["project"], b["initiator"]) == (project, initiator)).update(patch)
    for kind in ("functions", "buckets"):
        for name, patch in (changes.get(kind) or {}).items():
            out[kind][name].update(patch)
    return out


@dataclass(frozen=True)
class Timeline:
    """The demo account over time: the base estate, and per month its changes, mid-month ones included."""

    base: dict[str, Any]
    months: dict[str, dict[str, Any]]
    account: str

    def segments(self, window: Window) -> list[tuple[Window, Estate]]:
        """The window cut where the estate changes (a month's start, a `from` day, a pipeline's creation), each
        part with its estate."""
        cuts = {window.start, window.end}
        for calendar in window.months():
            month = self.months.get(calendar.name, {})
            cuts.add(calendar.start)
            cuts |= {calendar.start.replace(day=int(entry["day"])) for entry in month.get("from") or []}
        cuts |= {utc(dt.date.fromisoformat(p["created"])) for p in self.base["pipelines"].values()
                 if p.get("created")}  # fmt: skip
        points = sorted(cut for cut in cuts if window.start <= cut <= window.end)
        return [(Window(a, b), self.estate_at(a)) for a, b in itertools.pairwise(points) if b > a]

    def estate_at(self, moment: dt.datetime) -> Estate:
        month = self.months.get(Window.month_of(moment).name, {})
        data = _changed(self.base, month.get("changes") or {})
        for entry in month.get("from") or []:
            if moment.day >= int(entry["day"]):
                data = _changed(data, entry.get("changes") or {})
        if month.get("actuals"):
            data["actuals"] = month["actuals"]
        estate = _estate(data, self.account)
        started = tuple(p for p in estate.pipelines if p.created is None or utc(p.created) <= moment)
        gone = {f"codepipeline/{p.name}" for p in estate.pipelines if p not in started}
        return replace(estate, pipelines=started, builds=tuple(b for b in estate.builds if b.initiator not in gone))


def segments_for(window: Window, estate: Estate | Timeline | None) -> list[tuple[Window, Estate]]:
    """The parts of `window` with their estates: the demo's timeline by default; a fixed estate is one part."""
    if isinstance(estate, Estate):
        return [(window, estate)]
    return (estate or demo_timeline()).segments(window)


def union(parts: list[tuple[Window, Estate]]) -> Estate:
    """Every resource some part of the window holds, as the last part that holds it has it (moto's seed), and
    the window's last actuals."""
    last = parts[-1][1]
    pipelines = {(p.region, p.name): p for _, e in parts for p in e.pipelines}
    builds = {(b.region, b.project, b.initiator): b for _, e in parts for b in e.builds}
    return Estate(
        pipelines=tuple(pipelines.values()),
        builds=tuple(builds.values()),
        functions={k: v for _, e in parts for k, v in e.functions.items()},
        buckets={k: v for _, e in parts for k, v in e.buckets.items()},
        actuals=last.actuals,
        account=last.account,
        tags=last.tags,
    )


@lru_cache(maxsize=1)
def demo_timeline() -> Timeline:
    data = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    return Timeline(base=data["estate"], months=data.get("months") or {}, account=str(data["account"]))


DEMO = demo_timeline().estate_at(dt.datetime(2026, 10, 1, tzinfo=dt.UTC))  # October 2026, worked out by hand
ACCOUNT = DEMO.account
PIPELINES = DEMO.pipelines
BUILDS = DEMO.builds
FUNCTIONS = DEMO.functions
BUCKETS = DEMO.buckets


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

    def __init__(self, window: Window, estate: Estate | Timeline | None = None, *, validate: bool = True) -> None:
        self.window = window
        self.segments = segments_for(window, estate)
        self.estate = union(self.segments)
        # Off only in benchmarks: checking every answer is the fake server's work, which against AWS happens on
        # AWS's side, not in the collecting process.
        self.validate = validate
        self.executions: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.action_executions: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.builds: dict[str, dict[str, Any]] = {}
        self.build_ids: dict[tuple[str, str], list[str]] = {}
        self._seed()

    @staticmethod
    def count(per_month: float, window: Window) -> int:
        """Runs in `window` at a steady rate (declared per 31-day month)."""
        return round(per_month * (window.end - window.start) / dt.timedelta(days=31))

    def _seed(self) -> None:
        offsets: dict[tuple[str, ...], int] = {}
        for window, estate in self.segments:
            self._seed_part(window, estate, offsets)
        for key, runs in self.executions.items():
            self.executions[key] = sorted(runs, key=lambda r: r["startTime"], reverse=True)
        for key, details in self.action_executions.items():
            self.action_executions[key] = sorted(details, key=lambda d: d["startTime"], reverse=True)
        for key, ids in self.build_ids.items():
            self.build_ids[key] = sorted(ids, key=lambda b: self.builds[b]["startTime"], reverse=True)

    def _seed_part(self, window: Window, estate: Estate, offsets: dict[tuple[str, ...], int]) -> None:
        """The runs of one part of the window; numbering goes on from the parts before (`offsets`)."""
        for spec in estate.pipelines:
            runs, details = [], []
            count = self.count(spec.executions, window)
            first = offsets.get((spec.region, spec.name), 0)
            offsets[(spec.region, spec.name)] = first + count
            for i in range(first, first + count):
                start = _times(window, count, i - first)
                execution_id = f"{spec.name}-{i:05d}"
                failed = spec.fail_every > 0 and i % spec.fail_every == spec.fail_every - 1
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
            self.executions.setdefault((spec.region, spec.name), []).extend(runs)
            self.action_executions.setdefault((spec.region, spec.name), []).extend(details)
        for build in estate.builds:
            count = self.count(build.builds, window)
            first = offsets.get((build.region, build.project, build.initiator), 0)
            offsets[(build.region, build.project, build.initiator)] = first + count
            for i in range(first, first + count):
                queued = _times(window, count, i - first) + dt.timedelta(minutes=3 if build.initiator == "alice" else 1)
                provisioning = queued + dt.timedelta(seconds=build.queued_s)
                end = provisioning + dt.timedelta(seconds=build.billed_s)
                # A pipeline's build i is started by its execution i: the id CodePipeline reports for the action.
                build_id = f"{build.project}:{build.initiator.removeprefix('codepipeline/').replace('/', '-')}-{i:05d}"
                self.builds[build_id] = {
                    "id": build_id,
                    "arn": f"arn:aws:codebuild:{build.region}:{estate.account}:build/{build_id}",
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
            for bucket, spec in self.estate.buckets.items():
                if spec.region != region or wanted.get("BucketName") not in (None, bucket):
                    continue
                if params.get("MetricName") in (None, "BucketSizeBytes"):
                    metrics += [
                        {"Namespace": "AWS/S3", "MetricName": "BucketSizeBytes",
                         "Dimensions": [{"Name": "BucketName", "Value": bucket}, {"Name": "StorageType", "Value": kind}]}
                        for kind in spec.gib
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
            name = dims.get("FunctionName") or dims.get("BucketName")
            if metric["Namespace"] == "AWS/Lambda" and metric["MetricName"] in ("Invocations", "Duration"):
                # The month's sum on its first day: each part of the window at its own rate.
                parts = [(part, e.functions[name]) for part, e in self.segments if name in e.functions]
                total = sum(
                    spec.invocations * (1.0 if metric["MetricName"] == "Invocations" else spec.duration_ms)
                    * self.count(1000, part) / 1000
                    for part, spec in parts if spec.region == region
                )  # fmt: skip
                if parts and parts[0][1].region == region:
                    values, timestamps = [float(total)], [stamps[0]]
            elif metric["Namespace"] == "AWS/S3":
                held = [self._bucket_on(name or "", stamp) for stamp in stamps]
                days_held = [(stamp, b) for stamp, b in zip(stamps, held, strict=True) if b and b.region == region]
                if metric["MetricName"] == "BucketSizeBytes":
                    kind = dims.get("StorageType", "")
                    days_held = [(stamp, b) for stamp, b in days_held if kind in b.gib]
                    values, timestamps = [b.gib[kind] * GIB for _, b in days_held], [t for t, _ in days_held]
                elif metric["MetricName"] == "NumberOfObjects":
                    values, timestamps = [float(b.objects) for _, b in days_held], [t for t, _ in days_held]
            results.append(
                {"Id": query["Id"], "Label": metric["MetricName"], "Timestamps": timestamps, "Values": values,
                 "StatusCode": "Complete"}
            )  # fmt: skip
        return {"MetricDataResults": results, "Messages": []}

    def get_resources(self, params: dict[str, Any], region: str) -> dict[str, Any] | None:
        """The estate's tags, for the showback collector's query (the one naming codepipeline); any other
        GetResources (Lambda's tagged-function lookup) is left to moto."""
        if "codepipeline" not in params.get("ResourceTypeFilters", []):
            return None
        account = self.estate.account
        regions = {"pipeline": {p.name: p.region for p in self.estate.pipelines},
                   "project": {b.project: b.region for b in self.estate.builds},
                   "function": {n: f.region for n, f in self.estate.functions.items()},
                   "bucket": {n: b.region for n, b in self.estate.buckets.items()}}  # fmt: skip
        arns = {"pipeline": "arn:aws:codepipeline:{r}:{a}:{n}", "project": "arn:aws:codebuild:{r}:{a}:project/{n}",
                "function": "arn:aws:lambda:{r}:{a}:function:{n}", "bucket": "arn:aws:s3:::{n}"}  # fmt: skip
        items = [
            {"ResourceARN": arns[kind].format(r=region, a=account, n=name),
             "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
            for kind, named in sorted(self.estate.tags.items())
            for name, tags in sorted(named.items())
            if regions.get(kind, {}).get(name) == region
        ]  # fmt: skip
        page, token = self._page(items, params, "PaginationToken", "ResourcesPerPage", 100)
        return {"ResourceTagMappingList": page, **({"PaginationToken": token} if token else {})}

    def _bucket_on(self, name: str, moment: dt.datetime) -> BucketSpec | None:
        for part, estate in self.segments:
            if part.start <= moment < part.end:
                return estate.buckets.get(name)
        return None

    def handlers(self) -> dict[str, Callable[[dict[str, Any], str], dict[str, Any] | None]]:
        return {
            "codepipeline.ListPipelineExecutions": self.list_pipeline_executions,
            "codepipeline.ListActionExecutions": self.list_action_executions,
            "codebuild.ListBuildsForProject": self.list_builds_for_project,
            "codebuild.BatchGetBuilds": self.batch_get_builds,
            "cloudwatch.ListMetrics": self.list_metrics,
            "cloudwatch.GetMetricData": self.get_metric_data,
            "resourcegroupstaggingapi.GetResources": self.get_resources,
        }


Answer = Callable[[str, dict[str, Any], dict[str, Any], Any], "dict[str, Any] | None"]


def hook(session: boto3.Session, answered: Collection[str], answer: Answer, *, check: bool) -> None:
    """Answer the `service.Operation` calls in `answered` on every client the session creates from now on:
    `answer(name, params, context, request_signer)` gives the parsed reply, or None to let the call through.

    Registered last on the generic events, so the collectors' own read-only guard and call counter
    (registered on each client) still run first, exactly as with real AWS. With `check`, every reply is
    validated against botocore's output model, so a fake answer AWS could not give fails the test.
    """

    def key(model: Any) -> str:
        return f"{model.service_model.service_name}.{model.name}"

    def keep_params(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if key(model) in answered:
            context["costkit_params"] = dict(params)

    def respond(
        model: Any, context: dict[str, Any], request_signer: Any = None, **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        name = key(model)
        if name not in answered:
            return None
        parsed = answer(name, context.get("costkit_params", {}), context, request_signer)
        if parsed is None:  # not this fake's to answer
            return None
        if check:
            validate_parameters(parsed, model.output_shape)
        parsed.setdefault("ResponseMetadata", {"HTTPStatusCode": 200, "RetryAttempts": 0})
        return AWSResponse(None, 200, {}, None), parsed  # type: ignore[arg-type]

    events: Any = session.events
    events.register_last("before-parameter-build", keep_params)
    events.register_last("before-call", respond)


def install(session: boto3.Session, answers: Answers) -> None:
    """Answer the calls in `answers.handlers()` on every client the session creates from now on (see `hook`)."""
    table = answers.handlers()

    def answer(name: str, params: dict[str, Any], context: dict[str, Any], _signer: Any) -> dict[str, Any] | None:
        return table[name](params, context["client_region"])

    hook(session, table, answer, check=getattr(answers, "validate", True))


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


def seed(window: Window, estate: Estate) -> None:
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
        for bucket, held in estate.buckets.items():
            if held.region == region:
                extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
                s3.create_bucket(Bucket=bucket, **extra)
    others = {(p.bucket, p.region) for p in estate.pipelines} - {(b, held.region) for b, held in estate.buckets.items()}
    for bucket, home in sorted(others):  # a synthetic estate's artifact buckets
        where: dict[str, Any] = (
            {} if home == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": home}}
        )
        boto3.client("s3", region_name=home).create_bucket(Bucket=bucket, **where)
    if "costkit-demo-artifacts-use1" in estate.buckets:
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
            declaration["executionMode"] = spec.execution_mode
        boto3.client("codepipeline", region_name=spec.region).create_pipeline(pipeline=declaration)
        stored = codepipeline_backends[estate.account][spec.region].pipelines[spec.name]
        stored._created = (
            utc(spec.created) if spec.created else window.start - dt.timedelta(days=spec.created_days_before_window)
        )
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
        metadata = codebuild_backends[estate.account][region].codebuild_projects[name].project_metadata
        metadata["created"] = metadata["lastModifiedDate"] = (window.start - dt.timedelta(days=200)).timestamp()
    for name, function in estate.functions.items():
        functions: Any = boto3.client("lambda", region_name=function.region)
        functions.create_function(
            FunctionName=name, Runtime="python3.12", Role=roles["lambda"], Handler="handler.handler",
            Code={"ZipFile": _zip()}, MemorySize=function.memory_mb, Architectures=[function.architecture], Timeout=30,
        )  # fmt: skip
    groups = [
        {"Keys": [service, usage_type], "Metrics": {
            "UnblendedCost": {"Amount": f"{usd:.2f}", "Unit": "USD"},
            "UsageQuantity": {"Amount": f"{quantity}", "Unit": unit}}}
        for service, rows in estate.actuals.items() for usage_type, (usd, quantity, unit) in rows.items()
    ]  # fmt: skip
    ce_backends[estate.account]["aws"].cost_usage_results_queue.append(
        {"ResultsByTime": [{"TimePeriod": {"Start": window.start.date().isoformat(), "End": window.end.date().isoformat()},
                            "Total": {}, "Groups": groups, "Estimated": False}],
         "DimensionValueAttributes": [], "GroupDefinitions": [{"Type": "DIMENSION", "Key": "SERVICE"},
                                                              {"Type": "DIMENSION", "Key": "USAGE_TYPE"}]}
    )  # fmt: skip


@contextmanager
def fake_account(
    window: Window, estate: Estate | Timeline | None = None, *, validate: bool = True
) -> Iterator[boto3.Session]:
    """The fake account for `window` (the demo's months by default): a boto3 session whose clients reach moto
    plus the handlers (each answer checked against botocore's output model unless `validate` is False)."""
    with mock_aws():
        answers = Answers(window, estate, validate=validate)
        seed(window, answers.estate)
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
        install(session, answers)
        # Sessions for assumed roles (--role-arn, --org-role) get the same answers.
        session.costkit_prepare = lambda assumed: install(assumed, answers)  # type: ignore[attr-defined]
        yield session
