"""A loopback Price List server: offer files in AWS's real layout (JSON and CSV), built from real fragments.

TEST FIXTURE, not shipped data: see tests/fixtures/pricelist/README.md for where each price comes from.
Special regions exercise failures: CodeBuild us-west-2 answers 404, eu-central-1 a truncated body,
ca-central-1 a slow body.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "pricelist"
BASE = "/offers/v1.0/aws"
TERM = "JRTCKXETXF"
LAMBDA_VERSION = "20261001184746"
FIXTURE_VERSION = "20261101000000"

# (sku, usagetype, operation, unit, [(begin, end, usd, rate suffix)], description)
Dimension = tuple[str, str, str, str]
Product = tuple[str, str, str, str, list[Dimension], str]

LAMBDA_EU_WEST_1: list[Product] = [
    # Real: AWS Lambda eu-west-1 offer 20261001184746 (SKUs and rate codes as published).
    (
        "B5V2RNHAWGVJBZD3",
        "EU-Request",
        "",
        "Request",
        [("0", "Inf", "0.0000002000", "6YS6EN2CT7")],
        "AWS Lambda - Total Requests - EU (Ireland)",
    ),
    (
        "KXNSA7NBRHBHXXPS",
        "EU-Lambda-GB-Second-ARM",
        "",
        "Lambda-GB-Second",
        [
            ("7500000000", "18750000000", "0.0000120001", "6JGAYSJBNY"),
            ("0", "7500000000", "0.0000133334", "6NBUNBXSC3"),
            ("18750000000", "Inf", "0.0000106667", "AVR3V96UTF"),
        ],
        "AWS Lambda - Total Compute for ARM - EU (Ireland)",
    ),
    (
        "SGGKTWDV7PGMPPSJ",
        "EU-Lambda-GB-Second",
        "",
        "Lambda-GB-Second",
        [
            ("0", "6000000000", "0.0000166667", "CUKFZ388N3"),
            ("6000000000", "15000000000", "0.0000150000", "QZE2SB4KVB"),
            ("15000000000", "Inf", "0.0000133334", "V7R92EXG27"),
        ],
        "AWS Lambda - Total Compute - EU (Ireland)",
    ),
    # Built: bundled eu-west-1 figures, same layout.
    (
        "FIXTURELAMBDA001",
        "EU-Request-ARM",
        "",
        "Request",
        [("0", "Inf", "0.0000002000", "6YS6EN2CT7")],
        "AWS Lambda - Total Requests for ARM - EU (Ireland)",
    ),
    (
        "FIXTURELAMBDA002",
        "EU-Lambda-Storage-GB-Second",
        "",
        "GB-Second",
        [("0", "Inf", "0.0000000340", "6YS6EN2CT7")],
        "AWS Lambda - Ephemeral Storage - EU (Ireland)",
    ),
    (
        "FIXTURELAMBDA003",
        "EU-Lambda-Storage-GB-Second-ARM",
        "",
        "GB-Second",
        [("0", "Inf", "0.0000000340", "6YS6EN2CT7")],
        "AWS Lambda - Ephemeral Storage for ARM - EU (Ireland)",
    ),
    # A usage type costkit does not price: must be listed as unknown, not dropped silently.
    (
        "FIXTURELAMBDA004",
        "EU-Lambda-Provisioned-Concurrency",
        "",
        "Lambda-GB-Second",
        [("0", "Inf", "0.0000041667", "6YS6EN2CT7")],
        "AWS Lambda - Provisioned Concurrency - EU (Ireland)",
    ),
]
CODEBUILD_EU_WEST_1: list[Product] = [
    (
        "FIXTURECB0000001",
        "EU-Build-Min:Linux:g1.medium",
        "",
        "minutes",
        [("0", "Inf", "0.0100000000", "6YS6EN2CT7")],
        "AWS CodeBuild - Build minutes on general1.medium in EU (Ireland)",
    ),
    (
        "FIXTURECB0000002",
        "EU-Build-Min:Linux:g1.large",
        "",
        "minutes",
        [("0", "Inf", "0.0200000000", "6YS6EN2CT7")],
        "AWS CodeBuild - Build minutes on general1.large in EU (Ireland)",
    ),
    (
        "FIXTURECB0000003",
        "EU-Build-Min:ARM:g1.small",
        "",
        "minutes",
        [("0", "Inf", "0.0034000000", "6YS6EN2CT7")],
        "AWS CodeBuild - Build minutes on arm1.small in EU (Ireland)",
    ),
    (
        "FIXTURECB0000004",
        "EU-Build-Min:Windows:g1.medium",
        "",
        "minutes",
        [("0", "Inf", "0.0180000000", "6YS6EN2CT7")],
        "AWS CodeBuild - Build minutes on Windows general1.medium",
    ),
    # The same price under a second SKU is one price, not a conflict.
    (
        "FIXTURECB0000005",
        "EU-Build-Min:Linux:g1.medium",
        "",
        "minutes",
        [("0", "Inf", "0.0100000000", "6YS6EN2CT7")],
        "AWS CodeBuild - Build minutes on general1.medium in EU (Ireland), second SKU",
    ),
]
CODEPIPELINE_EU_WEST_1: list[Product] = [
    (
        "FIXTURECP0000001",
        "EU-activePipeline",
        "",
        "pipelines",
        [("0", "Inf", "1.0000000000", "6YS6EN2CT7")],
        "$1.00 per active pipeline per month",
    ),
    (
        "FIXTURECP0000002",
        "EU-trialPipeline",
        "",
        "pipelines",
        [("0", "Inf", "0.0000000000", "6YS6EN2CT7")],
        "$0.00 per trial pipeline",
    ),
    (
        "FIXTURECP0000003",
        "EU-actionExecutionMinute",
        "",
        "minutes",
        [("0", "Inf", "0.0020000000", "6YS6EN2CT7")],
        "$0.002 per action execution minute",
    ),
]
S3_EU_WEST_1: list[Product] = [
    (
        "FIXTURES30000001",
        "EU-TimedStorage-ByteHrs",
        "",
        "GB-Mo",
        [
            ("0", "51200", "0.0230000000", "PGHJ3S3EYE"),
            ("51200", "512000", "0.0220000000", "D42MF2PVJS"),
            ("512000", "Inf", "0.0210000000", "PXK3D8P4PV"),
        ],
        "Standard storage",
    ),
    (
        "FIXTURES30000002",
        "EU-TimedStorage-SIA-ByteHrs",
        "",
        "GB-Mo",
        [("0", "Inf", "0.0125000000", "6YS6EN2CT7")],
        "Standard-IA storage",
    ),
    (
        "FIXTURES30000003",
        "EU-Requests-Tier1",
        "",
        "Requests",
        [("0", "Inf", "0.0000050000", "6YS6EN2CT7")],
        "PUT, COPY, POST, or LIST requests",
    ),
    (
        "FIXTURES30000004",
        "EU-Requests-Tier2",
        "",
        "Requests",
        [("0", "Inf", "0.0000004000", "6YS6EN2CT7")],
        "GET and all other requests",
    ),
    (
        "FIXTURES30000005",
        "EU-Requests-SIA-Tier2",
        "",
        "Requests",
        [("0", "Inf", "0.0000010000", "6YS6EN2CT7")],
        "Standard-IA GET requests",
    ),
    (
        "FIXTURES30000006",
        "EU-Retrieval-SIA",
        "",
        "GB",
        [("0", "Inf", "0.0100000000", "6YS6EN2CT7")],
        "Standard-IA retrieval",
    ),
    (
        "FIXTURES30000007",
        "EU-Requests-Tier4",
        "S3-SIATransition",
        "Requests",
        [("0", "Inf", "0.0000100000", "6YS6EN2CT7")],
        "Lifecycle transitions into Standard-IA",
    ),
    # Irrelevant to costkit: data transfer out. Listed as unknown.
    (
        "FIXTURES30000008",
        "EU-DataTransfer-Out-Bytes",
        "",
        "GB",
        [("0", "Inf", "0.0900000000", "6YS6EN2CT7")],
        "Data transfer out to the internet",
    ),
]
OFFER_CODES = {
    "CodeBuild": "CodeBuild",
    "AWSLambda": "AWSLambda",
    "AWSCodePipeline": "AWSCodePipeline",
    "AmazonS3": "AmazonS3",
}


def offer_document(code: str, region: str, version: str, published: str, products: list[Product]) -> dict[str, Any]:
    """An offer file in AWS's JSON layout (products by SKU; terms.OnDemand by SKU and offer term)."""
    document: dict[str, Any] = {
        "formatVersion": "v1.0",
        "disclaimer": "TEST FIXTURE served by costkit's test suite, not AWS data as a whole",
        "offerCode": code,
        "version": version,
        "publicationDate": published,
        "products": {},
        "terms": {"OnDemand": {}, "Reserved": {"FIXTURERESERVED1": {}}},
    }
    for sku, usage_type, operation, unit, dims, description in products:
        document["products"][sku] = {
            "sku": sku,
            "productFamily": "Fixture",
            "attributes": {"regionCode": region, "servicecode": code, "usagetype": usage_type, "operation": operation},
        }
        document["terms"]["OnDemand"][sku] = {
            f"{sku}.{TERM}": {
                "offerTermCode": TERM,
                "sku": sku,
                "effectiveDate": "2026-09-01T00:00:00Z",
                "priceDimensions": {
                    f"{sku}.{TERM}.{suffix}": {
                        "rateCode": f"{sku}.{TERM}.{suffix}",
                        "description": description,
                        "beginRange": begin,
                        "endRange": end,
                        "unit": unit,
                        "pricePerUnit": {"USD": usd},
                        "appliesTo": [],
                    }
                    for begin, end, usd, suffix in dims
                },
                "termAttributes": {},
            }
        }
    return document


