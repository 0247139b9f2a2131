"""boto3 sessions and clients the AWS way: standard credential chain, --profile, AWS_ENDPOINT_URL,
and botocore's adaptive retry mode for throttling."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from costkit import __version__

RETRY_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 10},
    user_agent_extra=f"costkit/{__version__}",
)


def session(profile: str | None = None, region: str | None = None) -> boto3.Session:
    """A session from the standard chain; `profile` and `region` as the AWS CLI takes them."""
    return boto3.Session(profile_name=profile, region_name=region)


def client(aws: boto3.Session, service: str, region: str | None = None, config: Config | None = None) -> Any:
    """A client with adaptive retries; endpoints come from the SDK's own configuration (AWS_ENDPOINT_URL...)."""
    merged = RETRY_CONFIG if config is None else RETRY_CONFIG.merge(config)
    return aws.client(service, region_name=region, config=merged)  # type: ignore[call-overload]
