"""boto3 sessions and clients the AWS way: standard credential chain, --profile, AWS_ENDPOINT_URL,
and botocore's adaptive retry mode for throttling."""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.config import Config

from costkit import __version__


def retry_config() -> Config:
    """Adaptive retries (client-side rate limiting on throttling), 10 attempts; AWS_RETRY_MODE and
    AWS_MAX_ATTEMPTS, when set, win, as in every AWS SDK (e.g. AWS_MAX_ATTEMPTS=1 against a local mock)."""
    retries: dict[str, Any] = {
        "mode": os.environ.get("AWS_RETRY_MODE", "adaptive"),
        # total_max_attempts counts the first attempt too, as AWS_MAX_ATTEMPTS does in every SDK.
        "total_max_attempts": int(os.environ.get("AWS_MAX_ATTEMPTS", "10")),
    }
    return Config(retries=retries, user_agent_extra=f"costkit/{__version__}")  # type: ignore[arg-type]


def session(profile: str | None = None, region: str | None = None) -> boto3.Session:
    """A session from the standard chain; `profile` and `region` as the AWS CLI takes them."""
    # boto3 reads AWS_DEFAULT_REGION only; AWS_REGION is what the other SDKs and the CLI v2 read.
    return boto3.Session(profile_name=profile, region_name=region or os.environ.get("AWS_REGION") or None)


def client(aws: boto3.Session, service: str, region: str | None = None, config: Config | None = None) -> Any:
    """A client with adaptive retries; endpoints come from the SDK's own configuration (AWS_ENDPOINT_URL...)."""
    base = retry_config()
    merged = base if config is None else base.merge(config)
    return aws.client(service, region_name=region, config=merged)  # type: ignore[call-overload]
