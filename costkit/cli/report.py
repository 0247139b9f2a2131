"""`costkit report`: the monthly FinOps report, written as files into one folder (report.html, report.md,
summary.md, lines.csv, report.json, focus.csv), and optionally its summary posted to a Slack webhook.

The folder is costkit's: it must be new, empty, or hold only files an earlier `costkit report` wrote (listed in
its `.costkit-report` marker). Anything else in it is never overwritten or removed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import requests
import typer

from costkit import __version__
from costkit.cli.options import OfflineOption, PricingDirOption, RedactOption, comma_list
from costkit.cli.output import _write_file, stderr, user_errors
from costkit.errors import CostkitError, ExitCode
from costkit.model.period import Period
from costkit.present import redact as masking
from costkit.present import report_html, report_md
from costkit.present.estimate import csv as lines_csv
from costkit.present.estimate import money
from costkit.present.focus import focus_csv
from costkit.pricing import current_pricebook
from costkit.report import Report, build_report
from costkit.sources.usage_file.yaml_core import parse, read_text

MARKER = ".costkit-report"
FILES: dict[str, tuple[str, ...]] = {
    "html": ("report.html",),
    "md": ("report.md", "summary.md"),
    "csv": ("lines.csv",),
    "json": ("report.json",),
    "focus": ("focus.csv",),
}
SLACK_TIMEOUT = (5.0, 20.0)  # seconds to connect, to read


def _formats(text: str) -> list[str]:
    chosen = comma_list(text, "--formats")
    unknown = [name for name in chosen if name not in FILES]
    if unknown:
        raise CostkitError(f"--formats: {', '.join(map(repr, unknown))} unknown", hint=f"choose from {','.join(FILES)}")
    return chosen


def check_out(out: Path) -> None:
    """Refuse a folder holding anything costkit did not write (the marker lists what an earlier run wrote)."""
    fix = "give a new or empty folder, or one an earlier `costkit report` wrote"
    if out.is_symlink():
        raise CostkitError(f"--out {out}: is a symbolic link; costkit does not write through links", hint=fix)
    if not out.exists():
        return
    if not out.is_dir():
        raise CostkitError(f"--out {out}: is a file, not a folder; nothing was changed", hint=fix)
    entries = sorted(entry.name for entry in out.iterdir())
    owned = _owned(out)
    foreign = [
        name
        for name in entries
        if name != MARKER and (name not in owned or not (out / name).is_file() or (out / name).is_symlink())
    ]
    if entries and (MARKER not in entries or foreign):
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise CostkitError(
            f"--out {out}: holds files costkit did not write ({shown or 'no costkit marker'}); nothing was changed",
            hint="move them away, or " + fix,
        )


def _owned(out: Path) -> set[str]:
    """The files the marker says costkit wrote (only names costkit writes: a forged marker claims nothing else)."""
    marker = out / MARKER
    if not marker.is_file() or marker.is_symlink():
        return set()
    try:
        listed = json.loads(marker.read_text(encoding="utf-8")).get("files", [])
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return set()
    known = {name for names in FILES.values() for name in names}
    return {name for name in listed if isinstance(name, str) and name in known}


def write_all(out: Path, texts: dict[str, str]) -> None:
    """Each file replaced whole (temporary file + rename); the marker first lists every file costkit owns there."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        files = sorted(_owned(out) | set(texts))
        _write_file(
            out / MARKER,
            json.dumps({"written_by": "costkit report", "costkit_version": __version__, "files": files}, indent=1)
            + "\n",
        )
        for name, text in texts.items():
            _write_file(out / name, text)
    except OSError as error:
        raise CostkitError(f"--out {out}: cannot write {error.filename or out} ({error.strerror})") from None


def read_budgets(path: Path, month: str) -> float | None:
    """A budgets file: YAML `{default: USD, months: {YYYY-MM: USD}}`; the month's figure, else the default."""
    data = parse(read_text(path, what="budgets file"), str(path))
    allowed = "a mapping with `default: USD` and/or `months: {YYYY-MM: USD}`"
    if not isinstance(data, dict) or set(data) - {"default", "months"}:
        raise CostkitError(f"--budgets {path}: must be {allowed}")
    months = data.get("months") or {}
    if not isinstance(months, dict) or not all(
        isinstance(k, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}", k) for k in months
    ):
        raise CostkitError(f"--budgets {path}: `months` must map YYYY-MM to USD", hint=allowed)
    value = months.get(month, data.get("default"))
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise CostkitError(f"--budgets {path}: the budget for {month} is {value!r}, not a number of USD >= 0")
    return float(value)


