"""The architecture, enforced: imports flow one way through the layers, no savings rule imports another, and the
library speaks in parameters, never in the CLI's flags. (boto3 stays in collect/: tests/test_quality.py.)"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import click
import typer

from costkit.cli import app

PACKAGE = Path(__file__).parent.parent / "costkit"

# Lowest first. A module may import its own layer and the layers below, never one above.
LAYERS: list[tuple[str, ...]] = [
    ("costkit.errors", "costkit.model", "costkit.assumptions"),  # value types every layer may use
    ("costkit.billing", "costkit.tables", "costkit.pricing"),  # metering rules, price data
    ("costkit.sources", "costkit.collect"),  # sources: usage file, snapshot folder, the live account
    ("costkit.price", "costkit.reprice"),  # pricing a table; re-pricing its changes by the groups they touch
    ("costkit.estimate", "costkit.change"),
    ("costkit.optimize", "costkit.whatif", "costkit.report"),  # savings rules, what-if scenarios, the report
    ("costkit.present",),  # tables, CSV, Markdown; escaping and redaction
    ("costkit.cli",),
]


def _modules() -> Iterator[tuple[str, Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path, ast.parse(path.read_text(encoding="utf-8"))


def _layer(module: str) -> int | None:
    """The layer of a costkit module (longest matching prefix); None for the package facade `costkit`."""
    best: tuple[int, int] | None = None
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return None if best is None else best[1]


def _imports(tree: ast.Module) -> Iterator[tuple[str, list[str]]]:
    """(module, names) per import; `from package import submodule` is an import of the submodule."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            folder = PACKAGE.parent.joinpath(*node.module.split("."))
            names = [alias.name for alias in node.names]
            submodules = [n for n in names if (folder / f"{n}.py").exists() or (folder / n).is_dir()]
            yield from ((f"{node.module}.{n}", []) for n in submodules)
            if len(submodules) < len(names):
                yield node.module, [n for n in names if n not in submodules]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []


def test_every_module_has_a_layer() -> None:
    unplaced = [name for name, _, _ in _modules() if name != "costkit" and _layer(name) is None]
    assert unplaced == []


def test_imports_flow_one_way() -> None:
    upward = []
    for name, _, tree in _modules():
        mine = _layer(name)
        for target, names in _imports(tree):
            if not target.startswith("costkit") or mine is None:
                continue
            if target == "costkit":  # the facade: only its version is read from inside the package
                if set(names) - {"__version__"}:
                    upward.append(f"{name} imports {names} from the costkit facade")
                continue
            theirs = _layer(target)
            if theirs is not None and theirs > mine:
                upward.append(f"{name} (layer {mine}) imports {target} (layer {theirs})")
    assert upward == []


def test_only_the_cli_imports_collect() -> None:
    found = [
        f"{name} imports {target}"
        for name, _, tree in _modules()
        if not name.startswith(("costkit.collect", "costkit.cli"))
        for target, _ in _imports(tree)
        if target.startswith("costkit.collect")
    ]
    assert found == []


def test_no_rule_imports_another_rule() -> None:
    found = [
        f"{name} imports {target}"
        for name, _, tree in _modules()
        if name.startswith("costkit.optimize.rules.")
        for target, _ in _imports(tree)
        if target.startswith("costkit.optimize.rules")
    ]
    assert found == []


def _flags() -> set[str]:
    """Every option name the `costkit` command accepts, read from the CLI itself."""
    found: set[str] = set()

    def walk(command: click.Command) -> None:
        for param in command.params:
            found.update(opt for opt in (*param.opts, *param.secondary_opts) if opt.startswith("--"))
        for child in getattr(command, "commands", {}).values():
            walk(child)

    walk(typer.main.get_command(app))
    return found


def _texts(tree: ast.Module) -> Iterator[str]:
    """Every string the module can show at run time: literals and the literal parts of f-strings, not docstrings."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    inside_fstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
            inside_fstrings |= {id(v) for v in node.values}
            yield "{}".join(parts)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings | inside_fstrings
        ):
            yield node.value


def test_no_library_module_mentions_a_cli_flag() -> None:
    flags = _flags()
    assert {"--region", "--fallback-region", "--month", "--pricing-dir"} <= flags  # the scan reads the real CLI
    found = []
    for name, path, tree in _modules():
        relative = path.relative_to(PACKAGE.parent).as_posix()
        if name.startswith("costkit.cli"):
            continue
        for text in _texts(tree):
            if "aws " in text:  # an AWS CLI command a suggestion tells people to run: its flags are AWS's
                continue
            named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", text)) & flags
            if named:
                found.append(f"{relative}: {sorted(named)} in {text[:80]!r}")
    assert found == []


# Usage-type names (costkit's canonical ones: pricing/usage_types.csv, usage_meters.csv, codebuild_compute_types.csv).
USAGE_TYPE = re.compile(
    r"ActivePipeline|TrialPipeline|ActionExecutionMinutes|Build-(Min|Sec):|ReservedCapacity-|Request-ARM"
    r"|Lambda-(Storage-)?GB-Second|TimedStorage-|Requests-([A-Z]+-)?Tier|Retrieval-[A-Z]|Transition-[A-Z]"
    r"|Monitoring-Automation"
)
# Not names costkit builds: the Price List's own spellings the price refresh translates, and the demo's fake bill.
NAMES_FROM_ELSEWHERE = ("costkit/collect/price_list.py", "costkit/collect/fake_account.py")


def test_usage_type_names_come_only_from_the_mapping_table() -> None:
    found = []
    for name, path, tree in _modules():
        relative = path.relative_to(PACKAGE.parent).as_posix()
        if name.startswith("costkit.billing") or relative in NAMES_FROM_ELSEWHERE:
            continue
        found += [f"{relative}: {text[:80]!r}" for text in _texts(tree) if USAGE_TYPE.search(text)]
    assert found == []


def test_the_meters_table_names_every_usage_type_the_price_tables_price() -> None:
    from costkit import load_pricebook
    from costkit.billing import meters

    named = set(meters.table()["usage_type"])
    book = load_pricebook()
    priced = set(book.prices["usage_type"]) - set(book.compute_types["usage_type"])
    assert priced - named == set()


def test_every_metered_price_list_name_is_in_the_price_list_mapping() -> None:
    from costkit.billing import meters
    from costkit.pricing.usage_types import mapping

    table = meters.table()
    metered = set(table.loc[table["origin"] == "price-list", "usage_type"])
    assert metered - set(mapping()["usage_type"]) == set()
    assert set(table["origin"]) <= {"price-list", "costkit", "pattern", "unpublished"}
