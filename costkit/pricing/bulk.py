"""HTTP for AWS's public Price List bulk files: no credentials, timeouts, retries, proxies from the environment.

Layout (AWS Billing guide, "Reading the price list files"): the service index lists each offer's
`currentRegionIndexUrl`; a region index lists each region's `currentVersionUrl`. URLs in these files are
relative to the index's host. Offer files are streamed to disk, never held in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from costkit.errors import CostkitError, ExitCode

DEFAULT_INDEX_URL = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/index.json"
CHUNK_BYTES = 1 << 20


class BulkFileError(CostkitError):
    """A price list file could not be read: names the URL and what went wrong."""

    exit_code = ExitCode.INTERNAL

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(f"{url}: {problem}", hint="check the network or proxy (HTTPS_PROXY) and try again")
        self.url = url
        self.problem = problem


@dataclass(frozen=True)
class HttpSettings:
    """Connect and read timeouts in seconds (per socket operation, not per file) and retries per request."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 3
    backoff_seconds: float = 0.5


def session(settings: HttpSettings) -> requests.Session:
    """A session that retries GETs on connection errors and 429/5xx; proxies come from the environment."""
    http = requests.Session()
    retry = Retry(
        total=settings.retries,
        backoff_factor=settings.backoff_seconds,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET"}),
        raise_on_status=False,
    )
    http.mount("https://", HTTPAdapter(max_retries=retry))
    http.mount("http://", HTTPAdapter(max_retries=retry))
    http.headers["User-Agent"] = "costkit (price refresh)"
    return http


def absolute(base: str, url: str) -> str:
    """Index URLs are relative to the index's host."""
    return urljoin(base, url)


def _get(http: requests.Session, url: str, settings: HttpSettings, *, stream: bool) -> requests.Response:
    try:
        response = http.get(url, timeout=(settings.connect_timeout, settings.read_timeout), stream=stream)
    except requests.RequestException as error:
        raise BulkFileError(url, f"request failed ({type(error).__name__}: {error})") from error
    if response.status_code != 200:
        response.close()
        raise BulkFileError(url, f"HTTP {response.status_code}")
    return response


def get_json(http: requests.Session, url: str, settings: HttpSettings) -> Any:
    """A small index file, parsed."""
    response = _get(http, url, settings, stream=False)
    try:
        return response.json()
    except ValueError as error:
        raise BulkFileError(url, f"not JSON ({error})") from error


def download(http: requests.Session, url: str, dest: Path, settings: HttpSettings) -> int:
    """Stream `url` into `dest`; refuses a body shorter than its Content-Length. Returns the byte count."""
    response = _get(http, url, settings, stream=True)
    expected = response.headers.get("Content-Length")
    received = 0
    try:
        with dest.open("wb") as out:
            for chunk in response.iter_content(CHUNK_BYTES):
                out.write(chunk)
                received += len(chunk)
    except requests.RequestException as error:
        raise BulkFileError(url, f"download interrupted after {received} bytes ({type(error).__name__})") from error
    finally:
        response.close()
    if expected is not None and expected.isdigit() and int(expected) != received:
        raise BulkFileError(url, f"truncated: {received} of {expected} bytes received")
    return received
