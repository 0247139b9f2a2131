"""The collection as a whole (costkit.collect.run): read-only, retries throttling, records a denied service as a
partial snapshot, never damages a good snapshot, and follows AWS_ENDPOINT_URL. No network beyond loopback, no
credentials: the seeded fake account (costkit.collect.fake_account) and moto's server on 127.0.0.1.

Faults are injected where AWS would produce them: at the HTTP layer ("before-send", once per attempt), so
botocore's own retry handler sees them exactly as it sees a real answer. (A response returned from "before-call"
bypasses the HTTP layer and with it every retry: botocore emits "before-call" once per API call, and retries
only inside Endpoint._send_request. So a fault injected there is never retried, whatever the retry mode.)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pandas as pd
import pytest
from botocore.awsrequest import AWSResponse
from botocore.retries import standard
from botocore.validate import validate_parameters
from typer.testing import CliRunner

from costkit.cli import app
from costkit.collect import fake_account as fake
from costkit.collect import run
from costkit.collect.context import CallLog, ReadOnlyViolation, RegionContext, Window
from costkit.sources.snapshot.folder import Snapshot, read, write

WINDOW = Window.month(2026, 10)
REGIONS = ["us-east-1", "ap-northeast-1"]
BOTOCORE = botocore.session.get_session()


def options(**overrides: Any) -> run.CollectOptions:
    return run.CollectOptions(window=WINDOW, regions=list(REGIONS), cache_dir=None, **overrides)


def collect_demo(arm: Callable[[Any], None] | None = None) -> Snapshot:
    """The demo collection; `arm(session)` adds fault handlers to the fake account's session first."""
    with fake.fake_account(WINDOW) as session:
        if arm is not None:
            arm(session)
        return run.collect(session, options())


@pytest.fixture(scope="module")
def clean() -> Snapshot:
    """An undisturbed demo collection, to compare the others with."""
    return collect_demo()


# -- faults at the HTTP layer --------------------------------------------------------------------------------------


class _Raw:
    """The raw body botocore reads from an AWSResponse."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def error_response(service: str, status: int, code: str, message: str) -> AWSResponse:
    """An error answer of `service` as AWS sends it, in the service's wire protocol."""
    protocol = BOTOCORE.get_service_model(service).resolved_protocol
    headers: dict[str, str] = {"x-amzn-RequestId": "costkit-test"}
    if protocol == "json":  # botocore 1.44 speaks JSON, not CBOR, to the services offering both
        headers["Content-Type"] = "application/x-amz-json-1.1"
        body = json.dumps({"__type": code, "message": message}).encode()
    elif protocol == "rest-json":
        headers |= {"x-amzn-ErrorType": code, "Content-Type": "application/json"}
        body = json.dumps({"message": message}).encode()
    elif protocol == "rest-xml":
        body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
    elif protocol == "query":
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            "<RequestId>costkit-test</RequestId></ErrorResponse>"
        ).encode()
    else:
        raise AssertionError(f"no error format for protocol {protocol}")
    return AWSResponse("https://costkit.invalid/", status, headers, _Raw(body))  # type: ignore[arg-type]


# How each service says "slow down": (HTTP status, error code)
THROTTLED = {
    "lambda": (429, "TooManyRequestsException"),
    "s3": (503, "SlowDown"),
    "sts": (400, "Throttling"),
}


def _attempt(request: Any) -> int:
    """botocore numbers every attempt of a call in the amz-sdk-request header (attempt=1; max=N)."""
    header = request.headers.get("amz-sdk-request", b"")
    found = re.search(r"attempt=(\d+)", header.decode() if isinstance(header, bytes) else header)
    assert found, "no amz-sdk-request header: not a retrying client"
    return int(found.group(1))


