"""Multi-page ListPipelines, --regions all, and --org-role across an organization's accounts,
on the fake account (moto plus model-validated answers)."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.validate import validate_parameters

from costkit.collect.context import CallLog, Window
from costkit.collect.fake_account import ACCOUNT, PIPELINES, fake_account
from costkit.collect.run import CollectOptions, Target, collect, resolve_regions, targets

OCTOBER = Window.month(2026, 10)


def page_pipelines_one_by_one(session: boto3.Session) -> None:
    """Answer ListPipelines one pipeline per page (moto never pages), validated against the model."""

    def respond(model: Any, context: dict[str, Any], params: dict[str, Any], **_: Any) -> Any:
        if model.name != "ListPipelines":
            return None
        region = context["client_region"]
        names = sorted(p.name for p in PIPELINES if p.region == region)
        body = json.loads(params.get("body") or b"{}")
        offset = int(body.get("nextToken") or 0)
        page: dict[str, Any] = {"pipelines": [{"name": name, "version": 1} for name in names[offset : offset + 1]]}
        if offset + 1 < len(names):
            page["nextToken"] = str(offset + 1)
        validate_parameters(page, model.output_shape)
        return AWSResponse(None, 200, {}, None), page  # type: ignore[arg-type]

    session.events.register_last("before-call", respond)  # type: ignore[attr-defined]


def test_list_pipelines_is_followed_across_pages() -> None:
    with fake_account(OCTOBER) as session:
        page_pipelines_one_by_one(session)
        snapshot = collect(
            session, CollectOptions(window=OCTOBER, regions=["us-east-1", "ap-northeast-1"], cost_explorer=False)
        )
    # us-east-1 holds 3 pipelines (3 pages), ap-northeast-1 one (1 page).
    assert snapshot.manifest["calls"]["codepipeline:ListPipelines"] == 3 + 1
    assert sorted(snapshot.table("pipelines")["pipeline"]) == sorted(p.name for p in PIPELINES)


def test_regions_all_means_enabled_regions_where_codepipeline_runs() -> None:
    with fake_account(OCTOBER) as session:
        regions = resolve_regions(Target(ACCOUNT, session), ["all"], CallLog())
    assert {"us-east-1", "ap-northeast-1", "eu-west-1"} <= set(regions)
    assert set(regions) <= set(session.get_available_regions("codepipeline"))


def test_org_role_reads_every_active_account() -> None:
    with fake_account(OCTOBER) as session:
        organizations = session.client("organizations")
        organizations.create_organization(FeatureSet="ALL")
        for name in ("team-a", "team-b"):
            organizations.create_account(Email=f"{name}@example.com", AccountName=name)
        log = CallLog()
        found = targets(session, log, org_role="CostkitReadOnly")
        snapshot = collect(
            session,
            CollectOptions(window=OCTOBER, regions=["us-east-1"], cost_explorer=False),
            org_role="CostkitReadOnly",
        )
    assert len(found) == 3  # the management account and the two members
    assert all(t.via.endswith(":role/CostkitReadOnly") for t in found)
    assert log.as_dict()["sts:AssumeRole"] == 3
    assert {a["account"] for a in snapshot.manifest["accounts"]} == {t.account_id for t in found}
    # Only the management account holds the seeded estate; every row says which account it came from.
    assert set(snapshot.table("pipelines")["account"]) == {ACCOUNT}


def test_a_region_named_twice_is_read_once_by_the_library_too() -> None:
    """The CLI deduplicates --regions; a notebook passing a list must not have its estate counted twice either."""
    with fake_account(OCTOBER) as session:
        once = collect(session, CollectOptions(window=OCTOBER, regions=["us-east-1"], cost_explorer=False))
        twice = collect(
            session, CollectOptions(window=OCTOBER, regions=["us-east-1", "us-east-1"], cost_explorer=False)
        )
    assert len(twice.table("pipelines")) == len(once.table("pipelines")) == 3  # us-east-1 holds 3 pipelines
    assert twice.manifest["calls"] == once.manifest["calls"]
