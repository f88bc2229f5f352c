from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from webapp.agent.office_hours import Schedule, ScheduleError, describe_opening, parse_days

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def at(zone, *parts):
    return datetime(*parts, tzinfo=zone)


WEEKDAYS = Schedule.parse(
    "Europe/Paris", [{"day_of_week": "monday_to_friday", "start_time": "09:00", "end_time": "17:00"}]
)


@pytest.mark.parametrize(
    ("spec", "days"),
    [
        ("monday", (0,)),
        ("monday_to_friday", (0, 1, 2, 3, 4)),
        ("friday_to_monday", (4, 5, 6, 0)),
        ("everyday", tuple(range(7))),
        ("weekends", (5, 6)),
    ],
)
def test_day_specs(spec, days):
    assert parse_days(spec) == days


@pytest.mark.parametrize("bad", ["funday", "monday_to_someday", ""])
def test_unknown_days_are_refused(bad):
    with pytest.raises(ScheduleError):
        parse_days(bad)


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        (at(PARIS, 2026, 11, 23, 9, 0), True),  # Monday, opening minute
        (at(PARIS, 2026, 11, 23, 16, 59), True),
        (at(PARIS, 2026, 11, 23, 17, 0), False),  # closing is exclusive
        (at(PARIS, 2026, 11, 21, 12, 0), False),  # Saturday
        (datetime(2026, 11, 23, 8, 30, tzinfo=UTC), True),  # 09:30 in Paris
    ],
)
def test_is_open_in_the_schedules_zone(moment, open_):
    assert WEEKDAYS.is_open(moment) is open_


def test_a_shift_across_midnight():
    nights = Schedule.parse("America/New_York", [{"day_of_week": "friday", "start_time": "22:00", "end_time": "06:00"}])
    assert nights.is_open(at(NEW_YORK, 2026, 11, 20, 23, 0))  # Friday night
    assert nights.is_open(at(NEW_YORK, 2026, 11, 21, 5, 59))  # early Saturday
    assert not nights.is_open(at(NEW_YORK, 2026, 11, 21, 6, 0))
    assert not nights.is_open(at(NEW_YORK, 2026, 11, 20, 5, 0))  # early Friday belongs to Thursday's night
    assert nights.next_opening(at(NEW_YORK, 2026, 11, 21, 7, 0)) == at(NEW_YORK, 2026, 11, 27, 22, 0)


def test_the_next_opening_is_09_00_local_across_the_spring_dst_change():
    # Paris moves from UTC+1 to UTC+2 on Sunday 29 March 2026.
    before = WEEKDAYS.next_opening(at(PARIS, 2026, 3, 27, 18, 0))  # Friday evening, before the change
    assert before == at(PARIS, 2026, 3, 30, 9, 0)
    assert before.astimezone(UTC).hour == 7  # 09:00 CEST, not 08:00
    week_earlier = WEEKDAYS.next_opening(at(PARIS, 2026, 3, 20, 18, 0))
    assert week_earlier.astimezone(UTC).hour == 8  # 09:00 CET


def test_the_next_opening_across_the_autumn_dst_change_in_new_york():
    # New York moves from UTC-4 to UTC-5 on Sunday 1 November 2026.
    schedule = Schedule.parse(
        "America/New_York", [{"day_of_week": "everyday", "start_time": "08:00", "end_time": "20:00"}]
    )
    opening = schedule.next_opening(datetime(2026, 11, 1, 5, 0, tzinfo=UTC))  # Sat 00:00 EST-ish night
    assert opening == at(NEW_YORK, 2026, 11, 1, 8, 0)
    assert opening.astimezone(UTC).hour == 13  # 08:00 EST


def test_describe_opening():
    now = at(PARIS, 2026, 11, 20, 18, 0)  # Friday
    assert describe_opening(WEEKDAYS.next_opening(now), now) == "on Monday at 09:00 (Europe/Paris time)"
    now = at(PARIS, 2026, 11, 23, 7, 0)
    assert describe_opening(WEEKDAYS.next_opening(now), now) == "today at 09:00 (Europe/Paris time)"
    now = at(PARIS, 2026, 11, 23, 18, 0)
    assert describe_opening(WEEKDAYS.next_opening(now), now) == "tomorrow at 09:00 (Europe/Paris time)"


def test_an_unknown_zone_is_refused():
    with pytest.raises(ScheduleError, match="IANA"):
        Schedule.parse("Mars/Olympus", [])
