"""What `costkit collect` and `costkit estimate --profile` share: options from the command line,
a progress bar on stderr, the collection itself and the summary of calls and failures."""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError, NoCredentialsError, NoRegionError, ProfileNotFound
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from costkit.collect.aws import session as make_session
from costkit.collect.context import Window
from costkit.collect.run import CollectOptions, Silent
from costkit.collect.run import Progress as ProgressSink
from costkit.collect.run import collect as run_collect
from costkit.errors import CostkitError
from costkit.present import redact as masking
from costkit.present.escape import terminal as term
from costkit.snapshot import Snapshot

DEFAULT_CACHE = Path.home() / ".cache" / "costkit" / "cost-explorer"


class Bar:
    """A rich progress bar on stderr, one step per account-region and per Cost Explorer account."""

    def __init__(self, console: Console, *, redact: bool = False) -> None:
        self._redact = redact
        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=True,
        )  # fmt: skip
        self._task = self._progress.add_task("collecting", total=None)

    def start(self, total: int) -> None:
        self._progress.start()
        self._progress.update(self._task, total=total)

    def advance(self, message: str) -> None:
        shown = masking.text(message) if self._redact else message
        self._progress.update(self._task, advance=1, description=f"collected {term(shown)}")

    def stop(self) -> None:
        self._progress.stop()


def window_from(days: int | None, month: str | None, now: dt.datetime | None = None) -> Window:
    """The observed window. A month still under way is observed up to now, and the estimate projects it."""
    moment = now or dt.datetime.now(dt.UTC)
    if days is not None and month is not None:
        raise CostkitError("give --days or --month, not both")
    if month is not None:
        try:
            year, number = (int(part) for part in month.split("-"))
            whole = Window.month(year, number)
        except ValueError:
            raise CostkitError(f"--month {month!r} is not a month", hint="write it as YYYY-MM") from None
        if whole.start >= moment:
            raise CostkitError(f"--month {month} has not started yet", hint="collect a past or the current month")
        return whole if whole.end <= moment else Window(whole.start, moment.replace(microsecond=0))
    if days is not None and days <= 0:
        raise CostkitError("--days must be a positive number of days")
    return Window.last_days(days or 30, moment)


def check_regions(regions: list[str] | None) -> None:
    """Region names must be ones CodePipeline exists in (botocore's endpoint data; no call is made)."""
    if not regions or regions == ["all"]:
        return
    known = set(boto3.Session().get_available_regions("codepipeline")) | set(
        boto3.Session().get_available_regions("codepipeline", partition_name="aws-us-gov")
    )
    for region in regions:
        if region not in known:
            close = difflib.get_close_matches(region, sorted(known), n=1)
            raise CostkitError(
                f"--regions: {region!r} is not a region where CodePipeline runs",
                hint=(f"did you mean `{close[0]}`? " if close else "") + "or use --regions all",
            )


def run(
    options: CollectOptions,
    console: Console,
    *,
    profile: str | None = None,
    region: str | None = None,
    role_arns: list[str] | None = None,
    org_role: str | None = None,
    quiet: bool = False,
    redact: bool = False,
) -> Snapshot:
    """Collect with the standard credential chain; user-facing errors become CostkitError."""
    sink: ProgressSink = Silent() if quiet else Bar(console, redact=redact)
    try:
        aws = make_session(profile, region)
        return run_collect(aws, options, role_arns=role_arns, org_role=org_role, progress=sink)
    except ProfileNotFound as error:
        raise CostkitError(f"--profile: {error}", hint="list profiles with `aws configure list-profiles`") from None
    except NoCredentialsError:
        raise CostkitError(
            "no AWS credentials found (standard chain: environment, --profile, SSO, instance role)",
            hint="pass --profile, or try the offline demo: costkit collect --demo",
        ) from None
    except NoRegionError:
        raise CostkitError("no AWS region configured", hint="pass --region or set AWS_REGION") from None
    except BotoCoreError as error:
        raise CostkitError(f"AWS: {error}") from None
    finally:
        if isinstance(sink, Bar):
            sink.stop()


def run_with_session(aws: boto3.Session, options: CollectOptions, console: Console, *, quiet: bool = False) -> Snapshot:
    """Collect through an existing session (the demo's fake account)."""
    sink: ProgressSink = Silent() if quiet else Bar(console)
    try:
        return run_collect(aws, options, progress=sink)
    finally:
        if isinstance(sink, Bar):
            sink.stop()


def summary(snapshot: Snapshot, console: Console, *, redact: bool = False) -> None:
    """Calls per API, Cost Explorer requests and what they cost, and every failure with its reason.

    Failure messages come from AWS and quote names and ARNs: escaped always, masked with `redact`."""
    manifest = snapshot.manifest
    calls = manifest.get("calls", {})
    console.print(f"API calls: {sum(calls.values())} ({term(', '.join(f'{k} {v}' for k, v in calls.items()))})")
    ce = manifest.get("cost_explorer", {})
    console.print(
        f"Cost Explorer: {ce.get('requests', 0)} requests (${ce.get('cost_usd', 0.0):.2f}), "
        f"{ce.get('cache_hits', 0)} answered from cache"
    )
    for failure in manifest.get("failures", []):
        said = f"account {failure['account']} region {failure['region']} {failure['service']}: "
        said += f"{failure['error']}: {failure['message']}"
        console.print(f"[bold red]failed:[/bold red] {term(masking.text(said) if redact else said)}")


def collect_live(profile: str, console: Console, *, redact: bool = False) -> Snapshot:
    """`costkit estimate --profile`: the last 30 days of the profile's region, no Cost Explorer calls."""
    options = CollectOptions(window=Window.last_days(30), cost_explorer=False, cache_dir=DEFAULT_CACHE)
    snapshot = run(options, console, profile=profile, redact=redact)
    summary(snapshot, console, redact=redact)
    return snapshot
