"""Bounded waits and option checks of `costkit collect` and `costkit pricing refresh`: an endpoint that accepts
connections and never answers fails within the time limit and names the call; bad AWS_MAX_ATTEMPTS,
COSTKIT_TIMEOUT, --timeout, --role-arn, --org-role and comma lists are one clear message with exit 2, never a
traceback. Loopback only: a local server that holds every request, and a port nothing listens on."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from costkit.cli import app
from costkit.cli.collect_support import check_role_arns
from costkit.collect.aws import Limits, in_flight
from costkit.sources.snapshot.folder import read

ACCOUNT = "123456789012"
STS_ANSWER = (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
    f"<Arn>arn:aws:iam::{ACCOUNT}:user/ci</Arn><UserId>AIDACI</UserId><Account>{ACCOUNT}</Account>"
    "</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>"
    "</GetCallerIdentityResponse>"
)


class Silent(ThreadingHTTPServer):
    """Accepts every connection and never answers it, except (when `answer_sts`) STS GetCallerIdentity."""

    daemon_threads = True

    def __init__(self, answer_sts: bool) -> None:
        super().__init__(("127.0.0.1", 0), _Hold)
        self.answer_sts = answer_sts
        self.release = threading.Event()
        self.held: list[str] = []


class _Hold(BaseHTTPRequestHandler):
    server: Silent

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.server.answer_sts and b"Action=GetCallerIdentity" in body:
            answer = STS_ANSWER.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
            return
        self.server.held.append(self.headers.get("X-Amz-Target") or body.decode(errors="replace")[:40])
        self.server.release.wait(60)  # never answers while the test runs

    def log_message(self, *_: object) -> None:
        return None


def serve(answer_sts: bool) -> Iterator[str]:
    server = Silent(answer_sts)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    yield from serve(answer_sts=False)


@pytest.fixture
def silent_services() -> Iterator[str]:
    """STS answers (so the account is known); every other service hangs."""
    yield from serve(answer_sts=True)


@pytest.fixture
def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """Fake credentials, no ~/.aws, no instance metadata; each test points AWS_ENDPOINT_URL at loopback."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "COSTKIT_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return monkeypatch


def invoke(*args: str) -> tuple[int, str, float]:
    """Run the command; exit code, output on one line, seconds. A command still running after 60 s fails the
    test rather than hanging the suite (the unbounded wait this guards against lasted over 200 s)."""
    started = time.monotonic()
    results: list[Result] = []
    worker = threading.Thread(target=lambda: results.append(CliRunner().invoke(app, list(args))), daemon=True)
    worker.start()
    worker.join(60)
    if not results:
        pytest.fail(f"costkit {' '.join(args)} was still waiting after 60 s")
    result = results[0]
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, " ".join(result.output.split()), time.monotonic() - started


REFRESH_API = ("pricing", "refresh", "--source", "api", "--services", "S3")  # GetProducts, through collect/


def waited(message: str) -> float:
    """The seconds the error message says the call waited."""
    found = re.search(r"no answer from AWS after \d+ attempts? in (\d+\.\d) s", message)
    assert found, message
    return float(found.group(1))


# -- time limits ---------------------------------------------------------------------------------------------------


def test_per_attempt_timeouts_fit_in_the_limit() -> None:
    assert (Limits().connect_timeout, Limits().read_timeout) == (10.0, 30.0)  # the default 120 s limit
    assert (Limits(timeout=2).connect_timeout, Limits(timeout=2).read_timeout) == (0.5, 1.5)  # 2/4, 2 - 2/4


@pytest.mark.parametrize(("option", "env", "limit"), [(["--timeout", "2"], None, 2.0), ([], "1", 1.0)])
def test_a_silent_endpoint_fails_within_the_limit_and_names_the_call(
    aws_env: pytest.MonkeyPatch, silent_endpoint: str, tmp_path: Path, option: list[str], env: str | None, limit: float
) -> None:
    aws_env.setenv("AWS_ENDPOINT_URL", silent_endpoint)
    if env is not None:
        aws_env.setenv("COSTKIT_TIMEOUT", env)
    out = tmp_path / "snapshot"

    code, message, seconds = invoke("collect", "--regions", "us-east-1", "--no-cost-explorer", "--out", str(out),
                                    *option, "--quiet")  # fmt: skip

    assert code == 2
    assert "costkit: still waiting for sts GetCallerIdentity in us-east-1:" in message
    assert "costkit: error: sts GetCallerIdentity in us-east-1: no answer from AWS after 1 attempt in" in message
    assert f"(limit {limit:g} s per call; last: Read timeout on endpoint URL" in message
    assert "hint: check the network path to the endpoint" in message
    assert waited(message) <= limit
    assert seconds < 15  # the bound, plus starting the collection; never the >200 s of an unbounded wait
    assert not out.exists()
    assert in_flight() == []


