"""Value dates: TARGET2 and Federal Reserve calendars, cut-offs, and requested dates that cannot be met."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from apps.payments import services
from apps.payments.business_days import FED, TARGET, banking_day_after, is_business_day, value_date
from tests.factories import funded_account

from .payments import ach_body, request_from, sct_body


@pytest.fixture(autouse=True)
def calendars_on(settings):
    """The suite runs with every rail open every day (qenex/settings_test.py); these tests are about the calendars."""
    settings.QENEX_PAYMENTS_CALENDARS = True


def test_the_suite_setting_opens_every_rail_every_day_with_no_cut_off(settings):
    settings.QENEX_PAYMENTS_CALENDARS = False
    settings.QENEX_PAYMENTS_CUTOFFS = "sepa=16:00"
    saturday_evening = datetime(2026, 12, 26, 20, 0, tzinfo=UTC)  # a TARGET2 holiday, after the cut-off
    assert value_date(rail="sepa", currency="EUR", now=saturday_evening) == date(2026, 12, 26)


def test_target2_closes_on_easter_monday_and_26_december_but_not_on_us_holidays():
    assert not is_business_day(date(2026, 4, 6), TARGET) and not is_business_day(date(2026, 12, 26), TARGET)
    assert is_business_day(date(2026, 7, 3), TARGET) and is_business_day(date(2026, 11, 26), TARGET)


def test_the_fed_closes_on_federal_holidays_and_the_monday_after_a_sunday_one_not_the_friday_before_a_saturday():
    assert not is_business_day(date(2026, 11, 26), FED)  # Thanksgiving
    assert is_business_day(date(2026, 7, 3), FED)  # Independence Day is a Saturday in 2026: the Fed opens Friday
    assert not is_business_day(date(2027, 7, 5), FED)  # ... and a Sunday in 2027: closed on Monday


def test_after_the_cut_off_the_value_date_is_the_next_business_day(settings):
    settings.QENEX_PAYMENTS_CUTOFFS = "sepa=16:00"
    before = datetime(2026, 12, 24, 14, 0, tzinfo=UTC)  # 15:00 in Frankfurt, Thursday
    after = datetime(2026, 12, 24, 15, 30, tzinfo=UTC)  # 16:30: the 25th and 26th are TARGET2 holidays
    assert value_date(rail="sepa", currency="EUR", now=before) == date(2026, 12, 24)
    assert value_date(rail="sepa", currency="EUR", now=after) == date(2026, 12, 28)
    assert value_date(rail="sepa_inst", currency="EUR", now=after) == date(2026, 12, 24)  # SCT Inst: every day


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("requested", "code"),
    [(date(2020, 1, 2), "execution_date_in_past"), (date(2030, 12, 25), "not_a_business_day")],
)
def test_a_requested_date_that_cannot_be_met_is_refused(requested, code):
    account = funded_account("500.00", "EUR")
    body = sct_body(account.public_id)
    request = request_from(body)
    request = type(request)(**{**request.__dict__, "requested_execution_date": requested})
    with pytest.raises(Exception) as refused:
        services.payment_send(request=request, debtor_account=account.public_id)
    assert (refused.value.code, refused.value.field) == (code, "requested_execution_date")


@pytest.mark.django_db
def test_a_payment_carries_its_value_date_into_the_message():
    account = funded_account("500.00", "USD")
    request = request_from(ach_body(account.public_id, speed="urgent"))
    monday = date.today() + timedelta(days=(7 - date.today().weekday()) % 7 or 7)
    while not is_business_day(monday, FED):
        monday += timedelta(days=1)
    request = type(request)(**{**request.__dict__, "requested_execution_date": monday})
    payment = services.payment_send(request=request, debtor_account=account.public_id).payment
    assert payment.value_date == monday
    from apps.payments import outbound

    assert f"{monday:%Y%m%d}".encode() in outbound.build(payment).body  # the IMAD's cycle date


def test_the_banking_day_after_skips_weekends_and_holidays_in_the_calendars_own_time_zone(settings):
    settings.QENEX_PAYMENTS_CALENDARS = False  # a network's calendar: our suite's open-every-day switch does not apply
    assert banking_day_after(datetime(2026, 11, 25, 20, 0, tzinfo=UTC), FED) == date(2026, 11, 27)  # Thanksgiving
    assert banking_day_after(datetime(2026, 11, 28, 1, 30, tzinfo=UTC), FED) == date(2026, 11, 30)  # Fri in NY
    assert banking_day_after(datetime(2026, 11, 28, 12, 0, tzinfo=UTC), FED) == date(2026, 11, 30)  # a Saturday
    assert banking_day_after(datetime(2026, 12, 24, 12, 0, tzinfo=UTC), TARGET) == date(2026, 12, 28)  # 25, 26 shut
