"""Collecting an organisation: `--regions all` with `--org-role` over 20 member accounts x 4 regions on a moto server
(over HTTP, as an endpoint) plus model-validated answers (costkit/collect/fake_org.py). Every call is counted by hand
from the estate's shape, per 1,000 action executions, and the concurrency caps are watched while it runs."""

from __future__ import annotations

import math
import threading
from collections import Counter
from typing import Any

import boto3
import pytest

from costkit import estimate
from costkit.collect import fake_org, run
from costkit.collect.aws import CallTimeout
from costkit.collect.context import SERVICE_LIMITS, Window
from costkit.sources.snapshot.folder import Snapshot

OCTOBER = Window.month(2026, 10)
ESTATE = fake_org.OrgEstate(accounts=20, pipelines=1, executions=10)
CAP = 8  # --max-concurrency


class InFlight:
    """The most calls in flight at once: in all, and per account, region and service."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now: Counter[tuple[str, ...]] = Counter()
        self.most: Counter[tuple[str, ...]] = Counter()

    def watch(self, session: boto3.Session) -> None:
        def key(model: Any, context: dict[str, Any], signer: Any) -> tuple[str, str, str]:
            account = fake_org.get_account_id_from(signer._credentials.access_key)
            return account, context["client_region"], model.service_model.service_name

        def started(model: Any, context: dict[str, Any], request_signer: Any, **_: Any) -> None:
            where = context["costkit_inflight"] = key(model, context, request_signer)
            with self._lock:
                for k in (("all",), where):
                    self.now[k] += 1
                    self.most[k] = max(self.most[k], self.now[k])

        def finished(context: dict[str, Any], **_: Any) -> None:
            where = context.get("costkit_inflight")
            if where is not None:
                with self._lock:
                    for k in (("all",), where):
                        self.now[k] -= 1

        events: Any = session.events
        events.register_first("before-call", started)
        events.register("after-call", finished)
        events.register("after-call-error", finished)


@pytest.fixture(scope="module")
def collected() -> tuple[Snapshot, InFlight]:
    flight = InFlight()
    with fake_org.fake_org(OCTOBER, ESTATE) as session:
        prepare = session.costkit_prepare  # type: ignore[attr-defined]

        def prepared(assumed: boto3.Session) -> None:
            prepare(assumed)
            flight.watch(assumed)

        session.costkit_prepare = prepared  # type: ignore[attr-defined]
        flight.watch(session)
        options = run.CollectOptions(window=OCTOBER, regions=["all"], cost_explorer=False, max_concurrency=CAP)
        snapshot = run.collect(session, options, org_role=fake_org.ORG_ROLE)
    return snapshot, flight


def test_every_account_and_region_is_read_with_the_calls_counted_by_hand(collected: tuple[Snapshot, Any]) -> None:
    snapshot, _ = collected
    manifest = snapshot.manifest
    assert manifest["failures"] == []
    accounts, regions, pipelines, executions = 20, 4, ESTATE.pipelines, ESTATE.executions
    listed = accounts + 1  # the management account is in the organisation too (with no pipelines)
    assert len(manifest["accounts"]) == listed
    assert manifest["regions"] == sorted(ESTATE.regions)
    assert manifest["organization"] is True
    jobs, estates = listed * regions, accounts * regions  # account-regions read; those with an estate
    builds_per_project = pipelines * executions  # every execution's Build action is one build
    expected = {
        "organizations:ListAccounts": math.ceil(listed / 20),  # 20 accounts a page
        "sts:AssumeRole": listed,
        "ec2:DescribeRegions": listed,  # --regions all: the enabled regions, once per account
        "codepipeline:ListPipelines": jobs,  # 1,000 a page: one page each
        "codepipeline:GetPipeline": estates * pipelines,
        "codepipeline:ListPipelineExecutions": estates * pipelines * math.ceil(executions / 100),
        "codepipeline:ListActionExecutions": estates * pipelines * math.ceil(3 * executions / 100),
        "codebuild:ListProjects": jobs,
        "resourcegroupstaggingapi:GetResources": jobs,  # the owners' tags (showback): one page each
        "codebuild:BatchGetProjects": estates,  # one project a region, up to 100 a call; none asked where none
        "codebuild:ListBuildsForProject": estates * math.ceil(builds_per_project / 100),
        "codebuild:BatchGetBuilds": estates * math.ceil(builds_per_project / 100),
        # one artifact bucket per account and region: its settings, then its metrics
        "s3:GetBucketLocation": estates,
        "s3:GetBucketVersioning": estates,
        "s3:GetBucketLifecycleConfiguration": estates,
        "s3:ListBucketMetricsConfigurations": estates,
        "cloudwatch:ListMetrics": estates,
        "cloudwatch:GetMetricData": estates,
    }
    assert manifest["calls"] == dict(sorted(expected.items()))
    action_executions = accounts * regions * pipelines * executions * 3
    assert len(snapshot.table("action_executions")) == action_executions == ESTATE.action_executions  # 2,400
    assert len(snapshot.table("builds")) == accounts * regions * builds_per_project
    assert len(snapshot.table("pipelines")) == accounts * regions * pipelines
    total = sum(expected.values())  # 2 + 21 + 21 + 84 + 80 x 3 + 84 + 84 + 80 x 3 + 80 x 6 = 1,256
    assert total == 1256
    assert 1000 * total / action_executions == pytest.approx(523.33, abs=0.01)  # calls per 1,000 action executions
    tables = snapshot.tables
    assert set(tables["action_executions"]["account"]) == set(tables["pipelines"]["account"])
    assert tables["action_executions"].groupby(["account", "region"]).size().eq(pipelines * executions * 3).all()


def test_the_concurrency_caps_hold_across_the_organisation(collected: tuple[Snapshot, InFlight]) -> None:
    _, flight = collected
    assert flight.most[("all",)] <= CAP  # --max-concurrency: calls in flight across every account and region
    assert flight.most[("all",)] >= 2  # and the collection did run side by side
    setup = {"sts", "ec2", "organizations"}  # the roles and each account's regions: side by side, under the cap
    for (account, *rest), most in flight.most.items():
        if account != "all":
            region, service = rest
            limit = CAP if service in setup else min(CAP, SERVICE_LIMITS.get(service, 1))
            assert most <= limit, (account, region, service)
    assert flight.most[(fake_org.MANAGEMENT, "us-east-1", "sts")] > 1  # the roles were assumed side by side


def test_the_organisation_bill_by_hand(collected: tuple[Snapshot, InFlight]) -> None:
    snapshot, _ = collected
    result = estimate(snapshot)
    assert result.options["free_tier_scope"] == "organization"  # an --org-role snapshot: one free tier
    # each execution bills Source 20 s -> 1 min, Build 300 s -> 5 min, Deploy 30 s -> 1 min: 7 minutes
    minutes = 20 * 4 * ESTATE.pipelines * ESTATE.executions * 7  # 5,600
    assert result.by_service()["CodePipeline"] == pytest.approx((minutes - 100) * 0.002)  # $11.00
    # CodeBuild has no bundled price in us-west-2 and eu-west-1: listed, never $0
    missing = result.missing_prices
    assert set(missing.loc[missing["service"] == "CodeBuild", "region"]) == {"us-west-2", "eu-west-1"}
    assert not result.complete


def test_an_account_that_does_not_answer_is_a_failure_and_the_others_are_read() -> None:
    """One member's DescribeRegions and another's AssumeRole get no answer in time (CallTimeout): both are
    recorded with their reason, and the third member and the management account are collected."""
    small = fake_org.OrgEstate(accounts=3, pipelines=1, executions=2)
    with fake_org.fake_org(OCTOBER, small) as session:
        silent_regions, silent_role = sorted(fake_org.members(session))[:2]

        def no_answer(model: Any, params: dict[str, Any], request_signer: Any, **_: Any) -> None:
            account = fake_org.get_account_id_from(request_signer._credentials.access_key)
            if model.name == "DescribeRegions" and account == silent_regions:
                raise CallTimeout(f"ec2 DescribeRegions in us-east-1 (account {account}): no answer")
            if model.name == "AssumeRole" and f"::{silent_role}:" in params.get("body", {}).get("RoleArn", ""):
                raise CallTimeout(f"sts AssumeRole ({silent_role}): no answer")

        prepare = session.costkit_prepare  # type: ignore[attr-defined]

        def prepared(assumed: boto3.Session) -> None:
            prepare(assumed)
            assumed.events.register_first("before-call", no_answer)  # type: ignore[attr-defined]

        session.costkit_prepare = prepared  # type: ignore[attr-defined]
        session.events.register_first("before-call", no_answer)  # type: ignore[attr-defined]
        options = run.CollectOptions(window=OCTOBER, regions=["all"], cost_explorer=False)
        snapshot = run.collect(session, options, org_role=fake_org.ORG_ROLE)
    failures = {(f["account"], f["service"], f["error"]) for f in snapshot.manifest["failures"]}
    assert failures == {
        (silent_regions, "ec2:DescribeRegions", "CallTimeout"),
        (silent_role, "sts:AssumeRole", "CallTimeout"),
    }
    read = set(snapshot.table("pipelines")["account"])
    assert len(read) == 1  # the one member that answered (the management account has no pipelines)
    assert read.isdisjoint({silent_regions, silent_role})
    assert snapshot.partial
