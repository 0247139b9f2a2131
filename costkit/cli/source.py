"""Which source a pricing command reads: a usage file, a snapshot folder, or a live collection (--profile)."""

from __future__ import annotations

from pathlib import Path

from costkit.cli.output import stderr
from costkit.errors import CostkitError
from costkit.sources.snapshot.folder import Snapshot


def observed(
    usage: Path | None, snapshot: Path | None, profile: str | None, command: str, *, redact: bool = False
) -> Path | Snapshot | None:
    """Check that exactly one source was given; for --profile, collect the last 30 days first.

    Returns the snapshot to price (a folder or a fresh collection), or None for a usage file."""
    given = [name for name, value in (("--usage", usage), ("--snapshot", snapshot), ("--profile", profile)) if value]
    if len(given) != 1:
        raise CostkitError(
            "give exactly one of --usage FILE, --snapshot DIR or --profile PROFILE"
            + (f" (got {', '.join(given)})" if given else ""),
            hint=f"try: costkit {command} --usage examples/mid-size-platform.yaml",
        )
    if profile is not None:
        from costkit.cli.collect_support import collect_live

        return collect_live(profile, stderr, redact=redact)
    return snapshot
