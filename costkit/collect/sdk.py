"""The SDK's half of a command's AWS calls, so boto3 stays in collect/: region names from botocore's endpoint
data, and the SDK's setup errors (profile, credentials, region, a refusal, the SDK itself) sorted by what failed.
The CLI words them for its flags (costkit.cli.collect_support.aws_calls)."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeAlias

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError, ProfileNotFound

from costkit.collect.aws import CallTimeout

Session: TypeAlias = boto3.Session


def regions(service: str) -> set[str]:
    """Regions with an endpoint for `service`, commercial and GovCloud partitions (no call is made)."""
    return set(boto3.Session().get_available_regions(service)) | set(
        boto3.Session().get_available_regions(service, partition_name="aws-us-gov")
    )


class Failed(enum.Enum):
    """What an SDK error says failed."""

    profile = "profile"  # the named profile does not exist
    credentials = "credentials"  # none found on the standard chain
    region = "region"  # none configured
    refused = "refused"  # AWS answered with an error
    sdk = "sdk"  # any other SDK error (endpoint unreachable, bad configuration)


class SdkFailure(Exception):
    """An SDK error sorted by what failed; `detail` is the SDK's own message."""

    def __init__(self, failed: Failed, detail: str = "") -> None:
        super().__init__(detail)
        self.failed = failed
        self.detail = detail


@contextmanager
def sdk_failures() -> Iterator[None]:
    """Re-raise the SDK's errors as SdkFailure. A CallTimeout (costkit's own limit) passes through unchanged."""
    try:
        yield
    except CallTimeout:
        raise
    except ProfileNotFound as error:
        raise SdkFailure(Failed.profile, str(error)) from None
    except NoCredentialsError:
        raise SdkFailure(Failed.credentials) from None
    except NoRegionError:
        raise SdkFailure(Failed.region) from None
    except ClientError as error:
        answer = error.response.get("Error", {})
        detail = f"{error.operation_name}: {answer.get('Code', 'ClientError')}: {answer.get('Message', '')}"
        raise SdkFailure(Failed.refused, detail) from None
    except BotoCoreError as error:
        raise SdkFailure(Failed.sdk, str(error)) from None
