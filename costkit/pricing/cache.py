"""Where refreshed price sets live: the user cache directory, or $COSTKIT_CACHE_DIR (tests, CI, shared caches)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

CACHE_ENV = "COSTKIT_CACHE_DIR"


def cache_dir() -> Path:
    """costkit's cache root: $COSTKIT_CACHE_DIR when set, else the platform's user cache dir."""
    override = os.environ.get(CACHE_ENV)
    return Path(override) if override else Path(platformdirs.user_cache_dir("costkit"))


def sets_dir(root: Path | None = None) -> Path:
    """The folder holding one sub-folder per refreshed price set."""
    return (root or cache_dir()) / "price-sets"
