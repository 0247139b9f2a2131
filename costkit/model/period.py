"""The billing period an estimate covers: one calendar month, as AWS bills."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from costkit.errors import CostkitError


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC dates; `end` is exclusive."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        start = dt.date(year, month, 1)
        end = dt.date(year + (month == 12), month % 12 + 1, 1)
        return cls(start, end)

    @classmethod
    def parse_month(cls, text: str) -> Period:
        """`YYYY-MM` to the whole calendar month."""
        try:
            year, month = (int(part) for part in text.split("-"))
            return cls.month(year, month)
        except ValueError:
            raise CostkitError(f"--month {text!r} is not a month", hint="write it as YYYY-MM, e.g. 2026-12") from None

    @classmethod
    def current(cls, today: dt.date | None = None) -> Period:
        day = today or dt.datetime.now(dt.UTC).date()
        return cls.month(day.year, day.month)

    def to_dict(self) -> dict[str, object]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": self.days}
