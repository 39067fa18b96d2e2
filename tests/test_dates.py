"""Expiry dates as people write them, and the renewal window (at most three months early)."""
from datetime import date, datetime

import pytest

from bot import dates

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize("text, expected, precision", [
    ("证书2027年1月10日到期", date(2027, 1, 10), "day"),
    ("27年2月底到期，现在能报延续不", date(2027, 2, 28), "month"),
    ("27年5月到期的话要等到啥时候", date(2027, 5, 31), "month"),
    ("2027-01-10到期", date(2027, 1, 10), "day"),
    ("有效期到2027/1/10", date(2027, 1, 10), "day"),
    ("20270110到期", date(2027, 1, 10), "day"),
    ("1月10号到期", date(2027, 1, 10), "day"),
    ("2027年3月到期", date(2027, 3, 31), "month"),
    ("明年3月到期", date(2027, 3, 31), "month"),
    ("下个月就到期了", date(2026, 12, 31), "month"),
    ("还有两个月到期", date(2027, 1, 24), "approx"),
    ("证书还有五个月才到期", date(2027, 4, 24), "approx"),
    ("离证书到期还剩一百天", date(2027, 3, 4), "approx"),
    ("还有一百二十天到期", date(2027, 3, 24), "approx"),
    ("my certificate expires on 15 march 2027", date(2027, 3, 15), "day"),
    ("我那本证十月份就已经到期了", date(2026, 10, 31), "month"),
    ("证书过期一礼拜了", date(2026, 11, 17), "approx"),
    ("还有三个月零两天到期", date(2027, 2, 26), "approx"),
    ("元旦过后半个月左右到期", date(2027, 1, 16), "approx"),
    ("证书过了年2月份到期", date(2027, 2, 28), "month"),
    ("expiry date: march 15, 2027", date(2027, 3, 15), "day"),
])
def test_find_expiry(text, expected, precision):
    found = dates.find_expiry(text, TODAY)
    assert (found.value, found.precision) == (expected, precision)


@pytest.mark.parametrize("text", ["2027年1月10日", "申请编号zj2026000101", "2027年13月40日到期", ""])
def test_no_expiry(text):
    assert dates.find_expiry(text, TODAY) is None


def test_months_before_clamps_to_month_end():
    assert dates.months_before(date(2027, 5, 31), 3) == date(2027, 2, 28)
    assert dates.months_before(date(2027, 1, 10), 3) == date(2026, 10, 10)


def test_window():
    open_now = dates.renewal_window(date(2027, 1, 10), 3, TODAY)
    assert open_now.open_now and open_now.opens == date(2026, 10, 10)
    later = dates.renewal_window(date(2027, 6, 10), 3, TODAY)
    assert not later.open_now and not later.expired and later.opens == date(2027, 3, 10)
    assert dates.renewal_window(date(2026, 10, 1), 3, TODAY).expired
    assert dates.renewal_window(TODAY, 3, TODAY).open_now  # the last day still counts


def test_today_from_environment(monkeypatch):
    monkeypatch.setenv("HELPDESK_TODAY", "2030-02-03")
    assert dates.today() == date(2030, 2, 3)
    monkeypatch.setenv("HELPDESK_TODAY", "not-a-date")
    with pytest.raises(dates.BadDate):
        dates.today()
    monkeypatch.delenv("HELPDESK_TODAY")
    assert dates.today() == datetime.now(dates.OFFICE_TZ).date()  # the office's date, whatever the server's zone


@pytest.mark.parametrize("text, months", [("提前两个月", 2), ("提前半年", 6), ("提早3个月", 3), ("提前一年", 12)])
def test_months_early(text, months):
    assert dates.find_months_early(text) == months
