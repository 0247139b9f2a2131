"""`--redact`: account ids and ARNs masked in what is printed and written, consistently across formats and runs.

An account id becomes `acct-` plus the first 8 hex digits of its SHA-256, so the same account always gets the
same mask and different accounts stay apart; in IAM and STS ARNs the principal's name (which may be a person's)
is dropped too. Masking applies to text only: numbers are never touched, so totals are unchanged.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from typing import Any, TypeVar

import pandas as pd

from costkit.present.escape import has_text

_ACCOUNT = re.compile(r"(?<!\d)\d{12}(?!\d)")
_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9-]*):(?P<region>[a-z0-9-]*):(?P<account>\d{12})?:"
    r"(?P<resource>[^\s\"'<>,;]+)"
)
_PRINCIPAL_SERVICES = {"iam", "sts"}  # their resource names are users, roles and session names
_TRAILING = ".:)]}"  # punctuation of the sentence around an ARN, not part of it

T = TypeVar("T")


def account(account_id: str) -> str:
    """The mask of one 12-digit account id: `acct-` and 8 hex digits of its SHA-256."""
    return "acct-" + hashlib.sha256(account_id.encode()).hexdigest()[:8]


def _arn(match: re.Match[str]) -> str:
    resource = match["resource"]
    tail = ""
    while resource and resource[-1] in _TRAILING:
        resource, tail = resource[:-1], resource[-1] + tail
    if match["service"] in _PRINCIPAL_SERVICES:
        kind, separator, _name = resource.partition("/")
        resource = f"{kind}/***" if separator else resource
    owner = account(match["account"]) if match["account"] else ""
    return f"arn:{match['partition']}:{match['service']}:{match['region']}:{owner}:{resource}{tail}"


def _account(match: re.Match[str]) -> str:
    return account(match.group())


def text(value: str) -> str:
    """A string with every ARN and every standalone 12-digit number (an account id) masked."""
    return _ACCOUNT.sub(_account, _ARN.sub(_arn, value))


def _frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if has_text(series):
            masked = series.str.replace(_ARN, _arn, regex=True)
            if masked.notna().any():  # some strings, not only dicts or lists
                masked = masked.str.replace(_ACCOUNT, _account, regex=True)
                out[column] = series.where(masked.isna(), masked)
    return out


def value(obj: T) -> T:
    """A copy of a result (an Estimate, Suggestions, a dict, a DataFrame, ...) with all its text masked."""
    result: Any
    if isinstance(obj, str):
        result = text(obj)
    elif isinstance(obj, pd.DataFrame):
        result = _frame(obj)
    elif isinstance(obj, dict):
        result = {value(k): value(v) for k, v in obj.items()}
    elif isinstance(obj, list | tuple | set | frozenset):
        result = type(obj)(value(item) for item in obj)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {f.name: value(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init}
        result = dataclasses.replace(obj, **changes)
    else:
        result = obj
    return result  # type: ignore[no-any-return]
