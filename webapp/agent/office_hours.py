"""Office hours: is the team in, and when is it back? Computed in the schedule's own time zone,
so openings stay at 09:00 local across daylight-saving changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ALIASES = {"everyday": DAYS, "every_day": DAYS, "weekdays": DAYS[:5], "weekends": DAYS[5:], "weekend": DAYS[5:]}
MAX_ZONE_NAME = 64  # OfficeHours.timezone holds as much


class ScheduleError(ValueError):
    """A schedule that cannot be understood; the message says which part."""


def parse_days(spec: str) -> tuple[int, ...]:
    """'monday', 'monday_to_friday', 'friday_to_monday', 'everyday' → weekday numbers."""
    spec = spec.strip().lower()
    if spec in ALIASES:
        return tuple(DAYS.index(d) for d in ALIASES[spec])
    if "_to_" in spec:
        first, last = spec.split("_to_", 1)
        if first not in DAYS or last not in DAYS:
            raise ScheduleError(f"unknown day range {spec!r}")
        start, end = DAYS.index(first), DAYS.index(last)
        return tuple((start + n) % 7 for n in range((end - start) % 7 + 1))
    if spec not in DAYS:
        raise ScheduleError(f"unknown day {spec!r}")
    return (DAYS.index(spec),)


def parse_time(value: str) -> time:
    try:
        hours, minutes = value.strip().split(":")
        hours, minutes = int(hours), int(minutes)
    except ValueError as exc:
        raise ScheduleError(f"{value!r} is not a time like 09:00") from exc
    if (hours, minutes) == (24, 0):
        return time.max
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise ScheduleError(f"{value!r} is not a time like 09:00")
    return time(hours, minutes)


def parse_zone(name: str) -> ZoneInfo:
    # The longest IANA name has 32 characters. A long one with many "/" would send the lookup
    # through tzdata's packages one level per part, deep enough to exhaust the stack.
    if len(name) > MAX_ZONE_NAME:
        raise ScheduleError(f"{name[:MAX_ZONE_NAME]!r}… is not an IANA time zone (like Europe/Paris)")
    try:
        return ZoneInfo(name)
    # OSError: a folder of the time zone database ("America"), not a zone.
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ScheduleError(f"{name!r} is not an IANA time zone (like Europe/Paris)") from exc


@dataclass(frozen=True)
class Shift:
    days: tuple[int, ...]
    start: time
    end: time

    @classmethod
    def parse(cls, raw: dict) -> Shift:
        return cls(parse_days(raw["day_of_week"]), parse_time(raw["start_time"]), parse_time(raw["end_time"]))


@dataclass(frozen=True)
class Schedule:
    zone: ZoneInfo
    shifts: tuple[Shift, ...]

    @classmethod
    def parse(cls, timezone: str, shifts: list[dict]) -> Schedule:
        return cls(parse_zone(timezone), tuple(Shift.parse(s) for s in shifts))

    def _windows(self, day: date):
        """Opening windows that start on ``day`` (local), as aware datetimes."""
        for shift in self.shifts:
            if day.weekday() not in shift.days:
                continue
            opens = datetime.combine(day, shift.start, tzinfo=self.zone)
            end_day = day if shift.end > shift.start else day + timedelta(days=1)  # crosses midnight
            closes = datetime.combine(end_day, shift.end, tzinfo=self.zone)
            yield opens, closes

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.zone)
        for day in (local.date() - timedelta(days=1), local.date()):
            for opens, closes in self._windows(day):
                if opens <= at < closes:
                    return True
        return False

    def next_opening(self, at: datetime) -> datetime | None:
        """The first opening after ``at`` (in the schedule's zone), or None for an empty schedule."""
        local = at.astimezone(self.zone)
        for offset in range(0, 8):
            starts = sorted(opens for opens, _ in self._windows(local.date() + timedelta(days=offset)) if opens > at)
            if starts:
                return starts[0].astimezone(self.zone)
        return None


def describe_opening(opening: datetime, now: datetime) -> str:
    """'today at 09:00', 'tomorrow at 09:00' or 'on Monday at 09:00' (Europe/Paris time)."""
    local_now = now.astimezone(opening.tzinfo)
    days = (opening.date() - local_now.date()).days
    when = "today" if days == 0 else "tomorrow" if days == 1 else f"on {opening.strftime('%A')}"
    return f"{when} at {opening.strftime('%H:%M')} ({opening.tzinfo.key} time)"
