"""boto3 sessions and clients the AWS way: standard credential chain, --profile, AWS_ENDPOINT_URL,
botocore's adaptive retry mode for throttling, and a bound on how long any one call may wait.

An endpoint that accepts a connection and never answers would otherwise hold a call for as long as the
socket lives. Every client here has connect and read timeouts, and gives up on a call (all its retries
included) once another attempt could not finish within `Limits.timeout` (default 120 s; `COSTKIT_TIMEOUT`,
or `time_limit`). Calls in flight are listed in `in_flight()`, so the CLI can say which one is waiting.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.retries import standard

from costkit import __version__
from costkit.errors import CostkitError

DEFAULT_TIMEOUT_S = 120.0  # the whole wait on one call, its retries included
MAX_CONNECT_TIMEOUT_S = 10.0  # per attempt: to open the connection
MAX_READ_TIMEOUT_S = 30.0  # per attempt: the longest silence allowed while waiting for the answer
MAX_BACKOFF_S = 20.0  # botocore's standard and adaptive modes wait at most min(2 ** (attempt - 1), 20) s to retry
DEFAULT_MAX_ATTEMPTS = 10
RETRY_MODES = ("adaptive", "standard", "legacy")
_CALL = "costkit_call"  # where a call's timing lives in botocore's per-request context


@dataclass(frozen=True)
class Limits:
    """How long one API call may take in all (`timeout`, seconds) and how many attempts it may make."""

    timeout: float = DEFAULT_TIMEOUT_S
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    retry_mode: str = "adaptive"

    @property
    def connect_timeout(self) -> float:
        return min(MAX_CONNECT_TIMEOUT_S, self.timeout / 4)

    @property
    def read_timeout(self) -> float:
        return min(MAX_READ_TIMEOUT_S, self.timeout - self.connect_timeout)


@dataclass
class Call:
    """One API call in flight: what it is (`label`), when it started (monotonic) and its time limit."""

    label: str
    started: float
    limit: float
    reported: int = 0  # how many times the CLI has said it is still waiting


class CallTimeout(BotoCoreError):
    """An AWS call that got no usable answer within its time limit (or no answer at all).

    A botocore error, so collectors treat it like any other failed call (the region or service is recorded
    as failed and the rest is collected)."""

    fmt = "{message}"

    def __init__(self, message: str) -> None:
        super().__init__(message=message)


_overrides: list[float] = []  # time_limit() values, innermost last
_in_flight: dict[int, Call] = {}
_in_flight_lock = threading.Lock()


def limits(timeout: float | None = None) -> Limits:
    """The limits in force: `timeout`, else the innermost `time_limit`, else COSTKIT_TIMEOUT, else 120 s;
    AWS_MAX_ATTEMPTS and AWS_RETRY_MODE as every AWS SDK reads them. Bad values are refused, with their name."""
    if timeout is None and _overrides:
        timeout = _overrides[-1]
    if timeout is None:
        text = os.environ.get("COSTKIT_TIMEOUT")
        timeout = DEFAULT_TIMEOUT_S if text is None else _seconds("COSTKIT_TIMEOUT", text)
    elif not (math.isfinite(timeout) and timeout > 0):
        raise CostkitError(f"a time limit of {timeout:g} s: must be a positive number of seconds")
    mode = os.environ.get("AWS_RETRY_MODE", "adaptive")
    if mode not in RETRY_MODES:
        raise CostkitError(f"AWS_RETRY_MODE={mode!r} is not a retry mode", hint=f"use one of {', '.join(RETRY_MODES)}")
    attempts = os.environ.get("AWS_MAX_ATTEMPTS")
    return Limits(
        timeout=timeout,
        max_attempts=DEFAULT_MAX_ATTEMPTS if attempts is None else _attempts(attempts),
        retry_mode=mode,
    )


@contextmanager
def time_limit(timeout: float | None = None) -> Iterator[Limits]:
    """Calls made inside wait at most `timeout` seconds each (None: COSTKIT_TIMEOUT or the default)."""
    current = limits(timeout)  # checked now, before any call is made
    _overrides.append(current.timeout)
    try:
        yield current
    finally:
        _overrides.pop()


def in_flight() -> list[Call]:
    """The calls waiting for an answer right now, oldest first."""
    with _in_flight_lock:
        return sorted(_in_flight.values(), key=lambda call: call.started)


def retry_config(current: Limits | None = None) -> Config:
    """Timeouts per attempt and adaptive retries (client-side rate limiting on throttling), 10 attempts;
    AWS_RETRY_MODE and AWS_MAX_ATTEMPTS, when set, win, as in every AWS SDK (e.g. AWS_MAX_ATTEMPTS=1 against
    a local mock)."""
    current = current or limits()
    retries: dict[str, Any] = {
        "mode": current.retry_mode,
        # total_max_attempts counts the first attempt too, as AWS_MAX_ATTEMPTS does in every SDK.
        "total_max_attempts": current.max_attempts,
    }
    return Config(
        retries=retries,  # type: ignore[arg-type]
        connect_timeout=current.connect_timeout,
        read_timeout=current.read_timeout,
        user_agent_extra=f"costkit/{__version__}",
    )


def session(profile: str | None = None, region: str | None = None) -> boto3.Session:
    """A session from the standard chain; `profile` and `region` as the AWS CLI takes them."""
    # boto3 reads AWS_DEFAULT_REGION only; AWS_REGION is what the other SDKs and the CLI v2 read.
    return boto3.Session(profile_name=profile, region_name=region or os.environ.get("AWS_REGION") or None)


def client(
    aws: boto3.Session,
    service: str,
    region: str | None = None,
    config: Config | None = None,
    *,
    account: str | None = None,
) -> Any:
    """A client with timeouts, adaptive retries and a time limit per call; endpoints come from the SDK's own
    configuration (AWS_ENDPOINT_URL...). `account` only names the calls in messages."""
    current = limits()
    base = retry_config(current)
    made = aws.client(service, region_name=region, config=base if config is None else base.merge(config))  # type: ignore[call-overload]
    _bound(made, current, account)
    return made


def _bound(made: Any, current: Limits, account: str | None) -> None:
    """Time every call on `made`, list it while it waits, and give up once its time is spent."""
    where = f" in {made.meta.region_name or 'the default region'}" + (f" (account {account})" if account else "")
    conditions = standard.StandardRetryConditions(max_attempts=current.max_attempts)

    def started(model: Any, context: dict[str, Any], **_: Any) -> None:
        call = Call(f"{model.service_model.service_name} {model.name}{where}", time.monotonic(), current.timeout)
        context[_CALL] = call
        with _in_flight_lock:
            _in_flight[id(call)] = call

    def finished(context: dict[str, Any], **_: Any) -> None:
        call = context.get(_CALL)
        if call is not None:
            with _in_flight_lock:
                _in_flight.pop(id(call), None)

    def give_up_when_late(**kwargs: Any) -> None:
        call: Call | None = kwargs["request_dict"]["context"].get(_CALL)
        response, error = kwargs["response"], kwargs["caught_exception"]
        if call is None or (error is None and response is not None and response[0].status_code < 300):
            return
        attempts: int = kwargs["attempts"]
        elapsed = time.monotonic() - call.started
        retried = conditions.is_retryable(standard.RetryEventAdapter().create_retry_context(**kwargs))
        next_attempt = min(2.0 ** (attempts - 1), MAX_BACKOFF_S) + current.connect_timeout + current.read_timeout
        unanswered = isinstance(error, BotoConnectionError | HTTPClientError)
        if (retried and elapsed + next_attempt > current.timeout) or (unanswered and not retried):
            raise _timeout(call, attempts, elapsed, error, response)

    # last, so that a handler which refuses the call (the read-only guard) runs before it is listed
    made.meta.events.register_last("before-call", started)
    made.meta.events.register("after-call", finished)
    made.meta.events.register("after-call-error", finished)
    made.meta.events.register("needs-retry", give_up_when_late)


def _timeout(call: Call, attempts: int, elapsed: float, error: BaseException | None, response: Any) -> CallTimeout:
    if error is not None:
        last = str(error)
    else:
        answer = response[1].get("Error", {}) if response[1] else {}
        last = f"HTTP {response[0].status_code} {answer.get('Code', '')}".rstrip()
    tries = f"{attempts} attempt" + ("s" if attempts != 1 else "")
    return CallTimeout(
        f"{call.label}: no answer from AWS after {tries} in {elapsed:.1f} s "
        f"(limit {call.limit:g} s per call; last: {last})"
    )


def _seconds(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise CostkitError(f"{name}={text!r}: must be a positive number of seconds", hint=f"e.g. {name}=120")
    return value


def _attempts(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise CostkitError(
            f"AWS_MAX_ATTEMPTS={text!r}: must be a whole number of attempts, 1 or more",
            hint="e.g. AWS_MAX_ATTEMPTS=10 (the first attempt counts), or unset it",
        )
    return value
