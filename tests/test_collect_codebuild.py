"""CodeBuild collector against a fake account: no network, no credentials.

moto's CodeBuild does not paginate, ignores sortOrder and invents build times and compute types
(shared/AWS-TESTING.md), so every CodeBuild call is answered here instead, from a handler registered
LAST on the generic "before-call" event of the session. Clients copy the session's handlers when
ctx.client() creates them, and the read-only guard registers its own "before-call" handler in the
middle section afterwards, so the guard still runs first (counts the call, refuses writes) and the
fake answers second. (A handler on "before-call.codebuild.<Operation>" would run BEFORE the guard:
botocore calls the most specific handlers first, and the first answer ends the call uncounted.)
Request params are checked by botocore's own parameter validation; every answer is validated against
the operation's output shape before it is returned.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import boto3
import pandas as pd
import pytest
from botocore.awsrequest import AWSResponse
from botocore.validate import validate_parameters

from costkit.collect import codebuild
from costkit.collect.context import CallLog, ReadOnlyViolation, RegionContext, Window

ACCOUNT = "123456789012"
REGION = "us-east-1"
UTC = dt.UTC
EST = dt.timezone(dt.timedelta(hours=-5))
FLEET = f"arn:aws:codebuild:{REGION}:{ACCOUNT}:fleet/linux-medium:0f1e2d3c"


def at(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, tz: dt.tzinfo = UTC) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, second, tzinfo=tz)


def stamp(value: str) -> pd.Timestamp:
    return pd.Timestamp(value, tz="UTC")


class FakeCodeBuild:
    """Projects and builds (newest first per project), served in pages of a chosen size."""

    def __init__(
        self,
        projects: list[dict[str, Any]],
        builds: dict[str, list[dict[str, Any]]],
        project_page: int = 100,
        build_pages: dict[str, int] | None = None,
    ) -> None:
        self.projects = {p["name"]: p for p in projects}
        self.builds = builds
        self.build_by_id = {b["id"]: b for project_builds in builds.values() for b in project_builds}
        self.project_page = project_page
        self.build_pages = build_pages or {}
        self.requests: list[tuple[str, dict[str, Any]]] = []

    def install(self, session: boto3.Session) -> None:
        session.events.register("before-parameter-build.codebuild", self._keep_params)
        session.events.register_last("before-call", self._answer)

    @staticmethod
    def _keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["fake_params"] = copy.deepcopy(params)

    def _answer(self, model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        assert model.service_model.service_name == "codebuild", f"unexpected call {model.name}: no network"
        params = context["fake_params"]
        self.requests.append((model.name, params))
        handler = getattr(self, f"_{model.name}", None)
        assert handler is not None, f"unexpected call codebuild:{model.name}"
        answer = copy.deepcopy(handler(params))
        validate_parameters(answer, model.output_shape)
        return AWSResponse(None, 200, {}, None), answer

    @staticmethod
    def _page(items: list[str], params: dict[str, Any], size: int, key: str) -> dict[str, Any]:
        offset = int(params.get("nextToken", "0"))
        answer: dict[str, Any] = {key: items[offset : offset + size]} if items else {}  # model: min length 1
        if offset + size < len(items):
            answer["nextToken"] = str(offset + size)
        return answer

    def _ListProjects(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._page(list(self.projects), params, self.project_page, "projects")

    def _BatchGetProjects(self, params: dict[str, Any]) -> dict[str, Any]:
        names = params["names"]
        assert len(names) <= 100
        answer: dict[str, Any] = {"projects": [self.projects[n] for n in names if n in self.projects]}
        missing = [n for n in names if n not in self.projects]
        if missing:  # the model wants at least one name when the key is there
            answer["projectsNotFound"] = missing
        return answer

    def _ListBuildsForProject(self, params: dict[str, Any]) -> dict[str, Any]:
        assert params["sortOrder"] == "DESCENDING"
        name = params["projectName"]
        ids = [b["id"] for b in self.builds.get(name, [])]
        return self._page(ids, params, self.build_pages.get(name, 100), "ids")

    def _BatchGetBuilds(self, params: dict[str, Any]) -> dict[str, Any]:
        ids = params["ids"]
        assert len(ids) <= 100
        return {"builds": [self.build_by_id[i] for i in ids]}

    def calls(self, operation: str, **match: str) -> list[dict[str, Any]]:
        return [p for op, p in self.requests if op == operation and all(p.get(k) == v for k, v in match.items())]

    def batches_of(self, project: str) -> list[list[str]]:
        return [p["ids"] for op, p in self.requests if op == "BatchGetBuilds" and p["ids"][0].startswith(project + ":")]


def environment(compute: str, kind: str = "LINUX_CONTAINER", fleet: str | None = None) -> dict[str, Any]:
    env: dict[str, Any] = {
        "type": kind,
        "image": "aws/codebuild/amazonlinux2-x86_64-standard:5.0",
        "computeType": compute,
    }
    if fleet:
        env["fleet"] = {"fleetArn": fleet}
    return env


def build(
    project: str,
    number: int,
    start: dt.datetime,
    end: dt.datetime | None,
    env: dict[str, Any],
    initiator: str,
    phases: list[dict[str, Any]] | None = None,
    status: str = "SUCCEEDED",
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "id": f"{project}:b{number:04d}",
        "arn": f"arn:aws:codebuild:{REGION}:{ACCOUNT}:build/{project}:b{number:04d}",
        "buildNumber": number,
        "projectName": project,
        "startTime": start,
        "buildStatus": status,
        "buildComplete": end is not None,
        "environment": env,
        "initiator": initiator,
    }
    if end is not None:
        answer["endTime"] = end
    if phases is not None:
        answer["phases"] = phases
    return answer


def phase(kind: str, start: dt.datetime, seconds: int | None) -> dict[str, Any]:
    """A phase starting at `start`; `seconds` None means still running (no end, no duration)."""
    answer: dict[str, Any] = {"phaseType": kind, "startTime": start}
    if seconds is not None:
        answer |= {"phaseStatus": "SUCCEEDED", "endTime": start + dt.timedelta(seconds=seconds)}
        answer["durationInSeconds"] = seconds
    return answer


# --- the fake account -------------------------------------------------------------------------------------------
# Window: November 2026 = [2026-11-01T00:00Z, 2026-12-01T00:00Z).
#
# "api" (reserved-capacity fleet project, no cache, no artifacts): 250 builds, numbers 1..250, listed 100 per page.
#   Build n ≤ 248 starts 2026-11-01T00:30Z + (n - 201) h and runs 600 s, except:
#     n = 200: starts Oct 31 23:30, runs 2700 s → ends Nov 1 00:15: overlaps the window, kept.
#     n = 199: starts Oct 31 22:30, ends 22:40: before the window, dropped.
#     n = 249: starts Nov 30 23:55, ends Dec 1 00:05: starts before the window's end, kept.
#     n = 250: starts Dec 1 00:00 = window end: dropped (start < end is false).
#   Pages (newest first): [250..151], [150..51], [50..1]. Batch 1 = [250..151] has builds in November → go on.
#   Batch 2 = [150..51]: newest, n = 150, started Nov 1 00:30 - 51 h = Oct 29 21:30 → all before → stop.
#   So 2 ListBuildsForProject + 2 BatchGetBuilds; page 3 and builds 1..50 are never asked for.
#   Kept: n = 200..249 → 50 builds; billable (no phases → start to end): 48 x 600 + 2700 + 600 = 32,100 s.
# "app" (project now LARGE, S3 cache and S3 artifacts): 3 builds, described in detail below.
# "web" (ARM, local cache, CODEPIPELINE artifacts): 230 builds, all in November, listed 60 per page:
#   pages 60, 60, 60, 50 → 4 ListBuildsForProject; ids go to BatchGetBuilds 100, 100, 30 → 3 calls.
#   Build n starts Nov 2 00:00 + (n - 1) h (n = 230 → Nov 11 13:00), runs 300 s → 230 x 300 = 69,000 s.
# ListProjects is answered 2 per page: [api, app], [web] → 2 calls; BatchGetProjects: 1 call of 3 names.

API_ENV = environment("BUILD_GENERAL1_MEDIUM", fleet=FLEET)
WEB_ENV = environment("BUILD_GENERAL1_SMALL", kind="ARM_CONTAINER")


def api_build(n: int) -> dict[str, Any]:
    start = at(11, 1, 0, 30) + dt.timedelta(hours=n - 201)
    seconds = 600
    if n == 200:
        seconds = 2700
    if n == 249:
        start = at(11, 30, 23, 55)
    if n == 250:
        start = at(12, 1)
    return build("api", n, start, start + dt.timedelta(seconds=seconds), API_ENV, "GitHub-Hookshot/5d2c1a")


def web_build(n: int) -> dict[str, Any]:
    start = at(11, 2) + dt.timedelta(hours=n - 1)
    return build("web", n, start, start + dt.timedelta(seconds=300), WEB_ENV, "codepipeline/web-app")


# app:2 ran on SMALL while the project is now LARGE. Its startTime comes back in UTC-5 (07:00 EST = 12:00Z).
# Phases: QUEUED 12:00:00 45 s, PROVISIONING 12:00:45 30 s, DOWNLOAD_SOURCE 12:01:15 5 s, INSTALL 12:01:20 20 s,
# PRE_BUILD 12:01:40 10 s, BUILD 12:01:50 240 s, POST_BUILD 12:05:50 8 s, UPLOAD_ARTIFACTS 12:05:58 4 s,
# FINALIZING 12:06:02 3 s, COMPLETED 12:06:05; endTime 12:06:05.
# Billed from PROVISIONING: 12:06:05 - 12:00:45 = 5 min 20 s = 320 s (= 30+5+20+10+240+8+4+3), not 365 s.
APP_2_PHASES = [
    phase("SUBMITTED", at(11, 10, 12), 0),
    phase("QUEUED", at(11, 10, 12), 45),
    phase("PROVISIONING", at(11, 10, 12, 0, 45), 30),
    phase("DOWNLOAD_SOURCE", at(11, 10, 12, 1, 15), 5),
    phase("INSTALL", at(11, 10, 12, 1, 20), 20),
    phase("PRE_BUILD", at(11, 10, 12, 1, 40), 10),
    phase("BUILD", at(11, 10, 12, 1, 50), 240),
    phase("POST_BUILD", at(11, 10, 12, 5, 50), 8),
    phase("UPLOAD_ARTIFACTS", at(11, 10, 12, 5, 58), 4),
    phase("FINALIZING", at(11, 10, 12, 6, 2), 3),
    {"phaseType": "COMPLETED", "startTime": at(11, 10, 12, 6, 5)},
]
APP_BUILDS = [  # newest first
    # app:3 is still running: queued 20 s, provisioning since 22:00:20 (no duration yet), no endTime.
    build(
        "app", 3, at(11, 30, 22), None, environment("BUILD_GENERAL1_LARGE"), "codepipeline/app-pipeline",
        phases=[
            phase("SUBMITTED", at(11, 30, 22), 0),
            phase("QUEUED", at(11, 30, 22), 20),
            phase("PROVISIONING", at(11, 30, 22, 0, 20), None),
        ],
        status="IN_PROGRESS",
    ),
    build(
        "app", 2, at(11, 10, 7, tz=EST), at(11, 10, 12, 6, 5), environment("BUILD_GENERAL1_SMALL"),
        "codepipeline/app-pipeline", phases=APP_2_PHASES,
    ),
    # app:1: no phases reported → billed from startTime: 08:00:00 → 08:07:30 = 450 s. Ran on a fleet the project
    # no longer uses; started by a person.
    build(
        "app", 1, at(11, 5, 8), at(11, 5, 8, 7, 30), environment("BUILD_GENERAL1_MEDIUM", fleet=FLEET), "alice",
        status="FAILED",
    ),
]  # fmt: skip

PROJECTS = [
    {
        "name": "api",
        "arn": f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/api",
        "source": {"type": "GITHUB", "location": "https://github.com/example/api"},
        "artifacts": {"type": "NO_ARTIFACTS"},
        "environment": API_ENV,
        "timeoutInMinutes": 60,
        "queuedTimeoutInMinutes": 480,
        "created": dt.datetime(2024, 1, 15, 10, 0, tzinfo=EST),  # = 15:00Z
    },
    {
        "name": "app",
        "arn": f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/app",
        "source": {"type": "CODEPIPELINE"},
        "artifacts": {"type": "S3", "location": "ci-artifacts", "path": "app", "packaging": "ZIP"},
        "cache": {"type": "S3", "location": "ci-cache/app"},
        "environment": environment("BUILD_GENERAL1_LARGE"),
        "timeoutInMinutes": 30,
        "queuedTimeoutInMinutes": 60,
        "created": dt.datetime(2025, 6, 1, 9, 30, tzinfo=UTC),
    },
    {
        "name": "web",
        "arn": f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/web",
        "source": {"type": "CODEPIPELINE"},
        "artifacts": {"type": "CODEPIPELINE"},
        "cache": {"type": "LOCAL", "modes": ["LOCAL_DOCKER_LAYER_CACHE", "LOCAL_SOURCE_CACHE"]},
        "environment": WEB_ENV,
        "timeoutInMinutes": 20,
        "queuedTimeoutInMinutes": 480,
        "created": dt.datetime(2025, 3, 3, tzinfo=UTC),
    },
]


def context() -> RegionContext:
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name=REGION)
    return RegionContext(ACCOUNT, REGION, session, Window.month(2026, 11), CallLog())


@pytest.fixture
def collected() -> tuple[dict[str, pd.DataFrame], RegionContext, FakeCodeBuild]:
    ctx = context()
    fake = FakeCodeBuild(
        PROJECTS,
        {
            "api": [api_build(n) for n in range(250, 0, -1)],
            "app": APP_BUILDS,
            "web": [web_build(n) for n in range(230, 0, -1)],
        },
        project_page=2,
        build_pages={"web": 60},
    )
    fake.install(ctx.session)
    return codebuild.collect(ctx), ctx, fake


def test_calls_are_paged_batched_and_stop_early(collected: Any) -> None:
    _, ctx, fake = collected
    assert ctx.log.as_dict() == {
        "codebuild:BatchGetBuilds": 6,  # api 2 + app 1 + web 3
        "codebuild:BatchGetProjects": 1,
        "codebuild:ListBuildsForProject": 7,  # api 2 + app 1 + web 4
        "codebuild:ListProjects": 2,
    }
    assert [p.get("nextToken") for p in fake.calls("ListProjects")] == [None, "2"]
    assert [p["names"] for p in fake.calls("BatchGetProjects")] == [["api", "app", "web"]]
    # web: 230 ids over 4 pages of 60 → batches of 100, 100, 30, newest first
    assert [p.get("nextToken") for p in fake.calls("ListBuildsForProject", projectName="web")] == [
        None,
        "60",
        "120",
        "180",
    ]
    assert [len(ids) for ids in fake.batches_of("web")] == [100, 100, 30]
    assert fake.batches_of("web")[0][:2] == ["web:b0230", "web:b0229"]
    assert fake.batches_of("web")[2][-1] == "web:b0001"
    # api: early stop after batch [150..51]; page 3 (token "200") and builds 1..50 never requested
    assert [p.get("nextToken") for p in fake.calls("ListBuildsForProject", projectName="api")] == [None, "100"]
    api_batches = fake.batches_of("api")
    assert [(ids[0], ids[-1]) for ids in api_batches] == [("api:b0250", "api:b0151"), ("api:b0150", "api:b0051")]
    assert fake.batches_of("app") == [["app:b0003", "app:b0002", "app:b0001"]]


def test_builds_are_clipped_to_the_window(collected: Any) -> None:
    tables, _, _ = collected
    builds = tables["builds"]
    assert list(builds.columns) == codebuild.BUILD_COLUMNS
    assert len(builds) == 283  # api 50 + app 3 + web 230
    assert builds.groupby("project").size().to_dict() == {"api": 50, "app": 3, "web": 230}
    api = builds[builds["project"] == "api"]
    assert set(api["build_number"]) == set(range(200, 250))  # 199 ended before, 250 started at the window end
    straddler = api[api["build_number"] == 200].iloc[0]
    assert straddler["start"] == stamp("2026-10-31 23:30")
    assert straddler["end"] == stamp("2026-11-01 00:15")
    assert straddler["billable_seconds"] == 2700
    assert api["billable_seconds"].sum() == 32_100
    assert builds[builds["project"] == "web"]["billable_seconds"].sum() == 69_000
    # api builds ran on the reserved-capacity fleet, started by a webhook
    assert set(api["fleet_arn"]) == {FLEET}
    assert not api["from_pipeline"].any()


def test_build_compute_phases_and_billable_seconds(collected: Any) -> None:
    tables, _, _ = collected
    builds = tables["builds"]
    app = builds[builds["project"] == "app"].set_index("build_number")

    done = app.loc[2]
    assert done["build_id"] == "app:b0002"
    assert done["status"] == "SUCCEEDED"
    assert done["compute_type"] == "BUILD_GENERAL1_SMALL"  # the build's, not the project's (LARGE now)
    assert done["environment_type"] == "LINUX_CONTAINER"
    assert done["start"] == stamp("2026-11-10 12:00:00")  # 07:00 EST → UTC
    assert done["end"] == stamp("2026-11-10 12:06:05")
    assert done["provisioning_start"] == stamp("2026-11-10 12:00:45")
    assert done["billed_start"] == stamp("2026-11-10 12:00:45")
    assert done["billable_seconds"] == 320  # 12:06:05 - 12:00:45, queued 45 s not billed
    phases = {c: done[c] for c in codebuild.PHASE_COLUMNS.values()}
    assert phases == {
        "queued_s": 45, "provisioning_s": 30, "download_source_s": 5, "install_s": 20, "pre_build_s": 10,
        "build_s": 240, "post_build_s": 8, "upload_artifacts_s": 4, "finalizing_s": 3,
    }  # fmt: skip
    assert done["initiator"] == "codepipeline/app-pipeline"
    assert done["from_pipeline"]
    assert pd.isna(done["fleet_arn"])

    running = app.loc[3]
    assert running["status"] == "IN_PROGRESS"
    assert running["compute_type"] == "BUILD_GENERAL1_LARGE"
    assert pd.isna(running["end"])
    assert pd.isna(running["billable_seconds"])
    assert running["queued_s"] == 20
    assert running["provisioning_s"] == 0  # phase still running: no duration yet
    assert running["build_s"] == 0  # phase absent
    assert running["provisioning_start"] == stamp("2026-11-30 22:00:20")
    assert running["billed_start"] == stamp("2026-11-30 22:00:20")

    no_phases = app.loc[1]
    assert no_phases["status"] == "FAILED"
    assert no_phases["compute_type"] == "BUILD_GENERAL1_MEDIUM"
    assert no_phases["fleet_arn"] == FLEET  # the build's fleet; the project has none now
    assert pd.isna(no_phases["provisioning_start"])
    assert no_phases["billed_start"] == stamp("2026-11-05 08:00:00")  # falls back to startTime
    assert no_phases["billable_seconds"] == 450
    assert no_phases["initiator"] == "alice"
    assert not no_phases["from_pipeline"]
    assert sum(app.loc[n, list(codebuild.PHASE_COLUMNS.values())].sum() for n in (1, 2, 3)) == 0 + 365 + 20

    web = builds[builds["project"] == "web"]
    assert set(web["compute_type"]) == {"BUILD_GENERAL1_SMALL"}
    assert set(web["environment_type"]) == {"ARM_CONTAINER"}
    assert web["from_pipeline"].all()


def test_projects_table(collected: Any) -> None:
    tables, _, _ = collected
    projects = tables["projects"]
    assert list(projects.columns) == codebuild.PROJECT_COLUMNS
    rows = projects.set_index("project").to_dict("index")
    assert list(rows) == ["api", "app", "web"]

    api = rows["api"]
    assert api["arn"] == f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/api"
    assert (api["compute_type"], api["environment_type"]) == ("BUILD_GENERAL1_MEDIUM", "LINUX_CONTAINER")
    assert api["image"] == "aws/codebuild/amazonlinux2-x86_64-standard:5.0"
    assert api["fleet_arn"] == FLEET
    assert (api["cache_type"], api["cache_modes"]) == ("NO_CACHE", "")
    assert pd.isna(api["cache_location"])  # missing values are pandas' NA (None goes in)
    assert (api["timeout_minutes"], api["queued_timeout_minutes"]) == (60, 480)
    assert api["artifact_type"] == "NO_ARTIFACTS"
    assert pd.isna(api["artifact_location"])
    assert api["created"] == stamp("2024-01-15 15:00")  # 10:00 EST

    app = rows["app"]
    assert app["compute_type"] == "BUILD_GENERAL1_LARGE"
    assert pd.isna(app["fleet_arn"])
    assert (app["cache_type"], app["cache_location"], app["cache_modes"]) == ("S3", "ci-cache/app", "")
    assert (app["artifact_type"], app["artifact_location"]) == ("S3", "ci-artifacts")
    assert app["created"] == stamp("2025-06-01 09:30")

    web = rows["web"]
    assert (web["compute_type"], web["environment_type"]) == ("BUILD_GENERAL1_SMALL", "ARM_CONTAINER")
    assert web["cache_type"] == "LOCAL"
    assert pd.isna(web["cache_location"])
    assert web["cache_modes"] == "LOCAL_DOCKER_LAYER_CACHE,LOCAL_SOURCE_CACHE"
    assert web["artifact_type"] == "CODEPIPELINE"
    assert pd.isna(web["artifact_location"])
    assert (web["timeout_minutes"], web["queued_timeout_minutes"]) == (20, 480)


def test_given_project_names_skip_listing_and_batch_by_100() -> None:
    # 150 names asked for, p149 does not exist: BatchGetProjects 100 + 50 names, no ListProjects,
    # ListBuildsForProject for the 149 found (each answers no ids), no BatchGetBuilds.
    ctx = context()
    existing = [{"name": f"p{i:03d}", "environment": environment("BUILD_GENERAL1_SMALL")} for i in range(149)]
    fake = FakeCodeBuild(existing, {})
    fake.install(ctx.session)
    tables = codebuild.collect(ctx, project_names=[f"p{i:03d}" for i in range(150)])
    assert ctx.log.as_dict() == {"codebuild:BatchGetProjects": 2, "codebuild:ListBuildsForProject": 149}
    assert [len(p["names"]) for p in fake.calls("BatchGetProjects")] == [100, 50]
    assert len(tables["projects"]) == 149
    assert "p149" not in set(tables["projects"]["project"])
    assert tables["builds"].empty
    assert list(tables["builds"].columns) == codebuild.BUILD_COLUMNS


def test_builds_wholly_before_the_window_stop_after_one_batch() -> None:
    # 150 builds, all in October (n starts Oct 1 + n h, n ≤ 150 → latest Oct 7 06:00, 600 s each):
    # list page 1 (100 ids) → batch 1 all before November → stop: 1 list call, 1 batch call, nothing kept.
    ctx = context()
    builds = [
        build("old", n, at(10, 1) + dt.timedelta(hours=n), at(10, 1, 0, 10) + dt.timedelta(hours=n), WEB_ENV, "bob")
        for n in range(150, 0, -1)
    ]
    fake = FakeCodeBuild([{"name": "old", "environment": WEB_ENV}], {"old": builds})
    fake.install(ctx.session)
    tables = codebuild.collect(ctx)
    assert ctx.log.as_dict() == {
        "codebuild:BatchGetBuilds": 1,
        "codebuild:BatchGetProjects": 1,
        "codebuild:ListBuildsForProject": 1,
        "codebuild:ListProjects": 1,
    }
    assert tables["builds"].empty


def test_write_calls_are_refused() -> None:
    ctx = context()
    fake = FakeCodeBuild([], {})
    fake.install(ctx.session)
    with pytest.raises(ReadOnlyViolation, match="codebuild:StartBuild"):
        ctx.client("codebuild").start_build(projectName="api")
    assert ctx.log.as_dict() == {}
    assert fake.requests == []
