"""What `costkit collect` and `costkit estimate --profile` share: options from the command line,
a progress bar on stderr, the collection itself and the summary of calls and failures."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from costkit.collect.athena import Place, SnapshotTables, default_wait, snapshot_tables, split_name
from costkit.collect.aws import CallTimeout, Limits, in_flight, time_limit
from costkit.collect.aws import session as make_session
from costkit.collect.cur import CurTable
from costkit.collect.run import CollectOptions, Silent
from costkit.collect.run import Progress as ProgressSink
from costkit.collect.run import collect as run_collect
from costkit.collect.sdk import Failed, SdkFailure, Session, sdk_failures
from costkit.collect.sdk import regions as known_regions
from costkit.errors import CostkitError
from costkit.model.period import Period
from costkit.present import redact as masking
from costkit.present.escape import terminal as term
from costkit.sources.snapshot.folder import Snapshot

MAX_DAYS = 366  # CodePipeline keeps 12 months of execution history
DEFAULT_CACHE = Path.home() / ".cache" / "costkit" / "cost-explorer"
# IAM role ARNs (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html): a path of
# /-separated segments, then a name of at most 64 characters.
ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")
ROLE_ARN = re.compile(r"arn:aws(-cn|-us-gov)?:iam::\d{12}:role/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}")
REPORT_AFTER_S = 10.0  # say which call is waiting after this long (or a quarter of the limit, if shorter)


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


def cur_table(
    name: str, workgroup: str, output_location: str | None, partitioned: bool, region: str | None
) -> CurTable:
    """--cur DATABASE.TABLE with --workgroup and --output-location, checked before any call."""
    database, table = split_name(name)
    place = Place(workgroup=workgroup, database=database, output_location=output_location)
    return CurTable(place=place, table=table, partitioned=partitioned, region=region, wait_s=default_wait())


def athena_tables(name: str, workgroup: str, output_location: str | None, region: str | None) -> SnapshotTables:
    """--athena DATABASE.PREFIX with --workgroup, --output-location and --athena-region, checked before any call."""
    database, prefix = split_name(name, "PREFIX", "costkit.october")
    return snapshot_tables(database, prefix, workgroup=workgroup, output_location=output_location, region=region)


def athena_summary(tables: SnapshotTables, console: Console) -> None:
    """What the Athena queries cost: how many, the bytes Athena bills, the calls, and their ids."""
    scanned = tables.scanned_bytes
    ids = ", ".join(answer.query_id for answer in tables.answers.values())
    console.print(
        f"costkit: Athena: {len(tables.answers)} queries in workgroup {term(tables.place.workgroup)} scanned "
        f"{scanned:,} bytes ({scanned / 2**20:,.1f} MiB) in {tables.calls} calls; query ids {ids}",
        markup=False,
    )


def window_from(days: int | None, month: str | None, now: dt.datetime | None = None) -> Period:
    """The observed window. A month still under way is observed up to now, and the estimate projects it."""
    moment = now or dt.datetime.now(dt.UTC)
    if days is not None and month is not None:
        raise CostkitError("give --days or --month, not both")
    if month is not None:
        whole = Period.parse_month(month)
        if whole.start >= moment:
            raise CostkitError(f"--month {month} has not started yet", hint="collect a past or the current month")
        return whole if whole.end <= moment else Period(whole.start, moment.replace(microsecond=0))
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise CostkitError(
            f"--days {days}: give 1 to {MAX_DAYS} days",
            hint="CodePipeline keeps 12 months of execution history; use --month for a calendar month",
        )
    return Period.last_days(days or 30, moment)


def check_regions(regions: list[str] | None) -> None:
    """Region names must be ones CodePipeline exists in (botocore's endpoint data; no call is made)."""
    if not regions or regions == ["all"]:
        return
    known = known_regions("codepipeline")
    for region in regions:
        if region not in known:
            close = difflib.get_close_matches(region, sorted(known), n=1)
            raise CostkitError(
                f"--regions: {region!r} is not a region where CodePipeline runs",
                hint=(f"did you mean `{close[0]}`? " if close else "") + "or use --regions all",
            )


def check_role_arns(arns: list[str]) -> list[str]:
    """Each --role-arn must be an IAM role ARN (`arn:aws:iam::123456789012:role/path/name`); each once."""
    for arn in arns:
        if not ROLE_ARN.fullmatch(arn):
            raise CostkitError(
                f"--role-arn {arn!r} is not an IAM role ARN",
                hint="write it as arn:aws:iam::<12-digit account id>:role/<name> "
                "(arn:aws-cn or arn:aws-us-gov in those partitions; a path may precede the name)",
            )
    return list(dict.fromkeys(arns))


def check_org_role(name: str | None) -> None:
    """--org-role is a role name (no ARN, no path): it is assumed in every account as arn:...:role/NAME."""
    if name is not None and not ROLE_NAME.fullmatch(name):
        raise CostkitError(
            f"--org-role {name!r} is not an IAM role name",
            hint="give the role's name only, e.g. --org-role costkit-read (1-64 letters, digits and +=,.@_-)",
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
    timeout: float | None = None,
    redact: bool = False,
) -> Snapshot:
    """Collect with the standard credential chain; user-facing errors become CostkitError."""
    sink: ProgressSink = Silent() if quiet else Bar(console, redact=redact)
    try:
        with aws_calls(console, timeout, redact=redact):
            aws = make_session(profile, region)
            return run_collect(aws, options, role_arns=role_arns, org_role=org_role, progress=sink)
    finally:
        if isinstance(sink, Bar):
            sink.stop()


def run_with_session(
    aws: Session, options: CollectOptions, console: Console, *, quiet: bool = False, timeout: float | None = None
) -> Snapshot:
    """Collect through an existing session (the demo's fake account)."""
    sink: ProgressSink = Silent() if quiet else Bar(console)
    try:
        with aws_calls(console, timeout):
            return run_collect(aws, options, progress=sink)
    finally:
        if isinstance(sink, Bar):
            sink.stop()


@contextmanager
def aws_calls(
    console: Console, timeout: float | None = None, *, redact: bool = False, region_flag: str = "--region"
) -> Iterator[Limits]:
    """Around AWS calls made for a command: a time limit per call, the calls still waiting said on stderr
    (account ids masked with `redact`), and the SDK's errors (credentials, profile, region, an unreachable
    endpoint) as one clear CostkitError."""
    with time_limit(timeout) as current, WaitReporter(console, current, redact=redact):
        try:
            with sdk_failures():
                yield current
        except SdkFailure as failure:
            raise _worded(failure, region_flag) from None
        except CallTimeout as error:
            raise CostkitError(
                str(error),
                hint="check the network path to the endpoint (proxy, VPC endpoint, AWS_ENDPOINT_URL); "
                "allow more time with --timeout SECONDS or COSTKIT_TIMEOUT",
            ) from None


def _worded(failure: SdkFailure, region_flag: str = "--region") -> CostkitError:
    """An SDK failure in the CLI's words: what failed and which flag or setting fixes it."""
    match failure.failed:
        case Failed.profile:
            return CostkitError(f"--profile: {failure.detail}", hint="list profiles with `aws configure list-profiles`")
        case Failed.credentials:
            return CostkitError(
                "no AWS credentials found (standard chain: environment, --profile, SSO, instance role)",
                hint="pass --profile, or set up credentials (`aws configure`, `aws sso login`); "
                "`costkit collect --demo` needs none",
            )
        case Failed.region:
            return CostkitError("no AWS region configured", hint=f"pass {region_flag} or set AWS_REGION")
        case Failed.refused:
            return CostkitError(
                f"AWS refused {failure.detail}",
                hint="check the credentials and their permissions (docs/iam-policy.json)",
            )
        case Failed.sdk:
            return CostkitError(f"AWS: {failure.detail}")


class WaitReporter:
    """Says on stderr which AWS call is still waiting: first after a quarter of the limit (at most 10 s),
    then every three times that, so a hung endpoint is never silent."""

    def __init__(self, console: Console, current: Limits, *, redact: bool = False) -> None:
        self._console = console
        self._redact = redact
        self._first = min(REPORT_AFTER_S, current.timeout / 4)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="costkit-waits", daemon=True)

    def __enter__(self) -> WaitReporter:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(min(0.25, self._first / 2)):
            now = time.monotonic()
            for call in in_flight():
                waited = now - call.started
                if waited >= self._first * (1 + 3 * call.reported):
                    call.reported += 1
                    so_far = f"{waited:.1f}" if waited < 10 else f"{waited:.0f}"
                    said = (
                        f"costkit: still waiting for {call.label}: {so_far} s so far, giving up after {call.limit:g} s"
                    )
                    self._console.print(term(masking.text(said) if self._redact else said), highlight=False)


