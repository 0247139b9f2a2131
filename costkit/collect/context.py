"""What every service collector receives: the account, the region, the time window and a client factory
that counts calls and refuses anything but read-only operations."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import boto3
import pandas as pd
from botocore.retries.standard import ThrottledRetryableChecker

from costkit.collect.aws import client as make_client
from costkit.model.period import Window as Window  # collectors import it from here

READ_ONLY = re.compile(r"^(List|Get|Describe|BatchGet)[A-Z]")
# sts:AssumeRole reads other accounts and changes nothing. Athena's StartQueryExecution runs a SELECT that reads
# tables; its only write is the query's result, to the output location the caller names; StopQueryExecution
# stops such a query when costkit's wait for it is over.
ALSO_ALLOWED = frozenset({("sts", "AssumeRole"), ("athena", "StartQueryExecution"), ("athena", "StopQueryExecution")})
# The error codes botocore's own retry logic treats as throttling (what adaptive mode slows down for).
THROTTLING: frozenset[str] = frozenset(
    {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown"}
).union(getattr(ThrottledRetryableChecker, "_THROTTLED_ERROR_CODES", ()))
DEFAULT_MAX_CONCURRENCY = 32  # API calls in flight across the whole collection
# Per account and region, how many calls one service's fan-out (a pipeline's history, a project's builds) may
# have in flight: well inside the services' request rates, with adaptive retries to absorb any throttling.
SERVICE_LIMITS = {"codepipeline": 16, "codebuild": 16}
_CLIENTS = threading.Lock()  # boto3 sessions are not thread-safe: clients are made one at a time, then shared

T = TypeVar("T")
R = TypeVar("R")


class ReadOnlyViolation(RuntimeError):
    """A collector tried an operation that could change something. Never allowed."""


class PartialCollection(Exception):
    """A collector that got part of its data: keep `tables`, record `error` in the manifest."""

    def __init__(self, tables: dict[str, pd.DataFrame], error: BaseException) -> None:
        super().__init__(str(error))
        self.tables = tables
        self.error = error


class CallLog:
    """Counts API calls per service and operation (every page is a call) and the throttled attempts among
    them, across threads; and holds the collection's one cap on calls in flight (`max_concurrency`)."""

    def __init__(self, max_concurrency: int = DEFAULT_MAX_CONCURRENCY) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self.max_concurrency = max(1, int(max_concurrency))
        self.in_flight = threading.BoundedSemaphore(self.max_concurrency)

    def record(self, service: str, operation: str) -> None:
        with self._lock:
            self.counts[f"{service}:{operation}"] += 1

    def record_throttle(self, service: str, operation: str) -> None:
        with self._lock:
            self.throttled[f"{service}:{operation}"] += 1

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self.counts.items()))

    def throttles(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self.throttled.items()))

    def width(self, service: str) -> int:
        """How many of `service`'s calls one region's fan-out runs at once."""
        return min(self.max_concurrency, SERVICE_LIMITS.get(service, 1))


def fan_out(width: int, work: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """`work` over `items`, at most `width` at a time; results in the items' order, never completion order,
    so the snapshot is the same at any concurrency. The first failure is raised once all have finished."""
    if width <= 1 or len(items) <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(width, len(items))) as pool:
        return list(pool.map(work, items))


def guard(log: CallLog, aws_client: Any) -> Any:
    """Count every call on `aws_client`, refuse any that is not read-only, count throttled attempts, and hold
    one of the collection's `max_concurrency` slots while a call (with its retries) is in flight."""

    def before_call(model: Any, **_: Any) -> None:
        service = model.service_model.service_name
        if not READ_ONLY.match(model.name) and (service, model.name) not in ALSO_ALLOWED:
            raise ReadOnlyViolation(f"{service}:{model.name} is not a read-only call; costkit never makes it")
        log.record(service, model.name)

    def needs_retry(response: Any = None, operation: Any = None, **_: Any) -> None:
        if response is not None and operation is not None:
            code = (response[1] or {}).get("Error", {}).get("Code")
            if code in THROTTLING:
                log.record_throttle(operation.service_model.service_name, operation.name)

    aws_client.meta.events.register("before-call", before_call)
    aws_client.meta.events.register("needs-retry", needs_retry)
    call = aws_client._make_api_call  # every operation and every page goes through it

    def limited(operation_name: str, api_params: dict[str, Any]) -> Any:
        with log.in_flight:
            return call(operation_name, api_params)

    aws_client._make_api_call = limited
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
        with _CLIENTS:
            if key not in self._clients:
                self._clients[key] = guard(
                    self.log, make_client(self.session, service, region=key[1], account=self.account_id)
                )
            return self._clients[key]

    def fan_out(self, service: str, work: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`work` over `items` with `service`'s concurrency in this region (see `fan_out`)."""
        return fan_out(self.log.width(service), work, items)
