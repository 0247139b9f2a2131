"""Peak memory of `costkit pricing refresh` on an S3 offer file of realistic size. Prints figures; not a test.

Writes a synthetic AmazonS3 offer file (about 300 MB of JSON in AWS's layout: products keyed by SKU, then
terms.OnDemand and terms.Reserved) to a temporary folder, serves it from 127.0.0.1, runs the refresh in
a fresh subprocess and reports that process's peak RSS (getrusage of the child). Target: under 1 GB.

    python benchmarks/refresh_memory.py [--megabytes 300]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TextIO

TARGET_BYTES = 1 << 30
MAPPED = ["TimedStorage-ByteHrs", "Requests-Tier1", "Requests-Tier2", "TimedStorage-SIA-ByteHrs", "Retrieval-SIA"]
# S3 offer files hold thousands of usage types costkit does not price (data transfer, replication, ...).
OTHER = [f"DataTransfer-Regional-Bytes-{i}" for i in range(3000)]
PAD = {f"attribute{i:02d}": f"value of a product attribute costkit does not read, number {i}" for i in range(12)}


def _product(sku: str, usage_type: str) -> str:
    attributes = {"regionCode": "us-east-1", "servicecode": "AmazonS3", "usagetype": usage_type, "operation": "", **PAD}
    return json.dumps({"sku": sku, "productFamily": "Storage", "attributes": attributes})


UNITS = {"Requests-Tier1": "Requests", "Requests-Tier2": "Requests", "Retrieval-SIA": "GB"}


def _term(sku: str, tiers: int, unit: str) -> str:
    bounds = ["0", "51200", "512000", "Inf"][: tiers + 1] if tiers > 1 else ["0", "Inf"]
    dims = {
        f"{sku}.JRTCKXETXF.R{n}": {
            "rateCode": f"{sku}.JRTCKXETXF.R{n}",
            "description": f"synthetic price dimension {n} of {sku}",
            "beginRange": bounds[n],
            "endRange": bounds[n + 1],
            "unit": unit,
            "pricePerUnit": {"USD": f"{0.023 - 0.001 * n:.10f}"},
            "appliesTo": [],
        }
        for n in range(len(bounds) - 1)
    }
    term = {"offerTermCode": "JRTCKXETXF", "sku": sku, "effectiveDate": "2026-09-01T00:00:00Z", "priceDimensions": dims}
    return json.dumps({f"{sku}.JRTCKXETXF": term})


def write_offer(path: Path, megabytes: int) -> int:
    """Stream a synthetic offer file to disk; returns its size in bytes."""
    target = megabytes * 1_000_000
    with path.open("w", encoding="utf-8") as out:
        out.write('{"formatVersion":"v1.0","disclaimer":"synthetic benchmark file","offerCode":"AmazonS3",')
        out.write('"version":"20261101000000","publicationDate":"2026-11-01T00:00:00Z","products":{')
        count = _write_items(out, target * 73 // 100, lambda sku, n: _product(sku, _usage_type(n)))
        out.write('},"terms":{"OnDemand":{')
        _write_items(
            out, target, lambda sku, n: _term(sku, 3 if n == 0 else 1, UNITS.get(_usage_type(n), "GB-Mo")), limit=count
        )
        out.write('},"Reserved":{}}}')
    return path.stat().st_size


def _usage_type(n: int) -> str:
    return MAPPED[n] if n < len(MAPPED) else OTHER[n % len(OTHER)]


def _write_items(out: TextIO, until: int, body: object, limit: int | None = None) -> int:
    n = 0
    make = body  # (sku, n) -> JSON text
    while (limit is None and out.tell() < until) or (limit is not None and n < limit):
        sku = f"SKU{n:012d}"
        out.write(("," if n else "") + json.dumps(sku) + ":" + make(sku, n))  # type: ignore[operator]
        n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=int, default=300, help="size of the synthetic offer file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "site"
        base = root / "offers/v1.0/aws"
        offer = base / "AmazonS3/20261101000000/us-east-1/index.json"
        offer.parent.mkdir(parents=True)
        started = time.perf_counter()
        size = write_offer(offer, args.megabytes)
        print(f"synthetic S3 offer file: {size / 1e6:.0f} MB written in {time.perf_counter() - started:.0f} s")
        (base / "index.json").write_text(
            json.dumps(
                {
                    "offers": {
                        "AmazonS3": {"currentRegionIndexUrl": "/offers/v1.0/aws/AmazonS3/current/region_index.json"}
                    }
                }
            )
        )
        (base / "AmazonS3/current").mkdir(parents=True)
        (base / "AmazonS3/current/region_index.json").write_text(
            json.dumps({"regions": {"us-east-1": {"currentVersionUrl": "/" + str(offer.relative_to(root))}}})
        )
        handler = functools.partial(_Quiet, directory=str(root))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/offers/v1.0/aws/index.json"
        env = {**os.environ, "COSTKIT_CACHE_DIR": str(Path(folder) / "cache")}
        refresh = ["pricing", "refresh", "--services", "S3", "--regions", "us-east-1", "--index-url", url]
        command = [sys.executable, "-c", "import sys; from costkit.cli import app; app(sys.argv[1:])", *refresh]
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        server.shutdown()
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # Linux reports KiB
        print(done.stderr.strip())
        print(
            f"refresh: exit {done.returncode} in {seconds:.0f} s; peak RSS of the refresh process "
            f"{peak / 2**20:.0f} MiB"
        )
        verdict = "OK" if peak < TARGET_BYTES and done.returncode == 0 else "OVER TARGET OR FAILED"
        print(f"target: under {TARGET_BYTES / 2**20:.0f} MiB: {verdict}")
        if verdict != "OK":
            raise SystemExit(1)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


if __name__ == "__main__":
    main()
