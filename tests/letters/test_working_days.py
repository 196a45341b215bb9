from datetime import date

from letters.working_days import add_working_days, count_working_days, working_days_between


def test_weekends_are_skipped():
    # Friday 11 October 2019 + 1 working day is Monday 14 October.
    assert add_working_days(date(2019, 10, 11), 1) == date(2019, 10, 14)


def test_england_and_wales_bank_holidays_are_skipped_and_named():
    # Christmas 2019: Wed 25 and Thu 26 December are bank holidays.
    count = count_working_days(date(2019, 12, 24), 1)
    assert count.due == date(2019, 12, 27)
    assert [name for _, name in count.bank_holidays] == ["Christmas Day", "Boxing Day"]


def test_twenty_working_days_from_the_2019_round():
    # Letters of 11 October 2019: four weeks of working days, no bank holiday between.
    count = count_working_days(date(2019, 10, 11), 20)
    assert count.due == date(2019, 11, 8)
    assert count.weekend_days == 8
    assert count.bank_holidays == []


def test_working_days_between_counts_after_start_up_to_end():
    assert working_days_between(date(2019, 11, 8), date(2019, 11, 15)) == 5
    assert working_days_between(date(2019, 11, 15), date(2019, 11, 8)) == 0
