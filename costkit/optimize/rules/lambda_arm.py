"""x86 Lambda functions on arm64: the same requests and GB-seconds at the Arm rates (and Arm tiers)."""

from __future__ import annotations

import pandas as pd

from costkit.billing import lambda_
from costkit.optimize.base import Batch, Context, Suggestion, touches
from costkit.optimize.rows import candidates, retype

RULE = "lambda-arm64"
TO_ARM = lambda_.to_arm()


def rule(ctx: Context) -> list[Suggestion]:
    rows = ctx.rows
    if rows.empty:
        return []
    x86 = (rows["service"] == "Lambda") & rows["usage_type"].isin(TO_ARM)
    candidate, places = candidates(rows, x86.to_numpy(), ["account", "region", "resource"])
    detail = "on arm64, same duration"
    batch = Batch.changed(rows, candidate, usage_type=rows["usage_type"].map(TO_ARM).to_numpy(), detail=detail)
    savings = ctx.savings(batch)
    gb_seconds = rows["quantity"].where(rows["meter"] == "duration", 0.0).groupby(candidate).sum()
    suggestions: list[Suggestion] = []
    for number, (account, region, function) in enumerate(places):
        match = {"service": "Lambda", "account": account, "region": region, "resource": function}

        @touches(match)
        def to_arm(r: pd.DataFrame, match: dict[str, str] = match) -> pd.DataFrame:
            return retype(r, match, TO_ARM, detail)

        saving = ctx.judge(savings[number], unpriced=f"{function}: no published arm64 Lambda price in {region}")
        if saving is None:
            continue
        suggestions.append(
            Suggestion(
                id=f"{RULE}-{function}",
                rule=RULE,
                title=f"Run Lambda function {function} on arm64",
                resources=[str(function)],
                monthly_saving_usd=saving,
                confidence="medium",
                confidence_reason="assumes equal duration on Graviton; native dependencies must have arm64 builds",
                evidence={"gb_seconds": float(gb_seconds[number])},
                change={
                    "console": "Lambda > function > Code > Runtime settings > Edit > Architecture: arm64",
                    "cli": f"aws lambda update-function-code --function-name {function} --architectures arm64 "
                    "--zip-file fileb://function.zip",
                    "cloudformation": "AWS::Lambda::Function  Architectures: [arm64]",
                    "terraform": 'resource "aws_lambda_function" { architectures = ["arm64"] }',
                },
                exclusive=f"lambda-arch:{account}:{region}:{function}",
                usage_patch=[{"op": "set", "path": f"lambda.{function}.architecture", "value": "arm64"}],
                transform=to_arm,
                priced_in=(batch, number),
            )
        )
    return suggestions
