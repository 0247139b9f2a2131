"""DataFrames that know how to draw themselves: `.plot()` returns a matplotlib Figure (made without pyplot, so
no global figure state is touched; a notebook shows it inline, a script saves it with `savefig`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

INCOMPLETE_HATCH = "//"
INCOMPLETE_COLOR = "#c0392b"
INCOMPLETE_NOTE = "hatched / hollow: incomplete (a price is missing), a lower bound"


def figure(width: float = 8.0, height: float = 4.5) -> tuple[Figure, Axes]:
    """A new figure and its axes (matplotlib is imported here, on first use: the CLI never pays for it)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def finish(ax: Axes, title: str, ylabel: str = "USD per month") -> None:
    """Title, axis label and legend, the same on every what-if figure."""
    ax.set_ylabel(ylabel)
    ax.set_title(label(title))
    ax.legend(fontsize=8)


def label(value: object) -> str:
    """Text from files and accounts as a figure shows it: control characters visible, `$` never mathtext."""
    text = "".join(
        c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}" for c in str(value)
    )
    return text.replace("$", r"\$")


def money(value: float) -> str:
    """Dollars for a figure (the `$` escaped, so two amounts in one label never turn into mathtext)."""
    return f"\\${value:,.2f}"


class PlotFrame(pd.DataFrame):
    """A DataFrame whose `plot()` draws the figure that goes with it (subclasses say how)."""

    _metadata: ClassVar[list[str]] = ["title"]
    title: str = ""

    @property
    def _constructor(self) -> Any:
        return type(self)

    def plot(self, *args: Any, **kwargs: Any) -> Figure:  # type: ignore[override]
        """The figure for this table; pandas' own plotting stays available as `pd.DataFrame(frame).plot`."""
        return self.draw(*args, **kwargs)

    def draw(self, *args: Any, **kwargs: Any) -> Figure:
        raise NotImplementedError
