"""Refresh: follow the service index to each region's offer file, parse it, and write one new price set.

All or nothing: if any offer file fails (HTTP error, truncated body, unreadable), no set is written and
the previous one stays in use. Regions a service's region index does not list are reported as not
offered there. Rows of (service, region) pairs not refreshed this time are carried over from the
previous set, so the newest set is always the most complete one.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from costkit.errors import CostkitError
from costkit.pricing.bulk import DEFAULT_INDEX_URL, HttpSettings, absolute, download, get_json, session
from costkit.pricing.cache import sets_dir
from costkit.pricing.offers import SERVICE_CODES, ParsedOffer, parse_offer
from costkit.pricing.sets import SET_FILE_COLUMNS, newest_set, read_set, write_set


@dataclass
class RefreshResult:
    """What a refresh did: the set it wrote, each offer it read, and the regions not offered."""

    set_path: Path | None
    offers: list[ParsedOffer] = field(default_factory=list)
    not_offered: list[tuple[str, str]] = field(default_factory=list)
    carried_rows: int = 0


def offer_urls(
    services: Sequence[str], regions: Sequence[str] | None, index_url: str, settings: HttpSettings, fmt: str = "json"
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """(service, region, offer URL) for each pair the region indexes list, and the pairs they do not.

    `regions` None means every region each index lists."""
    http = session(settings)
    index = get_json(http, index_url, settings)
    found: list[tuple[str, str, str]] = []
    missing: list[tuple[str, str]] = []
    for service in services:
        code = SERVICE_CODES[service]
        entry = (index.get("offers") or {}).get(code) if isinstance(index, dict) else None
        if not entry or "currentRegionIndexUrl" not in entry:
            raise CostkitError(f"{index_url}: the service index lists no offer {code!r} with a region index")
        region_index_url = absolute(index_url, entry["currentRegionIndexUrl"])
        listed = get_json(http, region_index_url, settings).get("regions") or {}
        for region in regions if regions is not None else sorted(listed):
            if region not in listed or "currentVersionUrl" not in listed[region]:
                missing.append((service, region))
                continue
            url = absolute(region_index_url, listed[region]["currentVersionUrl"])
            if fmt == "csv" and url.endswith(".json"):
                url = url[: -len(".json")] + ".csv"
            found.append((service, region, url))
    return found, missing


def refresh(
    services: Sequence[str],
    regions: Sequence[str] | None,
    *,
    index_url: str = DEFAULT_INDEX_URL,
    settings: HttpSettings | None = None,
    fmt: str = "json",
    root: Path | None = None,
) -> RefreshResult:
    """Read the offer files of `services` x `regions` and write a new price set (see module docstring)."""
    settings = settings or HttpSettings()
    targets, not_offered = offer_urls(services, regions, index_url, settings, fmt)
    folder = sets_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    http = session(settings)
    offers: list[ParsedOffer] = []
    with tempfile.TemporaryDirectory(dir=folder, prefix=".download-") as scratch:
        for service, region, url in targets:
            path = Path(scratch) / "offer"
            download(http, url, path, settings)
            offers.append(parse_offer(path, service, region, url))
            path.unlink()
    result = write_refreshed(offers, {"source": "bulk", "index_url": index_url, "format_read": fmt}, root)
    result.not_offered = not_offered
    return result


def write_refreshed(offers: Sequence[ParsedOffer], details: dict[str, Any], root: Path | None = None) -> RefreshResult:
    """One new set: the offers just read, plus the previous set's rows for every other (service, region)."""
    fresh = [
        offer.rows.assign(price_version=offer.version, price_date=offer.publication_date)
        for offer in offers
        if not offer.rows.empty
    ]
    result = RefreshResult(set_path=None, offers=list(offers))
    if not fresh:
        return result
    carried, carried_entries = _carried(offers, root)
    result.carried_rows = len(carried)
    frames = [frame for frame in [*fresh, carried] if not frame.empty]
    prices = pd.concat([frame[list(SET_FILE_COLUMNS)] for frame in frames], ignore_index=True)
    manifest_offers = [_offer_entry(offer) for offer in offers] + carried_entries
    result.set_path = write_set(prices, manifest_offers, details, root)
    return result


def _offer_entry(offer: ParsedOffer) -> dict[str, Any]:
    return {
        "service": offer.service,
        "region": offer.region,
        "version": offer.version,
        "publication_date": offer.publication_date,
        "url": offer.url,
        "rows": len(offer.rows),
        "unknown_usage_types": offer.unknown_usage_types,
        "problems": offer.problems,
    }


def _carried(offers: Sequence[ParsedOffer], root: Path | None) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The previous set's rows and manifest entries of the (service, region) pairs not refreshed now."""
    previous_path = newest_set(root)
    if previous_path is None:
        return pd.DataFrame(columns=list(SET_FILE_COLUMNS)), []
    previous = read_set(previous_path)
    pairs = {(offer.service, offer.region) for offer in offers}
    keep = ~pd.MultiIndex.from_frame(previous.prices[["service", "region"]]).isin(list(pairs) or [("", "")])
    entries = [
        {**entry, "carried_from": previous.name}
        for entry in previous.manifest.get("offers", [])
        if (entry.get("service"), entry.get("region")) not in pairs
    ]
    return previous.prices.loc[keep, list(SET_FILE_COLUMNS)], entries
