"""The `costkit` command: a thin face over the library. Each command lives in its own module and only
builds library calls and picks a presentation.

Exit codes: 0 ok; 1 internal error; 2 bad input (file, field, option); 3 over --budget;
4 estimate incomplete (missing prices) when --budget or --strict asks for a verdict; 5 partial snapshot.
"""

from __future__ import annotations

import typer

from costkit.cli import collect, diff, estimate, pricing, report, suggest, whatif

app = typer.Typer(
    name="costkit",
    help="Estimate and optimise the monthly AWS cost of CodePipeline CI/CD estates.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("estimate")(estimate.estimate_command)
app.command("suggest")(suggest.suggest_command)
app.command("collect")(collect.collect_command)
app.command("whatif")(whatif.whatif_command)
app.command("diff")(diff.diff_command)
app.command("report")(report.report_command)
app.add_typer(pricing.pricing_app, name="pricing")


@app.callback()
def _root() -> None:
    """costkit: AWS CI/CD cost, right to the cent."""


def main() -> None:
    """Console-script entry point."""
    app()
