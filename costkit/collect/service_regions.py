"""Export which regions offer each priced service, from botocore's endpoint data, as pricing/service_regions.csv.

botocore is imported only here (costkit/collect/); the estimate reads the exported table, so a region
where a service does not exist is reported as "not offered", not as a missing price. Rerun after a
botocore upgrade: `python -m costkit.collect.service_regions pricing/service_regions.csv`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import botocore
import botocore.session
import pandas as pd

ENDPOINT_NAMES = {"CodePipeline": "codepipeline", "CodeBuild": "codebuild", "Lambda": "lambda", "S3": "s3"}
PARTITIONS = ("aws", "aws-us-gov", "aws-cn")


def service_regions() -> pd.DataFrame:
    """service, region, source: one row per region botocore lists an endpoint for."""
    session = botocore.session.get_session()
    rows = [
        (service, region)
        for service, name in ENDPOINT_NAMES.items()
        for partition in PARTITIONS
        for region in session.get_available_regions(name, partition_name=partition)
    ]
    frame = pd.DataFrame(rows, columns=["service", "region"]).drop_duplicates()
    source = f"https://github.com/boto/botocore/blob/{botocore.__version__}/botocore/data/endpoints.json"
    return frame.assign(source=source).sort_values(["service", "region"]).reset_index(drop=True)


def main() -> None:
    service_regions().to_csv(Path(sys.argv[1]), index=False, lineterminator="\n")


if __name__ == "__main__":
    main()