def test_a_region_whose_services_never_answer_is_a_recorded_failure(
    aws_env: pytest.MonkeyPatch, silent_services: str, tmp_path: Path
) -> None:
    aws_env.setenv("AWS_ENDPOINT_URL", silent_services)
    out = tmp_path / "snapshot"

    code, message, _ = invoke("collect", "--regions", "us-east-1", "--no-cost-explorer", "--out", str(out),
                              "--timeout", "2", "--quiet", "--redact")  # fmt: skip

    assert code == 5  # partial: the account was reached, its services did not answer
    failures = read(out).manifest["failures"]
    assert [(f["account"], f["region"], f["service"], f["error"]) for f in failures] == [
        (ACCOUNT, "us-east-1", "codebuild", "CallTimeout"),
        (ACCOUNT, "us-east-1", "codepipeline", "CallTimeout"),
        (ACCOUNT, "us-east-1", "tagging", "CallTimeout"),  # the owners' tags, for showback
    ]
    assert failures[1]["message"].startswith(f"codepipeline ListPipelines in us-east-1 (account {ACCOUNT}): no answer")
    assert all(waited(f["message"]) <= 2.0 for f in failures)
    # on stderr the waiting calls and the failures are named, with the account masked (--redact)
    masked = "acct-2a33349e"  # printf 123456789012 | sha256sum, first 8 digits
    assert f"costkit: still waiting for codepipeline ListPipelines in us-east-1 (account {masked}):" in message
    assert f"failed: account {masked} region us-east-1 codepipeline: CallTimeout:" in message
    assert ACCOUNT not in message


# -- pricing refresh against an unreachable endpoint ---------------------------------------------------------------


def test_pricing_refresh_against_a_closed_port(aws_env: pytest.MonkeyPatch, closed_port: str, tmp_path: Path) -> None:
    aws_env.setenv("AWS_ENDPOINT_URL", closed_port)

    code, message, _ = invoke(*REFRESH_API, "--timeout", "4", "--out", str(tmp_path / "prices"))

    assert code == 2
    assert "costkit: error: pricing GetProducts in us-east-1: no answer from AWS after 1 attempt" in message
    assert "last: Could not connect to the endpoint URL" in message


def test_pricing_refresh_against_a_silent_endpoint(
    aws_env: pytest.MonkeyPatch, silent_endpoint: str, tmp_path: Path
) -> None:
    aws_env.setenv("AWS_ENDPOINT_URL", silent_endpoint)

    code, message, _ = invoke(*REFRESH_API, "--timeout", "1", "--out", str(tmp_path / "prices"))

    assert code == 2
    assert "pricing GetProducts in us-east-1: no answer from AWS" in message
    assert waited(message) <= 1.0


# -- environment and options: one message, exit 2 ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "0", "-3", "2.5", ""])
def test_a_bad_aws_max_attempts_is_refused(aws_env: pytest.MonkeyPatch, value: str, tmp_path: Path) -> None:
    aws_env.setenv("AWS_MAX_ATTEMPTS", value)
    expected = f"AWS_MAX_ATTEMPTS={value!r}: must be a whole number of attempts, 1 or more"
    for command in (
        ["collect", "--demo", "--out", str(tmp_path / "s")],
        [*REFRESH_API, "--out", str(tmp_path / "p")],
    ):
        code, message, _ = invoke(*command)
        assert code == 2, command
        assert expected in message, command
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("value", ["abc", "0", "-1", "inf", "nan"])
def test_a_bad_costkit_timeout_is_refused(aws_env: pytest.MonkeyPatch, value: str, tmp_path: Path) -> None:
    aws_env.setenv("COSTKIT_TIMEOUT", value)
    code, message, _ = invoke("collect", "--demo", "--out", str(tmp_path / "s"))
    assert code == 2
    assert f"COSTKIT_TIMEOUT={value!r}: must be a positive number of seconds" in message


