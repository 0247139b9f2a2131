"""A fake AWS organisation for collecting at scale: N member accounts x R regions, each region holding the same
small CI/CD estate, served by a moto server on the loopback address plus model-validated answers.

moto (a ThreadedMotoServer on 127.0.0.1, reached over HTTP through AWS_ENDPOINT_URL, as a real endpoint would be)
holds the organisation, IAM, STS, the pipelines, projects and buckets. What moto lacks or gets wrong (execution and
action-execution history, builds with their compute types and phases) is answered in-process by handlers on the
sessions' `before-call` events, per account (the account comes from the caller's credentials, as AWS's own
answers do), each answer validated against botocore's output model and cut into pages at the caller's page size.
ec2:DescribeRegions answers the estate's regions: the organisation's accounts have exactly those enabled.

Every number is chosen so the collection can be counted by hand (tests/test_collect_org.py): each pipeline is V2
with Source (20 s), Build (CodeBuild, 300 s) and Deploy (30 s), runs `executions` times in the window, and each
run's Build action is one build of the region's project (10 s queued, then 300 s billed from PROVISIONING).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import requests
from moto.iam.models import get_account_id_from
from moto.server import ThreadedMotoServer

from costkit.collect.context import Window
from costkit.collect.fake_account import hook
from costkit.collect.run import assumed_session

MANAGEMENT = "123456789012"  # moto's default account: the organisation's management account
ORG_ROLE = "costkit-read"
PROJECT = "org-build"
ACTIONS = (("Source", "Source", "S3", 20), ("Build", "Build", "CodeBuild", 300), ("Deploy", "Deploy", "S3", 30))
QUEUED_S, BILLED_S = 10, 300


@dataclass(frozen=True)
class OrgEstate:
    """`accounts` member accounts, each with `pipelines` V2 pipelines per region in `regions`, each pipeline
    running `executions` times in the window."""

    accounts: int = 20
    regions: tuple[str, ...] = ("us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1")
    pipelines: int = 5
    executions: int = 30

    @property
    def action_executions(self) -> int:
        return self.accounts * len(self.regions) * self.pipelines * self.executions * len(ACTIONS)

    def bucket(self, account: str, region: str) -> str:
        return f"costkit-org-{account}-{region}"


def _times(window: Window, count: int, index: int) -> dt.datetime:
    step = (window.end - window.start) / max(count, 1)
    return window.start + step * index + dt.timedelta(minutes=7)


class OrgAnswers:
    """History and builds for every account: the same runs in each, built once per region and pipeline."""

    def __init__(self, window: Window, estate: OrgEstate, *, validate: bool = True) -> None:
        self.window, self.estate, self.validate = window, estate, validate
        self.executions: dict[str, list[dict[str, Any]]] = {}
        self.details: dict[str, list[dict[str, Any]]] = {}
        self.builds: dict[str, dict[str, Any]] = {}
        self.build_ids: list[str] = []
        self.members: set[str] = set()
        for index in range(estate.pipelines):
            self._pipeline(f"org-pipeline-{index:02d}")
        self.build_ids.sort(key=lambda b: self.builds[b]["startTime"], reverse=True)

    def _pipeline(self, name: str) -> None:
        runs, details = [], []
        for i in range(self.estate.executions):
            start = clock = _times(self.window, self.estate.executions, i)
            execution_id = f"{name}-{i:05d}"
            for stage, category, provider, seconds in ACTIONS:
                end = clock + dt.timedelta(seconds=seconds)
                detail: dict[str, Any] = {
                    "pipelineExecutionId": execution_id,
                    "actionExecutionId": f"{execution_id}-{stage}",
                    "pipelineVersion": 1,
                    "stageName": stage,
                    "actionName": stage,
                    "startTime": clock,
                    "lastUpdateTime": end,
                    "status": "Succeeded",
                    "input": {
                        "actionTypeId": {"category": category, "owner": "AWS", "provider": provider, "version": "1"}
                    },
                }
                if provider == "CodeBuild":
                    build_id = f"{PROJECT}:{execution_id}"
                    detail["output"] = {"executionResult": {"externalExecutionId": build_id}}
                    self._build(build_id, clock, name)
                details.append(detail)
                clock = end
            runs.append(
                {
                    "pipelineExecutionId": execution_id,
                    "status": "Succeeded",
                    "startTime": start,
                    "lastUpdateTime": clock,
                    "trigger": {"triggerType": "CloudWatchEvent"},
                    "executionType": "STANDARD",
                }
            )
        self.executions[name] = sorted(runs, key=lambda r: r["startTime"], reverse=True)
        self.details[name] = sorted(details, key=lambda d: d["startTime"], reverse=True)

    def _build(self, build_id: str, queued: dt.datetime, pipeline: str) -> None:
        provisioning = queued + dt.timedelta(seconds=QUEUED_S)
        end = provisioning + dt.timedelta(seconds=BILLED_S)
        self.builds[build_id] = {
            "id": build_id,
            "startTime": queued,
            "endTime": end,
            "buildStatus": "SUCCEEDED",
            "projectName": PROJECT,
            "initiator": f"codepipeline/{pipeline}",
            "environment": {
                "type": "LINUX_CONTAINER",
                "image": "aws/codebuild/standard:7.0",
                "computeType": "BUILD_GENERAL1_SMALL",
            },
            "phases": [
                {"phaseType": "QUEUED", "startTime": queued, "endTime": provisioning, "durationInSeconds": QUEUED_S},
                {"phaseType": "PROVISIONING", "startTime": provisioning, "endTime": end, "durationInSeconds": BILLED_S},
                {"phaseType": "COMPLETED", "startTime": end},
            ],
        }
        self.build_ids.append(build_id)

    @staticmethod
    def _page(items: list[Any], params: dict[str, Any], size_key: str | None, limit: int) -> tuple[list[Any], Any]:
        size = min(int(params.get(size_key, limit)) if size_key else limit, limit)
        offset = int(params.get("nextToken") or 0)
        return items[offset : offset + size], (str(offset + size) if offset + size < len(items) else None)

    def _member(self, account: str, region: str) -> bool:
        return account in self.members and region in self.estate.regions

    def answer(self, operation: str, params: dict[str, Any], account: str, region: str) -> dict[str, Any] | None:
        """The answer to one call, or None for moto to answer it."""
        here = self._member(account, region)
        if operation == "ec2.DescribeRegions":
            return {
                "Regions": [
                    {"RegionName": r, "Endpoint": f"ec2.{r}.amazonaws.com", "OptInStatus": "opt-in-not-required"}
                    for r in self.estate.regions
                ]
            }
        if operation == "codepipeline.ListPipelineExecutions":
            items, token = self._page(
                self.executions.get(params["pipelineName"], []) if here else [], params, "maxResults", 100
            )
            return {"pipelineExecutionSummaries": items, **({"nextToken": token} if token else {})}
        if operation == "codepipeline.ListActionExecutions":
            items, token = self._page(
                self.details.get(params["pipelineName"], []) if here else [], params, "maxResults", 100
            )
            return {"actionExecutionDetails": items, **({"nextToken": token} if token else {})}
        if operation == "codebuild.ListBuildsForProject":
            ids = self.build_ids if here and params["projectName"] == PROJECT else []
            items, token = self._page(ids, params, None, 100)
            return {"ids": items, **({"nextToken": token} if token else {})}
        if operation == "codebuild.BatchGetBuilds":
            found = [
                {**self.builds[i], "arn": f"arn:aws:codebuild:{region}:{account}:build/{i}"}
                for i in params["ids"]
                if here and i in self.builds
            ]
            missing = [i for i in params["ids"] if not (here and i in self.builds)]
            return {"builds": found, **({"buildsNotFound": missing} if missing else {})}
        return None


ANSWERED = frozenset(
    {
        "ec2.DescribeRegions",
        "codepipeline.ListPipelineExecutions",
        "codepipeline.ListActionExecutions",
        "codebuild.ListBuildsForProject",
        "codebuild.BatchGetBuilds",
    }
)


def members(session: boto3.Session) -> list[str]:
    """The member accounts `fake_org` seeded for `session` (in the order they were created)."""
    found: list[str] = getattr(session, "costkit_members", [])
    return list(found)


def install(session: boto3.Session, answers: OrgAnswers) -> None:
    """Answer ANSWERED calls on every client `session` makes from now on, for the account its credentials
    belong to (see `fake_account.hook`: registered last, so the collectors' read-only guard and call counter
    run first)."""

    def answer(name: str, params: dict[str, Any], context: dict[str, Any], signer: Any) -> dict[str, Any] | None:
        access_key = signer._credentials.access_key if signer is not None else ""
        return answers.answer(name, params, get_account_id_from(access_key), context["client_region"])

    hook(session, ANSWERED, answer, check=answers.validate)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _seed(management: boto3.Session, estate: OrgEstate, answers: OrgAnswers) -> list[str]:
    """The organisation, its member accounts and each account's estate, created through moto's API."""
    organizations: Any = management.client("organizations")
    organizations.create_organization(FeatureSet="ALL")
    sts: Any = management.client("sts")
    members = []
    for index in range(estate.accounts):
        status = organizations.create_account(AccountName=f"team-{index:02d}", Email=f"team-{index:02d}@example.com")
        account = status["CreateAccountStatus"]["AccountId"]
        members.append(account)
        credentials = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="seed"
        )["Credentials"]
        member = assumed_session(management, credentials)
        _seed_account(member, account, estate)
    answers.members = set(members)
    return members


def _seed_account(member: boto3.Session, account: str, estate: OrgEstate) -> None:
    iam: Any = member.client("iam")
    roles = {}
    for service in ("codepipeline", "codebuild"):
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": f"{service}.amazonaws.com"}}
            ],
        }
        roles[service] = iam.create_role(RoleName=f"org-{service}", AssumeRolePolicyDocument=json.dumps(trust))["Role"][
            "Arn"
        ]
    for region in estate.regions:
        bucket = estate.bucket(account, region)
        s3: Any = member.client("s3", region_name=region)
        where = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, **where)
        pipelines: Any = member.client("codepipeline", region_name=region)
        for index in range(estate.pipelines):
            stages = [
                {
                    "name": stage,
                    "actions": [
                        {
                            "name": stage,
                            "actionTypeId": {
                                "category": category,
                                "owner": "AWS",
                                "provider": provider,
                                "version": "1",
                            },
                            "configuration": {"ProjectName": PROJECT}
                            if provider == "CodeBuild"
                            else {"S3Bucket": bucket, "S3ObjectKey": "src.zip"},
                            **(
                                {"outputArtifacts": [{"name": f"{stage}Out"}]}
                                if category in ("Source", "Build")
                                else {}
                            ),
                        }
                    ],
                }
                for stage, category, provider, _seconds in ACTIONS
            ]
            pipelines.create_pipeline(
                pipeline={
                    "name": f"org-pipeline-{index:02d}",
                    "roleArn": roles["codepipeline"],
                    "pipelineType": "V2",
                    "executionMode": "QUEUED",
                    "artifactStore": {"type": "S3", "location": bucket},
                    "stages": stages,
                }
            )
        member.client("codebuild", region_name=region).create_project(
            name=PROJECT,
            source={"type": "S3", "location": f"{estate.bucket(account, region)}/src.zip"},
            artifacts={"type": "NO_ARTIFACTS"},
            serviceRole=roles["codebuild"],
            environment={
                "type": "LINUX_CONTAINER",
                "image": "aws/codebuild/standard:7.0",
                "computeType": "BUILD_GENERAL1_SMALL",
            },
        )


@contextmanager
def fake_org(window: Window, estate: OrgEstate = OrgEstate(), *, validate: bool = True) -> Iterator[boto3.Session]:
    """The management account's session on a fresh moto server with the organisation seeded; sessions that
    `collect` makes for assumed roles get the same answers. AWS_ENDPOINT_URL points at the server meanwhile
    (and AWS_MAX_ATTEMPTS is 1: a call moto does not implement answers HTTP 500, not worth retrying)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    saved = {
        name: os.environ.get(name)
        for name in (
            "AWS_ENDPOINT_URL",
            "AWS_MAX_ATTEMPTS",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
        )
    }
    try:
        endpoint = f"http://{host}:{port}"
        requests.post(f"{endpoint}/moto-api/reset", timeout=30).raise_for_status()  # moto's state is per process
        os.environ.update({"AWS_ENDPOINT_URL": endpoint, "AWS_MAX_ATTEMPTS": "1"})
        for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
            os.environ.pop(name, None)
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
        answers = OrgAnswers(window, estate, validate=validate)
        session.costkit_members = _seed(session, estate, answers)  # type: ignore[attr-defined]
        install(session, answers)
        prepare: Callable[[boto3.Session], None] = lambda assumed: install(assumed, answers)  # noqa: E731
        session.costkit_prepare = prepare  # type: ignore[attr-defined]
        yield session
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        requests.post(f"http://{host}:{port}/moto-api/reset", timeout=30)
        server.stop()