def offer_csv(document: dict[str, Any]) -> str:
    """The same offer in AWS's CSV layout: five metadata lines, a header, one line per price dimension."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(["FormatVersion", document.get("formatVersion", "v1.0")])
    writer.writerow(["Disclaimer", document.get("disclaimer", "")])
    writer.writerow(["Publication Date", document["publicationDate"]])
    writer.writerow(["Version", document["version"]])
    writer.writerow(["OfferCode", document["offerCode"]])
    header = [
        "SKU",
        "OfferTermCode",
        "RateCode",
        "TermType",
        "PriceDescription",
        "EffectiveDate",
        "StartingRange",
        "EndingRange",
        "Unit",
        "PricePerUnit",
        "Currency",
        "Product Family",
        "serviceCode",
        "usageType",
        "operation",
        "Region Code",
    ]
    writer.writerow(header)
    for sku, terms in document["terms"]["OnDemand"].items():
        attributes = document["products"][sku]["attributes"]
        for term in terms.values():
            for dim in term["priceDimensions"].values():
                end = "" if dim["endRange"] == "Inf" else dim["endRange"]
                writer.writerow(
                    [
                        sku,
                        term["offerTermCode"],
                        dim["rateCode"],
                        "OnDemand",
                        dim["description"],
                        term["effectiveDate"][:10],
                        dim["beginRange"],
                        end,
                        dim["unit"],
                        dim["pricePerUnit"]["USD"],
                        "USD",
                        document["products"][sku]["productFamily"],
                        attributes["servicecode"],
                        attributes["usagetype"],
                        attributes["operation"],
                        attributes["regionCode"],
                    ]
                )
    return out.getvalue()


def offers() -> dict[tuple[str, str], dict[str, Any]]:
    """(offer code, region) -> offer document."""
    published = "2026-11-01T00:00:00Z"
    real_codebuild = json.loads((FIXTURES / "CodeBuild-ap-northeast-1.json").read_text())
    return {
        ("CodeBuild", "ap-northeast-1"): real_codebuild,
        ("CodeBuild", "eu-west-1"): offer_document(
            "CodeBuild", "eu-west-1", FIXTURE_VERSION, published, CODEBUILD_EU_WEST_1
        ),
        ("AWSLambda", "eu-west-1"): offer_document(
            "AWSLambda", "eu-west-1", LAMBDA_VERSION, "2026-10-01T18:47:46Z", LAMBDA_EU_WEST_1
        ),
        ("AWSCodePipeline", "eu-west-1"): offer_document(
            "AWSCodePipeline", "eu-west-1", FIXTURE_VERSION, published, CODEPIPELINE_EU_WEST_1
        ),
        ("AmazonS3", "eu-west-1"): offer_document("AmazonS3", "eu-west-1", FIXTURE_VERSION, published, S3_EU_WEST_1),
    }


FAILING = {
    ("CodeBuild", "us-west-2"): "404",
    ("CodeBuild", "eu-central-1"): "truncated",
    ("CodeBuild", "ca-central-1"): "slow",
}


class PriceListServer:
    """Serves the fixture tree on 127.0.0.1 in a thread; `index_url` is the service index."""

    def __init__(self, extra: dict[str, bytes] | None = None, slow_seconds: float = 2.0) -> None:
        self.files: dict[str, bytes] = {}
        self.behaviour: dict[str, str] = {}
        self.slow_seconds = slow_seconds
        self.requests: list[str] = []
        documents = offers()
        index = {"formatVersion": "v1.0", "publicationDate": "2026-11-01T00:00:00Z", "offers": {}}
        for code in (*OFFER_CODES, "AmazonEC2"):
            index["offers"][code] = {
                "offerCode": code,
                "currentVersionUrl": f"{BASE}/{code}/current/index.json",
                "currentRegionIndexUrl": f"{BASE}/{code}/current/region_index.json",
            }
            regions: dict[str, Any] = {}
            pairs = [r for (c, r) in documents if c == code] + [r for (c, r) in FAILING if c == code]
            for region in pairs:
                version = documents[(code, region)]["version"] if (code, region) in documents else FIXTURE_VERSION
                path = f"{BASE}/{code}/{version}/{region}/index"
                regions[region] = {"regionCode": region, "currentVersionUrl": f"{path}.json"}
                if (code, region) in documents:
                    self.files[f"{path}.json"] = json.dumps(documents[(code, region)], indent=1).encode()
                    self.files[f"{path}.csv"] = offer_csv(documents[(code, region)]).encode()
                else:
                    self.behaviour[f"{path}.json"] = FAILING[(code, region)]
                    self.behaviour[f"{path}.csv"] = FAILING[(code, region)]
                    self.files[f"{path}.json"] = json.dumps(documents[("CodeBuild", "eu-west-1")]).encode()
                    self.files[f"{path}.csv"] = offer_csv(documents[("CodeBuild", "eu-west-1")]).encode()
            self.files[f"{BASE}/{code}/current/region_index.json"] = json.dumps(
                {"formatVersion": "v1.0", "publicationDate": "2026-11-01T00:00:00Z", "regions": regions}
            ).encode()
        self.files[f"{BASE}/index.json"] = json.dumps(index).encode()
        self.files.update(extra or {})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def index_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{BASE}/index.json"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def do_GET(self) -> None:
                # Through a proxy the request line carries the whole URL: serve its path.
                path = "/" + self.path.split("://", 1)[1].split("/", 1)[1] if "://" in self.path else self.path
                server.requests.append(self.path)
                body = server.files.get(path)
                behaviour = server.behaviour.get(path, "ok")
                if behaviour == "flaky" and server.requests.count(self.path) == 1:
                    self.send_error(503)
                    return
                if body is None or behaviour == "404":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if behaviour == "truncated":
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if behaviour == "slow":
                    self.wfile.write(body[:100])
                    self.wfile.flush()
                    time.sleep(server.slow_seconds)
                    body = body[100:]
                self.wfile.write(body)

        return Handler

    def __enter__(self) -> PriceListServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def serve() -> Iterator[PriceListServer]:
    with PriceListServer() as server:
        yield server
