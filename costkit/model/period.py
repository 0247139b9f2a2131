"""Time spans: one type, `Period`, [start, end) in UTC instants. What an estimate prices (whole days, usually one
calendar month, as AWS bills) and what a collection observes (any span, to the second) are both Periods, so
calendar arithmetic is written once, here: a month's bounds, the month holding an instant, months apart."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from costkit.errors import ParameterError

FIRST_YEAR = 2006  # AWS began billing in 2006; CodePipeline launched in 2015
LAST_YEAR = 2100
DAY_SECONDS = 86400.0


def utc(moment: dt.date) -> dt.datetime:
    """A date as midnight UTC; a time without a zone as UTC; any other time converted to UTC."""
    if not isinstance(moment, dt.datetime):
        return dt.datetime(moment.year, moment.month, moment.day, tzinfo=dt.UTC)
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC; `end` is exclusive. Dates given are midnight UTC, times without a zone are UTC.

    `days` is its length (fractional for an observed window); `start_date` and `end_date` are its day view
    (`end_date` exclusive), which is what an estimate prints and writes (`to_dict`)."""

    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", utc(self.start))
        object.__setattr__(self, "end", utc(self.end))

    # --- the calendar: the only month arithmetic in costkit -------------------------------------------------

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """The calendar month `year`-`month`: midnight UTC of its first day to midnight UTC of the next month's."""
        index = year * 12 + month - 1
        after = index + 1
        return cls(utc(dt.date(year, month, 1)), utc(dt.date(after // 12, after % 12 + 1, 1)))

    @classmethod
    def month_of(cls, moment: dt.date) -> Period:
        """The calendar month holding `moment` (a date, or an instant in UTC)."""
        instant = utc(moment)
        return cls.month(instant.year, instant.month)

    def shift(self, months: int) -> Period:
        """The calendar month `months` after the one this period starts in (negative: before it)."""
        index = self.start.year * 12 + self.start.month - 1 + months
        return Period.month(index // 12, index % 12 + 1)

    def months(self) -> list[Period]:
        """Every calendar month this period touches, in order (a month it only ends at is not touched)."""
        found = [Period.month_of(self.start)]
        while found[-1].end < self.end:
            found.append(found[-1].shift(1))
        return found

    def calendar_month(self) -> Period:
        """The calendar month this period is, when it is exactly one, else the month its last instant is in."""
        first = Period.month_of(self.start)
        return first if self == first else Period.month_of(self.end - dt.timedelta(microseconds=1))

    @property
    def name(self) -> str:
        """`YYYY-MM` of the month it starts in (a history store's folder, a report's month)."""
        return f"{self.start.year:04d}-{self.start.month:02d}"

    # --- other constructors ---------------------------------------------------------------------------------

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
        """The calendar month of `today` (default: now, in UTC)."""
        return cls.month_of(today or dt.datetime.now(dt.UTC))

    @classmethod
    def last_days(cls, days: int, now: dt.datetime | None = None) -> Period:
        """The `days` days up to `now` (to the second)."""
        end = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        return cls(end - dt.timedelta(days=days), end)

    @classmethod
    def parse(cls, bounds: Any) -> Period:
        """A snapshot manifest's `window` ({"start": ISO 8601, "end": ...}, as every costkit version wrote it);
        times without a zone are UTC, a bare date is midnight UTC."""
        if not isinstance(bounds, dict) or not all(isinstance(bounds.get(k), str) for k in ("start", "end")):
            raise ValueError(f"window {bounds!r} is not {{'start': ISO 8601 time, 'end': ISO 8601 time}}")
        return cls(dt.datetime.fromisoformat(bounds["start"]), dt.datetime.fromisoformat(bounds["end"]))

    # --- views ----------------------------------------------------------------------------------------------

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / DAY_SECONDS

    @property
    def start_date(self) -> dt.date:
        return self.start.date()

    @property
    def end_date(self) -> dt.date:
        """The day `end` falls on (exclusive when the period is whole days)."""
        return self.end.date()

    @property
    def whole_days(self) -> bool:
        """Starts and ends at midnight UTC: days AWS bills, what an estimate can price."""
        return self.start.time() == self.end.time() == dt.time(0)

    def billing(self, parameter: str = "period") -> Period:
        """This period, when an estimate can price it (whole UTC days); else the error says what to pass."""
        if not self.whole_days or self.end <= self.start:
            raise ParameterError(
                parameter,
                f"{self.start.isoformat()} to {self.end.isoformat()}",
                "is not whole UTC days, which is what AWS bills",
                hint="give a calendar month (Period.month, Period.parse_month) or days from midnight UTC",
            )
        return self

    def to_dict(self) -> dict[str, object]:
        """The day view for whole days (the JSON contracts' `period`: dates and a whole number of days);
        an observed window's instants otherwise."""
        if self.whole_days:
            return {"start": self.start_date.isoformat(), "end": self.end_date.isoformat(), "days": round(self.days)}
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": self.days}

    def __str__(self) -> str:
        if self.whole_days:
            return f"{self.start_date} to {self.end_date}"
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


Window = Period  # what a collection observes: the same type (collectors and older callers name it so)