def summary(snapshot: Snapshot, console: Console, *, redact: bool = False) -> None:
    """Calls per API, Cost Explorer requests and what they cost, and every failure with its reason.

    Failure messages come from AWS and quote names and ARNs: escaped always, masked with `redact`."""
    manifest = snapshot.manifest
    calls = manifest.get("calls", {})
    console.print(f"API calls: {sum(calls.values())} ({term(', '.join(f'{k} {v}' for k, v in calls.items()))})")
    ce = manifest.get("cost_explorer", {})
    cur = manifest.get("cur")
    if cur is not None:
        scanned, named = int(cur["scanned_bytes"]), int(cur["resource_ids"])
        console.print(
            f"Actuals: CUR 2.0 table {term(str(cur['table']))} through Athena "
            f"(workgroup {term(str(cur['workgroup']))}): query {term(str(cur['query_id']))}, "
            f"{scanned:,} bytes scanned, {named:,} rows with a resource id; no Cost Explorer request"
        )
    else:
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
    options = CollectOptions(window=Period.last_days(30), cost_explorer=False, cache_dir=DEFAULT_CACHE)
    snapshot = run(options, console, profile=profile, redact=redact)
    summary(snapshot, console, redact=redact)
    return snapshot


def history_months(root: Path, since: str | None, month: str | None) -> tuple[list[tuple[Period, Path]], list[Path]]:
    """The months `collect --history` collects, each with its folder: --since to --month (default: this month),
    leaving out (and returning apart) the folders of months the store holds as closed."""
    from costkit.sources.snapshot.history import is_final, month_folder, months_between

    last = window_from(None, month or Period.current().name)
    first = Period.parse_month(since) if since is not None else last.calendar_month()
    final = last.calendar_month()
    if first.start > final.start:
        raise CostkitError(f"--since {since} is after {final.name}", hint="give an earlier month")
    found, reused = [], []
    for period in months_between(first, final):
        folder = month_folder(root, period)
        if is_final(root, period):
            reused.append(folder)
        else:
            found.append((window_from(None, period.name), folder))
    return found, reused