class Faults:
    """Answers chosen operations with an error at the HTTP layer and counts every attempt it sees.

    Registered FIRST on the operation's own "before-send" event, so its answer wins over moto's (moto answers on
    the generic "before-send"; botocore calls every handler, the most specific event's first and, within one event,
    the "first" section in registration order, then "middle", then "last"; the first non-None answer is the
    response).
    """

    def __init__(self, operations: list[str], answer: Callable[[str, int], AWSResponse | None]) -> None:
        self.operations = operations  # "service:Operation", botocore service names
        self.answer = answer  # (service, attempt) -> error response, or None to let the call through
        self.attempts: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self._lock = threading.Lock()

    def arm(self, session: Any) -> None:
        for key in self.operations:
            service, operation = key.split(":")
            service_id = BOTOCORE.get_service_model(service).service_id.hyphenize()
            session.events.register_first(f"before-send.{service_id}.{operation}", self._handler(key, service))

    def _handler(self, key: str, service: str) -> Callable[..., AWSResponse | None]:
        def send(request: Any, **_: Any) -> AWSResponse | None:
            response = self.answer(service, _attempt(request))
            with self._lock:
                self.attempts[key] += 1
                self.faults[key] += response is not None
            return response

        return send


def throttle_first_attempt(service: str, attempt: int) -> AWSResponse | None:
    if attempt > 1:
        return None
    status, code = THROTTLED.get(service, (400, "ThrottlingException"))
    return error_response(service, status, code, "Rate exceeded")


# The fake account answers these on "before-call", above the HTTP layer, so a fault there would never be seen:
# for the throttling test they are routed through the HTTP layer instead (answer computed on "before-call",
# handed over on "before-send" and "before-parse"), so each attempt is a real HTTP-level exchange.
ROUTED = ("codepipeline.ListActionExecutions", "codebuild.BatchGetBuilds", "cloudwatch.GetMetricData")


class _Only:
    """The fake's answers minus some operations."""

    def __init__(self, answers: fake.Answers, without: tuple[str, ...]) -> None:
        self._answers = answers
        self._without = without

    def handlers(self) -> dict[str, Callable[[dict[str, Any], str], dict[str, Any]]]:
        return {key: answer for key, answer in self._answers.handlers().items() if key not in self._without}


