"""Hygiene gates: ruff and mypy --strict stay clean, and boto3 stays inside costkit/collect/."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def _tool(name: str) -> list[str]:
    """Run a tool from this interpreter's environment (installed by the test extra)."""
    if importlib.util.find_spec(name) is None:
        pytest.skip(f"{name} is not installed")
    return [sys.executable, "-m", name]


def test_ruff_is_clean() -> None:
    result = subprocess.run([*_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    result = subprocess.run([*_tool("mypy"), "--strict", "costkit"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_boto3_is_imported_only_in_collect() -> None:
    offenders = []
    for path in (ROOT / "costkit").rglob("*.py"):
        if "collect" in path.relative_to(ROOT / "costkit").parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path}: {n}" for n in names if n.split(".")[0] in ("boto3", "botocore")]
    assert offenders == []


def test_tests_import_their_helpers_as_plain_modules() -> None:
    """tests/ is not a package: `from tests.x import` works under `python -m pytest` (the working directory is on the
    path) but not under the README's plain `pytest`, which is what CI runs."""
    found = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            found += [f"{path.name}: {name}" for name in names if name == "tests" or name.startswith("tests.")]
    assert found == []
