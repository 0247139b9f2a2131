"""Untrusted text made safe for each output format, in one place.

Names come from usage files and AWS accounts other people wrote, and AWS error messages quote them back. None
of them may forge output (a row, a link, a formula) or control the terminal (escape sequences, bidirectional
overrides). Every renderer passes each untrusted string through the function for its format. JSON needs none:
`json.dumps` escapes control characters and every non-ASCII character.
"""

from __future__ import annotations

import html
import re

import pandas as pd
from rich.markup import escape as _rich_escape

# C0 controls (ESC, CR, BS, ...), DEL, C1 controls (CSI 0x9b, OSC 0x9d, ...), the Arabic letter mark, LRM/RLM,
# line and paragraph separators, bidirectional embeddings/overrides and isolates ("Trojan Source").
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
# Markdown punctuation that can start a construct anywhere in a line: escapes, code, emphasis, strikethrough,
# links and images (`[`, `]`; `(` and `!` only matter next to them), table cells, math.
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]|~$])")
# ... and at the start of a line or cell: headings, lists, block quotes (`>` becomes an entity anyway), rules.
_MARKDOWN_LEADING = re.compile(r"^([#+\-=]|\d+(?=[.)]))")
_AUTOLINK = re.compile(r"(?i)(://|www\.)")  # GitHub turns bare URLs into links
_CSV_FORMULA = r"^[=+\-@\t\r]"  # OWASP: characters a spreadsheet treats as the start of a formula


def _visible_char(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def visible(value: object) -> str:
    """The text with every control and bidi character shown as an escape (`\\x1b`, `\\n`, `\\u202e`)."""
    return _CONTROL.sub(_visible_char, str(value))


def terminal(value: object) -> str:
    """For a rich markup string or table cell: markup shown as text, control characters made visible."""
    return _rich_escape(visible(value))


def markdown(value: object) -> str:
    """For Markdown text and table cells: cannot add a row, a link, an image, emphasis or HTML."""
    text = _MARKDOWN_INLINE.sub(r"\\\1", visible(value))
    text = _MARKDOWN_LEADING.sub(lambda m: m.group() + "\\" if m.group().isdigit() else "\\" + m.group(), text)
    text = _AUTOLINK.sub(lambda m: "\\" + m.group() if m.group() == "://" else m.group()[:-1] + "\\.", text)
    return html.escape(text, quote=False)


def markdown_code(value: object, *, in_table: bool = False) -> str:
    """A Markdown code span holding the text as is: the fence is longer than any run of backticks in it."""
    text = visible(value)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") or not text.strip() else text
    span = f"{fence}{padded}{fence}"
    return span.replace("|", "\\|") if in_table else span  # GFM splits cells on `|` even inside code


def html_text(value: object) -> str:
    """For HTML text and attribute values: everything escaped, quotes included."""
    return html.escape(visible(value), quote=True)


def has_text(series: pd.Series) -> bool:
    """Whether a column holds strings (alone or among other objects): the ones `.str` methods can change."""
    if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
        return False
    return pd.api.types.infer_dtype(series, skipna=True) in {"string", "mixed", "mixed-integer"}


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns made safe for spreadsheets: control characters visible, formula starts prefixed with `'`.

    Numeric columns are left alone, so a negative number stays a number. Non-text values in text columns
    (None, lists) are kept as they are."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if not has_text(series):
            continue
        text = series.str.replace(_CONTROL, _visible_char, regex=True)
        if text.isna().all():  # objects but no strings (dicts, lists)
            continue
        text = text.where(~text.str.contains(_CSV_FORMULA, regex=True, na=False), "'" + text)
        out[column] = series.where(text.isna(), text)
    return out
