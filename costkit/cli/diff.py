"""`costkit diff`: compare two saved estimates (`costkit estimate --format json`), like `infracost diff`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from costkit.cli.options import OutputOption, RedactOption
from costkit.cli.output import emit, emit_table, user_errors
from costkit.cli.whatif import WhatIfFormat
from costkit.present import redact as masking
from costkit.present import whatif as render
from costkit.whatif.diff import diff


def diff_command(
    before: Annotated[Path, typer.Argument(metavar="BEFORE.json", help="The estimate to compare from.")],
    after: Annotated[Path, typer.Argument(metavar="AFTER.json", help="The estimate to compare to.")],
    fmt: Annotated[
        WhatIfFormat, typer.Option("--format", "-f", help="Output format: a table for people, or json/markdown.")
    ] = WhatIfFormat.table,
    output: OutputOption = None,
    redact: RedactOption = False,
) -> None:
    """Totals, services and lines added, removed or changed between two saved estimates.

    Exit codes: 0 ok, 2 bad input (a file that is not a saved estimate).
    """
    with user_errors(redact=redact):
        result = diff(before, after)
        if fmt is WhatIfFormat.json:
            emit((masking.value(result) if redact else result).to_json() + "\n", output)
        elif fmt is WhatIfFormat.markdown:
            emit(render.diff_markdown(masking.value(result) if redact else result), output)
        else:
            shown = masking.value(result) if redact else result
            emit_table(lambda console: render.diff_table(shown, console), output)