def install_routed(original: Callable[[Any, Any], None]) -> Callable[[Any, fake.Answers], None]:
    def install(session: Any, answers: fake.Answers) -> None:
        original(session, _Only(answers, ROUTED))
        table = {key: answer for key, answer in answers.handlers().items() if key in ROUTED}
        pending = threading.local()  # one call runs in one thread from before-call to before-parse

        def key(model: Any) -> str:
            return f"{model.service_model.service_name}.{model.name}"

        def keep_params(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
            if key(model) in table:
                context["routed_params"] = dict(params)

        def prepare(model: Any, context: dict[str, Any], **_: Any) -> None:
            if key(model) in table:
                parsed = table[key(model)](context["routed_params"], context["client_region"])
                validate_parameters(parsed, model.output_shape)
                pending.parsed = parsed
            # no answer here: the call goes on to the HTTP layer

        def send(request: Any, **_: Any) -> AWSResponse:
            request.url = "https://costkit.invalid/"  # matched by none of moto's URL patterns: moto stays out
            headers = {"Content-Type": "application/x-amz-json-1.1"}
            return AWSResponse(request.url, 200, headers, _Raw(b"{}"))  # type: ignore[arg-type]

        def parse(response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any) -> None:
            if response_dict["status_code"] == 200:
                customized_response_dict.update(pending.parsed)

        events = session.events
        events.register_last("before-parameter-build", keep_params)
        events.register_last("before-call", prepare)
        for name in ROUTED:
            service, operation = name.split(".")
            assert BOTOCORE.get_service_model(service).resolved_protocol == "json"
            service_id = BOTOCORE.get_service_model(service).service_id.hyphenize()
            # after Faults (register_first) on the same event, before moto (generic "before-send")
            events.register(f"before-send.{service_id}.{operation}", send)
            events.register(f"before-parse.{service_id}.{operation}", parse)

    return install


def rows_in_order(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows sorted on every column: run.collect concatenates regions in the order their threads finish."""
    return frame.sort_values(list(frame.columns), key=lambda column: column.astype(str), kind="stable").reset_index(
        drop=True
    )


# Columns that differ between two runs of the fake account whatever happens: moto stamps a pipeline's "updated" with
# the wall clock when the fake creates it (the fake seeds "created" only; see the report).
VOLATILE = {"pipelines": ["updated"], "projects": ["created"]}


def assert_same_table(left: pd.DataFrame, right: pd.DataFrame, name: str) -> None:
    volatile = VOLATILE.get(name, [])
    pd.testing.assert_frame_equal(
        rows_in_order(left.drop(columns=volatile)), rows_in_order(right.drop(columns=volatile)), obj=name
    )


def assert_same_tables(left: Snapshot, right: Snapshot) -> None:
    assert sorted(left.tables) == sorted(right.tables)
    for name in left.tables:
        assert_same_table(left.tables[name], right.tables[name], name)


# -- read-only -----------------------------------------------------------------------------------------------------


def test_demo_collection_is_read_only_and_complete(clean: Snapshot) -> None:
    """run.collect lets ReadOnlyViolation through (it is no ClientError), so completing proves no write was tried."""
    assert clean.manifest["failures"] == []
    assert not clean.partial
    assert set(clean.table("pipelines")["pipeline"]) == {spec.name for spec in fake.PIPELINES}
    assert set(clean.table("projects")["project"]) == {build.project for build in fake.BUILDS}
    assert set(clean.table("functions")["function"]) == set(fake.FUNCTIONS)
    assert set(clean.table("buckets")["bucket"]) == set(fake.BUCKETS)
    assert all(re.match(r"[a-z0-9]+:(List|Get|Describe|BatchGet)[A-Z]", key) for key in clean.manifest["calls"])


BUCKET = "costkit-demo-artifacts-use1"


@pytest.mark.parametrize(
    ("service", "write_call", "read_call"),
    [
        (
            "codepipeline",
            lambda api: api.start_pipeline_execution(name="web-app"),
            lambda api: api.get_pipeline(name="web-app"),
        ),
        ("codepipeline", lambda api: api.delete_pipeline(name="web-app"), lambda api: api.get_pipeline(name="web-app")),
        ("s3", lambda api: api.delete_bucket(Bucket=BUCKET), lambda api: api.get_bucket_location(Bucket=BUCKET)),
    ],
)
def test_a_write_through_a_guarded_client_is_refused_and_not_counted(
    service: str, write_call: Callable[[Any], Any], read_call: Callable[[Any], Any]
) -> None:
    log = CallLog()
    with fake.fake_account(WINDOW) as session:
        ctx = RegionContext(fake.ACCOUNT, "us-east-1", session, WINDOW, log)
        api = ctx.client(service)
        with pytest.raises(ReadOnlyViolation, match="not a read-only call"):
            write_call(api)
        assert log.as_dict() == {}
        # nothing changed: the pipeline and the bucket are still there (an unguarded client checks)
        assert session.client("codepipeline").get_pipeline(name="web-app")["pipeline"]["name"] == "web-app"
        assert BUCKET in {b["Name"] for b in session.client("s3").list_buckets()["Buckets"]}
        read_call(api)
        assert sum(log.as_dict().values()) == 1  # the guard does count read-only calls


# -- throttling ----------------------------------------------------------------------------------------------------

THROTTLED_OPERATIONS = [
    "sts:GetCallerIdentity",
    "codepipeline:ListPipelines",
    "codepipeline:GetPipeline",
    "codepipeline:ListActionExecutions",  # routed
    "codebuild:BatchGetProjects",
    "codebuild:BatchGetBuilds",  # routed
    "lambda:GetFunctionConfiguration",
    "s3:GetBucketLocation",
    "s3:GetBucketVersioning",
    "cloudwatch:GetMetricData",  # routed
    "ce:GetCostAndUsage",
]
# Adaptive mode also slows a client down after a throttle (botocore's client-side rate limiter: a fresh client has
# no measured send rate, so its first throttle drops it to the minimum, 0.5 requests/s, and the retry itself waits
# ~2 s for a token). Throttling every call above takes ~20 s there, so in adaptive mode throttle one call only.
ONE_CALL_CLIENTS = ["lambda:GetFunctionConfiguration"]


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's real retry decisions with 1% of its jittered exponential backoff (up to 10 ms, not 1 s)."""
    original = standard.ExponentialBackoff.delay_amount
    monkeypatch.setattr(
        standard.ExponentialBackoff, "delay_amount", lambda self, context: original(self, context) / 100
    )


@pytest.mark.parametrize(("mode", "operations"), [("standard", THROTTLED_OPERATIONS), ("adaptive", ONE_CALL_CLIENTS)])
@pytest.mark.usefixtures("fast_backoff")
def test_throttled_first_attempts_are_retried_to_the_same_snapshot(
    clean: Snapshot, mode: str, operations: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every call of `operations` is throttled on its first attempt; retries make it invisible.

    The manifest's call log counts logical calls (one per API call or page), not attempts: the guard runs on
    "before-call", once per call, and retries happen below it.
    """
    monkeypatch.setenv("AWS_RETRY_MODE", mode)
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    monkeypatch.setattr(fake, "install", install_routed(fake.install))
    faults = Faults(operations, throttle_first_attempt)
    throttled = collect_demo(faults.arm)

    assert throttled.manifest["failures"] == []
    assert_same_tables(throttled, clean)
    assert throttled.manifest["calls"] == clean.manifest["calls"]
    calls = throttled.manifest["calls"]
    for key in operations:
        assert calls[key] >= 1, key
        assert faults.faults[key] == calls[key], key  # every call throttled once...
        assert faults.attempts[key] == 2 * calls[key], key  # ...and answered on its second attempt


def test_a_fault_answered_on_before_call_is_not_retried() -> None:
    """Why the faults above sit on "before-send": botocore never retries an answer given on "before-call"."""
    seen: list[str] = []

    def deny_once(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if model.name != "ListPipelines" or seen:
            return None
        seen.append(model.name)
        parsed = {
            "Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        return AWSResponse(None, 400, {}, None), parsed  # type: ignore[arg-type]

    with fake.fake_account(WINDOW) as session:
        session.events.register_first("before-call", deny_once)  # type: ignore[arg-type]
        snapshot = run.collect(session, run.CollectOptions(window=WINDOW, regions=["us-east-1"], cost_explorer=False))
    assert [(f["service"], f["error"]) for f in snapshot.manifest["failures"]] == [
        ("codepipeline", "ThrottlingException")
    ]


@pytest.mark.usefixtures("fast_backoff")
def test_aws_max_attempts_counts_total_attempts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    faults = Faults(["codepipeline:ListPipelines"], throttle_first_attempt)
    with fake.fake_account(WINDOW) as session:
        faults.arm(session)
        snapshot = run.collect(session, run.CollectOptions(window=WINDOW, regions=["us-east-1"], cost_explorer=False))
    assert faults.attempts["codepipeline:ListPipelines"] == 1
    assert [f["service"] for f in snapshot.manifest["failures"]] == ["codepipeline"]


# -- a denied service ----------------------------------------------------------------------------------------------


def test_a_denied_service_is_a_recorded_failure_and_the_rest_is_collected(clean: Snapshot) -> None:
    def denied(service: str, attempt: int) -> AWSResponse:
        return error_response(service, 400, "AccessDeniedException", "not authorized to perform codebuild:ListProjects")

    # every CodeBuild call the fake leaves to moto; the first of them (ListProjects) already fails the service
    codebuild = BOTOCORE.get_service_model("codebuild")
    faults = Faults([f"codebuild:{name}" for name in codebuild.operation_names], denied)
    snapshot = collect_demo(faults.arm)

    assert snapshot.partial
    failures = snapshot.manifest["failures"]
    assert [(f["account"], f["region"], f["service"], f["error"]) for f in failures] == [
        (fake.ACCOUNT, region, "codebuild", "AccessDeniedException") for region in sorted(REGIONS)
    ]
    assert all("codebuild:ListProjects" in f["message"] for f in failures)
    # AccessDenied is not retried: one attempt per region, and that attempt is a call (AWS saw it)
    assert faults.attempts == Counter({"codebuild:ListProjects": len(REGIONS)})
    assert snapshot.manifest["calls"]["codebuild:ListProjects"] == len(REGIONS)
    assert not any(
        key.startswith("codebuild:") and key != "codebuild:ListProjects" for key in snapshot.manifest["calls"]
    )

    assert "projects" not in snapshot.tables
    assert "builds" not in snapshot.tables
    # pipelines, Lambda, S3 and Cost Explorer are exactly what an undisturbed collection finds
    for name in ("pipelines", "pipeline_actions", "pipeline_executions", "action_executions"):
        assert_same_table(snapshot.tables[name], clean.tables[name], name)
    for name in ("functions", "function_metrics", "buckets", "bucket_storage", "actuals"):
        assert_same_table(snapshot.tables[name], clean.tables[name], name)
    assert set(snapshot.table("pipelines")["pipeline"]) == {spec.name for spec in fake.PIPELINES}
    assert set(snapshot.table("functions")["function"]) == set(fake.FUNCTIONS)
    # the buckets come from the pipelines' artifact stores (the demo's projects have none)
    assert set(snapshot.table("buckets")["bucket"]) == {spec.bucket for spec in fake.PIPELINES} == set(fake.BUCKETS)


def test_cli_collect_demo_writes_a_complete_snapshot(tmp_path: Path) -> None:
    out = tmp_path / "snapshot"
    result = CliRunner().invoke(app, ["collect", "--demo", "--month", "2026-10", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    snapshot = read(out)
    assert snapshot.manifest["failures"] == []
    assert snapshot.manifest["window"] == {"start": "2026-10-01T00:00:00+00:00", "end": "2026-11-01T00:00:00+00:00"}
    assert snapshot.manifest["regions"] == sorted(REGIONS)
    assert set(snapshot.table("pipelines")["pipeline"]) == {spec.name for spec in fake.PIPELINES}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snapshot"]


# -- interrupted write ---------------------------------------------------------------------------------------------


def test_an_interrupted_write_leaves_the_previous_snapshot_intact(
    clean: Snapshot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "snapshot"
    write(clean, target)
    first = read(target)
    assert sorted(first.tables) == sorted(clean.tables)
    before = {path.name: path.read_bytes() for path in target.iterdir()}
    newer = Snapshot(
        tables={name: frame.head(1) for name, frame in clean.tables.items()},
        manifest={**clean.manifest, "created": "2026-11-02T00:00:00+00:00"},
    )
    assert len(newer.tables) >= 2

    written: list[str] = []
    to_parquet = pd.DataFrame.to_parquet

    def interrupted(self: pd.DataFrame, path: Any, *args: Any, **kwargs: Any) -> Any:
        written.append(str(path))
        if len(written) == 2:
            raise KeyboardInterrupt
        return to_parquet(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write(newer, target)
    monkeypatch.undo()

    assert len(written) == 2
    assert sorted(path.name for path in tmp_path.iterdir()) == ["snapshot"]  # no staging or .old directory left
    assert {path.name: path.read_bytes() for path in target.iterdir()} == before
    assert_same_tables(read(target), first)


# -- AWS_ENDPOINT_URL ----------------------------------------------------------------------------------------------


@pytest.fixture
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _seed_server(endpoint: str) -> None:
    aws = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")

    def client(service: str) -> Any:
        return aws.client(service, endpoint_url=endpoint)  # type: ignore[call-overload]

    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = client("iam").create_role(RoleName="pipeline-role", AssumeRolePolicyDocument=json.dumps(trust))
    client("s3").create_bucket(Bucket="endpoint-artifacts")
    client("codepipeline").create_pipeline(
        pipeline={
            "name": "endpoint-pipeline",
            "roleArn": role["Role"]["Arn"],
            "artifactStore": {"type": "S3", "location": "endpoint-artifacts"},
            "stages": [
                {
                    "name": "Source",
                    "actions": [
                        {
                            "name": "Source",
                            "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                            "configuration": {"S3Bucket": "endpoint-artifacts", "S3ObjectKey": "src.zip"},
                            "outputArtifacts": [{"name": "SourceOut"}],
                        }
                    ],
                },
                {
                    "name": "Build",
                    "actions": [
                        {
                            "name": "Build",
                            "actionTypeId": {
                                "category": "Build",
                                "owner": "AWS",
                                "provider": "CodeBuild",
                                "version": "1",
                            },
                            "configuration": {"ProjectName": "endpoint-build"},
                            "inputArtifacts": [{"name": "SourceOut"}],
                        }
                    ],
                },
            ],
        }
    )
    client("codebuild").create_project(
        name="endpoint-build",
        source={"type": "S3", "location": "endpoint-artifacts/src.zip"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole=role["Role"]["Arn"],
    )


def test_collect_follows_aws_endpoint_url(moto_server: str, tmp_path: Path) -> None:
    _seed_server(moto_server)
    out = tmp_path / "snapshot"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),  # no real ~/.aws is read
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": moto_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",  # boto3 reads this one, not AWS_REGION (see the report)
        "AWS_MAX_ATTEMPTS": "1",
    }
    command = [sys.executable, "-c", "from costkit.cli import main; main()", "collect"]
    command += ["--regions", "us-east-1", "--no-cost-explorer", "--out", str(out), "--quiet"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)

    # moto's server does not implement ListActionExecutions (HTTP 500): a partial snapshot, exit code 5
    assert done.returncode == 5, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["accounts"] == [{"account": "123456789012", "via": "current credentials"}]  # moto's account
    assert manifest["regions"] == ["us-east-1"]
    assert [(f["region"], f["service"]) for f in manifest["failures"]] == [("us-east-1", "codepipeline")]
    # the calls reached the server: it answered with the pipeline, the project, and the failure
    calls = manifest["calls"]
    assert calls["codepipeline:ListPipelines"] == 1
    assert calls["codepipeline:GetPipeline"] == 1
    assert calls["codepipeline:ListActionExecutions"] == 1
    assert "ce:GetCostAndUsage" not in calls
    projects = pd.read_parquet(out / "projects.parquet")
    assert list(projects["project"]) == ["endpoint-build"]
    assert list(projects["compute_type"]) == ["BUILD_GENERAL1_SMALL"]
    # the failed history call is recorded, and the pipeline declarations it did read are kept
    assert list(pd.read_parquet(out / "pipelines.parquet")["pipeline"]) == ["endpoint-pipeline"]


# -- concurrency ---------------------------------------------------------------------------------------------------


def in_collection_order(snapshot: Snapshot) -> dict[str, pd.DataFrame]:
    """Every table as written, rows NOT re-sorted (only moto's wall-clock stamps dropped)."""
    return {name: frame.drop(columns=VOLATILE.get(name, [])) for name, frame in snapshot.tables.items()}


@pytest.mark.usefixtures("fast_backoff")
def test_one_call_at_a_time_and_sixteen_at_once_give_the_same_snapshot_in_the_same_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the first attempt of every call of THROTTLED_OPERATIONS throttled, collecting at concurrency 1 and 16
    gives identical tables, row order included, the same calls, and a manifest counting each throttle once."""
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    monkeypatch.setattr(fake, "install", install_routed(fake.install))
    found: dict[int, tuple[Snapshot, Faults]] = {}
    for concurrency in (1, 16):
        faults = Faults(THROTTLED_OPERATIONS, throttle_first_attempt)
        with fake.fake_account(WINDOW) as session:
            faults.arm(session)
            found[concurrency] = run.collect(session, options(max_concurrency=concurrency)), faults
    (serial, serial_faults), (parallel, parallel_faults) = found[1], found[16]
    assert serial.manifest["failures"] == parallel.manifest["failures"] == []
    left, right = in_collection_order(serial), in_collection_order(parallel)
    assert sorted(left) == sorted(right)
    for name in left:
        pd.testing.assert_frame_equal(left[name], right[name], obj=name)
    assert serial.manifest["calls"] == parallel.manifest["calls"]
    # every throttled attempt is in the manifest, at either concurrency: one per call of each throttled operation
    expected = {key: serial_faults.faults[key] for key in THROTTLED_OPERATIONS}
    assert serial.manifest["throttles"] == expected
    assert parallel.manifest["throttles"] == {key: parallel_faults.faults[key] for key in THROTTLED_OPERATIONS}
    assert expected == {key: serial.manifest["calls"][key] for key in THROTTLED_OPERATIONS}


def test_max_concurrency_bounds_the_calls_in_flight() -> None:
    """No more than max_concurrency calls are ever inside botocore at once, across regions and services."""
    lock, state = threading.Lock(), {"now": 0, "peak": 0}

    def enter(**_: Any) -> None:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        threading.Event().wait(0.002)  # long enough for the others to pile up if they could

    def leave(**_: Any) -> None:
        with lock:
            state["now"] -= 1

    with fake.fake_account(WINDOW) as session:
        session.events.register_first("before-call", enter)
        session.events.register_last("after-call", leave)
        snapshot = run.collect(session, options(max_concurrency=3, cost_explorer=False))
    assert snapshot.manifest["failures"] == []
    assert 1 < state["peak"] <= 3
