"""Reports: the daily CTR task, review -> approve (four eyes) -> filed, FBAR, the HTML rendering, custom CSV reports.

Every report's XML is validated against FinCEN's own schema (lxml), here again independently of the service.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from lxml import etree

from apps.audit.models import AuditRecord
from apps.compliance.aml_models import AmlReport, ReportStatus, ReportType
from apps.compliance.reports import fincen
from apps.compliance.reports import services as reports
from apps.compliance.reports.custom import report_rows
from apps.compliance.reports.render import report_html
from apps.compliance.tasks import generate_ctrs
from apps.core.errors import InvalidInput

from .conftest import new_owner, open_account

pytestmark = pytest.mark.django_db
NS = {"f": fincen.NS}


def _schema(form: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(fincen.XSD_DIR / fincen.SCHEMAS[form])))


@pytest.fixture
def cash_day(rules, ledger):
    """One customer with 12,500.00 cash in today over two accounts; another with 9,000.00."""
    owner, small = new_owner(), new_owner()
    checking, savings = open_account(owner, name="Jane Doe"), open_account(owner)
    ledger.deposit(checking, "7000.00")
    ledger.deposit(savings, "5500.00")
    ledger.deposit(open_account(small), "9000.00")
    return owner, small, checking, savings


def test_the_daily_task_drafts_one_ctr_per_customer_over_the_threshold(cash_day):
    owner, small, checking, savings = cash_day
    assert generate_ctrs(day=timezone.localdate().isoformat()) == 1
    [ctr] = AmlReport.objects.filter(report_type=ReportType.CTR)
    assert (ctr.owner_id, ctr.status, ctr.business_day) == (owner, ReportStatus.DRAFT, timezone.localdate())
    assert ctr.figures["cash_in"] == "12500.00" and ctr.figures["cash_out"] == "0.00"
    document = etree.fromstring(ctr.xml.encode())
    assert _schema("CTRX").validate(document)
    assert document.findtext(".//f:TotalCashInReceiveAmountText", namespaces=NS) == "12500"
    assert document.findtext(".//f:AggregateTransactionIndicator", namespaces=NS) == "Y"
    person = [
        p for p in document.iterfind(".//f:Party", NS) if p.findtext("f:ActivityPartyTypeCode", namespaces=NS) == "50"
    ][0]
    assert person.findtext(".//f:RawEntityIndividualLastName", namespaces=NS) == "Doe"
    assert sorted(person.xpath(".//f:AccountNumberText/text()", namespaces=NS)) == sorted(
        [checking.public_id, savings.public_id]
    )
    assert generate_ctrs(day=timezone.localdate().isoformat()) == 0  # run again: nothing twice


def test_the_task_reports_yesterday_by_default_and_nothing_when_reporting_is_disabled(cash_day, settings):
    assert generate_ctrs() == 0  # the cash was today
    settings.QENEX = {**settings.QENEX, "compliance": {**settings.QENEX["compliance"], "reporting_enabled": False}}
    assert generate_ctrs(day=timezone.localdate().isoformat()) == 0
    assert not AmlReport.objects.exists()
    # An officer can still draft by hand.
    assert len(reports.ctrs_generate(day=timezone.localdate(), actor="officer", automatic=False)) == 1


def test_review_approve_and_file_with_four_eyes_each_step_audited(cash_day):
    [ctr] = reports.ctrs_generate(day=timezone.localdate())
    with pytest.raises(reports.ReportWrongStatus):
        reports.report_approve(report_id=ctr.public_id, actor="bob")  # not reviewed yet
    reports.report_review(report_id=ctr.public_id, actor="alice")
    with pytest.raises(reports.SameOfficerRefused):
        reports.report_approve(report_id=ctr.public_id, actor="alice")
    reports.report_approve(report_id=ctr.public_id, actor="bob")
    with pytest.raises(InvalidInput):
        reports.report_mark_filed(report_id=ctr.public_id, bsa_id="not-a-number", actor="carol")
    filed = reports.report_mark_filed(report_id=ctr.public_id, bsa_id="31000123456789", actor="carol")
    assert (filed.status, filed.bsa_id, filed.reviewed_by, filed.approved_by) == (
        ReportStatus.FILED,
        "31000123456789",
        "alice",
        "bob",
    )
    assert reports.report_mark_filed(report_id=ctr.public_id, bsa_id="31000123456789", actor="carol").pk == ctr.pk
    actions = list(
        AuditRecord.objects.filter(object_id=ctr.public_id).order_by("sequence").values_list("action", flat=True)
    )
    assert actions == ["aml.report_generated", "aml.report_reviewed", "aml.report_approved", "aml.report_filed"]


def test_a_report_can_be_rejected_with_a_reason_and_is_then_not_filed(cash_day):
    [ctr] = reports.ctrs_generate(day=timezone.localdate())
    rejected = reports.report_reject(report_id=ctr.public_id, reason="duplicate of a manual filing", actor="alice")
    assert rejected.status == ReportStatus.REJECTED
    with pytest.raises(reports.ReportWrongStatus):
        reports.report_review(report_id=ctr.public_id, actor="alice")


def test_a_tampered_report_is_refused_at_review(cash_day):
    [ctr] = reports.ctrs_generate(day=timezone.localdate())
    AmlReport.objects.filter(pk=ctr.pk).update(xml=ctr.xml.replace("<fc2:FormTypeCode>CTRX", "<fc2:FormTypeCode>XX"))
    with pytest.raises(reports.ReportInvalid):
        reports.report_review(report_id=ctr.public_id, actor="alice")


def test_fbar_reports_each_account_with_its_maximum_value(rules, ledger):
    from apps.customers.services import customer_create

    owner = customer_create(  # a US person; the account is held by the bank's German office (its BIC)
        fields={"kind": "person", "name": "Jane Doe", "nationality": "US", "residence_country": "US"}, actor="officer"
    ).public_id
    account = open_account(owner)
    ledger.deposit(account, "15000.00")
    ledger.withdraw(account, "14000.00")
    report = reports.fbar_generate(owner_id=owner, year=timezone.localdate().year, actor="alice")
    document = etree.fromstring(report.xml.encode())
    assert _schema("FBARX").validate(document)
    assert document.findtext(".//f:AccountMaximumValueAmountText", namespaces=NS) == "15000"
    assert document.findtext(".//f:ReportCalendarYearText", namespaces=NS) == str(timezone.localdate().year)
    with pytest.raises(InvalidInput):
        reports.fbar_generate(owner_id="nobody", year=2025, actor="alice")


def test_the_html_rendering_shows_the_figures_the_parties_and_the_status(cash_day):
    [ctr] = reports.ctrs_generate(day=timezone.localdate())
    html = report_html(ctr)
    assert "12500.00" in html and "Person involved" in html and "DRAFT" in html and ctr.xml_sha256 in html


def test_the_fincen_builders_refuse_what_the_schema_refuses():
    with pytest.raises(fincen.FincenSchemaError):
        fincen.validate("CTRX", b"<EFilingBatchXML xmlns='www.fincen.gov/base'/>")


def test_a_custom_report_lists_the_chosen_columns_of_the_filtered_rows_and_refuses_unknown_ones(cash_day):
    reports.ctrs_generate(day=timezone.localdate())
    saved = reports.custom_report_save(
        name="CTR drafts",
        source="reports",
        filters={"report_type": "CTR", "created_from": (timezone.localdate() - timedelta(days=1)).isoformat()},
        columns=["report_type", "owner_id", "status"],
        actor="alice",
    )
    from apps.compliance.reports.custom import custom_report_csv

    assert custom_report_csv(report=saved).splitlines() == ["report_type,owner_id,status", f"CTR,{cash_day[0]},DRAFT"]
    with pytest.raises(InvalidInput) as refused:
        list(report_rows(source="alerts", filters={}, columns=["password"]))
    assert refused.value.code == "unknown_column"
    with pytest.raises(InvalidInput):
        list(report_rows(source="alerts", filters={"raised_from": "yesterday"}, columns=["kind"]))
