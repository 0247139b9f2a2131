"""The usage file, version 1: planned or assumed monthly usage, no AWS needed.

Field names here are a public contract (see docs/usage-file.md); add fields, never rename them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from costkit.errors import quoted

# Finite and below 10^15: large enough for any CI estate, small enough that every product stays finite.
NonNegative = Annotated[float, Field(ge=0, le=1e15, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


ACCOUNT_ID = re.compile(r"^[0-9]{12}$")


def _account_text(value: object) -> object:
    """Account IDs are 12 digits of text. Written unquoted they are numbers (an ID with a leading zero stays
    text, see yaml_core); an ID of another length would silently become a second account with its own free tier."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if isinstance(text, str) and not ACCOUNT_ID.match(text):
        raise ValueError(f"{quoted(text)} is not an AWS account id (exactly 12 digits, e.g. '012345678901')")
    return text


AccountId = Annotated[str, BeforeValidator(_account_text)]


def _real_date(value: object) -> object:
    """`YYYY-MM-DD` text to a date, refusing impossible ones (2026-02-30) with the field's name."""
    if not isinstance(value, str):
        return value
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{quoted(value)} is not a real date; write YYYY-MM-DD, e.g. 2026-01-31") from None


Date = Annotated[dt.date, BeforeValidator(_real_date)]


class _Placed(_Strict):
    region: str | None = None
    account: AccountId | None = None


class Action(_Strict):
    name: str
    category: Literal["Source", "Build", "Test", "Deploy", "Invoke", "Approval", "Compute"]
    owner: Literal["AWS", "ThirdParty", "Custom"] = "AWS"
    provider: str | None = None
    minutes: NonNegative
    runs_per_execution: NonNegative = 1.0


class PipelineV1(_Placed):
    """V1 bills $1 per active month; executions and actions are optional and only feed what-if and suggestions."""

    type: Literal["V1"]
    active: bool = True
    created: Date | None = None
    executions_per_month: NonNegative | None = None
    actions: list[Action] = Field(default_factory=list)


class PipelineV2(_Placed):
    type: Literal["V2"]
    executions_per_month: NonNegative
    actions: list[Action] = Field(min_length=1)
    created: Date | None = None
    # V2-only features: a pipeline using them cannot go back to V1 (savings suggestions read these).
    execution_mode: Literal["SUPERSEDED", "QUEUED", "PARALLEL"] = "SUPERSEDED"
    triggers: bool = False
    variables: bool = False


Pipeline = Annotated[PipelineV1 | PipelineV2, Field(discriminator="type")]


class CodeBuildProject(_Placed):
    compute_type: str
    environment_type: str = "LINUX_CONTAINER"
    builds_per_month: NonNegative | None = None
    minutes_per_build: NonNegative | None = None
    build_minutes_per_month: NonNegative | None = None
    pipeline: str | None = None

    @model_validator(mode="after")
    def _one_way_to_give_minutes(self) -> CodeBuildProject:
        per_build = self.builds_per_month is not None or self.minutes_per_build is not None
        if per_build and self.build_minutes_per_month is not None:
            raise ValueError("give either builds_per_month + minutes_per_build, or build_minutes_per_month, not both")
        if self.build_minutes_per_month is None and (self.builds_per_month is None or self.minutes_per_build is None):
            raise ValueError("needs builds_per_month and minutes_per_build (or build_minutes_per_month)")
        return self


class LambdaFunction(_Placed):
    memory_mb: Annotated[int, Field(ge=128, le=10240)]
    architecture: Literal["x86_64", "arm64"] = "x86_64"
    requests_per_month: NonNegative
    duration_ms: NonNegative
    ephemeral_storage_mb: Annotated[int, Field(ge=512, le=10240)] = 512
    pipeline: str | None = None


StorageClass = Literal[
    "STANDARD", "STANDARD_IA", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE", "INTELLIGENT_TIERING"
]


class S3Bucket(_Placed):
    storage_class: StorageClass = "STANDARD"
    storage_gb: NonNegative = 0.0
    put_requests_per_month: NonNegative = 0.0
    get_requests_per_month: NonNegative = 0.0
    lifecycle_transitions_per_month: NonNegative = 0.0
    retrieval_gb_per_month: NonNegative = 0.0
    objects: NonNegative | None = None
    pipeline: str | None = None

    @model_validator(mode="after")
    def _class_rules(self) -> S3Bucket:
        if self.storage_class == "STANDARD" and self.lifecycle_transitions_per_month > 0:
            raise ValueError(
                "lifecycle_transitions_per_month counts objects moved INTO this entry's storage class, and "
                "STANDARD is never a transition destination: put the transitions on an entry of the destination "
                "class (e.g. STANDARD_IA or GLACIER)"
            )
        if self.storage_class in ("STANDARD", "INTELLIGENT_TIERING") and self.retrieval_gb_per_month > 0:
            raise ValueError(f"{self.storage_class} has no retrieval fee: remove retrieval_gb_per_month")
        return self


class UsageFile(_Strict):
    """A whole usage file. `region`, `account` and `free_tier` are defaults for every resource."""

    version: Literal[1]
    region: str = "us-east-1"
    account: AccountId = "planned"
    free_tier: bool = True
    pipelines: dict[str, Pipeline] = Field(default_factory=dict)
    codebuild: dict[str, CodeBuildProject] = Field(default_factory=dict)
    # `lambda` is a Python keyword, hence the alias.
    lambda_: dict[str, LambdaFunction] = Field(default_factory=dict, alias="lambda")
    s3: dict[str, S3Bucket] = Field(default_factory=dict)

    @field_validator("pipelines", "codebuild", "lambda_", "s3", mode="before")
    @classmethod
    def _empty_section(cls, value: object) -> object:
        """A section whose entries are all commented out is empty, not an error."""
        return {} if value is None else value
