"""The `costkit` command line (see app.py)."""

from __future__ import annotations

from costkit.cli.app import app, main

__all__ = ["app", "main"]
