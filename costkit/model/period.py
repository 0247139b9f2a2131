"""Time spans: the billing period an estimate covers (one calendar month, as AWS bills) and the window a
collection observes. Both are [start, end) in UTC and share one piece of calendar arithmetic: `month_bounds`."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from costkit.errors import ParameterError

FIRST_YEAR = 2006  # AWS began billing in 2006; CodePipeline launched in 2015
LAST_YEAR = 2100


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    """The first day of a calendar month and the first day of the next: the only month arithmetic in costkit."""
    return dt.date(year, month, 1), dt.date(year + (month == 12), month % 12 + 1, 1)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC dates; `end` is exclusive. What an estimate prices: whole days, usually a month."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(*month_bounds(year, month))

    @classmethod
    def parse_month(cls, text: str) -> Period:
        """`YYYY-MM` to the whole calendar month, of a year AWS could bill (FIRST_YEAR to LAST_YEAR)."""
        match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", text)
        if match is None or not 1 <= int(match[2]) <= 12:
            raise ParameterError("month", text, "is not a month", hint="write it as YYYY-MM, e.g. 2026-12")
        if not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
            raise ParameterError(
                "month", text, f"is not a month costkit prices ({FIRST_YEAR} to {LAST_YEAR})", hint="check the year"
            )
        return cls.month(int(match[1]), int(match[2]))

    @classmethod
    def current(cls, today: dt.date | None = None) -> Period:
        day = today or dt.datetime.now(dt.UTC).date()
        return cls.month(day.year, day.month)

    @classmethod
    def covering(cls, window: Window) -> Period:
        """The calendar month a window covers when it is exactly one, else the month its last instant is in."""
        first = cls.month(window.start.year, window.start.month)
        if window == Window.of(first):
            return first
        last = window.end - dt.timedelta(seconds=1)
        return cls.month(last.year, last.month)

    def to_dict(self) -> dict[str, object]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": self.days}


@dataclass(frozen=True)
class Window:
    """[start, end) in UTC instants: what a collection observes (any length, to the second)."""

    start: dt.datetime
    end: dt.datetime

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400.0

    @classmethod
    def of(cls, period: Period) -> Window:
        """A period's days as instants: midnight UTC of its first day to midnight UTC after its last."""
        return cls(_midnight(period.start), _midnight(period.end))

    @classmethod
    def last_days(cls, days: int, now: dt.datetime | None = None) -> Window:
        end = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        return cls(end - dt.timedelta(days=days), end)

    @classmethod
    def month(cls, year: int, month: int) -> Window:
        return cls.of(Period.month(year, month))

    @classmethod
    def parse(cls, bounds: dict[str, str]) -> Window:
        """A manifest's `window` ({"start": ISO 8601, "end": ...}); times without a zone are UTC."""
        start, end = (dt.datetime.fromisoformat(bounds[key]) for key in ("start", "end"))
        return cls(*(t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC) for t in (start, end)))