@pytest.mark.parametrize("value", ["0", "-5", "inf", "nan"])
def test_a_bad_timeout_option_is_refused(value: str, tmp_path: Path) -> None:
    code, message, _ = invoke("collect", "--demo", "--out", str(tmp_path / "s"), "--timeout", value)
    assert code == 2
    assert "--timeout" in message
    assert "must be a positive number of seconds" in message


def test_an_unknown_retry_mode_is_refused(aws_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    aws_env.setenv("AWS_RETRY_MODE", "fast")
    code, message, _ = invoke("collect", "--demo", "--out", str(tmp_path / "s"))
    assert code == 2
    assert "AWS_RETRY_MODE='fast' is not a retry mode" in message


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::12345:role/ci",  # 5 digits
        "arn:aws:iam::123456789012:user/ci",  # a user, not a role
        "arn:aws:iam::123456789012:role/",  # no name
        "arn:aws:s3:::my-bucket",
        "arn:aws-xx:iam::123456789012:role/ci",  # no such partition
        "role/ci",
        "arn:aws:iam::123456789012:role/name with spaces",
    ],
)
def test_a_malformed_role_arn_is_refused_before_any_call(arn: str, tmp_path: Path) -> None:
    code, message, _ = invoke("collect", "--role-arn", arn, "--out", str(tmp_path / "s"), "--no-cost-explorer")
    assert code == 2
    assert f"--role-arn {arn!r} is not an IAM role ARN" in message
    assert "hint: write it as arn:aws:iam::<12-digit account id>:role/<name>" in message


def test_role_arns_of_every_partition_with_paths_are_accepted_once() -> None:
    arns = [
        "arn:aws:iam::123456789012:role/costkit-read",
        "arn:aws-cn:iam::123456789012:role/ci/costkit.read@x",
        "arn:aws-us-gov:iam::210987654321:role/a/b/c+d=e,f",
        "arn:aws:iam::123456789012:role/costkit-read",
    ]
    assert check_role_arns(arns) == arns[:3]


def test_an_org_role_must_be_a_role_name(tmp_path: Path) -> None:
    arn = "arn:aws:iam::123456789012:role/costkit-read"
    code, message, _ = invoke("collect", "--org-role", arn, "--out", str(tmp_path / "s"))
    assert code == 2
    assert f"--org-role {arn!r} is not an IAM role name" in message


# -- comma lists: each region once, no empty items -----------------------------------------------------------------


@pytest.mark.parametrize("regions", [",,,", "us-east-1,,ap-northeast-1", "us-east-1,", ""])
def test_empty_region_items_are_refused(regions: str, tmp_path: Path) -> None:
    code, message, _ = invoke("collect", "--demo", "--regions", regions, "--out", str(tmp_path / "s"))
    assert code == 2
    assert f"--regions {regions!r}: has an empty item" in message
    code, message, _ = invoke("pricing", "refresh", "--regions", regions, "--out", str(tmp_path / "p"))
    assert code == 2
    assert f"--regions {regions!r}: has an empty item" in message


def test_empty_service_items_are_refused(tmp_path: Path) -> None:
    code, message, _ = invoke("pricing", "refresh", "--services", "S3,,Lambda", "--out", str(tmp_path / "p"))
    assert code == 2
    assert "--services 'S3,,Lambda': has an empty item" in message


def test_a_repeated_region_is_collected_and_priced_once(tmp_path: Path) -> None:
    once, twice = tmp_path / "once", tmp_path / "twice"
    for out, regions in ((once, "us-east-1"), (twice, "us-east-1, us-east-1,us-east-1")):
        code, message, _ = invoke("collect", "--demo", "--month", "2026-10", "--regions", regions,
                                  "--out", str(out), "--quiet")  # fmt: skip
        assert code == 0, message
    assert read(twice).manifest["regions"] == ["us-east-1"]
    assert read(twice).manifest["calls"] == read(once).manifest["calls"]
    for name, frame in read(once).tables.items():
        assert len(read(twice).tables[name]) == len(frame), name
    totals = []
    for snapshot in (once, twice):
        result = CliRunner().invoke(app, ["estimate", "--snapshot", str(snapshot), "--format", "json"])
        totals.append(json.loads(result.stdout)["total_usd"])
    assert totals[0] == totals[1]
    assert totals[0] > 0