def _webhook_host(url: str) -> str:
    """The webhook's host, once the URL is checked to be http(s) (the rest of it is a secret: never printed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise CostkitError("--post-slack: not an http(s) URL", hint="pass the webhook URL Slack gave you")
    return parts.hostname


def post_slack(url: str, text: str) -> None:
    """POST the summary as Slack's incoming-webhook JSON. The URL is a secret: errors name only its host."""
    where = f"the Slack webhook at {_webhook_host(url)}"
    try:
        answer = requests.post(url, json={"text": text}, timeout=SLACK_TIMEOUT, allow_redirects=False)
    except requests.RequestException as error:
        raise CostkitError(
            f"{where} could not be reached ({type(error).__name__})", hint="the files are written"
        ) from None
    if answer.status_code != 200:
        raise CostkitError(f"{where} answered HTTP {answer.status_code}", hint="the files are written; check the URL")


def render(report: Report, data: dict[str, Any], chosen: list[str], redact: bool) -> dict[str, str]:
    """The text of every chosen file (json equals `data`, which is `Report.to_dict()`, masked with --redact)."""
    current = masking.value(report.current.estimate) if redact else report.current.estimate
    makers: dict[str, Callable[[], dict[str, str]]] = {
        "html": lambda: {"report.html": report_html.render(data)},
        "md": lambda: {"report.md": report_md.render(data), "summary.md": report_md.summary(data)},
        "csv": lambda: {"lines.csv": lines_csv(current)},
        "json": lambda: {"report.json": json.dumps(data, indent=2, allow_nan=False) + "\n"},
        "focus": lambda: {"focus.csv": focus_csv(current)},
    }
    texts: dict[str, str] = {}
    for name in chosen:
        texts.update(makers[name]())
    return texts


def report_command(
    month: Annotated[str, typer.Option(metavar="YYYY-MM", help="The month to report.")],
    out: Annotated[Path, typer.Option(metavar="DIR", help="Write the report's files into this folder.")],
    history: Annotated[
        Path | None,
        typer.Option(metavar="DIR", help="A history store (`costkit collect --history`): the month and 12 before."),
    ] = None,
    snapshot: Annotated[
        Path | None, typer.Option(metavar="DIR", help="One month's snapshot (no month-over-month).")
    ] = None,
    budget: Annotated[
        float | None, typer.Option(metavar="USD", help="The month's budget: exit 3 when over it.", min=0)
    ] = None,
    budgets: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Budgets per month (YAML: default, months: {YYYY-MM: USD}).")
    ] = None,
    formats: Annotated[str, typer.Option(metavar="LIST", help="Files to write: html,md,csv,json,focus.")] = ",".join(
        FILES
    ),
    post_slack_url: Annotated[
        str | None,
        typer.Option("--post-slack", metavar="WEBHOOK_URL", help="Also post the summary to this Slack webhook."),
    ] = None,
    pricing_dir: PricingDirOption = None,
    offline: OfflineOption = False,
    redact: RedactOption = False,
) -> None:
    """Write the monthly FinOps report: total, month-over-month change and its drivers, per pipeline, data quality.

    Exit codes: 0 ok, 2 bad input (or the Slack post failed), 3 over the budget.
    """
    with user_errors(redact=redact):
        Period.parse_month(month)
        if (history is None) == (snapshot is None):
            raise CostkitError("give one of --history DIR or --snapshot DIR", hint="see `costkit report --help`")
        if budget is not None and budgets is not None:
            raise CostkitError("give --budget USD or --budgets FILE, not both")
        chosen = _formats(formats)
        if post_slack_url is not None:
            _webhook_host(post_slack_url)
        check_out(out)
        budget_usd = read_budgets(budgets, month) if budgets is not None else budget
        book = current_pricebook(pricing_dir, offline=offline)
        report = build_report(month, history=history, snapshot=snapshot, budget_usd=budget_usd, pricebook=book)
        data = report.to_dict()
        data = masking.value(data) if redact else data
        texts = render(report, data, chosen, redact)
        write_all(out, texts)
        stderr.print(f"wrote {out}: {', '.join(sorted(texts))}")
        if post_slack_url is not None:
            post_slack(post_slack_url, report_md.summary(data, flavour="slack"))
            stderr.print("posted the summary to Slack")
        verdict = data.get("budget")
        if verdict and verdict.get("over"):
            compared = f"{money(verdict['compared_usd'])} against {money(verdict['usd'])}"
            stderr.print(f"costkit: over budget: {compared} ({verdict['basis']})")
            raise typer.Exit(int(ExitCode.OVER_BUDGET))
