"""What every service collector receives: the account, the region, the time window and a client factory
that counts calls and refuses anything but read-only operations."""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import boto3
import pandas as pd

from costkit.collect.aws import client as make_client
from costkit.model.period import Window as Window  # collectors import it from here

READ_ONLY = re.compile(r"^(List|Get|Describe|BatchGet)[A-Z]")
ALSO_ALLOWED = frozenset({("sts", "AssumeRole")})  # to read other accounts; changes nothing


class ReadOnlyViolation(RuntimeError):
    """A collector tried an operation that could change something. Never allowed."""


class PartialCollection(Exception):
    """A collector that got part of its data: keep `tables`, record `error` in the manifest."""

    def __init__(self, tables: dict[str, pd.DataFrame], error: BaseException) -> None:
        super().__init__(str(error))
        self.tables = tables
        self.error = error


class CallLog:
    """Counts API calls per service and operation (every page is a call), across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def record(self, service: str, operation: str) -> None:
        with self._lock:
            self.counts[f"{service}:{operation}"] += 1

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self.counts.items()))


def guard(log: CallLog, aws_client: Any) -> Any:
    """Count every call on `aws_client` and refuse any that is not read-only."""

    def before_call(model: Any, **_: Any) -> None:
        service = model.service_model.service_name
        if not READ_ONLY.match(model.name) and (service, model.name) not in ALSO_ALLOWED:
            raise ReadOnlyViolation(f"{service}:{model.name} is not a read-only call; costkit never makes it")
        log.record(service, model.name)

    aws_client.meta.events.register("before-call", before_call)
    return aws_client


@dataclass
class RegionContext:
    """One account in one region, for one window."""

    account_id: str
    region: str
    session: boto3.Session
    window: Window
    log: CallLog
    options: dict[str, Any] = field(default_factory=dict)

    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)

    def client(self, service: str, region: str | None = None) -> Any:
        """One guarded client per service and region, reused so adaptive retry keeps its learned rate."""
        key = (service, region or self.region)
        if key not in self._clients:
            self._clients[key] = guard(self.log, make_client(self.session, service, region=key[1]))
        return self._clients[key]
